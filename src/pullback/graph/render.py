"""Drawing a ``Graph``: Graphviz dot text, a viewer page, and a notebook fragment.

In: a forward ``Graph`` and optionally its gradient graph (``pb.gradients(graph)``).
Out: ``to_dot(...) -> str`` (for ``dot -Tsvg``), ``to_html(...) -> str``: one self-contained
page (no network; a small inline script) showing both graphs side by side with zoom, pan,
search, folding groups, a node inspector and a forward node lit with its adjoint nodes
(``page.py``), and ``notebook_html`` for a notebook cell (no script).

The pieces: ``boxes.py`` says what each node shows, ``groups.py`` groups the nodes by user
function, loop step and source line, ``layout.py`` places them: with Graphviz's ``dot`` (one
cluster per group) when the ``dot`` program is installed, else with the hand-written layout of
``handlayout.py`` (the fallback, which draws no group frames); ``page.py`` draws the result.
Every piece of text that comes from the user (names, source lines, constants) is escaped.
"""

from __future__ import annotations

import html
import itertools

from .boxes import graph_boxes, tooltip
from .groups import grouping
from .ir import Graph, node_type
from .page import FONT, SVG_CSS, page, svg

__all__ = ["to_dot", "to_html", "notebook_html"]


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
    note = None
    if grad_graph is None and gradient:
        grad_graph, note = _gradient_of(graph)
    return page(graph, grad_graph, note)


# -- in a notebook ------------------------------------------------------------------------------

_NOTEBOOK_CSS = f"""
.pb-graph {{ font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1d2330;
            background: #fff; border: 1px solid #d8dce6; border-radius: 8px; padding: 8px 12px;
            max-width: 100%; }}
.pb-graph .pb-head {{ font-size: 13px; margin: 0 0 6px 0; }}
.pb-graph .pb-head code, .pb-graph pre {{ font-family: {FONT}; }}
.pb-graph .pb-count {{ color: #5b6475; }}
.pb-graph .pb-scroll {{ overflow: auto; max-height: 70vh; }}
.pb-graph .pb-note {{ font-size: 13px; color: #8a3b12; margin: 4px 0; }}
.pb-graph details {{ margin-top: 6px; font-size: 12.5px; }}
.pb-graph pre {{ font-size: 12px; background: #f5f6f9; padding: 8px; margin: 4px 0 0 0;
                overflow: auto; max-height: 60vh; }}
{SVG_CSS}"""

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
        drawing = f'<div class="pb-scroll">{svg(graph, prefix)}</div>'
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


def _dot_body(graph: Graph, prefix: str, indent: str, forward: Graph | None = None) -> list[str]:
    """Nodes (inside one nested cluster per group: function, loop step, line) and edges."""
    boxes, edges = graph_boxes(graph)
    groups = grouping(graph, forward)
    inside: dict[str, list[str]] = {}
    lines: list[str] = []
    for box in boxes:
        label = _dot_string("\n".join(t for _, t in box.lines))
        tip = _dot_string(tooltip(box.node), newline="\\n")
        line = f"{prefix}{box.node.id} [label={label}, tooltip={tip}, {_DOT_STYLE[box.kind]}];"
        group = groups.of_node.get(box.node.id)
        if group is None:
            lines.append(indent + line)
        else:
            inside.setdefault(group.id, []).append(line)

    def cluster(group, pad: str) -> None:
        lines.append(f"{pad}subgraph cluster_{prefix}{group.id} {{")
        lines.append(f'{pad}  label={_dot_string(group.label)}; labeljust=l; color="#b9c3d6";')
        lines.extend(pad + "  " + line for line in inside.get(group.id, []))
        for child in group.children:
            cluster(child, pad + "  ")
        lines.append(f"{pad}}}")

    for root in groups.roots:
        cluster(root, indent)
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
    inputs are labelled with the argument position; the nodes of one user function, loop step
    or source line sit in one cluster (``groups.py``).
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
        for prefix, title, g, fw in (
            ("f", "forward", graph, None),
            ("g", "gradient", grad_graph, graph),
        ):
            lines.append(f"  subgraph cluster_{title} {{")
            lines.append(f"    label={_dot_string(f'{title} graph: {g.name}')};")
            lines += _dot_body(g, prefix, "    ", fw)
            lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"
