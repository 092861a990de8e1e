"""A Numba kernel called inside a differentiated model is one primitive, whose rule is its
own compiled derivative.

In: a Numba dispatcher ``k`` (``@numba.njit``) met as a callee by any mode (source, tape,
graph), through ``registry.lookup``.
Out: ``kernel_rule(k)``, a rule registered for ``k``: argument ``i``'s VJP is
``g * grad_i(*args)`` and its JVP ``sum(grad_i(*args) * t)``, where ``grad_i`` is
``pb.grad(k.py_func, argnums=i, compile="numba")``, made on first use and kept; so the model's
derivative calls the kernel's compiled gradient, in every mode. A second order (a Hessian,
an HVP, a gradient of a gradient of the model) differentiates those rules: the derivative of
``grad_i`` along argument ``j`` is forward mode over the kernel's gradient specialized on the
arguments' kinds (``numba_compile.specialized_python``: no tapes, linear time), uncompiled,
recorded as one primitive; a third order is refused, saying so. A kernel that returns
something other than one number gets a PullbackTypeError when its derivative is asked for.
"""

from __future__ import annotations

import inspect
import threading

import numpy as np

from .errors import PullbackTypeError

_LOCK = threading.Lock()


def kernel_rule(kernel):
    """The rule of Numba kernel ``kernel`` (registered on first call)."""
    from . import custom
    from .rules import registry

    with _LOCK:
        rule = registry._BY_ID.get(id(kernel))
        if rule is not None:
            return rule
        py_func = kernel.py_func
        params = [
            p.name
            for p in inspect.signature(py_func).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        name = f"{py_func.__module__}.{py_func.__qualname__}"
        grads: dict[int, object] = {}

        def gradient(i):
            if i not in grads:
                from . import api

                grads[i] = api.grad(py_func, argnums=i, compile="numba")
            return grads[i]

        def scalar_output(ans):
            if np.ndim(ans) != 0:
                raise PullbackTypeError(
                    f"the Numba kernel {py_func.__qualname__} returns a value of shape "
                    f"{np.shape(ans)}; a kernel inside a differentiated function must return "
                    "one number (its compiled gradient is the rule)"
                )

        def third_order(*_):
            raise PullbackTypeError(
                f"a third derivative through the Numba kernel {py_func.__qualname__} was asked "
                "for: its first derivative is its compiled gradient and its second is forward "
                "mode over its Python function's generated gradient, which pullback does not "
                "differentiate again; differentiate the kernel's Python function itself "
                f"(pb.grad(..., {py_func.__qualname__}.py_func ...)) for higher orders"
            )

        def primitive(fn, fn_name, fn_params, vjp_rules, jvp_rules):
            """``fn`` registered as a primitive with these rules (so a trace records a call
            of it, and a derivative of it uses them)."""
            fn.__name__ = f"{py_func.__name__}_{fn_name}"
            fn.__qualname__ = f"{py_func.__qualname__}_{fn_name}"
            registry._BY_ID[id(fn)] = custom._callable_rule(
                fn, f"{name}_{fn_name}", fn_params, fn_params, vjp_rules, jvp_rules
            )
            return fn

        source_grads: dict[int, object] = {}

        def hessian_part(i, j):
            """``(*args, t) -> d(grad_i)/d(arg j) . t``: forward mode over the specialized
            gradient of the kernel's Python function (a primitive; its derivatives are a
            third order, refused)."""

            def part(*args_t):
                from . import api
                from .source import numba_compile

                *args, t = args_t
                if i not in source_grads:
                    source_grads[i] = api.grad(py_func, argnums=i, compile=None)
                # the gradient specialized on the arguments' kinds: no tapes, so forward mode
                # over it takes linear time
                lean = numba_compile.specialized_python(source_grads[i], tuple(args))
                tangents = [_zero(a) for a in args]
                tangents[j] = t
                return api.jvp(lean, tuple(args), tuple(tangents))[1]

            refuse = {k: third_order for k in range(len(params) + 1)}
            return primitive(part, f"hessian_{i}_{j}", [*params, "t"], refuse, refuse)

        parts = {}

        def second(i, j, args, t):
            """``d(grad_i)/d(arg j) . t``, recorded as one primitive call by a trace."""
            from .tape.traced import bind

            if (i, j) not in parts:
                parts[i, j] = hessian_part(i, j)
            return bind(parts[i, j], (*args, t))

        def gradient_primitive(i):
            """Argument i's gradient as a primitive of its own, so a trace (graph mode, a tape
            of a tape) records a call of it; its derivatives are Hessian parts."""

            def kernel_gradient(*args):
                return gradient(i)(*args)

            jvp_rules = {j: (lambda t, ans, *a, j=j: second(i, j, a, t)) for j in ps}
            vjp_rules = {j: (lambda g, ans, *a, j=j: second(j, i, a, g)) for j in ps}
            return primitive(kernel_gradient, f"gradient_{i}", params, vjp_rules, jvp_rules)

        def gradient_of(i, args):
            from .tape.traced import bind

            return bind(primitives[i], args)

        ps = range(len(params))
        primitives = {i: gradient_primitive(i) for i in ps}

        def make_vjp(i):
            def vjp(g, ans, *args):
                scalar_output(ans)
                return g * gradient_of(i, args)

            return vjp

        def make_jvp(i):
            def jvp(t, ans, *args):
                scalar_output(ans)
                return np.sum(gradient_of(i, args) * t)

            return jvp

        vjps = {i: make_vjp(i) for i in ps}
        jvps = {i: make_jvp(i) for i in ps}
        outer = ["g", "ans", *params]
        for i in ps:  # differentiated again (source mode): Hessian parts
            # vjp_i(g, ans, *args) = g * grad_i(*args)
            registry._BY_ID[id(vjps[i])] = custom._callable_rule(
                vjps[i],
                f"{name}_vjp_{i}",
                outer,
                outer,
                {
                    0: lambda c, out, g, ans, *a, i=i: np.sum(c * gradient_of(i, a)),
                    1: lambda c, out, g, ans, *a: _zeros(ans),
                    **{
                        2 + j: lambda c, out, g, ans, *a, j=j, i=i: g * second(j, i, a, c)
                        for j in ps
                    },
                },
                {
                    0: lambda s, out, g, ans, *a, i=i: s * gradient_of(i, a),
                    1: lambda s, out, g, ans, *a: _zeros(out),
                    **{
                        2 + j: lambda s, out, g, ans, *a, j=j, i=i: g * second(i, j, a, s)
                        for j in ps
                    },
                },
            )
            # jvp_i(t, ans, *args) = sum(grad_i(*args) * t)
            registry._BY_ID[id(jvps[i])] = custom._callable_rule(
                jvps[i],
                f"{name}_jvp_{i}",
                outer,
                outer,
                {
                    0: lambda c, out, t, ans, *a, i=i: c * gradient_of(i, a),
                    1: lambda c, out, t, ans, *a: _zeros(ans),
                    **{
                        2 + j: lambda c, out, t, ans, *a, j=j, i=i: c * second(j, i, a, t)
                        for j in ps
                    },
                },
                {
                    0: lambda s, out, t, ans, *a, i=i: np.sum(gradient_of(i, a) * s),
                    1: lambda s, out, t, ans, *a: _zeros(out),
                    **{
                        2 + j: lambda s, out, t, ans, *a, j=j, i=i: np.sum(second(i, j, a, s) * t)
                        for j in ps
                    },
                },
            )
        rule = custom._callable_rule(kernel, name, params, params, vjps, jvps)
        registry._BY_ID[id(kernel)] = rule  # rule.fns holds the kernel: its id stays its own
        return rule


def _zero(a):
    """The zero tangent of one argument (None for an integer, which has none)."""
    if isinstance(a, (bool, int, np.integer)) or (
        isinstance(a, np.ndarray) and a.dtype.kind in "biu"
    ):
        return None
    return np.zeros_like(a) if isinstance(a, np.ndarray) else 0.0


def _zeros(like):
    return np.zeros(np.shape(like)) if np.ndim(like) else 0.0
