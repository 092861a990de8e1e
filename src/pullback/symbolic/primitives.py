"""Symbolic mode's primitives: derivatives lambdified to NumPy, cached per function and path.

In: a scalar function of scalar arguments and the point of a call (``vjp``'s primals, ``jvp``'s
primals and tangents, the arguments of the function ``grad`` / ``value_and_grad`` /
``hessian`` return).
Out: the mode primitives ``vjp`` and ``jvp`` (see ``pullback.api``), with ``grad``,
``value_and_grad`` and ``hessian``: numbers, computed from the traced expression's partial
derivatives.

Control flow: a trace holds on the path it took. Each call compares the function's value with
the cached paths' (``_Path.agrees``, which also tests the path's conditions) and traces the
function again at the new point where none agrees; up to ``_PATHS_PER_KEY`` paths are kept per
function and per the arguments it is not differentiated in.
"""

from __future__ import annotations

import numbers
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checks import _fname, _normalize_argnums, check_differentiable, check_scalar_output
from ..errors import PullbackTypeError
from ..generic import grad_from_value_and_grad
from ..results import match_leaf, value_and_grad_result
from .expressions import _diff, _traced_expression, _traced_path
from .scalars import _require_scalar, _sympy
from .table import _STEP_NUMERIC

__all__ = ["vjp", "jvp", "grad", "value_and_grad", "hessian"]


# -- compiled derivatives, cached per function -------------------------------------------------


@dataclass
class _Path:
    """The expression of one traced path, its partial derivatives, lambdified to NumPy.

    ``holds`` tests the path's conditions (the branch decisions it took) at a point.
    """

    expression: Any
    symbols: list
    value_fn: Callable
    partial_fns: list[Callable]
    holds: Callable | None = None

    def agrees(self, point: Sequence, value: Any) -> bool:
        try:
            with np.errstate(all="ignore"):
                if self.holds is not None and not bool(self.holds(*point)):
                    return False
                mine = self.value_fn(*point)
            return bool(np.isclose(mine, value, rtol=1e-9, atol=1e-12, equal_nan=True))
        except Exception:
            return False

    def partials(self, point: Sequence) -> list:
        return [fn(*point) for fn in self.partial_fns]


_PATHS_PER_KEY = 8
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _lambdify(symbols: list, expr) -> Callable:
    sp = _sympy()
    return sp.lambdify(symbols, expr, modules=[dict(_STEP_NUMERIC), "numpy", "math"], dummify=True)


def _compile(expr, symbols: list, conditions: Sequence = ()) -> _Path:
    sp = _sympy()
    holds = _lambdify(symbols, sp.And(*conditions)) if conditions else None
    partials = [_lambdify(symbols, _diff(expr, s)) for s in symbols]
    return _Path(expr, symbols, _lambdify(symbols, expr), partials, holds)


def _cache_key(args: Sequence, kwargs: dict, positions: Sequence[int], has_aux: bool):
    """What besides the differentiated values the trace depends on; None when unhashable."""
    constants = tuple((i, type(a).__name__, a) for i, a in enumerate(args) if i not in positions)
    key = (len(args), tuple(positions), constants, tuple(sorted(kwargs.items())), has_aux)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _path_for(
    f: Callable, args: Sequence, kwargs: dict, positions: Sequence[int], value, has_aux: bool
) -> _Path:
    """The cached path whose expression gives ``value`` at ``args``, or a new trace there."""
    point = [args[i] for i in positions]
    key = _cache_key(args, kwargs, positions, has_aux)
    if key is not None:
        with _LOCK:
            try:
                paths = list(_CACHE.get(f, {}).get(key, ()))
            except TypeError:  # f cannot be weakly referenced
                paths = []
        for path in paths:
            if path.agrees(point, value):
                return path
    path = _compile(*_traced_path(f, args, kwargs, positions, has_aux))
    if key is not None:
        with _LOCK:
            try:
                per_key = _CACHE.setdefault(f, {})
            except TypeError:
                return path
            paths = per_key.setdefault(key, [])
            paths.insert(0, path)
            del paths[_PATHS_PER_KEY:]
    return path


def _call(f: Callable, args: Sequence, kwargs: dict, has_aux: bool):
    out = f(*args, **kwargs)
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise PullbackTypeError(
                f"with has_aux=True, {_fname(f)} must return a pair (value, aux)"
            )
        return out
    return out, None


# -- the mode primitives ------------------------------------------------------------------------


def vjp(f: Callable, primals: tuple, has_aux: bool = False):
    """``(value, vjp_fn[, aux])`` for scalar ``f`` of scalar primals (see ``pullback.api``)."""
    for i, p in enumerate(primals):
        _require_scalar(p, f"primal {i} of {_fname(f)}")
    value, aux = _call(f, primals, {}, has_aux)
    _require_scalar(value, f"the value of {_fname(f)}")
    path = _path_for(f, primals, {}, range(len(primals)), value, has_aux)

    def vjp_fn(cotangent):
        return tuple(cotangent * d for d in path.partials(primals))

    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def jvp(f: Callable, primals: tuple, tangents: tuple):
    """``(value, tangent_out)`` for scalar ``f`` of scalar primals (see ``pullback.api``).

    Integer primals, and those whose tangent is None, are held constant.
    """
    for i, p in enumerate(primals):
        _require_scalar(p, f"primal {i} of {_fname(f)}")
    positions = [
        i
        for i, (p, t) in enumerate(zip(primals, tangents, strict=True))
        if t is not None and not isinstance(p, (numbers.Integral, np.integer))
    ]
    value, _ = _call(f, primals, {}, False)
    _require_scalar(value, f"the value of {_fname(f)}")
    if not positions:
        return value, 0.0
    path = _path_for(f, primals, {}, positions, value, False)
    point = [primals[i] for i in positions]
    tangent_out = sum(tangents[i] * d for i, d in zip(positions, path.partials(point), strict=True))
    return value, tangent_out


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False):
    """``(value, gradient)`` by the lambdified symbolic derivative, cached per function."""

    def value_and_gradient(*args, **kwargs):
        nums = _scalar_arguments(f, argnums, args)
        value, aux = _call(f, args, kwargs, has_aux)
        check_scalar_output(value, _fname(f))
        path = _path_for(f, args, kwargs, nums, value, has_aux)
        partials = path.partials([args[i] for i in nums])
        grads = tuple(match_leaf(d, args[i]) for i, d in zip(nums, partials, strict=True))
        return value_and_grad_result(value, aux, grads, argnums, has_aux)

    value_and_gradient.__name__ = f"value_and_grad_{_fname(f)}"
    value_and_gradient.__wrapped__ = f
    return value_and_gradient


def _scalar_arguments(f, argnums, args) -> tuple[int, ...]:
    """The positions ``argnums`` names in ``args``, each checked to be a differentiable scalar."""
    nums = _normalize_argnums(argnums, len(args))
    for i in nums:
        check_differentiable(args[i], f"argument {i} of {_fname(f)}")
        _require_scalar(args[i], f"argument {i} of {_fname(f)}")
    return nums


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False):
    """The gradient by the lambdified symbolic derivative; see ``value_and_grad``."""
    return grad_from_value_and_grad(value_and_grad(f, argnums, has_aux), f, has_aux)


def hessian(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Hessian of scalar ``f`` of scalar arguments, by differentiating its expression twice.

    With one argument the result is a float, with several (``argnums`` a tuple) a square array.
    The expression is traced at each call's arguments, so branches take the path of the call.
    """

    def hessian_fn(*args, **kwargs):
        nums = _scalar_arguments(f, argnums, args)
        value, _ = _call(f, args, kwargs, False)
        check_scalar_output(value, _fname(f))
        expr, symbols = _traced_expression(f, args, kwargs, nums, False)
        chosen = list(symbols)
        second = [[_diff(expr, a, b) for b in chosen] for a in chosen]
        point = [args[i] for i in nums]
        table = np.array([[float(_lambdify(chosen, e)(*point)) for e in row] for row in second])
        return float(table[0, 0]) if isinstance(argnums, int) else table

    hessian_fn.__name__ = f"hessian_{_fname(f)}"
    return hessian_fn
