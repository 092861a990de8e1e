"""The public derivative functions, the same for every mode.

In: a user function, which arguments to differentiate, and ``mode`` (the approach).
Out: derivative functions and values: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp.

Each mode is a module (``pullback.source``, ``pullback.tape``, ``pullback.graph``,
``pullback.symbolic``, ``pullback.numeric``) that provides two primitives:

- ``vjp(f, primals, has_aux=False) -> (value, vjp_fn[, aux])`` with ``vjp_fn(cotangent)``
  returning a tuple with one adjoint per primal (pytrees keep their structure), and
- ``jvp(f, primals, tangents) -> (value, tangent_out)``.

A mode may also provide both ``value_and_grad(f, argnums, has_aux)`` and ``grad(...)`` of its
own (source mode does: it returns generated code). Everything else is built from the two
primitives, so a new mode gets the whole API at once.

This module chooses: the mode's module (``backend``), a Numba-compiled derivative
(``compile=``), one checked for NaN/Inf (``check_finite=``), and source mode's fast JVP callers
(``SOURCE_JVP``). The rest lives beside it: ``checks`` (the arguments and outputs), ``results``
(derivatives in their primals' types), ``generic`` (gradients and Jacobians from the primitives).
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import pytree
from .checks import (
    _check_jvp_output,
    _fname,
    _normalize_argnums,
    check_callable,
    check_cotangent,
    check_differentiable,
    check_holomorphic_argument,
    check_numeric_output,
    check_tangents,
)
from .errors import PullbackTypeError, PullbackValueError
from .generic import (
    _as_result,
    _jacobian_fwd,
    _jacobian_rev,
    _partial,
    generic_value_and_grad,
    grad_from_value_and_grad,
)
from .results import _complex_leaf, match_tree, python_tangent

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


# -- reverse ----------------------------------------------------------------------------------


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


def vjp(
    f: Callable,
    *primals: Any,
    mode: str = "source",
    has_aux: bool = False,
    check_finite=False,
    compile: str | None = None,
):
    """``(f(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` returns one adjoint per primal.

    ``compile="numba"`` compiles both sweeps (source mode): ``vjp_fn`` calls compiled code,
    specialized on the primals' kinds at the first call."""
    if compile is not None:
        return _compiled_vjp(f, primals, mode, compile, has_aux, check_finite)
    f = _kernel(f, None, mode)[0]  # a Numba kernel: its Python function
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
    f = _kernel(f, None, mode)[0]  # a Numba kernel: its Python function
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


# -- Jacobians and second order ---------------------------------------------------------------


def jacobian(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    *,
    mode: str = "source",
    direction: str = "rev",
    holomorphic: bool = False,
    compile: str | None = None,
    _any_output: bool = False,
) -> Callable:
    """The Jacobian, shaped ``out.shape + arg.shape``; built by rows ("rev") or columns ("fwd").

    Like ``grad``: ``f`` must be real-valued; of a complex argument each entry is
    ``df/dx - i df/dy``. ``holomorphic=True`` takes a complex-valued holomorphic ``f`` of
    complex arguments and gives its complex derivatives ``df_i/dz_j``. ``compile="numba"``
    builds the rows from the compiled VJP, the columns from the compiled JVP."""
    if compile is not None:
        from .compiled import compiled_jacobian

        return compiled_jacobian(f, argnums, mode, direction, holomorphic, compile)
    f = _kernel(f, None, mode)[0]  # a Numba kernel: its Python function, uncompiled
    check_callable(f, "pb.jacobian", mode)
    if direction not in ("rev", "fwd"):
        raise PullbackValueError(f"direction must be 'rev' or 'fwd', got {direction!r}")
    of = getattr(f, "__pullback_jacobian_of__", None)
    if mode == "source" and of is not None:  # a Jacobian of a Jacobian (or of a Hessian)
        return _jacobian_of_a_jacobian(f, of, argnums, _any_output)

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
            jacs = _jacobian_rev(g, primals, lambda h, *p: vjp(h, *p, mode=mode), real_only)
        else:
            jacs = _jacobian_fwd(g, primals, lambda h, p, t: jvp(h, p, t, mode=mode), real_only)
        return jacs[0] if isinstance(argnums, int) else tuple(jacs)

    jacobian_fn.__name__ = f"jacobian_{_fname(f)}"
    if mode == "source" and isinstance(argnums, int):  # it is jacobian(f): see below
        jacobian_fn.__pullback_jacobian_of__ = (f, argnums)
    return jacobian_fn


def _jacobian_of_a_jacobian(outer, of, argnums, any_output) -> Callable:
    """Source mode's Jacobian of ``outer = jacobian(inner)``, whose code is the library's, not
    generated: its column by ``x_j`` is the Jacobian of ``x -> jvp(inner, x, e_j)``, a
    generated function (mixed partial derivatives commute)."""
    inner, inner_num = of

    def jacobian_fn(*args, **kwargs):
        if argnums != 0 or inner_num != 0 or len(args) != 1 or kwargs:
            raise PullbackTypeError(
                f"pb.jacobian of {_fname(outer)} in source mode takes a function of one "
                "argument; use mode='tape' for several"
            )
        x = args[0]
        check_differentiable(x, f"argument 0 of {_fname(outer)}")
        shape = np.shape(x)
        columns = []
        for j in range(int(np.prod(shape, dtype=int))):
            direction = np.zeros(shape)
            direction.flat[j] = 1.0
            along = backend("source").jvp_of(inner, (x,), (direction if shape else 1.0,))
            column = jacobian(along, 0, mode="source", _any_output=any_output)(x)
            columns.append(np.asarray(column))
        stacked = np.stack(columns, axis=-1)
        return stacked.reshape(stacked.shape[:-1] + shape)

    jacobian_fn.__name__ = f"jacobian_{_fname(outer)}"
    return jacobian_fn


def hessian(
    f: Callable, argnums: int = 0, *, mode: str = "source", compile: str | None = None
) -> Callable:
    """The Hessian of scalar-valued ``f``: the forward-mode Jacobian of its gradient.

    A mode may compute it its own way (symbolic mode differentiates its expression twice).
    ``compile="numba"`` compiles forward mode over the generated gradient (source mode).
    """
    if compile is not None:
        from .compiled import compiled_hessian

        return compiled_hessian(f, argnums, mode, compile)
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
    if mode == "source" and isinstance(argnums, int):  # jacobian(grad(f)): see jacobian
        hessian_fn.__pullback_jacobian_of__ = (grad(f, argnums, mode=mode), argnums)
    return hessian_fn


def hvp(
    f: Callable,
    primals: Sequence,
    tangents: Sequence,
    *,
    mode: str = "source",
    compile: str | None = None,
):
    """The Hessian-vector product ``H(primals) @ tangents`` (forward over reverse), no Hessian.

    With one primal the result is one array; with several, a tuple. ``compile="numba"``
    compiles forward mode over the generated gradient (source mode).
    """
    if compile is not None:
        from .compiled import compiled_hvp

        return compiled_hvp(f, primals, tangents, mode, compile)
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


# -- compiled and checked derivatives ---------------------------------------------------------


def _kernel(f, compile, mode):
    """A Numba kernel (``@numba.njit``) is differentiated through its Python function, and
    compiled by default in source mode: a kernel's derivative is a kernel."""
    from .callables import numba_function

    py_func = numba_function(f)
    if py_func is not None and mode == "source":
        return py_func, ("numba" if compile is None else compile)
    return f, compile


def _compiled_vjp(f, primals, mode, compile, has_aux, check_finite):
    """``pb.vjp(f, *primals, compile="numba")``."""
    f = _kernel(f, compile, mode)[0]
    _compile_request(compile, mode)
    if has_aux or check_finite:
        what = "has_aux=True" if has_aux else "check_finite=True"
        raise PullbackValueError(
            f"compile='numba' does not take {what} on pb.vjp; drop it, or use compile=None"
        )
    check_callable(f, "pb.vjp", mode)
    if not primals:
        raise PullbackTypeError(
            f"pb.vjp needs the point to differentiate {_fname(f)} at: pb.vjp(f, *primals)"
        )
    for i, p in enumerate(primals):
        check_differentiable(p, f"primal {i} of {_fname(f)}")
    from .source import numba_vjp

    value, pullback = numba_vjp.compiled_vjp(f, tuple(primals), tuple(range(len(primals))))
    check_numeric_output(value, _fname(f), "pb.vjp")

    def vjp_matched(cotangent):
        check_cotangent(cotangent, value)
        grads = pullback(cotangent)
        return tuple(match_tree(g, p) for g, p in zip(grads, primals, strict=False))

    vjp_matched.__name__ = pullback.__name__
    vjp_matched.__pullback_module__ = pullback.__pullback_module__
    vjp_matched.dispatchers = pullback.dispatchers
    vjp_matched.__pullback_compiled__ = pullback.__pullback_compiled__
    return value, vjp_matched


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
