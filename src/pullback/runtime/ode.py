"""Derivatives of ``scipy.integrate.odeint``: the adjoint method backwards, sensitivities forwards.

In: the user's right-hand side ``func`` (``dy/dt = func(y, t, *args)``, or ``func(t, y, *args)``
with ``tfirst=True``), the primal output ``ans`` (one row per time, ``ans[0] = y0``), ``y0``,
the times ``t``, the extra arguments ``args`` and odeint's own options; a cotangent ``g`` of
``ans`` (``odeint_adjoint``) or a tangent of one input (``odeint_tangent``).
Out: ``(y0_bar, t_bar, args_bar)`` (``args_bar`` a tuple like ``args``, ``None`` for entries
that are not floating-point), or the tangent of ``ans``.

The adjoint ``a(t)`` of the state solves ``da/dt = -a^T df/dy`` backwards from the last time,
with the cotangent of each earlier output added as the solve passes its time, together with the
state itself (restarted at each output from the forward solution) and the parameters' adjoint
``dm/dt = -a^T df/dargs``; each of these products of ``a`` with a Jacobian of ``func`` is one
VJP of ``func``, which pullback differentiates in source mode (tape mode where its source
cannot be transformed). The output times' own derivatives are ``g_i . f(y_i, t_i)``; the first
time's is ``-a(t0) . f(y0, t0)``, ``a`` without the first cotangent (moving the start moves the
whole trajectory). Tangents solve ``ds/dt = df/dy s + df/dargs args_dot`` alongside the state.
All solves use odeint with the caller's options.
"""

from __future__ import annotations

import numpy as np

from ..errors import NonDifferentiableError

__all__ = ["odeint_adjoint", "odeint_tangent", "adjoint_of_solution", "tangent_of_solution"]


def _is_float(v) -> bool:
    return np.issubdtype(np.asarray(v).dtype, np.inexact)


def _rhs(func, tfirst):
    """``f(y, t, *args)`` whatever order ``func`` takes its first two arguments in."""
    if tfirst:
        return lambda y, t, *args: func(t, y, *args)
    return func


def _differentiated(func, y, t, args, diff, derivative):
    """``derivative(g, primals, mode)`` for ``g`` the right-hand side ``f(y, t, *args)`` as a
    function of ``y`` and the float ``args`` (``diff``): in source mode, else (its source
    refused) in tape mode."""
    from ..errors import SourceUnavailableError, UnsupportedSyntaxError
    from ..generic import _partial

    full = (y, t, *args)
    nums = (0, *(2 + k for k in diff))
    g, primals = _partial(func, full, {}, nums), tuple(full[i] for i in nums)
    try:
        return derivative(g, primals, "source")
    except (SourceUnavailableError, UnsupportedSyntaxError):
        return derivative(g, primals, "tape")


def _vjp(func, y, t, args, diff, cotangent):
    """``(f(y, t, *args), (f_y^T c, f_p^T c for p in diff))`` with cotangent ``c``."""
    from .. import api

    def vjp(g, primals, mode):
        value, pullback = api.vjp(g, *primals, mode=mode)
        return value, pullback(cotangent)

    return _differentiated(func, y, t, args, diff, vjp)


def _jvp(func, y, t, args, diff, y_dot, arg_dots):
    """``(f(y, t, *args), f_y y_dot + sum f_p p_dot)``."""
    from .. import api

    tangents = (y_dot, *arg_dots)
    return _differentiated(
        func, y, t, args, diff, lambda g, primals, mode: api.jvp(g, primals, tangents, mode=mode)
    )


def refuse_higher_order(*values) -> None:
    """A derivative of these derivatives (their inputs traced by tape or graph mode) is not
    written: say so, rather than fail converting a traced value inside the solver."""
    from ..tape.traced import is_traced

    def traced(v):
        if isinstance(v, (tuple, list)):
            return any(traced(x) for x in v)
        return is_traced(v)

    if any(traced(v) for v in values):
        raise NonDifferentiableError(
            "no second derivative through an ODE solve (scipy.integrate.odeint, solve_ivp): "
            "its derivatives are themselves solves; differentiate an explicit integration loop "
            "(an RK4 step in a for loop) for higher orders"
        )


def _options(options: dict) -> dict:
    """odeint's options for the derivative's own solves (the right-hand side is new)."""
    return {k: v for k, v in options.items() if k not in ("Dfun", "col_deriv", "full_output")}


_LAST: list = [None]  # the last adjoint: the rule asks for its three parts one by one


def odeint_adjoint(g, ans, func, y0, t, args=(), options=None):
    """``(y0_bar, t_bar, args_bar)`` of ``ans = odeint(func, y0, t, args, **options)``."""
    memo = _LAST[0]
    if memo is not None and memo[0] is g and memo[1] is ans and memo[2] is func:
        return memo[3]
    refuse_higher_order(g, ans, y0, t, args)
    from scipy.integrate import odeint

    options = dict(options or {})
    f = _rhs(func, options.pop("tfirst", False))
    solve = _options(options)

    def step(dynamics, state, start, end):
        return odeint(dynamics, state, np.array([start, end]), **solve)[1]

    out = adjoint_of_solution(g, ans, f, y0, t, tuple(args), step)
    _LAST[0] = (g, ans, func, out)
    return out


def adjoint_of_solution(g, ans, f, y0, t, args, step):
    """``(y0_bar, t_bar, args_bar)`` of the solution ``ans`` (a row per time of ``t``, the first
    ``y0``) of ``dy/dt = f(y, t, *args)``, given its cotangent ``g``; ``step(dynamics, state,
    start, end)`` solves ``d state/dt = dynamics(state, t)`` from ``start`` to ``end`` (any
    solver: odeint's, solve_ivp's)."""
    ys = np.asarray(ans, dtype=float)
    times = np.asarray(t, dtype=float)
    g = np.broadcast_to(np.asarray(g, dtype=float), ys.shape)
    n, d = ys.shape
    diff = [k for k, a in enumerate(args) if _is_float(a)]
    sizes = [np.size(args[k]) for k in diff]
    shapes = [np.shape(args[k]) for k in diff]
    total = int(sum(sizes))

    def unpack(m):
        parts, start = [], 0
        for size, shape in zip(sizes, shapes, strict=True):
            parts.append(np.reshape(m[start : start + size], shape))
            start += size
        return parts

    def dynamics(state, time):
        y, a = state[:d], state[d : 2 * d]
        value, adjoints = _vjp(f, y, time, args, diff, -a)  # the state's rate is the value
        dy = np.asarray(value, dtype=float)
        da = np.asarray(adjoints[0], dtype=float)
        dm = [np.ravel(np.asarray(0.0 if p is None else p, dtype=float)) for p in adjoints[1:]]
        return np.concatenate([dy, da, *dm]) if dm else np.concatenate([dy, da])

    a = g[-1].copy()
    m = np.zeros(total)
    t_bar = np.zeros(n)
    for i in range(n - 1, 0, -1):
        t_bar[i] = np.dot(g[i], np.asarray(f(ys[i], times[i], *args), dtype=float))
        state = np.concatenate([ys[i], a, m])
        end = step(dynamics, state, times[i], times[i - 1])
        a, m = end[d : 2 * d], end[2 * d :]
        if i > 1:
            a = a + g[i - 1]
    if n > 1:  # a is the adjoint at t0 of every later output: moving t0 moves them all
        t_bar[0] = -np.dot(a, np.asarray(f(ys[0], times[0], *args), dtype=float))
        a = a + g[0]
    args_bar = [None] * len(args)
    for k, part in zip(diff, unpack(m), strict=True):
        args_bar[k] = part if np.ndim(args[k]) else float(part)
    y0_bar = np.reshape(a, np.shape(y0))
    return y0_bar, t_bar.reshape(np.shape(t)), tuple(args_bar)


def odeint_tangent(func, ans, y0, t, args=(), options=None, y0_dot=None, t_dot=None, args_dot=None):
    """The tangent of ``ans = odeint(func, y0, t, args)`` from one input's tangent."""
    refuse_higher_order(ans, y0, t, args, y0_dot, t_dot, args_dot)
    from scipy.integrate import odeint

    options = dict(options or {})
    f = _rhs(func, options.pop("tfirst", False))
    solve = _options(options)

    def trajectory(dynamics, start, times):
        return odeint(dynamics, start, times, **solve)

    return tangent_of_solution(f, ans, y0, t, tuple(args), trajectory, y0_dot, t_dot, args_dot)


def tangent_of_solution(f, ans, y0, t, args, trajectory, y0_dot, t_dot, args_dot):
    """The tangent of the solution ``ans`` (see ``adjoint_of_solution``) from one input's
    tangent; ``trajectory(dynamics, start, times)`` solves from ``times[0]``, a row per time."""
    ys = np.asarray(ans, dtype=float)
    times = np.asarray(t, dtype=float)
    n, d = ys.shape
    diff = [k for k, a in enumerate(args) if _is_float(a)]
    arg_dots = [None] * len(diff)
    if args_dot is not None:
        arg_dots = [args_dot[k] for k in diff]
        arg_dots = [
            np.zeros_like(np.asarray(args[k], dtype=float)) if v is None else v
            for k, v in zip(diff, arg_dots, strict=True)
        ]
    zero_args = [np.zeros_like(np.asarray(args[k], dtype=float)) for k in diff]
    start = np.zeros(d)
    if y0_dot is not None:
        start = start + np.ravel(np.asarray(y0_dot, dtype=float))
    if t_dot is not None:
        t_dot = np.broadcast_to(np.asarray(t_dot, dtype=float), times.shape)
        start = start - np.asarray(f(ys[0], times[0], *args), dtype=float) * t_dot[0]
    forcing = args_dot is not None

    def dynamics(state, time):
        y, s = state[:d], state[d:]
        dots = arg_dots if forcing else zero_args
        value, rate = _jvp(f, y, time, args, diff, s, dots)  # the state's rate is the value
        return np.concatenate([np.asarray(value, dtype=float), np.asarray(rate, dtype=float)])

    out = trajectory(dynamics, np.concatenate([ys[0], start]), times)
    tangent = out[:, d:]
    tangent[0] = 0.0 if y0_dot is None else np.ravel(np.asarray(y0_dot, dtype=float))
    if t_dot is not None:  # an output time moved moves its output along the flow
        for i in range(1, n):
            tangent[i] += np.asarray(f(ys[i], times[i], *args), dtype=float) * t_dot[i]
    return tangent.reshape(np.shape(ans))
