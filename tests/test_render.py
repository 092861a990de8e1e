"""Seeing a graph: dot text, a self-contained HTML page, and that page in a real browser."""

from __future__ import annotations

import json
import operator
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import numpy as np
import pytest

import pullback as pb
from pullback.graph import Graph, Node
from pullback.graph.render import to_dot, to_html

HERE = __file__
SVG_NS = "{http://www.w3.org/2000/svg}"


def nasty(x):
    a = x * x
    return np.log(a) if "<script>alert('&')</script>" else a  # a line with <script> and &


def _line_of(text: str) -> int:
    for number, line in enumerate(Path(HERE).read_text().splitlines(), start=1):
        if text in line and "_line_of" not in line:
            return number
    raise AssertionError(text)


def hand_graph() -> Graph:
    """``nasty`` as its tracer would record it, built by hand."""
    x = Node(0, "input", name="x", filename=HERE, lineno=_line_of("def nasty"))
    a = Node(1, "operator.mul", operator.mul, (x, x), name="a", filename=HERE,
             lineno=_line_of("a = x * x"))  # fmt: skip
    out = Node(2, "numpy.log", np.log, (a,), filename=HERE, lineno=_line_of("<script>alert"))
    return Graph([x], [x, a, out], out, name="<nasty & co>")


def hand_gradient(forward: Graph) -> Graph:
    """The gradient graph of ``hand_graph``: x_bar = (1 / a) * x + (1 / a) * x."""
    x, a, _ = forward.nodes
    a_bar = Node(10, "operator.truediv", operator.truediv, (1.0, a), name="a_bar",
                 filename=HERE, lineno=a.lineno)  # fmt: skip
    half = Node(11, "operator.mul", operator.mul, (a_bar, x), filename=HERE, lineno=a.lineno)
    x_bar = Node(12, "operator.add", operator.add, (half, half), name="x_bar", filename=HERE,
                 lineno=a.lineno)  # fmt: skip
    return Graph([x], [a_bar, half, x_bar], x_bar, name="grad_nasty")


def wide_graph() -> Graph:
    """A graph with fan-out, a layer-skipping edge and constants: exercises the layout."""
    x = Node(0, "input", name="x")
    y = Node(1, "input", name="y")
    s = Node(2, "numpy.sin", np.sin, (x,))
    c = Node(3, "numpy.cos", np.cos, (y,))
    p = Node(4, "operator.pow", operator.pow, (s, 2.0))
    m = Node(5, "operator.mul", operator.mul, (p, c))
    d = Node(6, "operator.truediv", operator.truediv, (m, x))  # x skips three layers
    e = Node(7, "operator.sub", operator.sub, (d, y))
    return Graph([x, y], [x, y, s, c, p, m, d, e], e, name="wide")


def traced_graph():
    """``nasty`` traced by pb.trace, or None while graph mode has no tracer yet."""
    trace = getattr(pb, "trace", None)
    return None if trace is None else trace(nasty, 3.0)


needs_trace = pytest.mark.skipif(
    getattr(pb, "trace", None) is None, reason="pb.trace (graph mode) is not available yet"
)


def svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def boxes(svg: ET.Element) -> list[tuple[float, float, float, float]]:
    """(left, top, right, bottom) of every node box in a drawing."""
    out = []
    for g in svg.iter(f"{SVG_NS}g"):
        if "node" not in g.get("class", "").split():
            continue
        tx, ty = map(
            float, re.match(r"translate\(([-\d.]+),([-\d.]+)\)", g.get("transform")).groups()
        )
        rect = g.find(f"{SVG_NS}rect")
        out.append((tx, ty, tx + float(rect.get("width")), ty + float(rect.get("height"))))
    return out


# -- dot -------------------------------------------------------------------------------------


def test_dot_has_every_node_and_edge():
    graph = hand_graph()
    dot = to_dot(graph)
    assert dot.startswith('digraph "<nasty & co>" {') and dot.rstrip().endswith("}")
    for node in graph.nodes:
        assert re.search(rf"^\s*n{node.id} \[label=", dot, flags=re.M)
    assert len(re.findall(r"^\s*n\d+ -> n\d+", dot, flags=re.M)) == 3  # x->a twice, a->log
    assert "L" in dot and "np.log" in dot
    assert graph.to_dot() == dot


def test_dot_puts_gradient_graph_in_its_own_cluster():
    graph = hand_graph()
    dot = to_dot(graph, hand_gradient(graph))
    assert "subgraph cluster_forward" in dot and "subgraph cluster_gradient" in dot
    assert 'label="gradient graph: grad_nasty"' in dot
    assert re.search(r"g11 -> g12 \[label=0\]", dot)  # both arguments of x_bar, labelled


def test_dot_escapes_quotes_and_backslashes():
    x = Node(0, "input", name='q"uote\\')
    dot = to_dot(Graph([x], [x], x, name='a "name"'))
    assert 'digraph "a \\"name\\"" {' in dot
    assert 'input q\\"uote\\\\' in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_graphviz_accepts_the_dot_text(tmp_path):
    graph = hand_graph()
    for text in (to_dot(graph), to_dot(graph, hand_gradient(graph)), to_dot(wide_graph())):
        done = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "<svg" in done.stdout


# -- HTML ------------------------------------------------------------------------------------


def test_html_is_self_contained():
    graph = hand_graph()
    page = to_html(graph, hand_gradient(graph))
    assert page.startswith("<!DOCTYPE html>")
    assert "<link" not in page and "@import" not in page and "src=" not in page
    scripts = re.findall(r"<script\b([^>]*)>", page)  # the data and the inline viewer only
    assert scripts == [' type="application/json" id="pb-data"', ' id="pb-script"']
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * 2
    assert all(ref.startswith("url(#") for ref in re.findall(r"url\([^)]*\)", page))
    for banned in ("fetch(", "XMLHttpRequest", "import(", "eval(", "innerHTML"):
        assert banned not in page


def test_html_escapes_everything_from_the_user():
    graph = hand_graph()
    page = to_html(graph, hand_gradient(graph))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;&amp;&#x27;)&lt;/script&gt;" in page  # the tooltip
    assert "&lt;nasty &amp; co&gt;" in page  # the graph's name
    assert "<nasty" not in page
    for svg in svgs(page):  # and the drawings parse as XML
        assert svg.tag == f"{SVG_NS}svg"


def test_html_draws_forward_and_gradient_side_by_side():
    graph = hand_graph()
    page = graph.to_html(hand_gradient(graph))
    forward, gradient = svgs(page)
    assert len(boxes(forward)) == 3 and len(boxes(gradient)) == 5  # 3 ops + x + forward a
    titles = [t.text for t in forward.iter(f"{SVG_NS}title")]
    assert any("np.log" in t and "<script>" in t for t in titles)  # escaped, then parsed back
    texts = [t.text for t in forward.iter(f"{SVG_NS}text")]
    assert "np.log" in texts and "input x" in texts and "a : f64[]" in texts
    assert any(t.startswith("L") and "x * x" in t for t in texts)  # the visible source line
    assert len(list(gradient.iter(f"{SVG_NS}path"))) >= 5  # edges, plus the arrowhead


def test_html_without_a_scalar_output_shows_the_forward_graph_alone():
    x = Node(0, "input", name="x", shape=(3,))
    y = Node(1, "numpy.sin", np.sin, (x,), shape=(3,))
    page = to_html(Graph([x], [x, y], y, name="vector"))
    assert len(svgs(page)) == 1
    assert "not a single scalar" in page


def test_layout_has_no_overlaps_and_edges_point_down():
    for graph in (wide_graph(), hand_graph(), hand_gradient(hand_graph())):
        (svg,) = svgs(to_html(graph, gradient=False))
        width, height = float(svg.get("width")), float(svg.get("height"))
        drawn = boxes(svg)
        assert len(drawn) == len(
            {id(n) for n in graph.inputs + graph.nodes}
            | {id(a) for n in graph.nodes for a in n.args if isinstance(a, Node)}
        )
        for i, (l1, t1, r1, b1) in enumerate(drawn):
            assert 0 <= l1 < r1 <= width and 0 <= t1 < b1 <= height
            for l2, t2, r2, b2 in drawn[i + 1 :]:
                assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, "boxes overlap"
        for path in svg.iter(f"{SVG_NS}path"):
            if path.get("class") != "edge":
                continue
            ys = [float(v) for v in re.findall(r"[-\d.]+,([-\d.]+)", path.get("d"))]
            assert ys[-1] > ys[0], "an edge runs upwards"
            assert path.get("marker-end", "").startswith("url(#")


def test_layer_skipping_edge_is_routed_between_boxes():
    (svg,) = svgs(to_html(wide_graph(), gradient=False))
    drawn = boxes(svg)
    for path in svg.iter(f"{SVG_NS}path"):
        if path.get("class") != "edge":
            continue
        for x, y in re.findall(r"L([-\d.]+),([-\d.]+)", path.get("d")):
            x, y = float(x), float(y)  # a vertical run through a layer misses every box
            assert not any(lf < x < rt and tp < y < bt for lf, tp, rt, bt in drawn)


# -- pb.trace graphs ----------------------------------------------------------------------------


@needs_trace
def test_traced_graph_page_escapes_the_source_line_and_adds_the_gradient():
    graph = traced_graph()
    page = graph.to_html()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert len(svgs(page)) == 2, "the gradient graph should be computed by pb.gradients"
    assert "np.log" in page or "log" in page
    dot = graph.to_dot()
    assert "log" in dot


# -- a real browser -----------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install -y chromium); "
    "the HTML page was not checked in a browser",
)

# Injected into a copy of the page: measures the drawing as the browser laid it out.
MEASURE = """<script>
const report = {svgs: 0, nodes: 0, texts_fit: true, overlaps: 0, edges: 0};
for (const svg of document.querySelectorAll('svg.graph')) {
  report.svgs += 1;
  const rects = [];
  for (const g of svg.querySelectorAll('g.node')) {
    report.nodes += 1;
    const r = g.querySelector('rect').getBoundingClientRect();
    rects.push(r);
    for (const t of g.querySelectorAll('text')) {
      const b = t.getBoundingClientRect();
      const inside = b.width > 0 && b.right <= r.right + 0.5 && b.left >= r.left - 0.5;
      if (!inside) report.texts_fit = false;
    }
  }
  for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) {
    const a = rects[i], b = rects[j];
    const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
    if (!apart) report.overlaps += 1;
  }
  report.edges += svg.querySelectorAll('path.edge').length;
}
document.body.setAttribute('data-report', JSON.stringify(report));
</script>"""


def _chromium(*flags: str, profile: Path) -> subprocess.CompletedProcess:
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", *flags,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _png_pixels(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, zlib.decompress(idat)


@needs_chromium
def test_page_renders_in_headless_chromium(tmp_path):
    graph = traced_graph()
    if graph is not None:
        page = graph.to_html()  # the gradient graph comes from pb.gradients
    else:
        graph = hand_graph()
        page = to_html(graph, hand_gradient(graph))
    html_path = tmp_path / "graph.html"
    html_path.write_text(page, encoding="utf-8")
    measured_path = tmp_path / "measured.html"
    measured_path.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")

    done = _chromium("--dump-dom", measured_path.as_uri(), profile=tmp_path / "profile")
    assert done.returncode == 0, done.stderr[-2000:]
    match = re.search(r"data-report=\"([^\"]*)\"", done.stdout)
    assert match, "the page's measuring script did not run:\n" + done.stdout[:2000]
    report = json.loads(match.group(1).replace("&quot;", '"'))
    expected = sum(len(boxes(svg)) for svg in svgs(page))
    assert report["svgs"] == 2 and report["nodes"] == expected and report["edges"] >= 4, report
    assert report["texts_fit"], "a label spills out of its box"
    assert report["overlaps"] == 0, report
    assert "&lt;script&gt;" in done.stdout and "<script>alert" not in done.stdout

    shot = tmp_path / "graph.png"
    done = _chromium(f"--screenshot={shot}", "--window-size=1200,800", html_path.as_uri(),
                     profile=tmp_path / "profile")  # fmt: skip
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (1200, 800)
    assert len(set(pixels)) > 50, "the screenshot is blank"
