"""ndarray methods and attributes, each rewritten as a call of a registered function.

In: nothing. Out: registered methods: ``x.sum(axis=0)`` is ``np.sum(x, axis=0)``, ``x.T`` is
``np.transpose(x)``, ``x.reshape(3, 4)`` is ``np.reshape(x, (3, 4))``, ``x.astype(float)`` is
``pullback.runtime.astype(x, float)`` (derivative 1) and ``x.astype(int)`` is the
non-differentiable ``astype_integer``. In-place methods (``sort``, ``fill``) are left out.
"""

import numpy as np

from ..runtime import array_item, array_tolist, astype, astype_integer
from .registry import defmethod


def _calls(fn):
    """``x.name(*args, **kwargs)`` is ``fn(x, *args, **kwargs)``."""
    return lambda self, *args, **kwargs: (fn, (self, *args), kwargs)


_SAME_SIGNATURE = {
    "sum": np.sum,
    "mean": np.mean,
    "prod": np.prod,
    "max": np.max,
    "min": np.min,
    "var": np.var,
    "std": np.std,
    "cumsum": np.cumsum,
    "cumprod": np.cumprod,
    "ravel": np.ravel,
    "flatten": np.ravel,
    "swapaxes": np.swapaxes,
    "squeeze": np.squeeze,
    "dot": np.dot,
    "copy": np.copy,
    "trace": np.trace,
    "diagonal": np.diagonal,
    "repeat": np.repeat,
    "take": np.take,
    "round": np.round,
    "argmax": np.argmax,
    "argmin": np.argmin,
    "argsort": np.argsort,
    "nonzero": np.nonzero,
    "all": np.all,
    "any": np.any,
}

for _name, _fn in _SAME_SIGNATURE.items():
    defmethod(_name, _calls(_fn))


def _reshape(self, *shape, **kwargs):
    """``x.reshape(3, 4)``, ``x.reshape((3, 4))``, ``x.reshape(-1, order="F")``."""
    return np.reshape, (self, shape[0] if len(shape) == 1 else shape), kwargs


def _transpose(self, *axes):
    """``x.transpose()``, ``x.transpose(1, 0)``, ``x.transpose((1, 0))``."""
    return np.transpose, (self, axes[0] if len(axes) == 1 else (axes or None)), {}


def _clip(self, min=None, max=None, **kwargs):
    return np.clip, (self, min, max), kwargs


def _astype(self, dtype, *args, **kwargs):
    inexact = np.dtype(dtype).kind in "fc"
    return (astype if inexact else astype_integer), (self, dtype), {}


def _item(self, *index):
    """``x.item()``, ``x.item(5)``, ``x.item(1, 2)``: a Python number."""
    return array_item, (self, index), {}


defmethod("reshape", _reshape)
defmethod("item", _item)
defmethod("tolist", lambda self: (array_tolist, (self,), {}))
defmethod("transpose", _transpose)
defmethod("clip", _clip)
defmethod("astype", _astype)
defmethod("T", lambda self: (np.transpose, (self,), {}), attribute=True)
defmethod("mT", lambda self: (np.swapaxes, (self, -1, -2), {}), attribute=True)
defmethod("shape", lambda self: (np.shape, (self,), {}), attribute=True)
defmethod("ndim", lambda self: (np.ndim, (self,), {}), attribute=True)
defmethod("size", lambda self: (np.size, (self,), {}), attribute=True)
