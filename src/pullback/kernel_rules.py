"""A Numba kernel called inside a differentiated model is one primitive, whose rule is its
own compiled derivative.

In: a Numba dispatcher ``k`` (``@numba.njit``) met as a callee by any mode (source, tape,
graph), through ``registry.lookup``.
Out: ``kernel_rule(k)``, a rule registered for ``k``: argument ``i``'s VJP is
``g * grad_i(*args)`` and its JVP ``sum(grad_i(*args) * t)``, where ``grad_i`` is
``pb.grad(k.py_func, argnums=i, compile="numba")``, made on first use and kept; so the model's
derivative calls the kernel's compiled gradient, in every mode. A kernel that returns
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

        def second_order(*_):
            raise PullbackTypeError(
                f"a derivative of the gradient of the Numba kernel {py_func.__qualname__} was "
                "asked for (a second order through it): its gradient is compiled code, which "
                "pullback does not differentiate again; differentiate the kernel's Python "
                f"function in source mode (pb.hessian({py_func.__qualname__}.py_func))"
            )

        def gradient_primitive(i):
            """Argument i's gradient as a primitive of its own, so a trace (graph mode, a tape
            of a tape) records a call of it; its own derivative is refused (second_order)."""

            def kernel_gradient(*args):
                return gradient(i)(*args)

            kernel_gradient.__name__ = f"{py_func.__name__}_gradient_{i}"
            kernel_gradient.__qualname__ = f"{py_func.__qualname__}_gradient_{i}"
            refuse = {j: second_order for j in range(len(params))}
            registry._BY_ID[id(kernel_gradient)] = custom._callable_rule(
                kernel_gradient,
                f"{name}_gradient_{i}",
                params,
                params,
                refuse,
                refuse,
            )
            return kernel_gradient

        def gradient_of(i, args):
            from .tape.traced import bind

            return bind(primitives[i], args)

        primitives = {i: gradient_primitive(i) for i in range(len(params))}

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

        vjps = {i: make_vjp(i) for i in range(len(params))}
        jvps = {i: make_jvp(i) for i in range(len(params))}
        outer = ["g", "ans", *params]
        refuse_all = {j: second_order for j in range(len(outer))}
        for kind, fns in (("vjp", vjps), ("jvp", jvps)):
            for i, fn in fns.items():  # differentiated again (source mode): refused, clearly
                registry._BY_ID[id(fn)] = custom._callable_rule(
                    fn, f"{name}_{kind}_{i}", outer, outer, refuse_all, refuse_all
                )
        rule = custom._callable_rule(kernel, name, params, params, vjps, jvps)
        registry._BY_ID[id(kernel)] = rule  # rule.fns holds the kernel: its id stays its own
        return rule
