"""``compile="numba"`` on the compositions: ``pb.jacobian``, ``pb.hessian`` and ``pb.hvp``
built from the compiled VJP and JVP of source mode, never from uncompiled code.

In: the user's function, ``argnums`` (or the primals and tangents of an HVP), the mode and
the compile request.
Out: ``compiled_jacobian`` (rows from ``numba_vjp.compiled_vjp``: one forward sweep, one
compiled backward sweep per output entry; columns from ``numba_compile.compiled_jvp``),
``compiled_hessian`` and ``compiled_hvp`` (forward over reverse in one compiled function: the
compiled JVP of the gradient specialized on the primals' kinds, ``specialized_python``). Where
Numba cannot compile that part (a gradient that writes entries of an array forward mode
copies, as the recurrence's and the heat stencil's do), a ``CompileError`` says which part
(forward mode over the gradient of ``f``) and that ``compile=None`` runs it uncompiled.
"""

from __future__ import annotations

import numpy as np

from .checks import _fname, _normalize_argnums, check_callable, check_tangents
from .errors import CompileError, PullbackValueError
from .generic import _as_result, _jacobian_fwd, _jacobian_rev, _partial
from .results import match_tree


def _request(f, compile, mode, who):
    from .api import _compile_request, _kernel

    f = _kernel(f, compile, mode)[0]
    _compile_request(compile, mode)
    check_callable(f, who, mode)
    return f


def _zero_tangent(a):
    if isinstance(a, np.ndarray) and a.dtype.kind in "fc":
        return np.zeros_like(a)
    if isinstance(a, (float, complex, np.floating, np.complexfloating)):
        return type(a)(0)
    return 0


def compiled_jacobian(f, argnums, mode, direction, holomorphic, compile):
    """``pb.jacobian(f, argnums, direction=..., compile="numba")``."""
    f = _request(f, compile, mode, "pb.jacobian")
    if holomorphic:
        raise PullbackValueError(
            "compile='numba' does not take holomorphic=True; drop it, or use compile=None"
        )
    if direction not in ("rev", "fwd"):
        raise PullbackValueError(f"direction must be 'rev' or 'fwd', got {direction!r}")
    from .source import numba_compile, numba_vjp

    def jacobian_fn(*args):
        nums = _normalize_argnums(argnums, len(args))
        primals = tuple(args[i] for i in nums)
        g = _partial(f, args, {}, nums)

        def full(p):
            out = list(args)
            for i, v in zip(nums, p, strict=True):
                out[i] = v
            return tuple(out)

        if direction == "rev":
            jacs = _jacobian_rev(g, primals, lambda h, *p: numba_vjp.compiled_vjp(f, full(p), nums))
        else:

            def along(h, p, t):
                tangents = [_zero_tangent(a) for a in args]
                for i, v in zip(nums, t, strict=True):
                    tangents[i] = v
                return numba_compile.compiled_jvp(f, full(p), tuple(tangents))

            jacs = _jacobian_fwd(g, primals, along)
        return jacs[0] if isinstance(argnums, int) else tuple(jacs)

    jacobian_fn.__name__ = f"jacobian_{_fname(f)}"
    return jacobian_fn


def _gradient_jvp(f, nums, primals, tangents):
    """``(gradient, its JVP)`` of ``f`` at ``primals`` along ``tangents``, compiled; a
    CompileError naming the part where Numba cannot compile it."""
    from .source import grad as source_grad
    from .source import numba_compile

    # the gradient specialized on the primals' kinds (plain Python, no tapes): its forward
    # mode is what compiles
    gradient = numba_compile.specialized_python(source_grad(f, nums), tuple(primals))
    try:
        return numba_compile.compiled_jvp(gradient, primals, tangents)
    except CompileError as error:
        raise CompileError(
            f"compile='numba' cannot compile forward mode over the gradient of {_fname(f)} "
            f"(the part a Hessian or an HVP needs): {error.message}",
            hint="compile=None runs the same second derivative uncompiled",
            filename=error.filename,
            lineno=error.lineno,
        ) from None


def compiled_hessian(f, argnums, mode, compile):
    """``pb.hessian(f, argnums, compile="numba")``: the columns are compiled HVPs."""
    f = _request(f, compile, mode, "pb.hessian")
    if not isinstance(argnums, int):
        raise PullbackValueError(
            "compile='numba' takes one argnums (an int) on pb.hessian; use compile=None for several"
        )

    def hessian_fn(*args):
        n = argnums % len(args)
        nums = tuple(range(len(args)))
        p = args[n]
        flat = np.ravel(np.asarray(p, dtype=float))
        columns = []
        for j in range(flat.size):
            e = np.zeros_like(flat)
            e[j] = 1.0
            tangents = [_zero_tangent(a) for a in args]
            tangents[n] = e.reshape(np.shape(p)) if np.ndim(p) else float(e[0])
            _, out = _gradient_jvp(f, nums, tuple(args), tuple(tangents))
            columns.append(np.asarray(out[n], dtype=float))
        h = np.stack(columns, axis=-1).reshape(np.shape(p) + np.shape(p))
        return _as_result(h, p, p)

    hessian_fn.__name__ = f"hessian_{_fname(f)}"
    return hessian_fn


def compiled_hvp(f, primals, tangents, mode, compile):
    """``pb.hvp(f, primals, tangents, compile="numba")``."""
    f = _request(f, compile, mode, "pb.hvp")
    primals, tangents = check_tangents(primals, tangents, "pb.hvp")
    if not primals:
        raise PullbackValueError("pb.hvp needs at least one primal: pb.hvp(f, (x,), (v,))")
    nums = tuple(range(len(primals)))
    _, out = _gradient_jvp(f, nums, tuple(primals), tuple(tangents))
    out = tuple(match_tree(o, p) for o, p in zip(out, primals, strict=True))
    return out[0] if len(primals) == 1 else out
