"""Placing a graph drawing: Graphviz ``dot`` when it is installed, a hand-written layout if not.

In: the boxes and edges of ``boxes.graph_boxes`` and the node groups of ``groups.grouping``.
Out: ``lay_out(boxes, edges, grouping) -> Drawing``: each box's ``x``/``y`` (its top-left
corner, in pixels, y down), each edge's SVG ``path``, a frame per group, the drawing's size,
and which engine placed it.

How the layout is chosen: when the ``dot`` program is on ``PATH`` (Debian's ``graphviz``), the
graph goes to it as dot text, each box a fixed-size node of its drawn size, each function and
loop group a (nested) cluster, and invisible edges that stack a loop's steps (and a function's
lines) one below the other; its layout is read back with ``dot -Tjson0``: node centres,
cluster bounding boxes and edge splines, flipped to y-down. Steps and lines get frames drawn
around their nodes. When ``dot`` is absent, fails, or takes longer than ``_DOT_SECONDS`` (a
graph of a thousand nodes or more), ``handlayout.hand_layout`` places the boxes instead
(layers, barycentre ordering) and the groups get no frames: the page still works, its groups
then only name each node's place in the inspector and cannot be folded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field

from .boxes import Box, Edge
from .groups import Group, Grouping
from .handlayout import MARGIN, hand_layout

__all__ = ["Drawing", "Frame", "lay_out", "dot_program"]

_POINTS = 72.0  # dot measures in inches; one point is one pixel of the drawing
_DOT_SECONDS = 30
# Groups that become dot clusters. Loop steps and source lines do not: as clusters, dot sets a
# loop's steps in a staircase (each step beside the last); their frames are drawn around their
# nodes instead, after the layout (the stacking edges keep each step in its own band of ranks).
_CLUSTERS = ("function", "loop")
_FRAME_PAD = 6
_FRAME_LABEL = 17


@dataclass
class Frame:
    group: Group
    x: float
    y: float
    width: float
    height: float


@dataclass
class Drawing:
    boxes: list[Box]
    edges: list[Edge]
    width: float
    height: float
    engine: str  # "dot" or "fallback"
    frames: list[Frame] = field(default_factory=list)


def dot_program() -> str | None:
    """The path of Graphviz's ``dot``, or None (tests replace this to force the fallback)."""
    return shutil.which("dot")


def lay_out(boxes: list[Box], edges: list[Edge], grouping: Grouping | None = None) -> Drawing:
    """Place the drawing with ``dot`` if it runs, else with the hand-written layout."""
    program = dot_program()
    if program is not None and boxes:
        drawing = _with_dot(program, boxes, edges, grouping)
        if drawing is not None:
            return drawing
    width, height = hand_layout(boxes, edges)
    return Drawing(boxes, edges, width, height, "fallback")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def layout_dot(boxes: list[Box], edges: list[Edge], grouping: Grouping | None) -> str:
    """The dot text handed to ``dot`` for the layout: sizes, clusters, edges (no labels)."""
    lines = [
        "digraph layout {",
        "  graph [rankdir=TB, nodesep=0.22, ranksep=0.42, ordering=in, fontsize=11,",
        '         fontname="DejaVu Sans Mono", labeljust=l, labelloc=t, margin=0];',
        '  node [shape=box, fixedsize=true, label=""];',
        "  edge [arrowsize=0.6];",
    ]
    inside: dict[str, list[Box]] = {}
    loose: list[Box] = []
    for box in boxes:
        group = grouping.of_node.get(box.home) if grouping else None
        (inside.setdefault(group.id, []) if group else loose).append(box)

    def node_line(box: Box, indent: str) -> str:
        w, h = box.width / _POINTS, box.height / _POINTS
        return f"{indent}n{box.key} [width={w:.4f}, height={h:.4f}];"

    def cluster(group: Group, indent: str) -> None:
        framed = group.kind in _CLUSTERS
        inner = indent + "  " if framed else indent
        if framed:  # a second label line leaves room for the title of a frame inside
            label = _quoted(group.label)
            if any(c.kind not in _CLUSTERS for c in group.children):
                label = label[:-1] + '\\n "'
            lines.append(f"{indent}subgraph cluster_{group.id} {{")
            lines.append(f"{inner}label={label}; margin=8;")
        for box in inside.get(group.id, []):
            lines.append(node_line(box, inner))
        if framed:
            lines.extend(inner + gap for gap in gaps.get(group.id, []))
        for child in group.children:
            cluster(child, inner)
        if framed:
            lines.append(f"{indent}}}")

    gaps, stacking = _stacking(boxes, edges, grouping)
    for root in grouping.roots if grouping else []:
        cluster(root, "  ")
    lines += [node_line(box, "  ") for box in loose]
    lines += ["  " + gap for gap in gaps.get(None, [])]
    for k, e in enumerate(edges):
        weight = ""
        if grouping is not None:  # a value carried from one loop step to the next: keep it straight
            a, b = grouping.of_node.get(e.source.home), grouping.of_node.get(e.target.home)
            if a is not None and b is not None and a is not b and "step" == a.kind == b.kind:
                weight = ", weight=12"
        lines.append(f"  n{e.source.key} -> n{e.target.key} [id=e{k}{weight}];")
    lines += stacking
    lines.append("}")
    return "\n".join(lines) + "\n"


def _stacking(
    boxes: list[Box], edges: list[Edge], grouping: Grouping | None
) -> tuple[dict, list[str]]:
    """Invisible edges from the last ranks of each step (or line) group, through an invisible
    point, to the first ranks of the next sibling: each group then lies in a band of ranks of
    its own, below the one before (one point per pair keeps dot fast: sinks + sources edges,
    not sinks x sources). Returns the points by the cluster that must hold them (dot ranks a
    cluster's nodes apart from the rest: a point outside it would not order its ranks), and
    the edges.

    Without them a loop step's nodes that do not read the previous step (``xs[t] @ Wx``) rise
    into the ranks of earlier steps and the frames drawn around the steps would overlap.
    """
    if grouping is None:
        return {}, []
    above: dict[int, list[Group]] = {}  # box -> its groups, innermost first
    under: dict[int, list[Box]] = {}  # group -> the boxes inside it, at any depth
    for box in boxes:
        chain, group = [], grouping.of_node.get(box.home)
        while group is not None:
            chain.append(group)
            under.setdefault(id(group), []).append(box)
            group = group.parent
        above[id(box)] = chain
    has_pred: set[tuple[int, int]] = set()  # (group, box): the box reads a box of the group
    has_succ: set[tuple[int, int]] = set()
    for e in edges:
        common = {id(g) for g in above[id(e.source)]} & {id(g) for g in above[id(e.target)]}
        for g in common:
            has_succ.add((g, id(e.source)))
            has_pred.add((g, id(e.target)))
    position = {id(box): k for k, box in enumerate(boxes)}
    lines: list[str] = []
    gaps: dict[str | None, list[str]] = {}
    for parent in grouping.all():
        holder = parent
        while holder is not None and holder.kind not in _CLUSTERS:
            holder = holder.parent
        steps = [c for c in parent.children if c.kind not in _CLUSTERS]
        for first, second in zip(steps, steps[1:], strict=False):
            a = under.get(id(first), [])
            b = under.get(id(second), [])
            a_nodes = [position[id(x)] for x in a if not x.is_reference]
            b_nodes = [position[id(x)] for x in b if not x.is_reference]
            if not a_nodes or not b_nodes or max(a_nodes) > min(b_nodes):
                continue  # interleaved in the recording order: left to dot
            sinks = [x for x in a if (id(first), id(x)) not in has_succ]
            sources = [y for y in b if (id(second), id(y)) not in has_pred]
            gap = f"gap{len(lines)}"
            gaps.setdefault(holder.id if holder else None, []).append(
                f"{gap} [shape=point, width=0, height=0, style=invis];"
            )
            lines += [f"  n{x.key} -> {gap} [style=invis, weight=0];" for x in sinks]
            lines += [f"  {gap} -> n{y.key} [style=invis, weight=0];" for y in sources]
    return gaps, lines


def _run(program: str, text: str) -> dict | str:
    """dot's layout as JSON, or why there is none: "timeout" or "failed"."""
    try:
        done = subprocess.run(
            [program, "-Tjson0"], input=text, capture_output=True, text=True,
            timeout=_DOT_SECONDS,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "timeout"
    except (OSError, subprocess.SubprocessError):
        return "failed"
    if done.returncode != 0:
        return "failed"
    try:
        return json.loads(done.stdout)
    except ValueError:
        return "failed"


def _with_dot(program, boxes, edges, grouping) -> Drawing | None:
    text = layout_dot(boxes, edges, grouping)
    laid = _run(program, text)
    if laid == "failed":  # ``ordering=in`` trips some dot versions with clusters: try without
        laid = _run(program, text.replace(" ordering=in,", ""))
    if isinstance(laid, str):  # (a timeout is not tried again: it would take as long)
        return None
    try:
        return _read_back(laid, boxes, edges, grouping)
    except (KeyError, ValueError, IndexError):
        return None


def _numbers(text: str) -> list[float]:
    return [float(v) for v in text.split(",")]


def _read_back(laid: dict, boxes, edges, grouping) -> Drawing:
    _, _, right, top = _numbers(laid["bb"])
    width, height = right + 2 * MARGIN, top + 2 * MARGIN

    def point(x: float, y: float) -> tuple[float, float]:
        return x + MARGIN, top - y + MARGIN

    by_name = {o["name"]: o for o in laid.get("objects", [])}
    for box in boxes:
        cx, cy = point(*_numbers(by_name[f"n{box.key}"]["pos"]))
        box.x, box.y = cx - box.width / 2, cy - box.height / 2
    frames = []
    for group in grouping.all() if grouping else []:
        found = by_name.get(f"cluster_{group.id}")
        if found is None or "bb" not in found:
            continue
        x0, y0, x1, y1 = _numbers(found["bb"])
        left, upper = point(x0, y1)
        frames.append(Frame(group, left, upper, x1 - x0, y1 - y0))
    frames += _member_frames(boxes, grouping)
    paths = {e["id"]: e["pos"] for e in laid.get("edges", []) if "id" in e and "pos" in e}
    for k, e in enumerate(edges):
        e.path = _spline(paths.get(f"e{k}"), e, point)
    return Drawing(boxes, edges, width, height, "dot", frames)


def _member_frames(boxes: list[Box], grouping: Grouping | None) -> list[Frame]:
    """Frames around the boxes of each group that was not a dot cluster (steps, lines)."""
    if grouping is None:
        return []
    home: dict[int, list[Box]] = {}
    for box in boxes:
        home.setdefault(box.home, []).append(box)
    frames = []
    for group in grouping.all():
        if group.kind in _CLUSTERS:
            continue
        mine = [b for m in group.all_members() for b in home.get(m, [])]
        if not mine:
            continue
        levels = 1 + _height(group)  # a frame holding frames is that much larger
        x0 = max(min(b.x for b in mine) - _FRAME_PAD * levels, 1.0)
        y0 = max(min(b.y for b in mine) - _FRAME_LABEL * levels, 1.0)
        x1 = max(b.x + b.width for b in mine) + _FRAME_PAD * levels
        y1 = max(b.y + b.height for b in mine) + _FRAME_PAD * levels
        frame = Frame(group, x0, y0, x1 - x0, y1 - y0)
        if not any(_overlap(frame, f) for f in frames if f.group.parent is group.parent):
            frames.append(frame)  # (an overlapping one is left out: its nodes stay unframed)
    return frames


def _overlap(a: Frame, b: Frame) -> bool:
    return not (
        a.x + a.width <= b.x
        or b.x + b.width <= a.x
        or a.y + a.height <= b.y
        or b.y + b.height <= a.y
    )


def _height(group: Group) -> int:
    """How many levels of non-cluster groups ``group`` holds below it."""
    inner = [c for c in group.children if c.kind not in _CLUSTERS]
    return 1 + max(_height(c) for c in inner) if inner else 0


def _spline(pos: str | None, edge: Edge, point) -> str:
    """A dot edge spline (``e,x,y p0 p1 p2 p3 ...``) as an SVG path ending at the arrow tip."""
    src, dst = edge.source, edge.target
    tip = (dst.center, dst.y - 1)
    if not pos:
        start = (src.center, src.y + src.height)
        return f"M{start[0]:.1f},{start[1]:.1f} L{tip[0]:.1f},{tip[1]:.1f}"
    points, end = [], None
    for token in pos.split():
        if token.startswith("e,"):
            end = point(*_numbers(token[2:]))
        elif not token.startswith("s,"):
            points.append(point(*_numbers(token)))
    d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    for k in range(1, len(points) - 2, 3):
        (x1, y1), (x2, y2), (x3, y3) = points[k : k + 3]
        d += f" C{x1:.1f},{y1:.1f} {x2:.1f},{y2:.1f} {x3:.1f},{y3:.1f}"
    if end is not None:
        x, y = end
        if dst.x <= x <= dst.x + dst.width and dst.y - 1 < y < dst.y + 3:  # on the box's top
            y = dst.y - 1
        d += f" L{x:.1f},{y:.1f}"
    return d
