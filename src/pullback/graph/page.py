"""Drawing a laid-out graph as SVG, and the viewer page around the forward and gradient graphs.

In: a ``Graph`` (and its gradient graph), drawn with ``boxes``, grouped with ``groups`` and
placed with ``layout`` (``dot`` or the fallback).
Out: ``svg(graph, prefix, ...) -> str`` (one drawing: group frames, edges, node boxes) and
``page(graph, grad_graph, note) -> str``: one self-contained HTML page, no network, with a small
inline script (``script.py``) for zoom, pan, search, collapsing groups, the node inspector and
the lighting of a forward node together with its adjoint nodes. Every string from the user
(names, source lines, constants, group labels) is escaped: ``html.escape`` in markup, and
``<``, ``>``, ``&`` written as ``\\u003c`` ... in the inline JSON.
"""

from __future__ import annotations

import html
import json

from .boxes import (
    LINE_HEIGHT,
    PAD_X,
    PAD_Y,
    backward_boxes,
    details,
    graph_boxes,
    spread_inputs,
    tooltip,
)
from .groups import Grouping, grouping
from .ir import Graph
from .layout import Drawing, lay_out
from .script import SCRIPT

__all__ = ["svg", "page", "FONT", "SVG_CSS"]

FONT = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"
_MIN_STEPS_TO_FOLD = 4  # a loop of this many steps starts with its middle steps collapsed
_esc = html.escape


def _collapsed_by_default(groups: Grouping) -> set[str]:
    """The middle steps of every long loop: the first and last stay open."""
    folded = set()
    for g in groups.all():
        steps = [c for c in g.children if c.kind == "step"]
        if len(steps) >= _MIN_STEPS_TO_FOLD:
            folded.update(s.id for s in steps[1:-1])
    return folded


def _ancestors(group) -> list:
    out = []
    while group is not None:
        out.append(group)
        group = group.parent
    return out


def _summary_texts(group, x: float, y: float, w: float, h: float) -> str:
    """What a folded frame says, at its top and (when tall) its bottom, so a view showing only
    one end of it still says what it is."""
    count = len(group.all_members())
    name = _esc(group.label.split("  ")[0])  # "step 3", without its source line
    text = f"{name} · {count} operation{'s' if count != 1 else ''} folded · click to open"
    spots = [y + 20 + min(30, max(h - 20, 10) / 2 + 4)]
    if h > 140:
        spots.append(y + h - 14)
    return "".join(
        f'<text x="{x + w / 2:.1f}" y="{at:.1f}" text-anchor="middle">{text}</text>' for at in spots
    )


def _frames_svg(drawing: Drawing, prefix: str, folded: set[str]) -> list[str]:
    out = ['<g class="frames">']
    for frame in sorted(drawing.frames, key=lambda f: f.group.depth()):
        g = frame.group
        count = len(g.all_members())
        kind = g.kind + (" adjoint" if g.adjoint else "")
        state = " collapsed" if g.id in folded else ""
        parent = f' data-parent="{prefix}-{g.parent.id}"' if g.parent else ""
        mark = "▸" if g.id in folded else "▾"
        x, y, w, h = frame.x, frame.y, frame.width, frame.height
        out.append(
            f'<g class="group {kind}{state}" id="{prefix}-{g.id}" data-group="{g.id}"'
            f'{parent} data-count="{count}" data-label="{_esc(g.label)}">'
            f'<rect class="frame" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            'rx="8" ry="8"/>'
            f'<text class="group-label" x="{x + 7:.1f}" y="{y + 14:.1f}">{mark} {_esc(g.label)}'
            f"</text>"
            f'<g class="summary"><rect x="{x:.1f}" y="{y + 20:.1f}" width="{w:.1f}" '
            f'height="{max(h - 20, 10):.1f}" rx="8" ry="8"/>{_summary_texts(g, x, y, w, h)}</g>'
            "</g>"
        )
    out.append("</g>")
    return out


def svg(graph: Graph, prefix: str, forward: Graph | None = None, *, folding: bool = False) -> str:
    """One graph laid out as an inline ``<svg>``; ``forward``: the graph it differentiates
    (its own nodes are then drawn, and the forward values they read as references)."""
    return _drawn(graph, prefix, forward, grouping(graph, forward), folding)[0]


def _drawn(
    graph: Graph, prefix: str, forward: Graph | None, groups: Grouping, folding: bool
) -> tuple[str, float]:
    """The ``<svg>`` text and the drawing's width."""
    group_of = groups.of_node.get
    if forward is None:
        boxes, edges = spread_inputs(*graph_boxes(graph), group_of)
    else:
        boxes, edges = spread_inputs(*backward_boxes(graph, forward, group_of), group_of)
    drawing = lay_out(boxes, edges, groups)
    folded = _collapsed_by_default(groups) if folding and drawing.frames else set()
    w, h = drawing.width, drawing.height
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" id="{prefix}-svg" '
        f'width="{w:.0f}" height="{h:.0f}" data-engine="{drawing.engine}" '
        f'xml:space="preserve" role="img" aria-label="{_esc(graph.name)}">',
        f'<defs><marker id="{prefix}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
        '<g class="camera">',
    ]
    out += _frames_svg(drawing, prefix, folded)
    out.append('<g class="edges">')
    for e in edges:
        src, dst = e.source.node, e.target.node
        title = f"{src.label} → {dst.label} (argument {e.argument})"
        out.append(
            f'<path class="edge" d="{e.path}" data-from="{e.source.key}" data-to="{e.target.key}" '
            f'marker-end="url(#{prefix}-arrow)"><title>{_esc(title)}</title></path>'
        )
    out.append('</g><g class="nodes">')
    outputs = {id(n) for n in graph.output_nodes()}
    for box in boxes:
        node = box.node
        group = groups.of_node.get(box.home)
        member_of = " ".join(f"{prefix}-{g.id}" for g in _ancestors(group))
        linked = f' data-forward="{node.forward}"' if node.forward is not None else ""
        if box.is_reference:
            linked = f' data-ref="{node.id}"'
        words = " ".join(t for _, t in box.lines) + " " + node.label
        if id(node) in outputs:
            words += " output"
        out.append(
            f'<g class="node {box.kind}" id="{prefix}-{box.key}" data-node="{node.id}"{linked} '
            f'data-groups="{member_of}" data-search="{_esc(words.lower())}" '
            f'transform="translate({box.x:.1f},{box.y:.1f})">'
        )
        out.append(f"<title>{_esc(tooltip(node))}</title>")
        out.append(f'<rect width="{box.width:.1f}" height="{box.height:.1f}" rx="6" ry="6"/>')
        y = PAD_Y
        for style, text in box.lines:
            y += LINE_HEIGHT[style]
            out.append(f'<text class="{style}" x="{PAD_X}" y="{y - 4}">{_esc(text)}</text>')
        out.append("</g>")
    out.append("</g></g></svg>")
    return "\n".join(out), w


def _node_data(graph: Graph, forward: Graph | None, groups: Grouping) -> dict:
    """What the inspector shows per node id, with each node's group path as text."""
    label_of = {n.id: n.label for n in forward.nodes} if forward is not None else {}
    data = {}
    seen = set()
    for node in [*graph.inputs, *graph.nodes]:
        if node.id in seen:
            continue
        seen.add(node.id)
        info = details(node)
        group = groups.of_node.get(node.id)
        if group is not None:
            info["group"] = " › ".join(g.label for g in reversed(_ancestors(group)))
        if node.forward is not None:
            name = label_of.get(node.forward, f"v{node.forward}")
            info["adjoint of"] = f"{name} (forward node {node.forward})"
        data[str(node.id)] = info
    return data


def _json(value) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


SVG_CSS = f"""
svg.graph text {{ font-family: {FONT}; fill: #1d2330; white-space: pre; }}
svg.graph text.title {{ font-size: 12.5px; font-weight: bold; }}
svg.graph text.text {{ font-size: 11.5px; }}
svg.graph text.source {{ font-size: 10.5px; fill: #5b6475; }}
svg.graph .node rect {{ fill: #eef3fb; stroke: #5a7bb5; stroke-width: 1.3; }}
svg.graph .node.input rect {{ fill: #e8f6ec; stroke: #3f8f5a; }}
svg.graph .node.output rect {{ fill: #fff3e3; stroke: #d07a12; stroke-width: 2.2; }}
svg.graph .node.outside rect {{ fill: #f3f1f7; stroke: #8a7fa8; stroke-dasharray: 4 3; }}
svg.graph .node.nondiff rect {{ fill: #f4f4f4; stroke: #9a9a9a; stroke-dasharray: 2 2; }}
svg.graph .node.reference rect {{ fill: #f3f1f7; stroke: #8a7fa8; stroke-dasharray: 4 3; }}
svg.graph .node.reference.input rect {{ fill: #e8f6ec; stroke: #3f8f5a; }}
svg.graph .node:hover rect {{ stroke-width: 2.8; }}
svg.graph .edge {{ fill: none; stroke: #7d879a; stroke-width: 1.3; }}
svg.graph .edge:hover {{ stroke: #1d2330; stroke-width: 2.2; }}
svg.graph .arrowhead {{ fill: #7d879a; }}
svg.graph .frame {{ fill: rgba(90, 123, 181, 0.035); stroke: #b9c3d6; stroke-width: 1; }}
svg.graph .group.adjoint > .frame {{ fill: rgba(208, 122, 18, 0.035); stroke: #dcc2a0; }}
svg.graph .group-label {{ font-size: 11px; fill: #4a5263; }}
svg.graph .summary {{ display: none; }}
"""

_PAGE_CSS = f"""
* {{ box-sizing: border-box; }}
body {{ font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0;
       color: #1d2330; background: #fbfbfd; }}
header {{ padding: 10px 16px 6px 16px; }}
h1 {{ font-size: 19px; margin: 0 0 4px 0; }}
h1 code, h2 code {{ font-family: {FONT}; }}
p.legend {{ margin: 0 0 6px 0; font-size: 12.5px; color: #4a5263; }}
.swatch {{ display: inline-block; width: 11px; height: 11px; border-radius: 3px;
          vertical-align: -1px; margin: 0 4px 0 10px; border: 1.5px solid; }}
.toolbar {{ display: flex; gap: 8px; align-items: center; font-size: 13px; flex-wrap: wrap; }}
.toolbar input {{ font: 13px {FONT}; padding: 3px 6px; width: 260px; }}
.toolbar button, .panel button {{ font-size: 12px; padding: 2px 8px; cursor: pointer; }}
#pb-matches {{ color: #5b6475; }}
.panels {{ display: flex; gap: 10px; align-items: stretch; padding: 0 16px; }}
.panel {{ min-width: 0; background: #fff; border: 1px solid #d8dce6; border-radius: 8px;
          padding: 6px 8px; display: flex; flex-direction: column; }}
.panel h2 {{ font-size: 14px; margin: 0 0 4px 0; display: flex; gap: 6px;
            align-items: center; }}
.panel h2 .name {{ flex: 1 1 auto; min-width: 0; overflow: hidden; white-space: nowrap;
                  text-overflow: ellipsis; }}
.panel h2 .tools {{ flex: none; white-space: nowrap; }}
.panel .count {{ font-weight: normal; color: #5b6475; }}
.viewport {{ height: calc(100vh - 150px); min-height: 320px; overflow: hidden;
             position: relative; cursor: grab; border-radius: 6px; background: #fff; }}
.viewport.dragging {{ cursor: grabbing; }}
.viewport svg.graph {{ width: 100%; height: 100%; display: block; touch-action: none; }}
.note {{ font-size: 13px; color: #8a3b12; }}
{SVG_CSS}
svg.graph .group-label {{ cursor: pointer; }}
svg.graph .group.collapsed > .summary {{ display: inline; cursor: pointer; }}
svg.graph .group.collapsed > .summary rect {{ fill: #eef0f5; stroke: #9aa5bd;
                                              stroke-dasharray: 5 3; }}
svg.graph .group.collapsed > .summary text {{ font-size: 12px; fill: #4a5263; }}
svg.graph .group.adjoint.collapsed > .summary rect {{ fill: #f8f0e6; stroke: #c8a271; }}
svg.graph .hidden {{ display: none; }}
svg.graph .node {{ cursor: pointer; }}
svg.graph .node.match rect {{ fill: #fff6a8; stroke: #b59300; stroke-width: 2.6; }}
svg.graph.searching .node:not(.match) {{ opacity: 0.35; }}
svg.graph .node.linked rect {{ fill: #ffe0ef; stroke: #c2185b; stroke-width: 2.6; }}
svg.graph .node.peer rect {{ stroke: #c2185b; stroke-width: 2.6; }}
svg.graph .node.selected rect {{ fill: #ffd0e6; stroke: #8e0e45; stroke-width: 3.4; }}
svg.graph .edge.linked {{ stroke: #c2185b; stroke-width: 2; }}
#pb-inspector {{ position: fixed; right: 18px; bottom: 18px; width: 380px; max-height: 46vh;
                overflow: auto; background: #fff; border: 1px solid #9aa5bd; border-radius: 8px;
                box-shadow: 0 4px 18px rgba(0,0,0,0.15); padding: 8px 10px; font-size: 12.5px;
                display: none; }}
#pb-inspector.open {{ display: block; }}
#pb-inspector h3 {{ font: bold 13px {FONT}; margin: 0 0 6px 0; padding-right: 20px;
                   word-break: break-all; }}
#pb-inspector table {{ border-collapse: collapse; width: 100%; }}
#pb-inspector th {{ text-align: left; vertical-align: top; color: #5b6475; font-weight: normal;
                   padding: 1px 8px 1px 0; white-space: nowrap; }}
#pb-inspector td {{ font-family: {FONT}; font-size: 12px; word-break: break-all; }}
#pb-inspector .close {{ position: absolute; right: 8px; top: 4px; border: 0; background: none;
                       font-size: 16px; cursor: pointer; }}
details {{ margin: 8px 16px; font-size: 13px; }}
pre {{ font-family: {FONT}; font-size: 12px; background: #f5f6f9; padding: 8px;
       overflow: auto; }}
"""

_LEGEND = (
    '<p class="legend">Each box is one primitive call: the operation, the value\'s name and '
    "shape, and its source line. Wheel or +/− zooms, drag pans, click a node to inspect it and "
    "light its forward node and adjoint nodes together; click a group's title to fold it."
    '<span class="swatch" style="background:#e8f6ec;border-color:#3f8f5a"></span>input'
    '<span class="swatch" style="background:#eef3fb;border-color:#5a7bb5"></span>operation'
    '<span class="swatch" style="background:#fff3e3;border-color:#d07a12"></span>output'
    '<span class="swatch" style="background:#f3f1f7;border-color:#8a7fa8"></span>'
    "value from the forward graph"
    '<span class="swatch" style="background:#f4f4f4;border-color:#9a9a9a"></span>'
    "no derivative flows through</p>"
)

_TOOLBAR = (
    '<div class="toolbar"><label>search <input id="pb-search" type="search" '
    'placeholder="name, primitive or source text" autocomplete="off"></label>'
    '<span id="pb-matches"></span>'
    '<button type="button" id="pb-expand">open all groups</button>'
    '<button type="button" id="pb-fold">fold loop steps</button>'
    '<button type="button" id="pb-fit">fit all</button></div>'
)


def _panel(
    graph: Graph, title: str, prefix: str, forward: Graph | None, groups: Grouping
) -> tuple[str, str, float]:
    count = sum(1 for n in graph.nodes if n.op != "input")
    drawing, width = _drawn(graph, prefix, forward, groups, True)
    tools = (
        '<span class="tools"><button type="button" data-zoom="in" title="zoom in">+</button> '
        '<button type="button" data-zoom="out" title="zoom out">−</button> '
        '<button type="button" data-zoom="fit" title="fit to the panel">fit</button> '
        '<button type="button" data-zoom="one" title="actual size">1:1</button></span>'
    )
    section = (
        f'<section class="panel" id="{prefix}" data-prefix="{prefix}">'
        f'<h2><span class="name">{_esc(title)} <code>{_esc(graph.name)}</code> '
        f'<span class="count">({count} operation{"s" if count != 1 else ""})</span></span>'
        f'{tools}</h2><div class="viewport">{drawing}</div></section>'
    )
    listing = (
        f"<details><summary>listing of {_esc(title)} {_esc(graph.name)}</summary>"
        f"<pre>{_esc(str(graph))}</pre></details>"
    )
    return section, listing, width


def page(graph: Graph, grad_graph: Graph | None, note: str | None) -> str:
    """The whole viewer page: toolbar, the two panels, the inspector, listings, data, script."""
    sections, listings, widths = [], [], []
    data = {}
    shown = [(graph, "forward graph", "forward", None)]
    if grad_graph is not None:
        shown.append((grad_graph, "gradient graph", "gradient", graph))
    for g, title, prefix, forward in shown:
        groups = grouping(g, forward)
        data[prefix] = _node_data(g, forward, groups)
        section, listing, width = _panel(g, title, prefix, forward, groups)
        sections.append(section)
        listings.append(listing)
        widths.append(width)
    if grad_graph is None and note:
        sections.append(
            f'<section class="panel" id="gradient"><p class="note">{_esc(note)}</p></section>'
        )
        widths.append(sum(widths))
    shares = [min(max(w / sum(widths), 0.3), 0.7) for w in widths]  # wider drawings, wider panels
    sections = [
        sec.replace('class="panel"', f'class="panel" style="flex: {share:.2f} 1 0"', 1)
        for sec, share in zip(sections, shares, strict=True)
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>pullback graph: {_esc(graph.name)}</title>\n"
        f"<style>{_PAGE_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>pullback graph of <code>{_esc(graph.name)}</code></h1>\n{_LEGEND}\n"
        f"{_TOOLBAR}</header>\n"
        f'<div class="panels">\n{"".join(sections)}\n</div>\n'
        '<aside id="pb-inspector" aria-live="polite"></aside>\n'
        f"{''.join(listings)}\n"
        f'<script type="application/json" id="pb-data">{_json(data)}</script>\n'
        f'<script id="pb-script">{SCRIPT}</script>\n</body>\n</html>\n'
    )
