"""The fallback layout of a graph drawing, used when Graphviz's ``dot`` is not installed.

In: the boxes and edges of ``boxes.graph_boxes`` (sized, in topological order).
Out: ``hand_layout(boxes, edges) -> (width, height)``: every box's ``x``/``y`` set and every
edge's SVG ``path``. It does what ``dot`` does, in miniature, and draws no group frames:

1. layering: each node sits one layer below the deepest node it reads (longest path), the
   inputs on top in the order of the parameters, a reference box (``boxes.backward_boxes``)
   just above the first node that reads it;
2. an edge that skips layers is routed through a chain of invisible waypoints, one per layer;
3. ordering: nodes in a layer are sorted by the mean position of their neighbours, sweeping
   down and up a few times, which removes most edge crossings;
4. placement: each node moves towards the mean x of its neighbours; overlapping neighbours are
   merged into blocks placed at their mean (so a layer never overlaps itself);
5. edges: curves entering a node left to right in argument order.
"""

from __future__ import annotations

from itertools import pairwise

from .boxes import Box, Edge

__all__ = ["hand_layout", "MARGIN"]

_NODE_GAP = 22
_LAYER_GAP = 38
MARGIN = 18
_SWEEPS = 4


def _assign_layers(boxes: list[Box], edges: list[Edge]) -> list[list[Box]]:
    """Longest-path layering: a node sits one layer below the deepest node it reads."""
    incoming: dict[int, list[Box]] = {id(b): [] for b in boxes}
    for e in edges:
        incoming[id(e.target)].append(e.source)
    for box in boxes:  # boxes are in topological order
        box.layer = 1 + max((p.layer for p in incoming[id(box)]), default=-1)
    readers: dict[int, list[Box]] = {}
    for e in edges:
        readers.setdefault(id(e.source), []).append(e.target)
    for box in boxes:  # a reference to a forward value sits just above its first reader
        if box.is_reference and readers.get(id(box)):
            box.layer = max(min(r.layer for r in readers[id(box)]) - 1, 0)
    depth = 1 + max((b.layer for b in boxes), default=-1)
    layers: list[list[Box]] = [[] for _ in range(depth)]
    for box in boxes:
        layers[box.layer].append(box)
    for e in edges:  # route layer-skipping edges through one waypoint per layer in between
        previous = e.source
        for layer in range(e.source.layer + 1, e.target.layer):
            waypoint = Box(None, layer=layer, kind="waypoint")
            layers[layer].append(waypoint)
            e.waypoints.append(waypoint)
            previous.succs.append(waypoint)
            waypoint.preds.append(previous)
            previous = waypoint
        previous.succs.append(e.target)
        e.target.preds.append(previous)
    return layers


def _order_layers(layers: list[list[Box]]) -> None:
    """Barycenter heuristic: sort each layer below the first by the mean index of neighbours."""

    def sweep(rows: list[list[Box]], neighbours: str) -> None:
        for row in rows:

            def barycenter(box: Box, fallback: float) -> float:
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


def _place(layers: list[list[Box]]) -> tuple[float, float]:
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
    y = MARGIN
    for row in layers:
        height = max((b.height for b in row), default=0.0)
        for box in row:
            box.x += MARGIN - left
            box.y = y + (height - box.height) / 2
            if box.node is None:  # a waypoint spans its layer's height
                box.height = height
                box.y = y
        y += height + _LAYER_GAP
    return right - left + 2 * MARGIN, y - _LAYER_GAP + MARGIN


def _edge_path(edge: Edge, ports: int) -> str:
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


def hand_layout(boxes: list[Box], edges: list[Edge]) -> tuple[float, float]:
    """Place ``boxes`` and route ``edges`` (their ``path``); returns (width, height)."""
    for box in boxes:
        box.preds, box.succs, box.layer = [], [], 0
    for e in edges:
        e.waypoints = []
    layers = _assign_layers(boxes, edges)
    _order_layers(layers)
    width, height = _place(layers)
    ports: dict[int, int] = {}
    for e in edges:
        ports[id(e.target)] = max(ports.get(id(e.target), 0), e.argument + 1)
    for e in edges:
        e.path = _edge_path(e, ports[id(e.target)])
    return width, height
