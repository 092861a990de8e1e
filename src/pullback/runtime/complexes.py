"""Helpers of the rules for complex numbers (``np.abs``, ``np.conj``, norms of complex arrays).

In: adjoints, tangents and primal values, real or complex.
Out: the same values conjugated, projected onto the reals, or multiplied by the derivative of
``|x|``; each one returns its argument untouched where it is real, so real code pays one dtype
check and no copy.

The convention (the README's section on complex numbers): a cotangent ``g`` pairs with a tangent
``t`` by the real bilinear pairing ``Re(sum(g * t))``, without conjugation. A holomorphic
primitive keeps its naive rule (``vjp(g) = g * f'(z)``); a real-valued function of a complex
``z`` has the adjoint ``df/dx - i df/dy``; the adjoint of a real value is real.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "is_complex",
    "conj",
    "real_part",
    "require_real",
    "abs_adjoint",
    "abs_tangent",
    "abs_curvature",
    "real_zeros",
    "sign_adjoint",
    "sign_tangent",
]


def is_complex(x) -> bool:
    """Whether ``x`` is a complex number or an array (or traced value) of a complex dtype."""
    if type(x) is complex:
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and getattr(dtype, "kind", None) == "c"


def conj(x):
    """``np.conj(x)`` for a complex ``x``; a real ``x`` (or None) itself, not a copy."""
    return np.conj(x) if is_complex(x) else x


def real_part(x):
    """``np.real(x)`` for a complex ``x``; a real ``x`` (or None) itself: the projection of
    an adjoint onto a real value."""
    return np.real(x) if is_complex(x) else x


def require_real(x, name: str):
    """``x``, after checking that it is real: the rule of ``name`` has no complex form."""
    if is_complex(x):
        from ..errors import PullbackTypeError

        raise PullbackTypeError(
            f"the derivative of {name} is defined here for real arguments only, and got a "
            "complex one; split the value into its real and imaginary parts (np.real, np.imag) "
            "and differentiate those"
        )
    return x


def _magnitude_or_one(x):
    magnitude = np.abs(x)
    return np.where(magnitude == 0, 1.0, magnitude)


def abs_adjoint(g, x):
    """The adjoint of ``x`` in ``np.abs(x)``: ``g * sign(x)`` for a real ``x``, and
    ``Re(g) * conj(x) / |x|`` for a complex one (0 at 0), None for None."""
    if g is None:
        return None
    if not is_complex(x):
        from . import safe_mul

        return safe_mul(g, np.sign(x))
    return real_part(g) * (np.conj(x) / _magnitude_or_one(x))


def abs_tangent(t, x):
    """The tangent of ``np.abs(x)``: ``t * sign(x)`` for a real ``x``, and
    ``Re(conj(x) * t) / |x|`` for a complex one (0 at 0), None for None.

    ``abs_adjoint`` and ``abs_tangent`` are each other's transposes in their first argument.
    """
    if t is None:
        return None
    if not is_complex(x):
        return t * np.sign(x)
    return np.real(np.conj(x) * t) / _magnitude_or_one(x)


def abs_curvature(g, x, t):
    """The second derivative of ``np.abs`` at ``x``, applied to ``t`` and weighed by ``g``:
    ``Re(g) * (conj(t) - conj(x) * Re(conj(x) * t) / |x|**2) / |x|`` for a complex ``x``
    (symmetric in the pairing, so it is its own transpose in ``t``); zero for a real ``x``,
    where ``|x|`` is piecewise linear. None where ``g`` or ``t`` is None."""
    if g is None or t is None:
        return None
    if not is_complex(x):
        return np.zeros(np.broadcast_shapes(np.shape(x), np.shape(t), np.shape(g)))
    magnitude = _magnitude_or_one(x)
    along = np.real(np.conj(x) * t) / (magnitude * magnitude)
    return real_part(g) * (np.conj(t) - np.conj(x) * along) / magnitude


def sign_tangent(t, x):
    """The tangent of ``np.sign(x)``: 0 for a real ``x`` (a step function), and for a complex
    one, where ``sign(x) = x / |x|`` turns with ``x``, ``(t - s * Re(conj(s) * t)) / |x|``
    with ``s = sign(x)`` (0 at 0). None for None."""
    if t is None:
        return None
    if not is_complex(x):
        return np.zeros(np.broadcast_shapes(np.shape(x), np.shape(t)))
    magnitude = _magnitude_or_one(x)
    s = x / magnitude
    return np.where(x == 0, 0.0, (t - s * np.real(np.conj(s) * t)) / magnitude)


def sign_adjoint(g, x):
    """The adjoint of ``x`` in ``np.sign(x)``, the transpose of ``sign_tangent``: zeros for a
    real ``x``, ``(g - Re(g * s) * conj(s)) / |x|`` for a complex one. None for None."""
    if g is None:
        return None
    if not is_complex(x):
        return np.zeros(np.shape(x)) if np.ndim(x) else 0.0
    magnitude = _magnitude_or_one(x)
    s = x / magnitude
    return np.where(x == 0, 0.0, (g - np.real(g * s) * np.conj(s)) / magnitude)


def real_zeros(x, name: str):
    """Zeros shaped like a real ``x``, for the derivative of a rule's helper by an argument on
    which it depends piecewise-constantly there; a complex ``x`` is refused (``name`` says
    which derivative has no rule)."""
    require_real(x, name)
    return np.zeros(np.shape(x)) if np.ndim(x) else 0.0
