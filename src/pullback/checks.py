"""Checks on what the user passes to the public transformations and what their function returns.

In: the callable to differentiate, ``argnums``, primals, tangents, a cotangent, and the values
the user's function returned, with the name of the transformation that received them (``who``).
Out: nothing when they are fine; otherwise a ``PullbackTypeError`` or ``PullbackValueError``
saying what to pass instead. Also the normalized forms the transformations work with:
``argnums`` as a tuple of non-negative ints, primals and tangents as tuples, and the names of a
function and its parameters for messages.

Every mode calls these, so a misuse reads the same whichever mode meets it.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from . import pytree
from .callables import check_kind
from .errors import PullbackTypeError, PullbackValueError

# -- the function and its arguments -----------------------------------------------------------


def check_callable(f: Any, who: str, mode: str | None = None) -> None:
    """Raise a TypeError if ``f`` is not a function (or other callable) to differentiate,
    and an error if it is one that ``mode`` cannot differentiate (see ``callables``)."""
    if not callable(f):
        raise PullbackTypeError(
            f"{who} takes a function to differentiate as its first argument, got "
            f"{type(f).__name__} {f!r:.60}; pass the function itself, not its value"
        )
    check_kind(f, who, mode)


def check_differentiable(value: Any, what: str) -> None:
    """Raise a TypeError if ``value`` (a pytree) holds an integer, boolean or non-number leaf."""
    if value is None:
        raise PullbackTypeError(
            f"{what} is None; only floating-point values (and pytrees of them) have "
            "derivatives. Pass a float or a float array, or exclude it from argnums."
        )
    for leaf in pytree.flatten(value)[0]:
        if leaf is None:
            continue
        if isinstance(leaf, np.ndarray) and leaf.dtype.kind not in "biufc":
            raise PullbackTypeError(
                f"{what} is an array of dtype {leaf.dtype}; only floating-point arrays have "
                "derivatives. Convert it with .astype(float) or exclude it from argnums."
            )
        if not isinstance(leaf, (numbers.Number, np.ndarray, np.generic)) or isinstance(
            leaf, (str, bytes)
        ):
            if not hasattr(leaf, "__array_ufunc__") or isinstance(leaf, np.generic):
                raise PullbackTypeError(
                    f"{what} is a {type(leaf).__name__} ({leaf!r:.60}); only floating-point "
                    "values (and tuples, lists, dicts and dataclasses of them) have "
                    "derivatives. Pass a float or a float array, or exclude it from argnums."
                )
        if isinstance(leaf, (bool, np.bool_)) or (
            isinstance(leaf, numbers.Integral) and not isinstance(leaf, np.ndarray)
        ):
            raise PullbackTypeError(
                f"{what} is an integer or boolean ({leaf!r}); only floating-point values have "
                "derivatives. Pass a float (e.g. 3.0 instead of 3) or exclude it from argnums."
            )
        if isinstance(leaf, np.ndarray) and leaf.dtype.kind in "biu":
            raise PullbackTypeError(
                f"{what} is an array of dtype {leaf.dtype}; only floating-point arrays have "
                "derivatives. Convert it with .astype(float) or exclude it from argnums."
            )


def check_holomorphic_argument(value: Any, what: str, who: str) -> None:
    """With ``holomorphic=True`` every differentiated leaf must be complex."""
    for leaf in pytree.flatten(value)[0]:
        if leaf is not None and not (isinstance(leaf, complex) or np.iscomplexobj(leaf)):
            raise PullbackTypeError(
                f"{who}(..., holomorphic=True) needs complex arguments, but {what} is real "
                f"({type(leaf).__name__}); pass it as complex (x + 0j, x.astype(complex)), or "
                "drop holomorphic=True for a real-valued function"
            )


def _normalize_argnums(argnums, nargs: int) -> tuple[int, ...]:
    if isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool):
        nums = (argnums,)
    elif isinstance(argnums, (tuple, list)):
        nums = tuple(argnums)
    else:
        raise PullbackTypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
    out = []
    for a in nums:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise PullbackTypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -nargs <= a < nargs:
            raise PullbackValueError(
                f"argnums {argnums!r} is out of range for a call with {nargs} positional "
                "argument(s)"
            )
        if a % nargs in out:
            raise PullbackValueError(
                f"argnums {argnums!r} names argument {a % nargs} twice; list each argument once"
            )
        out.append(int(a % nargs))
    return tuple(out)


def check_tangents(primals: Any, tangents: Any, who: str) -> tuple[tuple, tuple]:
    """``primals`` and ``tangents`` as tuples, one tangent of the right shape per primal."""
    for what, seq in (("primals", primals), ("tangents", tangents)):
        if not isinstance(seq, (tuple, list)):
            raise PullbackTypeError(
                f"{who} takes {what} as a tuple, one entry per argument of the function, got "
                f"{type(seq).__name__} {seq!r:.40}; write ({seq!r:.20},) for one argument"
            )
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise PullbackValueError(
            f"{who} needs one tangent per primal: got {len(primals)} primals and "
            f"{len(tangents)} tangents"
        )
    tangents = tuple(pytree.conform(t, p) for t, p in zip(tangents, primals, strict=True))
    for i, (p, t) in enumerate(zip(primals, tangents, strict=True)):
        if t is None or (isinstance(t, (int, float)) and t == 0):
            continue  # the documented zero tangent
        p_leaves, p_def = pytree.flatten(p)
        t_leaves, t_def = pytree.flatten(t)
        if len(p_leaves) != len(t_leaves):
            raise PullbackValueError(
                f"{who}: tangent {i} has {len(t_leaves)} leaves but primal {i} has "
                f"{len(p_leaves)}; give each tangent its primal's structure"
            )
        for pl, tl in zip(p_leaves, t_leaves, strict=True):
            if tl is None:
                continue
            if isinstance(tl, (str, bytes)) or not (
                isinstance(tl, (numbers.Number, np.ndarray, np.generic)) or _traced(tl)
            ):
                raise PullbackTypeError(
                    f"{who}: tangent {i} holds a {type(tl).__name__} ({tl!r:.40}); tangents are "
                    "numbers or arrays shaped like their primals"
                )
            if np.ndim(tl) != 0 and np.shape(tl) != np.shape(pl):
                raise PullbackValueError(
                    f"{who}: tangent {i} has shape {np.shape(tl)} but its primal has shape "
                    f"{np.shape(pl)}; give each tangent its primal's shape"
                )
    return primals, tangents


def _traced(x) -> bool:
    """Whether ``x`` is a traced value of a tape or graph mode running around this call (a
    derivative of a derivative with respect to its tangent or cotangent)."""
    return getattr(x, "traced_by", None) is not None


def check_cotangent(cotangent: Any, value: Any) -> None:
    """Raise unless ``cotangent`` is a number or array shaped like the output ``value``."""
    if not pytree.is_leaf(value) or isinstance(value, (str, bytes)) or value is None:
        return  # a structured output: its cotangent is a pytree, checked leaf by leaf later
    if (
        cotangent is None
        or isinstance(cotangent, (str, bytes))
        or not isinstance(cotangent, (numbers.Number, np.ndarray, np.generic))
        and not _traced(cotangent)
    ):
        raise PullbackTypeError(
            f"the cotangent must be a number or an array shaped like the output "
            f"{np.shape(value)}, got {type(cotangent).__name__} {cotangent!r:.40}"
        )
    if np.shape(cotangent) != np.shape(value):
        raise PullbackValueError(
            f"the cotangent has shape {np.shape(cotangent)} but the output has shape "
            f"{np.shape(value)}; pass a cotangent of the output's shape"
        )


# -- what the function returned ---------------------------------------------------------------


def check_aux_pair(out: Any, fname: str) -> Any:
    """With has_aux, ``out`` must be a pair ``(value, aux)``; returns it."""
    if isinstance(out, (tuple, list)) and len(out) == 2:
        return out
    what = (
        f"a {type(out).__name__} of length {len(out)}"
        if isinstance(out, (tuple, list))
        else (f"{type(out).__name__} {out!r:.40}")
    )
    raise PullbackTypeError(
        f"has_aux=True requires {fname} to return a pair (value, aux), but it returned {what}; "
        "return (value, aux) or drop has_aux"
    )


def _numeric_value(value: Any) -> bool:
    if isinstance(value, (str, bytes, np.str_, np.bytes_)):
        return False
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biufc"
    return isinstance(value, (numbers.Number, np.generic)) or hasattr(value, "__array_ufunc__")


def check_numeric_output(value: Any, fname: str, who: str) -> None:
    """Raise a TypeError unless ``value`` is a number or a numeric array."""
    if not _numeric_value(value):
        raise PullbackTypeError(
            f"{who} requires {fname} to return a number or a numeric array, but it returned "
            f"{type(value).__name__} {value!r:.40}; return np.array(...) of the outputs"
        )


def check_scalar_output(value: Any, fname: str) -> None:
    if not isinstance(value, (tuple, list, dict)) and not _numeric_value(value):
        raise PullbackTypeError(
            f"grad requires {fname} to return a scalar, but it returned {value!r:.40}; "
            "return the (float) value to differentiate"
        )
    if np.ndim(value) != 0 or isinstance(value, (tuple, list, dict)):
        shape = np.shape(value) if not isinstance(value, (tuple, list, dict)) else type(value)
        raise PullbackTypeError(
            f"grad requires {fname} to return a scalar, but it returned a value of shape "
            f"{shape}; use pb.vjp for a vector-Jacobian product or pb.jacobian for the full "
            "Jacobian."
        )


def check_real_output(value: Any, fname: str, who: str) -> None:
    """Raise a TypeError if ``value`` (a number or an array) is complex: a gradient needs a
    real-valued function, unless it is asked for a holomorphic one."""
    if isinstance(value, complex) or np.iscomplexobj(value):
        raise PullbackTypeError(
            f"{who} needs a real-valued output, but {fname} returned a complex value; pass "
            "holomorphic=True for a holomorphic function of complex arguments (its derivative "
            "f'(z)), or differentiate a real-valued function of the output (np.real, np.abs)"
        )


def _check_jvp_output(value: Any, f: Callable) -> None:
    """A JVP's output must be numbers (a module, a string, a generator has no tangent)."""
    if value.__class__ is float or value.__class__ is np.ndarray:
        return
    for leaf in pytree.flatten(value)[0]:
        if leaf is not None:
            check_numeric_output(leaf, _fname(f), "pb.jvp")


# -- names for messages -----------------------------------------------------------------------


def _fname(f: Callable) -> str:
    return getattr(f, "__name__", None) or type(f).__name__


def parameter_names(f: Callable, n: int) -> list[str | None]:
    """The names of ``f``'s first ``n`` positional parameters (None where unknown); those a
    ``*args`` parameter takes are ``args[0]``, ``args[1]`` ...

    >>> parameter_names(lambda x, *rest: x, 3)
    ['x', 'rest[0]', 'rest[1]']
    """
    import inspect

    try:
        parameters = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):  # a ufunc or builtin without a signature
        return [None] * n
    names: list[str | None] = []
    for p in parameters:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            names += [f"{p.name}[{i}]" for i in range(max(0, n - len(names)))]
            break
        else:
            break
    return (names + [None] * n)[:n]
