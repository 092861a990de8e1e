"""The graph viewer at scale: groups, the forward/adjoint link, the layout engines, and the page
driven in a real headless browser (search, selection, the default view of larger graphs)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from test_render import _chromium, _png_pixels, hand_gradient, hand_graph, needs_chromium

import pullback as pb
from pullback.graph import layout
from pullback.graph.groups import grouping
from pullback.graph.render import to_html


def mlp(W1, b1, W2, b2, X, T):
    return np.mean((np.tanh(X @ W1 + b1) @ W2 + b2 - T) ** 2)


def rnn(Wx, Wh, b, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h**2)


RNG = np.random.default_rng(7)
MLP_ARGS = (RNG.standard_normal((3, 8)), np.zeros(8), RNG.standard_normal((8, 2)), np.zeros(2),
            RNG.standard_normal((16, 3)), RNG.standard_normal((16, 2)))  # fmt: skip
RNN_ARGS = (RNG.standard_normal((3, 4)), RNG.standard_normal((4, 4)), np.zeros(4),
            RNG.standard_normal((10, 3)), np.zeros(4))  # fmt: skip
needs_dot = pytest.mark.skipif(layout.dot_program() is None, reason="graphviz's dot is absent")


@pytest.fixture(scope="module")
def rnn_graphs():
    forward = pb.trace(rnn, *RNN_ARGS)
    return forward, pb.gradients(forward)


@pytest.fixture
def no_dot(monkeypatch):
    monkeypatch.setattr(layout, "dot_program", lambda: None)


def _attrs(page: str, tag_class: str) -> list[dict[str, str]]:
    """The attributes of every ``<g class="{tag_class} ...">`` element of a page."""
    out = []
    for match in re.finditer(rf'<g class="{tag_class}\b[^"]*"([^>]*)>', page):
        out.append(dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(0))))
    return out


# -- what the viewer is built from --------------------------------------------------------------


def test_every_gradient_node_names_the_forward_node_it_differentiates(rnn_graphs):
    forward, gradient = rnn_graphs
    forward_ids = {n.id for n in forward.nodes}
    own = [n for n in gradient.nodes if n.id not in forward_ids]
    assert own and all(n.forward in forward_ids for n in own)
    tanh = [n for n in forward.nodes if n.op == "numpy.tanh"]
    assert len(tanh) == 10
    for node in tanh:  # each step's tanh has its own adjoint nodes, on its own line
        adjoint = [n for n in own if n.forward == node.id]
        assert adjoint and {n.lineno for n in adjoint} == {node.lineno}


def test_an_rnn_is_grouped_by_function_loop_and_step(rnn_graphs):
    forward, gradient = rnn_graphs
    groups = grouping(forward)
    (function,) = groups.roots
    assert function.kind == "function" and function.label == "def rnn"
    (loop,) = [g for g in function.children if g.kind == "loop"]
    assert loop.steps == 10 and "for t in range(xs.shape[0])" in loop.label
    steps = [g for g in loop.children if g.kind == "step"]
    assert [len(s.members) for s in steps] == [6] * 10  # getitem, 2 matmul, 2 add, tanh
    assert steps[2].label.startswith("step 3")
    backward = grouping(gradient, forward)
    adjoint_steps = [g for g in backward.all() if g.kind == "step" and g.adjoint]
    assert len(adjoint_steps) == 10
    assert adjoint_steps[0].label.startswith("adjoint of step 10")  # the sweep runs backwards


def branchy(W, U, xs, h):
    for t in range(xs.shape[0]):
        z = W @ h + U @ xs[t]
        if t % 2 == 0:
            h = np.tanh(z)
        else:
            h = np.maximum(z, 0.0)
    return np.sum(h * h)


def test_a_loop_body_of_several_statements_is_cut_where_it_starts_again():
    args = (RNG.standard_normal((3, 3)), RNG.standard_normal((3, 2)),
            RNG.standard_normal((6, 2)), np.zeros(3))  # fmt: skip
    graph = pb.trace(branchy, *args)
    op_of = {n.id: n.op for n in graph.nodes}
    (loop,) = [g for g in grouping(graph).all() if g.kind == "loop"]
    assert loop.steps == 6  # not 3 steps of two iterations each (the branch alternates)
    ops = [{op_of[m] for m in step.all_members()} for step in loop.children]
    assert all("numpy.tanh" in o and "numpy.maximum" not in o for o in ops[0::2])
    assert all("numpy.maximum" in o and "numpy.tanh" not in o for o in ops[1::2])


def test_the_layout_uses_dot_with_a_frame_per_group(rnn_graphs):
    if layout.dot_program() is None:
        pytest.skip("graphviz's dot is absent")
    page = to_html(*rnn_graphs)
    assert page.count('data-engine="dot"') == 2
    labels = [g["data-label"] for g in _attrs(page, "group") if g["id"].startswith("forward-")]
    assert labels[0] == "def rnn" and re.match(
        r"L\d+  for t in range\(xs.shape\[0\]\)  \(10 steps\)", labels[1]
    )
    steps = re.findall(r'<g class="group step( collapsed)?" id="forward-', page)
    assert len(steps) == 10
    assert [bool(folded) for folded in steps] == [False] + [True] * 8 + [False]
    adjoint = re.findall(r'<g class="group step adjoint( collapsed)?" id="gradient-', page)
    assert len(adjoint) == 10  # the gradient graph's steps are framed (and folded) too


def test_the_fallback_layout_keeps_boxes_apart(no_dot):
    from test_render import boxes, svgs

    forward = pb.trace(mlp, *MLP_ARGS)
    for svg in svgs(to_html(forward)):
        drawn = boxes(svg)
        for i, (l1, t1, r1, b1) in enumerate(drawn):
            for l2, t2, r2, b2 in drawn[i + 1 :]:
                assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, "boxes overlap"


@needs_dot
def test_a_long_loop_is_laid_out_by_dot_in_time():
    xs = RNG.standard_normal((30, 3))
    forward = pb.trace(rnn, RNN_ARGS[0], RNN_ARGS[1], RNN_ARGS[2], xs, RNN_ARGS[4])
    gradient = pb.gradients(forward)
    assert len(gradient.nodes) > 500
    page = to_html(forward, gradient)  # dot within its time limit, not the fallback
    assert page.count('data-engine="dot"') == 2
    assert len(re.findall(r'<g class="group step adjoint', page)) == 30  # no frame overlapped


def test_without_dot_the_hand_layout_draws_the_page(rnn_graphs, no_dot):
    page = to_html(*rnn_graphs)
    assert page.count('data-engine="fallback"') == 2 and 'data-engine="dot"' not in page
    assert not _attrs(page, "group")  # no frames, but the nodes keep their groups
    nodes = _attrs(page, "node")
    ops = [n for n in nodes if n["class"] == "node op"]
    assert len(ops) > 100 and all(n["data-groups"] for n in ops)


def test_a_failing_dot_falls_back_too(monkeypatch):
    monkeypatch.setattr(layout, "dot_program", lambda: "/bin/false")
    graph = hand_graph()
    assert 'data-engine="fallback"' in to_html(graph, hand_gradient(graph))


def test_the_inline_data_escapes_user_text():
    graph = hand_graph()
    page = to_html(graph, hand_gradient(graph))
    (data,) = re.findall(r'<script type="application/json" id="pb-data">(.*?)</script>', page)
    assert "<" not in data and ">" not in data and "&" not in data
    facts = json.loads(data)
    assert "<script>alert('&')</script>" in facts["forward"]["2"]["line"]  # read back intact
    assert facts["gradient"]["12"]["call"] == "x_bar = add(v11, v11)"


# -- in a real browser --------------------------------------------------------------------------


def _dom(page: str, tmp_path: Path, fragment: str = "") -> str:
    path = tmp_path / "graph.html"
    path.write_text(page, encoding="utf-8")
    done = _chromium("--dump-dom", path.as_uri() + fragment, profile=tmp_path / "profile")
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'data-ready="1"' in done.stdout, "the page's script did not finish"
    return done.stdout


def _body(dom: str) -> dict[str, str]:
    tag = re.search(r"<body\b[^>]*>", dom).group(0)
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def _classes(dom: str, element_id: str) -> set[str]:
    match = re.search(rf'<g class="([^"]*)" id="{re.escape(element_id)}"', dom)
    assert match, element_id
    return set(match.group(1).split())


@needs_chromium
def test_selecting_a_forward_node_lights_its_adjoint_nodes(rnn_graphs, tmp_path):
    forward, gradient = rnn_graphs
    tanh = [n for n in forward.nodes if n.op == "numpy.tanh"][4]  # step 5: folded at first
    page = to_html(forward, gradient)
    dom = _dom(page, tmp_path, f"#node=forward-{tanh.id}")
    body = _body(dom)
    assert body["data-selected"] == f"forward-{tanh.id}"
    assert "selected" in _classes(dom, f"forward-{tanh.id}")
    lit = set(body["data-linked"].split())
    adjoint = {f"gradient-{n.id}" for n in gradient.nodes if n.forward == tanh.id}
    assert adjoint and adjoint <= lit
    for element in adjoint:
        assert {"linked"} <= _classes(dom, element) and "hidden" not in _classes(dom, element)
    inspector = re.search(r'<aside id="pb-inspector"[^>]*>(.*?)</aside>', dom, flags=re.S)
    assert "open" in inspector.group(0).split(">")[0]
    text = re.sub(r"<[^>]+>", " ", inspector.group(1))
    assert "np.tanh" in text and "(4,)" in text and "float64" in text and "L" in text
    assert "h = np.tanh(xs[t] @ Wx + h @ Wh + b)" in text.replace("&amp;", "&")


@needs_chromium
def test_selecting_a_gradient_node_lights_its_forward_node(rnn_graphs, tmp_path):
    forward, gradient = rnn_graphs
    forward_ids = {n.id for n in forward.nodes}
    node = next(n for n in gradient.nodes if n.id not in forward_ids and n.op == "operator.mul")
    dom = _dom(to_html(forward, gradient), tmp_path, f"#node=gradient-{node.id}")
    lit = set(_body(dom)["data-linked"].split())
    assert f"forward-{node.forward}" in lit
    assert "linked" in _classes(dom, f"forward-{node.forward}")


@needs_chromium
def test_hovering_a_forward_node_lights_its_adjoint_nodes(rnn_graphs, tmp_path):
    forward, gradient = rnn_graphs
    tanh = [n for n in forward.nodes if n.op == "numpy.tanh"][-1]  # the last step: open
    dom = _dom(to_html(forward, gradient), tmp_path, f"#hover=forward-{tanh.id}")
    adjoint = [n for n in gradient.nodes if n.forward == tanh.id]
    assert adjoint
    for node in adjoint:
        assert "peer" in _classes(dom, f"gradient-{node.id}")
        assert "hidden" not in _classes(dom, f"gradient-{node.id}")
    assert "peer" not in _classes(dom, f"forward-{tanh.id}")  # itself: no counterpart
    assert "data-selected" not in re.search(r"<body\b[^>]*>", dom).group(0)


@needs_chromium
def test_search_highlights_the_matches_and_counts_them(rnn_graphs, tmp_path):
    page = to_html(*rnn_graphs)
    expected = sum("np.tanh" in n["data-search"] for n in _attrs(page, "node"))
    dom = _dom(page, tmp_path, "#search=np.tanh")
    assert _body(dom)["data-matches"] == str(expected) and expected >= 10
    tags = re.findall(r'<g class="(node[^"]*)"[^>]*data-search="([^"]*)"', dom)
    assert sum("match" in c.split() for c, _ in tags) == expected
    assert all("np.tanh" in s for c, s in tags if "match" in c.split())
    assert not any("hidden" in c.split() for c, _ in tags if "match" in c.split())
    assert 'id="pb-matches">' in dom and f"{expected} matches" in dom


@needs_chromium
def test_the_fallback_page_works_in_the_browser(rnn_graphs, tmp_path, no_dot):
    forward, gradient = rnn_graphs
    page = to_html(forward, gradient)
    node = [n for n in forward.nodes if n.op == "numpy.tanh"][0]
    dom = _dom(page, tmp_path, f"#search=matmul&node=forward-{node.id}")
    body = _body(dom)
    assert int(body["data-matches"]) >= 20 and body["data-selected"] == f"forward-{node.id}"
    assert any(e.startswith("gradient-") for e in body["data-linked"].split())


# Injected after the viewer's script: how the default view shows each panel.
MEASURE = """<script>
const out = {};
for (const svg of document.querySelectorAll('svg.graph')) {
  const view = svg.closest('.viewport').getBoundingClientRect();
  let shown = 0, outputs = 0, smallest = 99;
  for (const g of svg.querySelectorAll('g.node')) {
    const r = g.getBoundingClientRect();
    if (r.width === 0) continue;
    const inside = r.left >= view.left - 1 && r.right <= view.right + 1 &&
                   r.top >= view.top - 1 && r.bottom <= view.bottom + 1;
    if (!inside) continue;
    shown += 1;
    if (g.classList.contains('output')) outputs += 1;
    for (const t of g.querySelectorAll('text'))
      smallest = Math.min(smallest, parseFloat(getComputedStyle(t).fontSize) * +svg.dataset.scale);
  }
  out[svg.id] = {shown: shown, outputs: outputs, smallest_font: smallest};
}
document.body.setAttribute('data-report', JSON.stringify(out));
</script>"""


def _shots_dir(tmp_path: Path) -> Path:
    keep = os.environ.get("PULLBACK_VIEWER_SHOTS")  # keep the screenshots to look at them
    path = Path(keep) if keep else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


@needs_chromium
@pytest.mark.parametrize("name", ["mlp", "rnn"])
def test_larger_graphs_are_readable_at_the_default_view(name, tmp_path):
    fn, args = (mlp, MLP_ARGS) if name == "mlp" else (rnn, RNN_ARGS)
    page = pb.trace(fn, *args).to_html()
    measured = tmp_path / "measured.html"
    measured.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    flags = ("--window-size=1400,900", "--dump-dom", measured.as_uri())
    done = _chromium(*flags, profile=tmp_path / "profile")
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(re.search(r'data-report="([^"]*)"', done.stdout).group(1).replace(
        "&quot;", '"'))  # fmt: skip
    for panel in ("forward-svg", "gradient-svg"):
        seen = report[panel]
        assert seen["shown"] >= 6, (panel, seen)  # whole boxes on screen, not a blank start
        assert seen["outputs"] >= 1, (panel, seen)  # the view starts on the outputs
        assert seen["smallest_font"] >= 7.5, (panel, seen)  # legible text
    shot = _shots_dir(tmp_path) / f"{name}.png"
    flags = (f"--screenshot={shot}", "--window-size=1400,900", measured.as_uri())
    done = _chromium(*flags, profile=tmp_path / "profile")
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (1400, 900) and len(set(pixels)) > 50
