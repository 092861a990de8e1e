"""``np.fft``: ``fft``/``ifft``, ``rfft``/``irfft``, ``fft2``/``ifft2``, ``fftn``/``ifftn``,
``fftshift``/``ifftshift``, with ``n=``/``s=``, ``axis=``/``axes=`` and ``norm=``.

In: nothing. Out: registered rules. Every transform is linear, so its JVP is the transform of
the tangent. Under the pairing ``Re(sum(g * t))`` the DFT matrix, being symmetric, is its own
transpose: the VJP of ``fft`` is ``fft`` (same ``norm``) of the cotangent, cut or padded back to
the input's length where ``n=`` changed it (``fft_fit``); ``rfft`` and ``irfft`` transpose to
``rfft_adjoint`` and ``irfft_adjoint`` (``pullback.runtime.fourier``).
"""

import numpy as np

from ..runtime import fft_axes, fft_fit, irfft_adjoint, rfft_adjoint
from .registry import defrule

# -- one axis -----------------------------------------------------------------------------------


def fft_vjp(g, ans, a, n=None, axis=-1, norm=None, out=None):
    return fft_fit(np.fft.fft(g, None, axis, norm), a, fft_axes(a, None, (axis,)))


def fft_jvp(a_dot, ans, a, n=None, axis=-1, norm=None, out=None):
    return np.fft.fft(a_dot, n, axis, norm)


defrule(np.fft.fft, vjp=fft_vjp, jvp=fft_jvp, linear=True)


def ifft_vjp(g, ans, a, n=None, axis=-1, norm=None, out=None):
    return fft_fit(np.fft.ifft(g, None, axis, norm), a, fft_axes(a, None, (axis,)))


def ifft_jvp(a_dot, ans, a, n=None, axis=-1, norm=None, out=None):
    return np.fft.ifft(a_dot, n, axis, norm)


defrule(np.fft.ifft, vjp=ifft_vjp, jvp=ifft_jvp, linear=True)


def rfft_vjp(g, ans, a, n=None, axis=-1, norm=None, out=None):
    return rfft_adjoint(g, a, n, axis, norm)


def rfft_jvp(a_dot, ans, a, n=None, axis=-1, norm=None, out=None):
    return np.fft.rfft(a_dot, n, axis, norm)


defrule(np.fft.rfft, vjp=rfft_vjp, jvp=rfft_jvp, linear=True)


def irfft_vjp(g, ans, a, n=None, axis=-1, norm=None, out=None):
    return irfft_adjoint(g, a, n, axis, norm)


def irfft_jvp(a_dot, ans, a, n=None, axis=-1, norm=None, out=None):
    return np.fft.irfft(a_dot, n, axis, norm)


defrule(np.fft.irfft, vjp=irfft_vjp, jvp=irfft_jvp, linear=True)


# -- several axes ---------------------------------------------------------------------------------


def fftn_vjp(g, ans, a, s=None, axes=None, norm=None, out=None):
    return fft_fit(np.fft.fftn(g, None, fft_axes(a, s, axes), norm), a, fft_axes(a, s, axes))


def fftn_jvp(a_dot, ans, a, s=None, axes=None, norm=None, out=None):
    return np.fft.fftn(a_dot, s, axes, norm)


defrule(np.fft.fftn, vjp=fftn_vjp, jvp=fftn_jvp, linear=True)


def ifftn_vjp(g, ans, a, s=None, axes=None, norm=None, out=None):
    return fft_fit(np.fft.ifftn(g, None, fft_axes(a, s, axes), norm), a, fft_axes(a, s, axes))


def ifftn_jvp(a_dot, ans, a, s=None, axes=None, norm=None, out=None):
    return np.fft.ifftn(a_dot, s, axes, norm)


defrule(np.fft.ifftn, vjp=ifftn_vjp, jvp=ifftn_jvp, linear=True)


def fft2_vjp(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    return fft_fit(np.fft.fftn(g, None, fft_axes(a, s, axes), norm), a, fft_axes(a, s, axes))


def fft2_jvp(a_dot, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    return np.fft.fft2(a_dot, s, axes, norm)


defrule(np.fft.fft2, vjp=fft2_vjp, jvp=fft2_jvp, linear=True)


def ifft2_vjp(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    return fft_fit(np.fft.ifftn(g, None, fft_axes(a, s, axes), norm), a, fft_axes(a, s, axes))


def ifft2_jvp(a_dot, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    return np.fft.ifft2(a_dot, s, axes, norm)


defrule(np.fft.ifft2, vjp=ifft2_vjp, jvp=ifft2_jvp, linear=True)


# -- shifts: permutations, each the other's transpose ---------------------------------------------


def fftshift_vjp(g, ans, x, axes=None):
    return np.fft.ifftshift(g, axes)


def fftshift_jvp(x_dot, ans, x, axes=None):
    return np.fft.fftshift(x_dot, axes)


defrule(np.fft.fftshift, vjp=fftshift_vjp, jvp=fftshift_jvp, linear=True)


def ifftshift_vjp(g, ans, x, axes=None):
    return np.fft.fftshift(g, axes)


def ifftshift_jvp(x_dot, ans, x, axes=None):
    return np.fft.ifftshift(x_dot, axes)


defrule(np.fft.ifftshift, vjp=ifftshift_vjp, jvp=ifftshift_jvp, linear=True)


# -- the helpers of the rules above, for second derivatives: each is linear in its first
# argument, and rfft_adjoint and irfft_adjoint are the transposes of rfft and irfft


def fft_fit_vjp(g, ans, x, like, axes):
    return fft_fit(g, x, axes)


def fft_fit_jvp(x_dot, ans, x, like, axes):
    return fft_fit(x_dot, like, axes)


defrule(fft_fit, vjp=fft_fit_vjp, jvp=fft_fit_jvp, linear=True)


def rfft_adjoint_vjp(g, ans, g_in, a, n=None, axis=-1, norm=None):
    return np.fft.rfft(np.real(g), n, axis, norm)


def rfft_adjoint_jvp(g_in_dot, ans, g_in, a, n=None, axis=-1, norm=None):
    return rfft_adjoint(g_in_dot, a, n, axis, norm)


defrule(rfft_adjoint, vjp=rfft_adjoint_vjp, jvp=rfft_adjoint_jvp, linear=True)


def irfft_adjoint_vjp(g, ans, g_in, a, n=None, axis=-1, norm=None):
    return np.fft.irfft(g, n, axis, norm)


def irfft_adjoint_jvp(g_in_dot, ans, g_in, a, n=None, axis=-1, norm=None):
    return irfft_adjoint(g_in_dot, a, n, axis, norm)


defrule(irfft_adjoint, vjp=irfft_adjoint_vjp, jvp=irfft_adjoint_jvp, linear=True)
