"""Derivatives given the kind of the values they belong to.

In: a raw derivative from a mode (a gradient, an adjoint, a tangent; None for a zero) and the
primal or output it belongs to.
Out: the derivative in that value's structure (tuples, lists, dicts, dataclasses, namedtuples)
with each leaf of the value's kind: an array of its shape and float dtype, a NumPy scalar of
its type, a Python float for a Python number, real for a real value; and the ``(value,
gradient)`` pair ``value_and_grad`` returns.

Every mode shapes its results with these, so a derivative has the same type in every mode.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import pytree
from .runtime.structures import entries, entry


def match_leaf(g: Any, x: Any) -> Any:
    """Give gradient ``g`` the kind of its primal ``x``: an array of ``x``'s shape and float
    dtype for an array (float32 stays float32), a NumPy scalar of ``x``'s type for a NumPy
    scalar, a Python float for a Python number.

    A real ``x`` gets the real part of a complex ``g``: its projection onto the reals, where a
    complex intermediate (``(x * (1 + 1j)).real``) made the adjoint complex; its gradient keeps
    ``x``'s real type. A complex ``x`` keeps a complex gradient."""
    if g is None:
        g = 0.0 if np.ndim(x) == 0 else np.zeros(np.shape(x))
    if getattr(g, "traced_by", None) is not None:  # traced by a mode differentiating this one
        return g if np.shape(g) == np.shape(x) else g + np.zeros(np.shape(x))
    if np.iscomplexobj(g) and not _complex_leaf(x):
        g = np.real(g)
    if isinstance(x, np.ndarray):
        dtype = x.dtype if x.dtype.kind in "fc" else np.dtype(float)
        g = np.asarray(g, dtype=dtype)
        if g.shape != x.shape:
            g = np.broadcast_to(g, x.shape).copy()
        return g
    if np.ndim(g) != 0:
        return g
    if isinstance(x, np.generic) and x.dtype.kind in "fc":
        return x.dtype.type(g)
    if isinstance(x, (float, int, np.floating, np.integer)):
        return float(g)
    if isinstance(x, complex) and not isinstance(g, complex):
        return complex(g)
    return g


def _complex_leaf(x: Any) -> bool:
    return isinstance(x, complex) or np.iscomplexobj(x)


def match_tree(g: Any, x: Any) -> Any:
    """Give gradient ``g`` the structure of its primal ``x`` and each leaf ``x``'s kind (see
    ``match_leaf``). Entries are matched by key: dict keys, field names of namedtuples and
    dataclasses, positions of lists and tuples (an array ``g`` for a list of numbers gives
    its rows). A missing entry (None) is a zero."""
    if x is None:
        return None
    if pytree.is_leaf(x):
        return match_leaf(g, x)
    parts = entries(x)
    if g is not None and entries(g) is None and not isinstance(g, np.ndarray):
        g = None  # a symbolic zero or a value of another kind: zeros of x's structure
    children = [match_tree(_entry_of(g, key), value) for key, value in parts]
    return pytree.build_like(x, children)


def _entry_of(g: Any, key: Any) -> Any:
    """Entry ``key`` of gradient ``g``; None where it has none."""
    if g is None:
        return None
    if isinstance(g, np.ndarray):
        return g[key] if isinstance(key, int) and g.ndim and key < len(g) else None
    return entry(g, key)


def value_and_grad_result(value, aux, grads: tuple, argnums, has_aux: bool):
    """What ``value_and_grad`` returns, in every mode: ``(value, g)``, or ``((value, aux), g)``;
    ``g`` one gradient for an int ``argnums``, a tuple of them for a tuple."""
    g = grads[0] if isinstance(argnums, int) else grads
    value = _scalar(value)
    return ((value, aux), g) if has_aux else (value, g)


def _scalar(value):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    return value


def python_tangent(tangent: Any, value: Any, primals: tuple) -> Any:
    """The tangent of a scalar output as a Python float where every primal is a Python
    number (Python floats in, Python float out, as ``grad`` gives); otherwise it keeps its
    output's type (float32 stays float32, ``np.float64`` stays ``np.float64``)."""
    if (
        isinstance(value, (float, np.floating))
        and isinstance(tangent, (float, np.floating))
        and all(type(p) is float or type(p) is int for p in primals)
    ):
        return float(tangent)
    return tangent
