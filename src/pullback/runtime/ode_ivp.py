"""``scipy.integrate.solve_ivp`` as the rule table differentiates it.

In: solve_ivp's own arguments (``fun(t, y, *args)``, ``t_span``, ``y0``, ``method``,
``t_eval``, ``args``, ``rtol``/``atol`` ...), the primal result and a cotangent or a tangent.
Out: ``solve_ivp_of(...)``, the call with its result as the named tuple ``IvpSolution`` (the
fields ``t``, ``y``, ``status``, ``message``, ``success``, ``nfev``, ``njev``, ``nlu``, read as
``sol.y`` as from SciPy's result), ``solve_ivp_adjoint`` and ``solve_ivp_tangent``.

The derivatives are those of ``runtime.ode`` (the adjoint method, the sensitivity equations)
for the solution at the times ``t_eval``, with solve_ivp's own method and tolerances solving
their equations. ``t_eval`` is required: without it the output times are the solver's own
choice. The solution starts at ``t_span[0]``, so ``y0``, ``t_span[0]``, ``t_eval`` and the float
entries of ``args`` all have derivatives (``t_span[1]``'s is zero); ``dense_output`` and
``events`` are refused when differentiated.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..errors import NonDifferentiableError
from .ode import adjoint_of_solution, refuse_higher_order, tangent_of_solution

__all__ = ["IvpSolution", "solve_ivp_of", "solve_ivp_adjoint", "solve_ivp_tangent"]

IvpSolution = namedtuple("IvpSolution", "t y status message success nfev njev nlu")


def solve_ivp_of(fun, t_span, y0, method="RK45", t_eval=None, dense_output=False,
                 events=None, vectorized=False, args=None, **options):  # fmt: skip
    """``scipy.integrate.solve_ivp(...)``, its result as an ``IvpSolution``."""
    from scipy.integrate import solve_ivp

    sol = solve_ivp(fun, t_span, y0, method=method, t_eval=t_eval, dense_output=dense_output,
                    events=events, vectorized=vectorized, args=args, **options)  # fmt: skip
    return IvpSolution(sol.t, sol.y, sol.status, sol.message, sol.success, sol.nfev, sol.njev,
                       sol.nlu)  # fmt: skip


def _checked(t_eval, dense_output, events):
    if t_eval is None:
        raise NonDifferentiableError(
            "no derivative for scipy.integrate.solve_ivp without t_eval: its output times are "
            "the solver's own choice; pass t_eval=... (the times you read the solution at)"
        )
    if dense_output or events is not None:
        raise NonDifferentiableError(
            "no derivative for scipy.integrate.solve_ivp with dense_output or events; call it "
            "with t_eval only"
        )


def _solvers(fun, method, options):
    """``(f(y, t, *args), step, trajectory)`` for ``runtime.ode``, solved by solve_ivp."""
    from scipy.integrate import solve_ivp

    keep = {k: v for k, v in options.items() if k in ("rtol", "atol", "max_step", "first_step")}

    def f(y, t, *args):
        return fun(t, y, *args)

    def step(dynamics, state, start, end):
        if start == end:
            return state
        sol = solve_ivp(lambda t, s: dynamics(s, t), (start, end), state, method=method, **keep)
        return sol.y[:, -1]

    def trajectory(dynamics, start, times):
        out = np.empty((len(times), len(start)))
        out[0] = start
        state = start
        for i in range(1, len(times)):  # interval by interval: t_eval may repeat t_span[0]
            state = step(dynamics, state, times[i - 1], times[i])
            out[i] = state
        return out

    return f, step, trajectory


def _with_start(ans, y0, t_span, t_eval):
    """The times from ``t_span[0]`` on and the solution at them (``y0`` first)."""
    times = np.concatenate([[float(t_span[0])], np.ravel(np.asarray(t_eval, dtype=float))])
    first = np.reshape(np.asarray(y0, dtype=float), (1, -1))
    return times, np.concatenate([first, np.asarray(ans[1], dtype=float).T])  # ans.y


_LAST: list = [None]  # the last adjoint: the rule asks for its parts one by one


def solve_ivp_adjoint(g, ans, fun, t_span, y0, method, t_eval, dense_output, events, args,
                      options):  # fmt: skip
    """``(t_span_bar, y0_bar, t_eval_bar, args_bar)`` from the cotangent ``g`` of the result."""
    memo = _LAST[0]
    if memo is not None and memo[0] is g and memo[1] is ans and memo[2] is fun:
        return memo[3]
    refuse_higher_order(g, tuple(ans), y0, t_span, t_eval, args)
    _checked(t_eval, dense_output, events)
    f, step, _ = _solvers(fun, method, options)
    times, ys = _with_start(ans, y0, t_span, t_eval)
    g_y = None if g is None else g[1]
    cotangent = np.zeros_like(ys)
    if g_y is not None:
        cotangent[1:] = np.asarray(g_y, dtype=float).T
    y0_bar, t_bar, args_bar = adjoint_of_solution(
        cotangent, ys, f, y0, times, tuple(args or ()), step
    )
    t_eval_bar = t_bar[1:].reshape(np.shape(t_eval))
    g_t = None if g is None else g[0]
    if g_t is not None:  # sol.t is t_eval itself
        t_eval_bar = t_eval_bar + np.reshape(np.asarray(g_t, dtype=float), np.shape(t_eval))
    t_span_bar = (float(t_bar[0]), 0.0)
    if not isinstance(t_span, (tuple, list)):
        t_span_bar = np.array(t_span_bar)
    out = (t_span_bar, y0_bar, t_eval_bar, None if args is None else args_bar)
    _LAST[0] = (g, ans, fun, out)
    return out


def solve_ivp_tangent(ans, fun, t_span, y0, method, t_eval, dense_output, events, args, options,
                      t_span_dot=None, y0_dot=None, t_eval_dot=None, args_dot=None):  # fmt: skip
    """The tangent of the result (an ``IvpSolution``) from one input's tangent."""
    refuse_higher_order(tuple(ans), y0, t_span, t_eval, args, t_span_dot, y0_dot, t_eval_dot,
                        args_dot)  # fmt: skip
    _checked(t_eval, dense_output, events)
    f, _, trajectory = _solvers(fun, method, options)
    times, ys = _with_start(ans, y0, t_span, t_eval)
    t_dot = None
    if t_span_dot is not None or t_eval_dot is not None:
        t_dot = np.zeros_like(times)
        if t_span_dot is not None and t_span_dot[0] is not None:
            t_dot[0] = float(np.asarray(t_span_dot[0]))
        if t_eval_dot is not None:
            t_dot[1:] = np.ravel(np.asarray(t_eval_dot, dtype=float))
    tangent = tangent_of_solution(
        f, ys, y0, times, tuple(args or ()), trajectory, y0_dot, t_dot, args_dot
    )
    t_part = None if t_eval_dot is None else np.asarray(t_eval_dot, dtype=float)
    return IvpSolution(t_part, tangent[1:].T, None, None, None, None, None, None)
