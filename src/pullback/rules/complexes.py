"""Complex numbers: ``abs``, ``np.real``/``.real``, ``np.imag``/``.imag``, ``np.conj``/``.conj()``,
``np.angle``, and the helpers of their rules.

In: nothing. Out: registered rules and methods.

The convention (README, "Complex numbers"): a cotangent ``g`` pairs with a tangent ``t`` by
``Re(sum(g * t))``, with no conjugation. Holomorphic primitives (``*``, ``exp``, ``sin``, ``@``,
``fft`` ...) keep their naive rules, ``vjp(g) = g * f'(z)``; the functions here are not
holomorphic, so they have rules of their own:

- ``abs``: ``vjp = Re(g) * conj(z) / |z|``, ``jvp = Re(conj(z) * t) / |z|`` (0 at 0); for a
  real ``x`` it is ``g * sign(x)`` as before, with no conjugate on that path;
- ``real``: ``vjp = Re(g)``, ``jvp = Re(t)``; ``imag``: ``vjp = -1j * Re(g)``, ``jvp = Im(t)``;
- ``conj``: ``vjp = conj(g)``, ``jvp = conj(t)``;
- ``angle``: ``vjp = Re(g) * (-1j / z)``, ``jvp = Im(t / z)``;
- ``sign``: 0 for reals; ``sign(z) = z / |z|``: ``jvp = (t - s Re(conj(s) t)) / |z|``,
  ``vjp = (g - Re(g s) conj(s)) / |z|``.

A real-valued function takes the real part of its cotangent (``Re(g)``): the adjoint of a real
value is real, even where an operation with a complex operand (``r * np.exp(1j * phi)``) handed
it a complex one.
"""

import builtins
import math
import operator

import numpy as np

from ..runtime import (
    abs_adjoint,
    abs_curvature,
    abs_tangent,
    conj,
    fft_axes,
    is_complex,
    real_part,
    real_zeros,
    require_real,
    sign_adjoint,
    sign_tangent,
)
from .registry import defmethod, defnondiff, defrule

# -- abs: the derivative of |z| is not holomorphic ---------------------------------------------


def absolute_vjp(g, ans, x):
    return abs_adjoint(g, x)


def absolute_jvp(x_dot, ans, x):
    return abs_tangent(x_dot, x)


defrule(
    np.absolute,
    np.fabs,
    builtins.abs,
    operator.abs,
    math.fabs,
    vjp=absolute_vjp,
    jvp=absolute_jvp,
)


# -- real and imaginary parts, conjugates, angles ---------------------------------------------


def real_vjp(g, ans, val):
    return real_part(g)


def real_jvp(val_dot, ans, val):
    return np.real(val_dot)


defrule(np.real, vjp=real_vjp, jvp=real_jvp, linear=True)


def imag_vjp(g, ans, val):
    return -1j * real_part(g)


def imag_jvp(val_dot, ans, val):
    return np.imag(val_dot)


defrule(np.imag, vjp=imag_vjp, jvp=imag_jvp, linear=True)


def conjugate_vjp(g, ans, x):
    return np.conj(g)


def conjugate_jvp(x_dot, ans, x):
    return np.conj(x_dot)


defrule(np.conjugate, vjp=conjugate_vjp, jvp=conjugate_jvp, linear=True)


def angle_vjp(g, ans, z, deg=False):
    return real_part(g) * np.divide(-1j, z) * (180.0 / np.pi if deg else 1.0)


def angle_jvp(z_dot, ans, z, deg=False):
    return np.imag(np.divide(z_dot, z)) * (180.0 / np.pi if deg else 1.0)


defrule(np.angle, vjp=angle_vjp, jvp=angle_jvp)


defmethod("real", lambda self: (np.real, (self,), {}), attribute=True)
defmethod("imag", lambda self: (np.imag, (self,), {}), attribute=True)
defmethod("conj", lambda self: (np.conjugate, (self,), {}))
defmethod("conjugate", lambda self: (np.conjugate, (self,), {}))


# -- the helpers above, for second derivatives ------------------------------------------------

defnondiff(is_complex, fft_axes)


def conj_vjp(g, ans, x):
    return conj(g)


def conj_jvp(x_dot, ans, x):
    return conj(x_dot)


defrule(conj, vjp=conj_vjp, jvp=conj_jvp, linear=True)


def real_part_vjp(g, ans, x):
    return real_part(g)


def real_part_jvp(x_dot, ans, x):
    return real_part(x_dot)


defrule(real_part, vjp=real_part_vjp, jvp=real_part_jvp, linear=True)


def require_real_vjp(g, ans, x, name):
    return g


def require_real_jvp(x_dot, ans, x, name):
    return x_dot


defrule(require_real, vjp=require_real_vjp, jvp=require_real_jvp, linear=True)


# -- sign: a step for reals, x / |x| (which turns with x) for complex numbers ---------------------


def sign_vjp(g, ans, x):
    return sign_adjoint(g, x)


def sign_jvp(x_dot, ans, x):
    return sign_tangent(x_dot, x)


defrule(np.sign, vjp=sign_vjp, jvp=sign_jvp)


# their derivatives by x: zero for a real x; for a complex one a second derivative not written


def sign_adjoint_vjp(g, ans, g_in, x):
    return sign_tangent(g, x), real_zeros(x, "a second derivative of np.sign")


def sign_adjoint_jvp(g_in_dot, x_dot, ans, g_in, x):
    return sign_adjoint(g_in_dot, x), real_zeros(x, "a second derivative of np.sign")


defrule(sign_adjoint, vjp=sign_adjoint_vjp, jvp=sign_adjoint_jvp)


def sign_tangent_vjp(g, ans, t, x):
    return sign_adjoint(g, x), real_zeros(x, "a second derivative of np.sign")


def sign_tangent_jvp(t_dot, x_dot, ans, t, x):
    return sign_tangent(t_dot, x), real_zeros(x, "a second derivative of np.sign")


defrule(sign_tangent, vjp=sign_tangent_vjp, jvp=sign_tangent_jvp)


# abs_adjoint and abs_tangent are each other's transposes in their first argument; their
# derivative by x is abs_curvature (zero where x is real), which is its own transpose in t


def abs_adjoint_vjp(g, ans, g_in, x):
    return abs_tangent(g, x), abs_curvature(g_in, x, g)


def abs_adjoint_jvp(g_in_dot, x_dot, ans, g_in, x):
    return abs_adjoint(g_in_dot, x), abs_curvature(g_in, x, x_dot)


defrule(abs_adjoint, vjp=abs_adjoint_vjp, jvp=abs_adjoint_jvp)


def abs_tangent_vjp(g, ans, t, x):
    return abs_adjoint(g, x), abs_curvature(g, x, t)


def abs_tangent_jvp(t_dot, x_dot, ans, t, x):
    return abs_tangent(t_dot, x), real_part(x_dot * abs_curvature(1.0, x, t))


defrule(abs_tangent, vjp=abs_tangent_vjp, jvp=abs_tangent_jvp)


def abs_curvature_vjp(g, ans, g_in, x, t):
    return (
        real_part(g * abs_curvature(1.0, x, t)),
        real_zeros(x, "a third derivative of np.abs"),
        abs_curvature(g_in, x, g),
    )


def abs_curvature_jvp(g_in_dot, x_dot, t_dot, ans, g_in, x, t):
    return (
        abs_curvature(g_in_dot, x, t),
        real_zeros(x, "a third derivative of np.abs") * x_dot,
        abs_curvature(g_in, x, t_dot),
    )


defrule(abs_curvature, vjp=abs_curvature_vjp, jvp=abs_curvature_jvp)
