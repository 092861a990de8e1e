"""What a drawing of a ``Graph`` shows: one box per node with its text lines and size, one
edge per argument, and the facts the page's inspector lists.

In: a ``Graph`` (for a gradient graph, also the forward graph it differentiates).
Out: ``graph_boxes(graph) -> (boxes, edges)`` in topological order, each box sized for its
monospace lines (the layouts in ``layout.py`` place them); ``backward_boxes``: a gradient
graph's own nodes, the forward values they read drawn as small reference boxes;
``spread_inputs``: an input read by many groups drawn as a reference in each; ``tooltip`` and
``details`` (operation, type, value summary, source line) as plain text. Nothing here is
escaped: the drawing (``page.py``) escapes every string it writes.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .ir import Graph, Node, _short, _show, node_inputs, node_place, node_type

__all__ = [
    "Box",
    "Edge",
    "graph_boxes",
    "backward_boxes",
    "spread_inputs",
    "tooltip",
    "details",
    "source_line",
    "LINE_HEIGHT",
]

# The font is monospace, so a line's width follows from its length.
CHAR_WIDTH = {"title": 7.6, "text": 7.0, "source": 6.4}  # 12.5px bold, 11.5px, 10.5px
LINE_HEIGHT = {"title": 16, "text": 15, "source": 14}
PAD_X = 9
PAD_Y = 6
_SOURCE_CHARS_MIN = 24  # a source line is cut to the box's width, within these bounds
_SOURCE_CHARS_MAX = 36


@dataclass(eq=False)
class Box:
    """A node to draw, or an invisible waypoint of a long edge (``node is None``)."""

    node: Node | None
    layer: int = 0
    kind: str = "op"  # "input", "op", "nondiff", "output", "outside", "waypoint"
    lines: list[tuple[str, str]] = field(default_factory=list)  # (style, text)
    width: float = 0.0
    height: float = 0.0
    x: float = 0.0  # left edge
    y: float = 0.0  # top edge
    preds: list[Box] = field(default_factory=list)
    succs: list[Box] = field(default_factory=list)
    key: str = ""  # unique among the drawing's boxes: the node id, or "r<id>_<n>" for a reference
    home: int | None = None  # the node whose group the box is drawn in (a reference's reader)

    @property
    def center(self) -> float:
        return self.x + self.width / 2

    @property
    def is_reference(self) -> bool:
        return self.kind in ("reference", "reference input")


@dataclass
class Edge:
    source: Box
    target: Box
    argument: int  # position among the target's node inputs
    waypoints: list[Box] = field(default_factory=list)  # the fallback layout's route
    path: str = ""  # the SVG path, set by the layout


def operation_text(node: Node) -> str:
    """``np.sin`` or, when constants are passed, ``np.power(·, 2)``; ``input x`` for inputs."""
    if node.op == "input":
        return f"input {node.label}"
    name = _short(node.op).removeprefix("pullback.runtime.")
    if all(isinstance(a, Node) for a in node.args) and not node.kwargs:
        return name
    parts = ["·" if isinstance(a, Node) else _constant_text(a) for a in node.args]
    parts += [f"{k}={_constant_text(v)}" for k, v in node.kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _constant_text(value: Any) -> str:
    if isinstance(value, (list, tuple)) and any(isinstance(v, Node) for v in value):
        inner = ", ".join("·" if isinstance(v, Node) else _constant_text(v) for v in value)
        return f"[{inner}]"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, np.ndarray) and value.size > 4:
        return f"array{value.shape}"
    text = _show(value)
    return text if len(text) <= 24 else text[:23] + "…"


def source_line(node: Node) -> str | None:
    """The text of the user's line ``node`` was recorded at, stripped; None when unreadable."""
    if not node.filename or not node.lineno:
        return None
    line = linecache.getline(node.filename, node.lineno).strip()
    return line or None


def _place_text(node: Node) -> str | None:
    """``file.py:12  b = np.log(a)`` for a tooltip, or None when the node has no location."""
    if not node.lineno:
        return None
    where = node_place(node)
    line = source_line(node)
    return f"{where}  {line}" if line else where


def _call_text(node: Node) -> str:
    if node.op == "input":
        return f"input {node.label}"
    shown = [_show(a) for a in node.args] + [f"{k}={_show(v)}" for k, v in node.kwargs.items()]
    return f"{node.label} = {_short(node.op)}({', '.join(shown)})"


def tooltip(node: Node) -> str:
    lines = [_call_text(node), f"type: {node_type(node)}"]
    place = _place_text(node)
    if place:
        lines.append(place)
    return "\n".join(lines)


def _value_text(value: Any) -> str | None:
    if value is None:
        return None
    from ..display import summary

    try:
        if isinstance(value, (np.ndarray, np.generic, float, int, complex)):
            return summary(value)
        return _show(value)
    except Exception:  # a value that does not summarize is left out, not fatal
        return None


def details(node: Node) -> dict[str, str]:
    """What the inspector lists for ``node``: call, type, shape, dtype, value, place, line."""
    out = {
        "call": _call_text(node),
        "type": node_type(node),
        "shape": str(tuple(node.shape)),
        "dtype": str(node.dtype),
    }
    value = _value_text(node.value)
    if value:
        out["value"] = value
    if node.lineno:
        out["place"] = node_place(node)
        line = source_line(node)
        if line:
            out["line"] = line
    if node.nondiff:
        out["derivative"] = "none flows through"
    return out


def graph_boxes(graph: Graph) -> tuple[list[Box], list[Edge]]:
    """One box per node (inputs, primitives, and nodes read from outside the graph)."""
    boxes: dict[int, Box] = {}
    order: list[Box] = []
    outputs = {id(n) for n in graph.output_nodes()}

    def add(node: Node, kind: str) -> Box:
        box = boxes.get(id(node))
        if box is None:
            box = Box(node, kind="output" if id(node) in outputs else kind)
            boxes[id(node)] = box
            order.append(box)
        return box

    for node in graph.inputs:
        add(node, "input")
    edges: list[Edge] = []
    for node in graph.nodes:
        if node.op == "input":
            add(node, "input")
            continue
        sources = node_inputs(node)
        for src in sources:
            if id(src) not in boxes:
                add(src, "input" if src.op == "input" else "outside")
        box = add(node, "nondiff" if getattr(node, "nondiff", False) else "op")
        for k, src in enumerate(sources):
            edges.append(Edge(boxes[id(src)], box, k))
    for node in graph.output_nodes():  # an output that is an input, or read from outside
        add(node, "input" if node.op == "input" else "outside")
    for box in order:
        box.key, box.home = str(box.node.id), box.node.id
        box.lines = _box_lines(box.node)
        _size(box)
    return order, edges


def backward_boxes(
    graph: Graph, forward: Graph, group_of: Callable[[int], Any]
) -> tuple[list[Box], list[Edge]]:
    """A gradient graph's own nodes as boxes, each forward value they read as a small reference.

    The forward graph's nodes (and inputs) that the gradient graph shares are not drawn again:
    a reference box stands for one of them, one per group that reads it (``group_of`` gives
    a node id's group), so no edge runs from the forward half across the whole drawing.
    """
    boxes, edges = graph_boxes(graph)
    shared = {n.id for n in forward.inputs} | {n.id for n in forward.nodes}
    own = [b for b in boxes if b.node.id not in shared or id(b.node) in _output_ids(graph)]
    kept = {id(b) for b in own}
    references: dict[tuple, Box] = {}
    new_edges = []
    for e in edges:
        if id(e.target) not in kept:
            continue
        source = e.source
        if id(source) not in kept:
            where = (source.node.id, group_of(e.target.node.id))
            source = references.get(where)
            if source is None:
                kind = "reference input" if e.source.node.op == "input" else "reference"
                source = Box(e.source.node, kind=kind, home=e.target.node.id)
                source.key = f"r{e.source.node.id}_{len(references)}"
                source.lines = [("text", _reference_text(e.source.node))]
                _size(source)
                references[where] = source
        new_edges.append(Edge(source, e.target, e.argument))
    return list(references.values()) + own, new_edges


def spread_inputs(
    boxes: list[Box], edges: list[Edge], group_of: Callable[[int], Any], at_least: int = 3
) -> tuple[list[Box], list[Edge]]:
    """An input read in ``at_least`` groups or more (a weight read by every loop step) is drawn
    as a reference box in each group that reads it, instead of one box with an edge from the
    top of the drawing to each reader."""
    readers: dict[int, set] = {}
    for e in edges:
        if e.source.kind == "input":
            readers.setdefault(id(e.source), set()).add(group_of(e.target.node.id))
    spread = {i for i, groups in readers.items() if len(groups) >= at_least and None not in groups}
    if not spread:
        return boxes, edges
    references: dict[tuple, Box] = {}
    new_edges = []
    for e in edges:
        source = e.source
        if id(source) in spread:
            where = (source.node.id, group_of(e.target.node.id))
            ref = references.get(where)
            if ref is None:
                ref = Box(source.node, kind="reference input", home=e.target.node.id)
                ref.key = f"r{source.node.id}_{len(references)}"
                ref.lines = [("text", _reference_text(source.node))]
                _size(ref)
                references[where] = ref
            source = ref
        new_edges.append(Edge(source, e.target, e.argument))
    kept = [b for b in boxes if id(b) not in spread]  # its references stand in for it
    return kept + list(references.values()), new_edges


def _output_ids(graph: Graph) -> set[int]:
    return {id(n) for n in graph.output_nodes()}


def _reference_text(node: Node) -> str:
    if node.op == "input":
        return f"{node.label} : {node_type(node)}"
    return f"{node.label} = {_short(node.op).removeprefix('pullback.runtime.')} : {node_type(node)}"


def _box_lines(node: Node) -> list[tuple[str, str]]:
    named = node_type(node) if node.op == "input" else f"{node.label} : {node_type(node)}"
    lines = [("title", operation_text(node)), ("text", named)]
    if node.lineno:
        line = source_line(node)
        if line:
            lines.append(("source", f"L{node.lineno}  {' '.join(line.split())}"))
        else:
            lines.append(("source", f"line {node.lineno}"))
    return lines


def _size(box: Box) -> None:
    """Fit the box to its name lines; the source line is cut to fit (the tooltip has it all)."""
    named = max(len(t) * CHAR_WIDTH[s] for s, t in box.lines if s != "source")
    for i, (style, text) in enumerate(box.lines):
        if style == "source":
            fits = int(named / CHAR_WIDTH[style])
            keep = min(max(fits, _SOURCE_CHARS_MIN), _SOURCE_CHARS_MAX)
            if len(text) > keep:
                text = text[: keep - 1] + "…"
            box.lines[i] = (style, text)
    box.width = 2 * PAD_X + max(len(t) * CHAR_WIDTH[s] for s, t in box.lines)
    box.height = 2 * PAD_Y + sum(LINE_HEIGHT[s] for s, _ in box.lines)
