"""``pb.gradients``: the gradient of a graph, as another graph of primitives.

In: a forward ``Graph`` (from ``pb.trace``).
Out: a new ``Graph`` with the same inputs (plus one cotangent input per output for a VJP
graph) whose outputs are the adjoints of the inputs.

How: the backward sweep of tape mode runs over the forward graph with each node's value a
Tensor of a new replayable trace standing for that node. The rules' VJPs are plain NumPy code,
so running them records their primitives (``np.cos``, ``operator.mul`` ...) as new nodes. The
gradient graph is therefore a graph of primitives, not of opaque VJP calls: it prints and renders
like any graph, symbolic mode can read it, and it can be differentiated again. It shares the
forward graph's nodes (the values the VJPs need), so a replay of both computes each value
once. Each new node carries the source line of the forward node it differentiates, and
that node's id (``Node.forward``: the viewer lights a forward node and its adjoint together).
Clean-up passes then drop dead nodes and merge duplicates.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import pytree
from ..errors import PullbackTypeError
from ..tape.backward import sweep, topological_order
from ..tape.tensor import Tensor
from ..tape.trace import ReverseTrace
from .ir import Graph, Node, output_leaves
from .passes import clean

__all__ = ["gradients", "vjp_graph"]


def _max_id(graph: Graph) -> int:
    ids = [n.id for n in graph.inputs] + [n.id for n in graph.nodes]
    return max(ids, default=-1)


def _projections(graph: Graph) -> dict[int, dict[int, Node]]:
    """For each tuple-valued node: its projection nodes by leaf index."""
    found: dict[int, dict[int, Node]] = {}
    for node in graph.nodes:
        if node.op == "pullback.item":
            parent, k = node.args
            found.setdefault(parent.id, {})[k] = node
    return found


def vjp_graph(
    graph: Graph,
    outputs: Any = None,
    *,
    cotangents: bool = True,
    with_value: bool = False,
    wrt: list[int] | None = None,
) -> Graph:
    """The graph computing the adjoints of ``graph``'s inputs.

    ``outputs``: the pytree of output nodes to differentiate (default: all of them).
    ``cotangents``: True adds one input per output leaf (its cotangent, named ``<out>_bar``);
    False seeds a scalar output with 1.0. ``with_value``: output ``(value, adjoints)``.
    ``wrt``: indices of the inputs whose adjoints are outputs, as a flat tuple (default: all,
    in ``in_tree`` structure when the graph has one).
    """
    outputs = graph.outputs if outputs is None else outputs
    tr = ReverseTrace(replayable=True, first_id=_max_id(graph) + 1)
    projections = _projections(graph)
    tensors: dict[int, Any] = {}

    def value_of(node: Node):
        t = tensors.get(node.id)
        if t is None:
            parts = projections.get(node.id)
            if parts is not None and node.dtype == "tuple":
                leaves, tree = pytree.flatten(node.value)
                t = pytree.unflatten(
                    tree,
                    [value_of(parts[k]) if k in parts else v for k, v in enumerate(leaves)],
                )
            else:
                t = Tensor(node.value, node, tr)
            tensors[node.id] = t
        return t

    out_leaves = output_leaves(outputs)
    seeds = []
    ct_inputs: list[Node] = []
    for leaf in out_leaves:
        if type(leaf) is not Node:
            continue
        if cotangents:
            value = np.zeros(leaf.shape) if leaf.shape else 0.0
            ct = tr.input(value, name=f"{leaf.label}_bar")
            ct_inputs.append(ct.node)
            seeds.append((leaf, ct))
        else:
            if leaf.shape != ():
                raise PullbackTypeError(
                    f"gradients needs a scalar output, but {graph.name} returns shape "
                    f"{leaf.shape}; use pb.vjp or pb.jacobian for other outputs"
                )
            seeds.append((leaf, _one(leaf.dtype)))
    order = topological_order([node for node, _ in seeds])
    grads = sweep(order, seeds, value_of, trace=tr)

    structured = wrt is None and graph.in_tree is not None
    wrt = list(range(len(graph.inputs))) if wrt is None else wrt
    adjoints = []
    for i in wrt:
        node = graph.inputs[i]
        adjoints.append(_adjoint_output(node, grads.get(node), tr))
    if structured:
        adjoint_tree = pytree.unflatten(graph.in_tree, adjoints)
    else:
        adjoint_tree = tuple(adjoints)
    new_outputs = (outputs, adjoint_tree) if with_value else adjoint_tree
    new_nodes = [n for n in tr.nodes if n.op != "input"]
    nodes, new_outputs = clean(list(graph.nodes) + new_nodes, new_outputs)
    in_tree = graph.in_tree if not ct_inputs else None
    return Graph(
        list(graph.inputs) + ct_inputs,
        nodes,
        new_outputs,
        name=f"grad_{graph.name}",
        in_tree=in_tree,
    )


def _adjoint_output(node: Node, g, tr: ReverseTrace):
    """The output standing for one input's adjoint: a node, or a constant zero."""
    if node.nondiff:
        return None
    if type(g) is Tensor and g.traced_by is tr and g.node is not None:
        if g.node.name is None and g.node.op != "input":
            g.node.name = f"{node.label}_bar"
        if g.node.shape != node.shape:  # an adjoint that broadcasts: shape it like the input
            return _broadcast_node(g, node)
        return g.node
    if g is None:
        return np.zeros(node.shape) if node.shape else 0.0
    if type(g) is Tensor:
        g = g.value
    return np.broadcast_to(g, node.shape).copy() if node.shape else g


def _broadcast_node(g: Tensor, node: Node):
    out = np.broadcast_to(g, node.shape) + np.zeros(node.shape)
    return out.node if type(out) is Tensor else out


def gradients(graph: Graph) -> Graph:
    """The gradient graph of a scalar-output graph: same inputs, one adjoint per input.

    >>> import numpy as np, pullback as pb
    >>> g = pb.gradients(pb.trace(lambda x: np.sin(x) * x, 2.0))
    >>> round(g(2.0)[0], 6)  # sin(2) + 2 cos(2)
    0.077004
    """
    if not isinstance(graph, Graph):
        raise PullbackTypeError(
            f"pb.gradients takes a Graph from pb.trace(f, *args), got {type(graph).__name__}; "
            "write pb.gradients(pb.trace(f, *args))"
        )
    return vjp_graph(graph, cotangents=False)


def _one(dtype: str):
    """The seed 1.0 of a scalar output of ``dtype`` (float32 stays float32 through the sweep)."""
    if dtype in ("float32", "float16"):
        return np.dtype(dtype).type(1.0)
    return 1.0
