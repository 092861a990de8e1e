"""Clean-up passes over a graph's node list: dead nodes out, duplicate nodes merged.

In: nodes in topological order and the graph's outputs.
Out: a new node list (nodes whose arguments changed are copies with the same id; the input
graph is left as it was).

- ``eliminate_common``: two calls of the same function on the same arguments become one (CSE);
- ``eliminate_dead``: nodes no output needs go, except guards (they check the path on replay);
- ``simplify``: ``1.0 * v`` and ``v * 1.0`` become ``v`` where shapes allow.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any

import numpy as np

from .ir import Node, map_nodes, node_inputs

__all__ = ["eliminate_dead", "eliminate_common", "simplify", "clean"]


def _is_guard(node: Node) -> bool:
    return node.op == "pullback.guard"


def eliminate_dead(nodes: list[Node], outputs: Any) -> list[Node]:
    """The nodes the outputs (and the guards) depend on, in their order."""
    live: set[int] = set()
    for n in map_nodes_list(outputs):
        live.add(id(n))
    kept = []
    for node in reversed(nodes):
        if id(node) in live or _is_guard(node):
            kept.append(node)
            for parent in node_inputs(node):
                live.add(id(parent))
    kept.reverse()
    return kept


def map_nodes_list(x: Any) -> list[Node]:
    found: list[Node] = []
    map_nodes(x, found.append)
    return found


def _constant_key(x: Any):
    if isinstance(x, (bool, int, float, complex, str, type(None), np.generic)):
        return (type(x), x)
    if isinstance(x, np.ndarray):
        if x.size <= 64:
            return ("array", x.dtype.str, x.shape, x.tobytes())
        return ("id", id(x))
    if isinstance(x, slice):
        return ("slice", _constant_key(x.start), _constant_key(x.stop), _constant_key(x.step))
    if isinstance(x, (tuple, list)):
        return (type(x), tuple(_key(v) for v in x))
    if isinstance(x, dict):
        return ("dict", tuple((k, _key(v)) for k, v in x.items()))
    return ("id", id(x))


def _key(x: Any):
    if type(x) is Node:
        return ("node", x.id)
    return _constant_key(x)


def eliminate_common(nodes: list[Node], outputs: Any) -> tuple[list[Node], Any]:
    """Merge nodes that call the same function on the same arguments; returns (nodes, outputs)."""
    canonical: dict[int, Node] = {}  # node id -> the node standing for it
    seen: dict[tuple, Node] = {}
    kept = []

    def current(n: Node) -> Node:
        return canonical.get(n.id, n)

    for node in nodes:
        node = _with_current_args(node, current, canonical)
        if node.op == "input" or node.fn is None:
            kept.append(node)
            continue
        try:
            key = (id(node.fn), _key(node.args), _key(node.kwargs))
            hash(key)
        except TypeError:
            kept.append(node)
            continue
        twin = seen.get(key)
        if twin is not None and not _is_guard(node):
            canonical[node.id] = twin
            continue
        seen[key] = node
        kept.append(node)
    return kept, map_nodes(outputs, current)


def _with_current_args(node: Node, current, mapping: dict) -> Node:
    """``node``, or a copy (same id) whose arguments name the nodes standing for the old ones."""
    if not any(current(n) is not n for n in node_inputs(node)):
        return node
    copy = dataclasses.replace(
        node, args=map_nodes(node.args, current), kwargs=map_nodes(node.kwargs, current)
    )
    mapping[node.id] = copy
    return copy


def _is_one(x) -> bool:
    if type(x) is np.ndarray:
        return x.dtype.kind == "f" and x.size <= 4096 and bool(np.all(x == 1.0))
    return type(x) in (float, int) and x == 1


def simplify(nodes: list[Node], outputs: Any) -> tuple[list[Node], Any]:
    """Drop multiplications by the constant 1 (the seed of a scalar output's gradient)."""
    replaced: dict[int, Node] = {}

    def current(n: Node) -> Node:
        return replaced.get(n.id, n)

    kept = []
    for node in nodes:
        node = _with_current_args(node, current, replaced)
        if node.fn in (operator.mul, np.multiply) and len(node.args) == 2 and not node.kwargs:
            a, b = node.args
            other = b if _is_one(a) else a if _is_one(b) else None
            if type(other) is Node and other.shape == node.shape and other.dtype == node.dtype:
                replaced[node.id] = other
                continue
        kept.append(node)
    return kept, map_nodes(outputs, current)


def clean(nodes: list[Node], outputs: Any) -> tuple[list[Node], Any]:
    """simplify, then CSE, then dead-node elimination."""
    nodes, outputs = simplify(nodes, outputs)
    nodes, outputs = eliminate_common(nodes, outputs)
    return eliminate_dead(nodes, outputs), outputs
