"""``scipy.integrate.odeint``, differentiated with respect to the initial state, the output
times and the floating-point entries of ``args``.

In: nothing. Out: the rule registered under ``scipy.integrate.odeint`` (without importing
SciPy). Its VJP is the adjoint method and its JVP the forward sensitivity equations, both
solved with odeint itself (``runtime.ode``); odeint's options (``rtol``, ``atol``, ``tfirst``,
``mxstep`` ...) go to those solves too. ``full_output=1`` (a tuple output) and ``Dfun`` are
refused: the derivative would not follow them.
"""

from ..errors import NonDifferentiableError
from ..runtime.ode import odeint_adjoint, odeint_tangent
from .registry import defrule


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
