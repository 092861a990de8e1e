"""``scipy.integrate.odeint`` and ``solve_ivp``, differentiated with respect to the initial
state, the output times (``t_span[0]`` and ``t_eval`` for solve_ivp) and the floating-point
entries of ``args``; solve_ivp is computed by ``runtime.ode_ivp.solve_ivp_of``, which returns
its result as a named tuple (``sol.y``, ``sol.t`` ...).

In: nothing. Out: the rule registered under ``scipy.integrate.odeint`` (without importing
SciPy). Its VJP is the adjoint method and its JVP the forward sensitivity equations, both
solved with odeint itself (``runtime.ode``); odeint's options (``rtol``, ``atol``, ``tfirst``,
``mxstep`` ...) go to those solves too. ``full_output=1`` (a tuple output) and ``Dfun`` are
refused: the derivative would not follow them.
"""

from ..errors import NonDifferentiableError
from ..runtime.ode import odeint_adjoint, odeint_tangent
from ..runtime.ode_ivp import solve_ivp_adjoint, solve_ivp_of, solve_ivp_tangent
from .registry import defrule
from .substitutes import defreplaced


def _checked(options):
    if options.get("full_output"):
        raise NonDifferentiableError(
            "no derivative for scipy.integrate.odeint with full_output=1 (its output is a "
            "tuple with the solver's report); call it without full_output"
        )
    if options.get("Dfun") is not None:
        raise NonDifferentiableError(
            "no derivative for scipy.integrate.odeint with Dfun: its derivative solves use "
            "pullback's own derivative of func; call it without Dfun"
        )
    return options


def odeint_vjp(g, ans, func, y0, t, args=(), **options):
    return (
        odeint_adjoint(g, ans, func, y0, t, args, _checked(options))[0],
        odeint_adjoint(g, ans, func, y0, t, args, _checked(options))[1],
        odeint_adjoint(g, ans, func, y0, t, args, _checked(options))[2],
    )


def odeint_jvp(y0_dot, t_dot, args_dot, ans, func, y0, t, args=(), **options):
    return (
        odeint_tangent(func, ans, y0, t, args, _checked(options), y0_dot=y0_dot),
        odeint_tangent(func, ans, y0, t, args, _checked(options), t_dot=t_dot),
        odeint_tangent(func, ans, y0, t, args, _checked(options), args_dot=args_dot),
    )


defrule("scipy.integrate.odeint", vjp=odeint_vjp, jvp=odeint_jvp)


# -- solve_ivp: computed by solve_ivp_of, whose result is a named tuple (sol.t, sol.y ...) -------


def solve_ivp_of_vjp(g, ans, fun, t_span, y0, method="RK45", t_eval=None, dense_output=False,
                     events=None, vectorized=False, args=None, **options):  # fmt: skip
    return (
        solve_ivp_adjoint(
            g, ans, fun, t_span, y0, method, t_eval, dense_output, events, args, options
        )[0],  # fmt: skip
        solve_ivp_adjoint(
            g, ans, fun, t_span, y0, method, t_eval, dense_output, events, args, options
        )[1],  # fmt: skip
        solve_ivp_adjoint(
            g, ans, fun, t_span, y0, method, t_eval, dense_output, events, args, options
        )[2],  # fmt: skip
        solve_ivp_adjoint(
            g, ans, fun, t_span, y0, method, t_eval, dense_output, events, args, options
        )[3],  # fmt: skip
    )


def solve_ivp_of_jvp(t_span_dot, y0_dot, t_eval_dot, args_dot, ans, fun, t_span, y0,
                     method="RK45", t_eval=None, dense_output=False, events=None,
                     vectorized=False, args=None, **options):  # fmt: skip
    parts = (ans, fun, t_span, y0, method, t_eval, dense_output, events, args, options)
    return (
        solve_ivp_tangent(*parts, t_span_dot=t_span_dot),
        solve_ivp_tangent(*parts, y0_dot=y0_dot),
        solve_ivp_tangent(*parts, t_eval_dot=t_eval_dot),
        solve_ivp_tangent(*parts, args_dot=args_dot),
    )


defrule(solve_ivp_of, vjp=solve_ivp_of_vjp, jvp=solve_ivp_of_jvp)
defreplaced("scipy.integrate.solve_ivp", solve_ivp_of)
