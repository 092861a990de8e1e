"""Graph mode: trace a function once into a ``Graph``, transform it, replay and render it.

- ``ir.py``: the Graph IR (shared with tape and symbolic modes and the renderer);
- ``tracing.py``: ``pb.trace``, a replayable graph with guards on control flow;
- ``differentiate.py``: ``pb.gradients``, the gradient graph (a graph of primitives);
- ``passes.py``: dead-node elimination, CSE, simplification;
- ``effects.py``: random draws and global writes during a trace, which a replay cannot repeat;
- ``control.py``: ``pb.while_loop`` and ``pb.cond``, structured control flow as single nodes;
- ``mode.py``: the mode primitives ``vjp``, ``jvp``, ``value_and_grad`` with a trace cache.
"""

from .control import cond, while_loop
from .differentiate import gradients, vjp_graph
from .ir import Graph, Node
from .mode import grad, jvp, value_and_grad, vjp
from .tracing import trace

__all__ = [
    "Graph",
    "Node",
    "trace",
    "gradients",
    "vjp_graph",
    "while_loop",
    "cond",
    "vjp",
    "jvp",
    "value_and_grad",
    "grad",
]
