"""Tape mode: operator overloading. NumPy calls on ``Tensor`` values are recorded as they run
(into the Graph IR of ``pullback.graph.ir``) and the record is swept backwards.

In: a user function written with plain ``numpy as np`` and ``math``; no source needed.
Out: the mode primitives ``vjp`` and ``jvp`` for ``pullback.api``, and the PyTorch-like
objects ``Tensor``, ``tensor``, ``no_grad`` (``y.backward()`` fills ``x.grad``).

- ``core.py``: traced values, traces and ``bind``, the one way a primitive runs;
- ``backward.py``: the iterative backward sweep;
- ``dual.py``: dual numbers, forward mode (and forward over reverse);
- ``namespace.py``: ``math.*`` and ``np.array`` on traced values;
- ``mode.py``: ``vjp``, ``jvp`` and ``record`` for whole functions.
"""

from .core import (
    EAGER,
    Primitive,
    ReverseTrace,
    Tensor,
    bind,
    is_traced,
    no_grad,
    primitive,
    tensor,
)
from .dual import Dual, ForwardTrace
from .mode import jvp, record, vjp

__all__ = [
    "Tensor",
    "tensor",
    "no_grad",
    "Dual",
    "vjp",
    "jvp",
    "record",
    "bind",
    "primitive",
    "Primitive",
    "is_traced",
    "ReverseTrace",
    "ForwardTrace",
    "EAGER",
]
