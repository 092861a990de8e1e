"""Symbolic mode's scalars: SymPy loaded on demand, real scalars checked, constants made exact.

In: values met while tracing or calling a function (arguments, constants in its graph, the
graph's input nodes).
Out: ``_sympy()`` (the sympy module, or a ``PullbackError`` saying how to install it);
``_constant`` (a number as an exact SymPy number where that is exact); ``_is_scalar`` and
``_require_scalar`` (symbolic mode takes real scalars only); ``_integral_input`` (an integer
argument, held at its value as a loop count).

SymPy is imported inside ``_sympy``; importing this module never imports it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..errors import PullbackError, PullbackTypeError
from ..graph.ir import Node


def _sympy():
    try:
        import sympy
    except ImportError as err:  # pragma: no cover - sympy is in the "symbolic" extra
        raise PullbackError(
            "symbolic mode needs SymPy: pip install 'pullback[symbolic]' (or pip install sympy)"
        ) from err
    return sympy


_SCALARS_ONLY = (
    "symbolic mode handles scalar functions of scalars; use mode='source' (or 'tape', 'graph') "
    "for arrays and structured values"
)


def _constant(sp, value: Any, where: str):
    """A numeric constant as an exact SymPy number where that is exact (2.0 -> 2, 0.5 -> 1/2)."""
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            raise PullbackTypeError(
                f"{_SCALARS_ONLY}; {where} uses an array of shape {value.shape}"
            )
        value = value[()]
    if isinstance(value, (bool, np.bool_)):
        return sp.Integer(int(value))
    if isinstance(value, numbers.Integral):
        return sp.Integer(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if value == math.pi:
            return sp.pi
        if value == math.e:
            return sp.E
        if math.isfinite(value):
            numerator, denominator = value.as_integer_ratio()
            if denominator <= 1024:
                return sp.Rational(numerator, denominator)
        return sp.Float(value)
    raise PullbackTypeError(f"{_SCALARS_ONLY}; {where} uses the constant {value!r}")


def _integral_input(node: Node) -> bool:
    value = node.value
    return (
        node.op == "input"
        and isinstance(value, (numbers.Integral, np.integer))
        and not isinstance(value, (bool, np.bool_))
    )


def _is_scalar(x: Any) -> bool:
    if isinstance(x, np.ndarray):
        return x.ndim == 0
    return isinstance(x, numbers.Number) and not isinstance(x, complex)


def _require_scalar(x: Any, what: str) -> None:
    if isinstance(x, complex) or np.iscomplexobj(x):
        raise PullbackTypeError(
            f"symbolic mode differentiates real scalars only, and {what} is complex; use "
            "mode='source' (or 'tape', 'graph') for complex arguments"
        )
    if not _is_scalar(x):
        shape = np.shape(x) if isinstance(x, np.ndarray) else type(x).__name__
        raise PullbackTypeError(f"{_SCALARS_ONLY}; {what} is {shape!r}, not a scalar")
