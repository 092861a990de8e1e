"""Tape mode: operator overloading. NumPy calls on ``Tensor`` values are recorded as they run
(into the Graph IR of ``pullback.graph.ir``) and the record is swept backwards.

In: a user function written with plain ``numpy as np`` and ``math``; no source needed.
Out: the mode primitives ``vjp`` and ``jvp`` for ``pullback.api``, and the PyTorch-like
objects ``Tensor``, ``tensor``, ``no_grad`` (``y.backward()`` fills ``x.grad``).

- ``traced.py``: ``bind``, the one way a primitive runs, and ``TracedValue``, what traced
  values share (operators, ndarray methods);
- ``context.py``: per-thread state (the running traces, ``no_grad``) and the user's call site;
- ``calls.py``: what a trace reads off a call (its name, an operator's rule, no derivative);
- ``guards.py``: the checks a replayed graph runs where a traced value became a Python value;
- ``trace.py``: ``ReverseTrace``, which records calls on Tensors into nodes (tape or graph);
- ``tensor.py``: ``Tensor`` and ``pb.tensor``, the reverse-mode traced value;
- ``backward.py``: the iterative backward sweep;
- ``dual.py``: dual numbers, forward mode (and forward over reverse);
- ``namespace.py``: ``math.*`` and ``np.array`` on traced values;
- ``mode.py``: ``vjp``, ``jvp`` and ``record`` for whole functions.
"""

from .context import no_grad
from .dual import Dual, ForwardTrace
from .mode import jvp, record, vjp
from .tensor import Tensor, tensor
from .trace import EAGER, ReverseTrace
from .traced import Primitive, bind, is_traced, primitive

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
