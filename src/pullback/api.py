"""The public derivative functions, the same for every mode.

In: a user function, which arguments to differentiate, and ``mode`` (the approach).
Out: derivative functions and values: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp.

Each mode is a module (``pullback.source``, ``pullback.tape``, ``pullback.graph``,
``pullback.symbolic``, ``pullback.numeric``) that provides two primitives:

- ``vjp(f, primals, has_aux=False) -> (value, vjp_fn[, aux])`` with ``vjp_fn(cotangent)``
  returning a tuple with one adjoint per primal (pytrees keep their structure), and
- ``jvp(f, primals, tangents) -> (value, tangent_out)``.

A mode may also provide both ``value_and_grad(f, argnums, has_aux)`` and ``grad(...)`` of its
own (source mode does: it returns generated code). Everything else is built here from the two
primitives, so a new mode gets the whole API at once.
"""

from __future__ import annotations

import importlib
import numbers
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import pytree
from .callables import check_kind
from .errors import PullbackTypeError, PullbackValueError
from .runtime.structures import entries, entry

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp", "MODES"]

MODES = ("source", "tape", "graph", "symbolic", "numeric")


_BACKENDS: dict = {}


def backend(mode: str):
    """The module implementing ``mode``."""
    if not isinstance(mode, str):
        raise PullbackTypeError(f"mode must be a string, one of {', '.join(MODES)}; got {mode!r}")
    impl = _BACKENDS.get(mode)
    if impl is not None:
        return impl
    if mode not in MODES:
        raise PullbackValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    impl = _BACKENDS[mode] = importlib.import_module(f"pullback.{mode}")
    return impl


# -- argument checks --------------------------------------------------------------------------


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


def match_leaf(g: Any, x: Any) -> Any:
    """Give gradient ``g`` the kind of its primal ``x``: an array of ``x``'s shape and float
    dtype for an array (float32 stays float32), a NumPy scalar of ``x``'s type for a NumPy
    scalar, a Python float for a Python number.

    A real ``x`` gets the real part of a complex ``g``: its projection onto the reals, where a
    complex intermediate (``(x * (1 + 1j)).real``) made the adjoint complex; its gradient keeps
    ``x``'s real type. A complex ``x`` keeps a complex gradient."""
    if g is None:
        g = 0.0 if np.ndim(x) == 0 else np.zeros(np.shape(x))
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


# -- reverse ----------------------------------------------------------------------------------


def _partial(f: Callable, args: tuple, kwargs: dict, nums: tuple[int, ...]) -> Callable:
    if not kwargs and nums == tuple(range(len(args))):
        return f  # every argument is differentiated: f itself (source mode can transform it)

    def f_of_diff(*diff):
        full = list(args)
        for i, v in zip(nums, diff, strict=False):
            full[i] = v
        return f(*full, **kwargs)

    f_of_diff.__name__ = _fname(f)
    f_of_diff.__wrapped__ = f
    f_of_diff.__pullback_partial__ = (f, args, kwargs, nums)  # for modes that transform f
    return f_of_diff


def value_and_grad(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    mode: str = "source",
    has_aux: bool = False,
    holomorphic: bool = False,
    check_finite: bool = False,
    compile: str | None = None,
) -> Callable:
    """A function returning ``(f(*args), gradient)``; ``((value, aux), gradient)`` with has_aux.

    ``f`` must return a real scalar; ``holomorphic=True`` differentiates a complex-valued
    holomorphic ``f`` of complex arguments instead, giving ``f'(z)`` (see ``grad``).

    >>> import numpy as np, pullback as pb
    >>> pb.value_and_grad(lambda x: x * x, mode="tape")(3.0)
    (9.0, 6.0)
    """
    f, compile = _kernel(f, compile, mode)
    check_callable(f, "pb.value_and_grad", mode)
    impl = backend(mode)
    if compile is not None:
        return _compiled(f, "value_and_grad", mode, compile, argnums, has_aux, holomorphic)
    if hasattr(impl, "value_and_grad") and not holomorphic:
        df = impl.value_and_grad(f, argnums, has_aux=has_aux)
    else:
        df = generic_value_and_grad(impl, f, argnums, has_aux, holomorphic)
    return _checking(df, check_finite)


def _kernel(f, compile, mode):
    """A Numba kernel (``@numba.njit``) is differentiated through its Python function, and
    compiled by default in source mode: a kernel's derivative is a kernel."""
    from .callables import numba_function

    py_func = numba_function(f)
    if py_func is not None and mode == "source":
        return py_func, ("numba" if compile is None else compile)
    return f, compile


def _uncompiled(f, compile, mode, who):
    """``f`` for a transform that is not compiled yet: a Numba kernel's Python function; a
    request to compile refused, saying where compilation is available."""
    if compile is not None:
        raise PullbackValueError(
            f"{who} does not compile yet: compile='numba' is available on pb.grad, "
            f"pb.value_and_grad and pb.jvp; {who} runs the same derivative uncompiled with "
            "compile=None"
        )
    return _kernel(f, None, mode)[0]


def _compiled_jvp(f, primals, tangents, mode, compile):
    """``pb.jvp(f, primals, tangents, compile="numba")``."""
    f = _kernel(f, compile, mode)[0]
    _compile_request(compile, mode)
    check_callable(f, "pb.jvp", mode)
    primals, tangents = check_tangents(primals, tangents, "pb.jvp")
    from .source import numba_compile

    value, tangent = numba_compile.compiled_jvp(f, primals, tangents)
    _check_jvp_output(value, f)
    return value, python_tangent(tangent, value, primals)


def _compile_request(compile, mode):
    if compile != "numba":
        raise PullbackValueError(
            f"compile must be None or 'numba', got {compile!r}; compile='numba' compiles the "
            "generated derivative with Numba"
        )
    if mode != "source":
        raise PullbackValueError(
            f"compile='numba' compiles the code source mode generates, so it needs "
            f"mode='source' (got mode={mode!r})"
        )


def _compiled(f, flavor, mode, compile, argnums, has_aux, holomorphic):
    """``flavor`` of ``f`` with its generated derivative compiled (``compile="numba"``)."""
    _compile_request(compile, mode)
    if has_aux or holomorphic:
        what = "has_aux=True" if has_aux else "holomorphic=True"
        raise PullbackValueError(
            f"compile='numba' does not take {what}; drop it, or use compile=None"
        )
    from .source import numba_compile

    numba_compile.numba()  # a clear error now, before any work, if Numba is missing
    impl = backend(mode)
    df = getattr(impl, flavor)(f, argnums, has_aux=False)
    return numba_compile.compiled(df, f)


def _checking(df: Callable, check_finite: bool) -> Callable:
    """``df``, raising ``pb.NonFiniteError`` at its first NaN/Inf when ``check_finite``."""
    if not check_finite:
        return df
    from .finite import checking

    return checking(df, "derivative")


def grad(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    mode: str = "source",
    has_aux: bool = False,
    holomorphic: bool = False,
    check_finite: bool = False,
    compile: str | None = None,
) -> Callable:
    """The gradient of scalar-valued ``f``; a tuple of gradients when ``argnums`` is a tuple.

    ``f`` must return a real number. Of a complex argument ``z = x + iy`` the gradient is
    ``df/dx - i df/dy`` (the README's section on complex numbers: ``|z|**2`` at ``3+4j`` gives
    ``6-8j``); a real argument gets a real gradient, even through complex intermediates.
    A complex-valued ``f`` is refused unless ``holomorphic=True``, which requires complex
    arguments and gives the complex derivative ``f'(z)``.

    >>> import numpy as np, pullback as pb
    >>> round(pb.grad(lambda x: np.log(x * x), mode="tape")(3.0), 6)
    0.666667
    >>> pb.grad(lambda z: z * z, holomorphic=True, mode="tape")(1 + 2j)
    (2+4j)
    """
    f, compile = _kernel(f, compile, mode)
    check_callable(f, "pb.grad", mode)
    impl = backend(mode)
    if compile is not None:
        return _compiled(f, "grad", mode, compile, argnums, has_aux, holomorphic)
    if hasattr(impl, "value_and_grad") and hasattr(impl, "grad") and not holomorphic:
        # a mode with its own grad
        return _checking(impl.grad(f, argnums, has_aux=has_aux), check_finite)
    vg = generic_value_and_grad(impl, f, argnums, has_aux, holomorphic)
    return _checking(grad_from_value_and_grad(vg, f, has_aux), check_finite)


def grad_from_value_and_grad(value_and_gradient: Callable, f: Callable, has_aux: bool) -> Callable:
    """``grad(f)`` from ``value_and_grad(f)``: the gradient (and aux, if any) without the value."""

    def gradient(*args, **kwargs):
        value, g = value_and_gradient(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    gradient.__name__ = f"grad_{_fname(f)}"
    gradient.__wrapped__ = f
    return gradient


def generic_value_and_grad(
    impl, f: Callable, argnums, has_aux: bool, holomorphic: bool = False
) -> Callable:
    """value_and_grad built on a mode's ``vjp``."""

    def value_and_gradient(*args, **kwargs):
        nums = _normalize_argnums(argnums, len(args))
        for i in nums:
            check_differentiable(args[i], f"argument {i} of {_fname(f)}")
            if holomorphic:
                check_holomorphic_argument(args[i], f"argument {i} of {_fname(f)}", "pb.grad")
        primals = tuple(args[i] for i in nums)
        out = impl.vjp(_partial(f, args, kwargs, nums), primals, has_aux=has_aux)
        if has_aux:
            value, vjp_fn, aux = out
        else:
            value, vjp_fn = out
        check_scalar_output(value, _fname(f))
        if not holomorphic:
            check_real_output(value, _fname(f), "pb.grad")
        cotangent = _one_like(value)
        grads = tuple(match_tree(g, p) for g, p in zip(vjp_fn(cotangent), primals, strict=False))
        return value_and_grad_result(value, aux if has_aux else None, grads, argnums, has_aux)

    value_and_gradient.__name__ = f"value_and_grad_{_fname(f)}"
    value_and_gradient.__wrapped__ = f
    return value_and_gradient


def check_real_output(value: Any, fname: str, who: str) -> None:
    """Raise a TypeError if ``value`` (a number or an array) is complex: a gradient needs a
    real-valued function, unless it is asked for a holomorphic one."""
    if isinstance(value, complex) or np.iscomplexobj(value):
        raise PullbackTypeError(
            f"{who} needs a real-valued output, but {fname} returned a complex value; pass "
            "holomorphic=True for a holomorphic function of complex arguments (its derivative "
            "f'(z)), or differentiate a real-valued function of the output (np.real, np.abs)"
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


def _one_like(value: Any) -> Any:
    """The cotangent 1 of a scalar loss, in its float type if narrower than float64 (a
    float32 loss, traced or not, keeps its sweep in float32)."""
    dtype = getattr(value, "dtype", None)
    if dtype in (np.float32, np.float16):
        return np.ones(np.shape(value), dtype) if isinstance(value, np.ndarray) else dtype.type(1)
    return 1.0 if not isinstance(value, np.ndarray) else np.ones_like(value, dtype=float)


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


def vjp(
    f: Callable,
    *primals: Any,
    mode: str = "source",
    has_aux: bool = False,
    check_finite=False,
    compile: str | None = None,
):
    """``(f(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` returns one adjoint per primal."""
    f = _uncompiled(f, compile, mode, "pb.vjp")
    if check_finite:  # both sweeps checked: the forward one now, the backward one in vjp_fn
        from .finite import checking, debug_nans

        with debug_nans():
            out = vjp(f, *primals, mode=mode, has_aux=has_aux)
        return (out[0], checking(out[1], "vjp"), *out[2:])
    check_callable(f, "pb.vjp", mode)
    if not primals:
        raise PullbackTypeError(
            f"pb.vjp needs the point to differentiate {_fname(f)} at: pb.vjp(f, *primals)"
        )
    for i, p in enumerate(primals):
        check_differentiable(p, f"primal {i} of {_fname(f)}")
    out = backend(mode).vjp(f, tuple(primals), has_aux=has_aux)
    value, vjp_fn = out[0], out[1]
    for leaf in pytree.flatten(value)[0]:  # a generator or a string has no cotangent
        check_numeric_output(leaf, _fname(f), "pb.vjp")

    def vjp_matched(cotangent):
        check_cotangent(cotangent, value)
        grads = vjp_fn(pytree.conform(cotangent, value))
        return tuple(match_tree(g, p) for g, p in zip(grads, primals, strict=False))

    if has_aux:
        return value, vjp_matched, out[2]
    return value, vjp_matched


def check_cotangent(cotangent: Any, value: Any) -> None:
    """Raise unless ``cotangent`` is a number or array shaped like the output ``value``."""
    if not pytree.is_leaf(value) or isinstance(value, (str, bytes)) or value is None:
        return  # a structured output: its cotangent is a pytree, checked leaf by leaf later
    if (
        cotangent is None
        or isinstance(cotangent, (str, bytes))
        or not isinstance(cotangent, (numbers.Number, np.ndarray, np.generic))
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
            if isinstance(tl, (str, bytes)) or not isinstance(
                tl, (numbers.Number, np.ndarray, np.generic)
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


# -- forward ----------------------------------------------------------------------------------


# f -> fast(primals, tangents), filled by source mode for plain Python functions only (they
# hash and compare by identity, so no other callable can match an entry).
SOURCE_JVP: dict = {}
_FunctionType = types.FunctionType
_source_jvp = SOURCE_JVP.get


def jvp(
    f: Callable,
    primals: Sequence,
    tangents: Sequence,
    *,
    mode: str = "source",
    check_finite: bool = False,
    compile: str | None = None,
):
    """``(f(*primals), tangent_out)``: the directional derivative of ``f`` along ``tangents``.

    The tangent of a non-differentiable (integer) primal may be given as None or 0.
    ``compile="numba"`` compiles the generated JVP (source mode), as for ``grad``.
    """
    if compile is not None:
        return _compiled_jvp(f, primals, tangents, mode, compile)
    f = _uncompiled(f, compile, mode, "pb.jvp")
    if check_finite:
        from .finite import debug_nans

        with debug_nans():
            return jvp(f, primals, tangents, mode=mode)
    if mode == "source" and f.__class__ is _FunctionType:  # seen before: straight to its JVP
        fast = _source_jvp(f)
        if fast is not None:
            out = fast(primals, tangents)
            if out is not None:
                _check_jvp_output(out[0], f)
                return out
    check_callable(f, "pb.jvp", mode)
    primals, tangents = check_tangents(primals, tangents, "pb.jvp")
    value, tangent = backend(mode).jvp(f, primals, tangents)
    _check_jvp_output(value, f)
    return value, python_tangent(tangent, value, primals)


def _check_jvp_output(value: Any, f: Callable) -> None:
    """A JVP's output must be numbers (a module, a string, a generator has no tangent)."""
    if value.__class__ is float or value.__class__ is np.ndarray:
        return
    for leaf in pytree.flatten(value)[0]:
        if leaf is not None:
            check_numeric_output(leaf, _fname(f), "pb.jvp")


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


def _one_hot_leaves(x: Any):
    """Yield (index, basis tangent) for every scalar entry of ``x`` (a scalar or an array)."""
    shape = np.shape(x)
    for idx in np.ndindex(shape):
        e = np.zeros(shape)
        e[idx] = 1.0
        yield idx, (e if isinstance(x, np.ndarray) else float(e[()]))


def jacobian(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    mode: str = "source",
    direction: str = "rev",
    holomorphic: bool = False,
    _any_output: bool = False,
) -> Callable:
    """The Jacobian, shaped ``out.shape + arg.shape``; built by rows ("rev") or columns ("fwd").

    Like ``grad``: ``f`` must be real-valued; of a complex argument each entry is
    ``df/dx - i df/dy``. ``holomorphic=True`` takes a complex-valued holomorphic ``f`` of
    complex arguments and gives its complex derivatives ``df_i/dz_j``."""
    f = _kernel(f, None, mode)[0]  # a Numba kernel: its Python function, uncompiled
    check_callable(f, "pb.jacobian", mode)
    if direction not in ("rev", "fwd"):
        raise PullbackValueError(f"direction must be 'rev' or 'fwd', got {direction!r}")

    def jacobian_fn(*args, **kwargs):
        nums = _normalize_argnums(argnums, len(args))
        for i in nums:
            check_differentiable(args[i], f"argument {i} of {_fname(f)}")
            if holomorphic:
                check_holomorphic_argument(args[i], f"argument {i} of {_fname(f)}", "pb.jacobian")
        primals = tuple(args[i] for i in nums)
        g = _partial(f, args, kwargs, nums)
        real_only = not (holomorphic or _any_output)
        if direction == "rev":
            jacs = _jacobian_rev(g, primals, mode, real_only)
        else:
            jacs = _jacobian_fwd(g, primals, mode, real_only)
        return jacs[0] if isinstance(argnums, int) else tuple(jacs)

    jacobian_fn.__name__ = f"jacobian_{_fname(f)}"
    return jacobian_fn


def _jacobian_rev(g, primals, mode, real_only=True):
    value, vjp_fn = vjp(g, *primals, mode=mode)
    outs, out_def = _numeric_leaves(value, g, real_only)
    ins = [pytree.flatten(p) for p in primals]
    rows = [[[[] for _ in leaves] for _ in outs] for leaves, _ in ins]  # [arg][out leaf][in leaf]
    for o, out in enumerate(outs):
        for _, e in _one_hot_leaves(out):
            cotangent = pytree.unflatten(out_def, _one_hot_tree(outs, o, e))
            for k, gk in enumerate(vjp_fn(cotangent)):
                gk_leaves, _ = pytree.flatten(match_tree(gk, primals[k]))
                for j, gkj in enumerate(gk_leaves):
                    rows[k][o][j].append(np.asarray(gkj))
    return [
        _blocks(
            out_def, outs, in_def, leaves, lambda o, j, out, p, r=rows[k]: _stacked(r[o][j], out, p)
        )
        for k, (leaves, in_def) in enumerate(ins)
    ]


def _jacobian_fwd(g, primals, mode, real_only=True):
    jacs = []
    value = None

    def along(k, tangent):
        tangents = tuple(
            tangent if i == k else pytree.tree_map(_zero_tangent, q) for i, q in enumerate(primals)
        )
        return jvp(g, primals, tangents, mode=mode)

    for k, p in enumerate(primals):
        leaves, in_def = pytree.flatten(p)
        cols = {}  # (out leaf, in leaf) -> the columns
        for j, leaf in enumerate(leaves):
            complex_leaf = _complex_leaf(leaf)
            for _, e in _one_hot_leaves(leaf):
                if complex_leaf:  # a complex basis tangent, as the primal's type
                    e = e + 0j if isinstance(e, np.ndarray) else complex(e)
                value, t = along(k, pytree.unflatten(in_def, _one_hot_tree(leaves, j, e)))
                outs, _ = _numeric_leaves(value, g, real_only)
                t_leaves, _ = pytree.flatten(match_tree(t, value))
                if real_only and complex_leaf:  # df/dx - i df/dy: along i*e comes df/dy
                    _, t_i = along(k, pytree.unflatten(in_def, _one_hot_tree(leaves, j, 1j * e)))
                    i_leaves, _ = pytree.flatten(match_tree(t_i, value))
                    t_leaves = [a - 1j * b for a, b in zip(t_leaves, i_leaves, strict=True)]
                for o, (out, t_o) in enumerate(zip(outs, t_leaves, strict=True)):
                    column = np.broadcast_to(np.asarray(t_o), np.shape(out))
                    cols.setdefault((o, j), []).append(column)
        if value is None:
            value = g(*primals)
        outs, out_def = _numeric_leaves(value, g, real_only)

        def block(o, j, out, p, cols=cols):
            columns = cols.get((o, j), [])
            stacked = np.stack(columns, axis=-1) if columns else np.zeros(np.shape(out) + (0,))
            return _as_result(stacked.reshape(np.shape(out) + np.shape(p)), out, p)

        jacs.append(_blocks(out_def, outs, in_def, leaves, block))
    return jacs


def _numeric_leaves(value, g, real_only: bool = True):
    """The leaves and tree of a Jacobian's function output, each checked to be numeric (and
    real, unless the function is taken as holomorphic)."""
    outs, out_def = pytree.flatten(value)
    for out in outs if outs else [value]:
        check_numeric_output(out, _fname(g), "pb.jacobian")
        if real_only:
            check_real_output(out, _fname(g), "pb.jacobian")
    return outs, out_def


def _one_hot_tree(leaves: list, i: int, e) -> list:
    """Leaves for a basis tangent: ``e`` at leaf ``i``, zeros at every other leaf."""
    return [e if q == i else _zero_tangent(leaf) for q, leaf in enumerate(leaves)]


def _stacked(rows: list, out, p):
    stacked = np.stack(rows) if rows else np.zeros((0,) + np.shape(p))
    return _as_result(stacked.reshape(np.shape(out) + np.shape(p)), out, p)


def _blocks(out_def, outs, in_def, ins, block):
    """A Jacobian as trees, as JAX gives it: the output's structure outside, the argument's
    inside, ``block(o, j, out, p)`` (shaped ``out.shape + p.shape``) at each pair of leaves.
    For an array in and an array out that is the one array."""
    return pytree.unflatten(
        out_def,
        [
            pytree.unflatten(in_def, [block(o, j, out, p) for j, p in enumerate(ins)])
            for o, out in enumerate(outs)
        ],
    )


def _zero_tangent(x):
    return np.zeros(np.shape(x)) if isinstance(x, np.ndarray) else 0.0


def _as_result(a: np.ndarray, value: Any, p: Any):
    """A Jacobian in the floating type of its function's output and argument (float32 stays
    float32); the derivative of a scalar by a scalar has the argument's kind (see
    ``match_leaf``)."""
    floating = [np.asarray(v).dtype for v in (value, p) if _floating(v)]
    dtype = np.result_type(*floating) if floating else np.dtype(float)
    a = np.asarray(a, dtype=dtype if a.dtype.kind != "c" else np.result_type(dtype, a.dtype))
    if a.ndim == 0:
        return match_leaf(a, p)
    return a


def _floating(v: Any) -> bool:
    return np.asarray(v).dtype.kind in "fc"


def hessian(f: Callable, argnums: int = 0, *, mode: str = "source") -> Callable:
    """The Hessian of scalar-valued ``f``: the forward-mode Jacobian of its gradient.

    A mode may compute it its own way (symbolic mode differentiates its expression twice).
    """
    f = _kernel(f, None, mode)[0]  # a Numba kernel: its Python function, uncompiled
    check_callable(f, "pb.hessian", mode)
    impl = backend(mode)
    if hasattr(impl, "hessian"):
        return impl.hessian(f, argnums)
    # the arguments are real: the real part of the derivative of a gradient that complex
    # intermediates left complex inside generated code (grad itself projects it)
    jacobian_of_gradient = jacobian(
        grad(f, argnums, mode=mode), argnums, mode=mode, direction="fwd", _any_output=True
    )

    def hessian_fn(*args, **kwargs):
        for i in (argnums,) if isinstance(argnums, int) else argnums:
            if i < len(args) and any(_complex_leaf(v) for v in pytree.flatten(args[i])[0]):
                raise PullbackTypeError(
                    f"pb.hessian of a function of complex arguments is not supported (argument "
                    f"{i} of {_fname(f)} is complex); differentiate a function of the real and "
                    "imaginary parts, or use pb.jacobian of pb.grad with holomorphic=True"
                )
        h = jacobian_of_gradient(*args, **kwargs)
        if not isinstance(argnums, int) or not pytree.is_leaf(args[argnums]):
            return h
        p = args[argnums]  # the gradient has p's type: so has its derivative by p
        return _as_result(np.real(np.asarray(h)), p, p)

    hessian_fn.__name__ = f"hessian_{_fname(f)}"
    return hessian_fn


def hvp(f: Callable, primals: Sequence, tangents: Sequence, *, mode: str = "source"):
    """The Hessian-vector product ``H(primals) @ tangents`` (forward over reverse), no Hessian.

    With one primal the result is one array; with several, a tuple.
    """
    f = _kernel(f, None, mode)[0]  # a Numba kernel: its Python function, uncompiled
    check_callable(f, "pb.hvp", mode)
    primals, tangents = check_tangents(primals, tangents, "pb.hvp")
    if not primals:
        raise PullbackTypeError("pb.hvp needs at least one primal: pb.hvp(f, (x,), (v,))")
    nums = tuple(range(len(primals)))
    gradient = grad(f, nums, mode=mode)
    _, out = jvp(gradient, primals, tuple(tangents), mode=mode)
    out = tuple(match_tree(o, p) for o, p in zip(out, primals, strict=True))  # primals' types
    return out[0] if len(primals) == 1 else out
