"""Helpers of the rules for ``np.fft``: fitting an adjoint to its argument's length, and the
transposes of ``rfft`` and ``irfft``.

In: adjoints and the primal arguments they belong to.
Out: arrays shaped like those arguments.

The DFT matrix is symmetric, so under the real bilinear pairing of cotangents and tangents
(``Re(sum(g * t))``, see ``pullback.runtime.complex``) the transpose of ``fft`` is ``fft`` with
the same ``norm``, and that of ``ifft`` is ``ifft``; where ``n=`` padded or cut the input, the
adjoint is cut or padded back (``fft_fit``). ``rfft`` keeps the first half of a real input's
spectrum and ``irfft`` reads such a half as a Hermitian spectrum, so their transposes weigh and
project the halves (``rfft_adjoint``, ``irfft_adjoint``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["fft_axes", "fft_fit", "rfft_adjoint", "irfft_adjoint"]


def fft_axes(a, s=None, axes=None, default=None) -> tuple[int, ...]:
    """The axes an n-dimensional transform of ``a`` runs along, as NumPy chooses them: the
    given ``axes``; else the last ``len(s)`` axes; else ``default`` (``(-2, -1)`` for
    ``fft2``); else all of them. Normalized to non-negative ints."""
    ndim = np.ndim(a)
    if axes is None:
        if s is not None:
            axes = tuple(range(ndim - len(s), ndim))
        elif default is not None:
            axes = default
        else:
            axes = tuple(range(ndim))
    return tuple(int(ax) % ndim for ax in axes)


def fft_fit(x, like, axes):
    """``x`` cut or padded with zeros along ``axes`` to the lengths ``like`` has there (the
    shape of a transform's input, for the adjoint of a transform that ran at another length);
    ``x`` itself where the lengths agree; None for None."""
    if x is None:
        return None
    x = np.asarray(x)
    shape = np.shape(like)
    index = [slice(None)] * x.ndim
    pad = [(0, 0)] * x.ndim
    for ax in axes:
        n, m = shape[ax], x.shape[ax]
        if m > n:
            index[ax] = slice(0, n)
        elif m < n:
            pad[ax] = (0, n - m)
    x = x[tuple(index)]
    if any(p != (0, 0) for p in pad):
        x = np.pad(x, pad)
    return x


def _length(a, n, axis) -> int:
    return int(n) if n is not None else int(np.shape(a)[axis])


def rfft_adjoint(g, a, n=None, axis=-1, norm=None):
    """The adjoint of the real ``a`` in ``np.fft.rfft(a, n, axis, norm)``: the real part of the
    ``fft`` of the half spectrum ``g`` padded with zeros to the full length, fitted to ``a``."""
    if g is None:
        return None
    axis = axis % np.ndim(a)
    full = _length(a, n, axis)
    shape = list(np.shape(g))
    shape[axis] = full
    padded = fft_fit(g, np.empty(shape, dtype=bool), (axis,))
    return fft_fit(np.real(np.fft.fft(padded, None, axis, norm)), a, (axis,))


def irfft_adjoint(g, a, n=None, axis=-1, norm=None):
    """The adjoint of ``a`` in ``np.fft.irfft(a, n, axis, norm)``: the first half of the
    ``ifft`` of the real ``g``, its inner entries doubled (each stands for itself and its
    mirror image), fitted to ``a``."""
    if g is None:
        return None
    axis = axis % np.ndim(a)
    full = int(n) if n is not None else 2 * (np.shape(a)[axis] - 1)
    half = full // 2 + 1
    spectrum = np.fft.ifft(np.real(g), None, axis, norm)
    index = [slice(None)] * spectrum.ndim
    index[axis] = slice(0, half)
    spectrum = spectrum[tuple(index)]
    weights = np.full(half, 2.0)
    weights[0] = 1.0
    if full % 2 == 0:
        weights[-1] = 1.0
    weights = weights.reshape((half,) + (1,) * (spectrum.ndim - 1 - axis))
    return fft_fit(spectrum * weights, a, (axis,))
