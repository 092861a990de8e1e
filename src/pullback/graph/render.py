"""Drawing a ``Graph``: Graphviz dot text, and a self-contained HTML page with inline SVG.

In: a forward ``Graph`` and optionally its gradient graph (``pb.gradients(graph)``).
Out: ``to_dot(...) -> str`` (for ``dot -Tsvg``) and ``to_html(...) -> str``: one page, no network,
no scripts, no external fonts or stylesheets, showing both graphs side by side.

The page lays the graphs out itself, the way Graphviz's ``dot`` does in miniature:

1. layering: each node sits one layer below the deepest node it reads (longest path), the
   inputs on top in the order of the parameters;
2. an edge that skips layers is routed through a chain of invisible waypoints, one per layer;
3. ordering: nodes in a layer are sorted by the mean position of their neighbours, sweeping
   down and up a few times, which removes most edge crossings;
4. placement: each node moves towards the mean x of its neighbours; overlapping neighbours are
   merged into blocks placed at their mean (so a layer never overlaps itself);
5. drawing: boxes with the primitive, the value's name and shape, and the source line the node
   came from (a ``<title>`` tooltip holds the full line); curved edges with arrowheads, entering
   a node left to right in argument order.

Every piece of text that comes from the user (names, source lines, constants) is escaped.
"""

from __future__ import annotations

import html
import itertools
import linecache
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from .ir import Graph, Node, _short, _show, node_inputs, node_place, node_type

__all__ = ["to_dot", "to_html", "notebook_html"]

# Geometry of the SVG drawing, in pixels. The font is monospace so widths follow from lengths.
_FONT = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"
_CHAR_WIDTH = {"title": 7.6, "text": 7.0, "source": 6.4}  # 12.5px bold, 11.5px, 10.5px
_LINE_HEIGHT = {"title": 16, "text": 15, "source": 14}
_PAD_X = 9
_PAD_Y = 6
_NODE_GAP = 22
_LAYER_GAP = 38
_MARGIN = 18
_SOURCE_CHARS_MIN = 24  # a source line is cut to the box's width, within these bounds
_SOURCE_CHARS_MAX = 36
_SWEEPS = 4
_MIN_SCALE = 0.7  # a drawing wider than its panel shrinks to this scale, then scrolls


# -- what a node says ------------------------------------------------------------------------


def _shape_text(node: Node) -> str:
    return node_type(node)


def _operation_text(node: Node) -> str:
    """``np.sin`` or, when constants are passed, ``np.power(·, 2)``; ``input x`` for inputs."""
    if node.op == "input":
        return f"input {node.label}"
    name = _short(node.op)
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


def _source_line(node: Node) -> str | None:
    if not node.filename or not node.lineno:
        return None
    line = linecache.getline(node.filename, node.lineno).strip()
    return line or None


def _place_text(node: Node) -> str | None:
    """``file.py:12  b = np.log(a)`` for a tooltip, or None when the node has no location."""
    if not node.lineno:
        return None
    where = node_place(node)
    line = _source_line(node)
    return f"{where}  {line}" if line else where


def _tooltip(node: Node) -> str:
    lines = [f"{node.label} = {_short(node.op)}" if node.op != "input" else f"input {node.label}"]
    if node.op != "input":
        shown = [_show(a) for a in node.args] + [f"{k}={_show(v)}" for k, v in node.kwargs.items()]
        lines[0] += f"({', '.join(shown)})"
    lines.append(f"type: {_shape_text(node)}")
    place = _place_text(node)
    if place:
        lines.append(place)
    return "\n".join(lines)


# -- the graph as boxes and edges ------------------------------------------------------------


@dataclass(eq=False)
class _Box:
    """A node to draw, or an invisible waypoint of a long edge (``node is None``)."""

    node: Node | None
    layer: int = 0
    kind: str = "op"  # "input", "op", "nondiff", "output", "outside", "waypoint"
    lines: list[tuple[str, str]] = field(default_factory=list)  # (style, text)
    width: float = 0.0
    height: float = 0.0
    x: float = 0.0  # left edge
    y: float = 0.0  # top edge
    preds: list[_Box] = field(default_factory=list)
    succs: list[_Box] = field(default_factory=list)

    @property
    def center(self) -> float:
        return self.x + self.width / 2


@dataclass
class _Edge:
    source: _Box
    target: _Box
    argument: int  # position among the target's node inputs
    waypoints: list[_Box] = field(default_factory=list)


def _graph_boxes(graph: Graph) -> tuple[list[_Box], list[_Edge]]:
    """One box per node (inputs, primitives, and nodes read from outside the graph)."""
    boxes: dict[int, _Box] = {}
    order: list[_Box] = []
    outputs = {id(n) for n in graph.output_nodes()}

    def add(node: Node, kind: str) -> _Box:
        box = boxes.get(id(node))
        if box is None:
            box = _Box(node, kind="output" if id(node) in outputs else kind)
            boxes[id(node)] = box
            order.append(box)
        return box

    for node in graph.inputs:
        add(node, "input")
    edges: list[_Edge] = []
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
            edges.append(_Edge(boxes[id(src)], box, k))
    for node in graph.output_nodes():  # an output that is an input, or read from outside
        add(node, "input" if node.op == "input" else "outside")
    for box in order:
        box.lines = _box_lines(box.node)
        _size(box)
    return order, edges


def _box_lines(node: Node) -> list[tuple[str, str]]:
    named = _shape_text(node) if node.op == "input" else f"{node.label} : {_shape_text(node)}"
    lines = [("title", _operation_text(node)), ("text", named)]
    if node.lineno:
        line = _source_line(node)
        if line:
            lines.append(("source", f"L{node.lineno}  {' '.join(line.split())}"))
        else:
            lines.append(("source", f"line {node.lineno}"))
    return lines


def _size(box: _Box) -> None:
    """Fit the box to its name lines; the source line is cut to fit (the tooltip has it all)."""
    if box.node is None:
        box.width, box.height = 0.0, 0.0
        return
    named = max(len(t) * _CHAR_WIDTH[s] for s, t in box.lines if s != "source")
    for i, (style, text) in enumerate(box.lines):
        if style == "source":
            fits = int(named / _CHAR_WIDTH[style])
            keep = min(max(fits, _SOURCE_CHARS_MIN), _SOURCE_CHARS_MAX)
            if len(text) > keep:
                text = text[: keep - 1] + "…"
            box.lines[i] = (style, text)
    box.width = 2 * _PAD_X + max(len(t) * _CHAR_WIDTH[s] for s, t in box.lines)
    box.height = 2 * _PAD_Y + sum(_LINE_HEIGHT[s] for s, _ in box.lines)


def _assign_layers(boxes: list[_Box], edges: list[_Edge]) -> list[list[_Box]]:
    """Longest-path layering: a node sits one layer below the deepest node it reads."""
    incoming: dict[int, list[_Box]] = {id(b): [] for b in boxes}
    for e in edges:
        incoming[id(e.target)].append(e.source)
    for box in boxes:  # boxes are in topological order
        box.layer = 1 + max((p.layer for p in incoming[id(box)]), default=-1)
    depth = 1 + max((b.layer for b in boxes), default=-1)
    layers: list[list[_Box]] = [[] for _ in range(depth)]
    for box in boxes:
        layers[box.layer].append(box)
    for e in edges:  # route layer-skipping edges through one waypoint per layer in between
        previous = e.source
        for layer in range(e.source.layer + 1, e.target.layer):
            waypoint = _Box(None, layer=layer, kind="waypoint")
            layers[layer].append(waypoint)
            e.waypoints.append(waypoint)
            previous.succs.append(waypoint)
            waypoint.preds.append(previous)
            previous = waypoint
        previous.succs.append(e.target)
        e.target.preds.append(previous)
    return layers


def _order_layers(layers: list[list[_Box]]) -> None:
    """Barycenter heuristic: sort each layer below the first by the mean index of neighbours."""

    def sweep(rows: list[list[_Box]], neighbours: str) -> None:
        for row in rows:

            def barycenter(box: _Box, fallback: float) -> float:
                near = getattr(box, neighbours)
                if not near:
                    return fallback
                return sum(index[id(n)] for n in near) / len(near)

            keyed = [(barycenter(b, i), i, b) for i, b in enumerate(row)]
            keyed.sort(key=lambda t: (t[0], t[1]))
            row[:] = [b for _, _, b in keyed]
            for i, b in enumerate(row):
                index[id(b)] = i

    index = {id(b): i for row in layers for i, b in enumerate(row)}
    for _ in range(_SWEEPS):
        sweep(layers[1:], "preds")
        sweep(layers[-2:0:-1], "succs")  # the inputs keep the order of the parameters


def _pack(desired: list[float], widths: list[float]) -> list[float]:
    """Left edges as close as possible to ``desired`` (left edges) keeping order and gaps.

    Overlapping neighbours are merged into a block placed at the mean of its members' wishes
    (the pool-adjacent-violators idea), so the result never overlaps and stays centered.
    """
    blocks: list[list] = []  # [first index, last index, sum of wishes, count, total width]
    for i, (want, width) in enumerate(zip(desired, widths, strict=True)):
        blocks.append([i, i, want, 1, width])
        while len(blocks) > 1:
            a, b = blocks[-2], blocks[-1]
            a_left = a[2] / a[3]
            if a_left + a[4] + _NODE_GAP <= b[2] / b[3]:
                break
            shift = a[4] + _NODE_GAP  # b's members sit this far right of a's first member
            blocks[-2:] = [[a[0], b[1], a[2] + b[2] - shift * b[3], a[3] + b[3], shift + b[4]]]
    lefts = [0.0] * len(desired)
    for first, last, total, count, _ in blocks:
        x = total / count
        for i in range(first, last + 1):
            lefts[i] = x
            x += widths[i] + _NODE_GAP
    return lefts


def _place(layers: list[list[_Box]]) -> tuple[float, float]:
    """Coordinates for every box; returns the drawing's width and height."""
    for row in layers:  # start packed from the left
        x = 0.0
        for box in row:
            box.x = x
            x += box.width + _NODE_GAP
    rows_down = [(row, "preds") for row in layers[1:]]
    rows_up = [(row, "succs") for row in layers[-2::-1]]
    for _ in range(_SWEEPS):
        for row, neighbours in rows_down + rows_up:
            desired = []
            for box in row:
                near = getattr(box, neighbours)
                center = sum(n.center for n in near) / len(near) if near else box.center
                desired.append(center - box.width / 2)
            for box, left in zip(row, _pack(desired, [b.width for b in row]), strict=True):
                box.x = left
    left = min((b.x for row in layers for b in row), default=0.0)
    right = max((b.x + b.width for row in layers for b in row), default=0.0)
    y = _MARGIN
    for row in layers:
        height = max((b.height for b in row), default=0.0)
        for box in row:
            box.x += _MARGIN - left
            box.y = y + (height - box.height) / 2
            if box.node is None:  # a waypoint spans its layer's height
                box.height = height
                box.y = y
        y += height + _LAYER_GAP
    return right - left + 2 * _MARGIN, y - _LAYER_GAP + _MARGIN


# -- SVG ---------------------------------------------------------------------------------------


def _edge_path(edge: _Edge, ports: int) -> str:
    src, dst = edge.source, edge.target
    points = [(src.center, src.y + src.height)]
    for w in edge.waypoints:
        points += [(w.center, w.y), (w.center, w.y + w.height)]
    port_x = dst.x + dst.width * (edge.argument + 1) / (ports + 1)
    points.append((port_x, dst.y - 1.5))
    d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    for (x0, y0), (x1, y1) in pairwise(points):
        if x0 == x1:
            d += f" L{x1:.1f},{y1:.1f}"
            continue
        bend = max((y1 - y0) / 2, 12.0)
        d += f" C{x0:.1f},{y0 + bend:.1f} {x1:.1f},{y1 - bend:.1f} {x1:.1f},{y1:.1f}"
    return d


def _svg(graph: Graph, prefix: str) -> str:
    """One graph, laid out, as an inline ``<svg>`` element."""
    boxes, edges = _graph_boxes(graph)
    layers = _assign_layers(boxes, edges)
    _order_layers(layers)
    width, height = _place(layers)
    esc = html.escape
    ports: dict[int, int] = {}
    for e in edges:
        ports[id(e.target)] = max(ports.get(id(e.target), 0), e.argument + 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" id="{prefix}-svg" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'style="min-width: {min(width, _MIN_SCALE * width):.0f}px" xml:space="preserve" '
        f'role="img" aria-label="{esc(graph.name)}">',
        f'<defs><marker id="{prefix}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
    ]
    for e in edges:
        src = e.source.node
        title = f"{src.label} → {e.target.node.label} (argument {e.argument})"
        out.append(
            f'<path class="edge" d="{_edge_path(e, ports[id(e.target)])}" '
            f'marker-end="url(#{prefix}-arrow)"><title>{esc(title)}</title></path>'
        )
    for box in boxes:
        node = box.node
        out.append(
            f'<g class="node {box.kind}" id="{prefix}-{node.id}" '
            f'transform="translate({box.x:.1f},{box.y:.1f})">'
        )
        out.append(f"<title>{esc(_tooltip(node))}</title>")
        out.append(f'<rect width="{box.width:.1f}" height="{box.height:.1f}" rx="6" ry="6"/>')
        y = _PAD_Y
        for style, text in box.lines:
            y += _LINE_HEIGHT[style]
            out.append(f'<text class="{style}" x="{_PAD_X}" y="{y - 4}">{esc(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


_SVG_CSS = f"""
svg.graph {{ max-width: 100%; height: auto; display: block; }}
svg.graph text {{ font-family: {_FONT}; fill: #1d2330; white-space: pre; }}
svg.graph text.title {{ font-size: 12.5px; font-weight: bold; }}
svg.graph text.text {{ font-size: 11.5px; }}
svg.graph text.source {{ font-size: 10.5px; fill: #5b6475; }}
svg.graph .node rect {{ fill: #eef3fb; stroke: #5a7bb5; stroke-width: 1.3; }}
svg.graph .node.input rect {{ fill: #e8f6ec; stroke: #3f8f5a; }}
svg.graph .node.output rect {{ fill: #fff3e3; stroke: #d07a12; stroke-width: 2.2; }}
svg.graph .node.outside rect {{ fill: #f3f1f7; stroke: #8a7fa8; stroke-dasharray: 4 3; }}
svg.graph .node.nondiff rect {{ fill: #f4f4f4; stroke: #9a9a9a; stroke-dasharray: 2 2; }}
svg.graph .node:hover rect {{ stroke-width: 2.8; }}
svg.graph .edge {{ fill: none; stroke: #7d879a; stroke-width: 1.3; }}
svg.graph .edge:hover {{ stroke: #1d2330; stroke-width: 2.2; }}
svg.graph .arrowhead {{ fill: #7d879a; }}
"""

_CSS = f"""
body {{ font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 16px;
       color: #1d2330; background: #fbfbfd; }}
h1 {{ font-size: 20px; margin: 0 0 4px 0; }}
h1 code, h2 code {{ font-family: {_FONT}; }}
p.legend {{ margin: 0 0 12px 0; font-size: 13px; color: #4a5263; }}
.swatch {{ display: inline-block; width: 11px; height: 11px; border-radius: 3px;
          vertical-align: -1px; margin: 0 4px 0 10px; border: 1.5px solid; }}
.panels {{ display: flex; gap: 16px; align-items: flex-start; }}
.panel {{ flex: 1 1 0; min-width: 0; background: #fff; border: 1px solid #d8dce6;
          border-radius: 8px; padding: 10px 12px; }}
.panel h2 {{ font-size: 15px; margin: 0 0 8px 0; }}
.panel .count {{ font-weight: normal; color: #5b6475; }}
.scroll {{ overflow: auto; max-height: 80vh; }}
.note {{ font-size: 13px; color: #8a3b12; }}
{_SVG_CSS}
details {{ margin-top: 8px; font-size: 13px; }}
pre {{ font-family: {_FONT}; font-size: 12px; background: #f5f6f9; padding: 8px;
       overflow: auto; }}
"""

_LEGEND = (
    '<p class="legend">Each box is one primitive call: the operation, the value\'s name and '
    "shape, and the source line it came from (hover for the full line). Edges enter a box left "
    "to right in argument order."
    '<span class="swatch" style="background:#e8f6ec;border-color:#3f8f5a"></span>input'
    '<span class="swatch" style="background:#eef3fb;border-color:#5a7bb5"></span>operation'
    '<span class="swatch" style="background:#fff3e3;border-color:#d07a12"></span>output'
    '<span class="swatch" style="background:#f3f1f7;border-color:#8a7fa8"></span>'
    "value from the forward graph"
    '<span class="swatch" style="background:#f4f4f4;border-color:#9a9a9a"></span>'
    "no derivative flows through (guard, comparison)</p>"
)


def _panel(graph: Graph, title: str, prefix: str) -> str:
    esc = html.escape
    count = sum(1 for n in graph.nodes if n.op != "input")
    return (
        f'<section class="panel" id="{prefix}">'
        f"<h2>{esc(title)} <code>{esc(graph.name)}</code> "
        f'<span class="count">({count} operation{"s" if count != 1 else ""})</span></h2>'
        f'<div class="scroll">{_svg(graph, prefix)}</div>'
        f"<details><summary>listing</summary><pre>{esc(str(graph))}</pre></details>"
        "</section>"
    )


def _has_scalar_output(graph: Graph) -> bool:
    outs = graph.output_nodes()
    return len(outs) == 1 and outs[0] is graph.outputs and tuple(outs[0].shape) == ()


def _gradient_of(graph: Graph) -> tuple[Graph | None, str | None]:
    """``pb.gradients(graph)``, or None and the reason it is not shown."""
    from ..errors import PullbackError

    if not _has_scalar_output(graph):
        return None, "the graph's output is not a single scalar, so it has no gradient graph"
    import pullback

    gradients = getattr(pullback, "gradients", None)
    if not callable(gradients):
        return None, "gradient graphs are not available in this version"
    try:
        return gradients(graph), None
    except PullbackError as err:
        return None, f"no gradient graph: {err}"


def to_html(graph: Graph, grad_graph: Graph | None = None, *, gradient: bool = True) -> str:
    """A self-contained HTML page drawing ``graph`` and its gradient graph side by side.

    When ``grad_graph`` is None and ``gradient`` is true, the gradient graph is computed with
    ``pb.gradients(graph)`` if the graph has one scalar output; otherwise only the forward graph
    is drawn, with a note saying why.

    >>> page = pb.trace(lambda x: np.log(x * x), 3.0).to_html()   # doctest: +SKIP
    >>> open("graph.html", "w").write(page)                         # doctest: +SKIP
    """
    esc = html.escape
    note = None
    if grad_graph is None and gradient:
        grad_graph, note = _gradient_of(graph)
    panels = [_panel(graph, "forward graph", "forward")]
    if grad_graph is not None:
        panels.append(_panel(grad_graph, "gradient graph", "gradient"))
    elif note:
        panels.append(
            f'<section class="panel" id="gradient"><p class="note">{esc(note)}</p></section>'
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>pullback graph: {esc(graph.name)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>pullback graph of <code>{esc(graph.name)}</code></h1>\n{_LEGEND}\n"
        f'<div class="panels">\n{"".join(panels)}\n</div>\n</body>\n</html>\n'
    )


# -- in a notebook ------------------------------------------------------------------------------

_NOTEBOOK_CSS = f"""
.pb-graph {{ font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1d2330;
            background: #fff; border: 1px solid #d8dce6; border-radius: 8px; padding: 8px 12px;
            max-width: 100%; }}
.pb-graph .pb-head {{ font-size: 13px; margin: 0 0 6px 0; }}
.pb-graph .pb-head code, .pb-graph pre {{ font-family: {_FONT}; }}
.pb-graph .pb-count {{ color: #5b6475; }}
.pb-graph .pb-scroll {{ overflow: auto; max-height: 70vh; }}
.pb-graph .pb-note {{ font-size: 13px; color: #8a3b12; margin: 4px 0; }}
.pb-graph details {{ margin-top: 6px; font-size: 12.5px; }}
.pb-graph pre {{ font-size: 12px; background: #f5f6f9; padding: 8px; margin: 4px 0 0 0;
                overflow: auto; max-height: 60vh; }}
{_SVG_CSS}"""

_NOTEBOOK_DRAWS = 200  # a graph with more operations shows its listing only
_fragments = itertools.count(1)  # ids unique within a notebook page (its arrowheads' ids)


def notebook_html(graph: Graph) -> str:
    """``graph`` as an HTML fragment for a notebook cell (``Graph._repr_html_``): a header with
    its inputs' types, the drawing, and the listing folded below. Self-contained: no scripts
    or external resources, the styles scoped to ``.pb-graph``."""
    esc = html.escape
    prefix = f"pb-graph-{next(_fragments)}"
    count = sum(1 for n in graph.nodes if n.op != "input")
    params = ", ".join(f"{n.label}: {node_type(n)}" for n in graph.inputs)
    if count <= _NOTEBOOK_DRAWS:
        drawing = f'<div class="pb-scroll">{_svg(graph, prefix)}</div>'
    else:
        drawing = (
            f'<p class="pb-note">{count} operations are more than a notebook cell draws well; '
            "graph.to_html() makes a page drawing them all.</p>"
        )
    return (
        f'<div class="pb-graph" id="{prefix}"><style>{_NOTEBOOK_CSS}</style>'
        f'<div class="pb-head">graph <code>{esc(graph.name)}({esc(params)})</code> '
        f'<span class="pb-count">{count} operation{"s" if count != 1 else ""}</span></div>'
        f"{drawing}<details{' open' if count > _NOTEBOOK_DRAWS else ''}><summary>listing"
        f"</summary><pre>{esc(str(graph))}</pre></details></div>"
    )


# -- Graphviz dot ------------------------------------------------------------------------------


def _dot_string(text: str, newline: str = "\\l") -> str:
    """A double-quoted dot string; each line ends with ``newline`` (``\\l``: left-justified)."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    if "\n" not in text:
        return f'"{text}"'
    return '"' + text.replace("\n", newline) + (newline if newline == "\\l" else "") + '"'


_DOT_STYLE = {
    "input": 'fillcolor="#e8f6ec", color="#3f8f5a"',
    "op": 'fillcolor="#eef3fb", color="#5a7bb5"',
    "output": 'fillcolor="#fff3e3", color="#d07a12", penwidth=2',
    "outside": 'fillcolor="#f3f1f7", color="#8a7fa8", style="rounded,filled,dashed"',
    "nondiff": 'fillcolor="#f4f4f4", color="#9a9a9a", style="rounded,filled,dotted"',
}


def _dot_body(graph: Graph, prefix: str, indent: str) -> list[str]:
    boxes, edges = _graph_boxes(graph)
    lines = []
    for box in boxes:
        label = _dot_string("\n".join(t for _, t in box.lines))
        tooltip = _dot_string(_tooltip(box.node), newline="\\n")
        lines.append(
            f"{indent}{prefix}{box.node.id} [label={label}, tooltip={tooltip}, "
            f"{_DOT_STYLE[box.kind]}];"
        )
    ports: dict[int, int] = {}
    for e in edges:
        ports[id(e.target)] = ports.get(id(e.target), 0) + 1
    for e in edges:
        label = f" [label={e.argument}]" if ports[id(e.target)] > 1 else ""
        lines.append(f"{indent}{prefix}{e.source.node.id} -> {prefix}{e.target.node.id}{label};")
    return lines


def to_dot(graph: Graph, grad_graph: Graph | None = None) -> str:
    """Graphviz dot text for ``graph`` (and ``grad_graph`` beside it, when given).

    Render it with ``dot -Tsvg graph.dot -o graph.svg``. Edges into a node with several
    inputs are labelled with the argument position.
    """
    lines = [
        f"digraph {_dot_string(graph.name)} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fontname="monospace", fontsize=10];',
        '  edge [fontname="monospace", fontsize=8, color="#7d879a"];',
    ]
    if grad_graph is None:
        lines += _dot_body(graph, "n", "  ")
    else:
        for prefix, title, g in (("f", "forward", graph), ("g", "gradient", grad_graph)):
            lines.append(f"  subgraph cluster_{title} {{")
            lines.append(f"    label={_dot_string(f'{title} graph: {g.name}')};")
            lines += _dot_body(g, prefix, "    ")
            lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"
