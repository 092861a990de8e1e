"""In a notebook: what a cell shows for a Graph, a Tensor, a derivative and a pb.compare table.

A notebook calls ``_repr_html_()`` on the object; IPython's printer calls
``_repr_pretty_(p, cycle)``. IPython is no dependency, so a printer with ``text`` (and
``break_``, as IPython's has) stands in for it. Every HTML piece is self-contained (no scripts,
no resources from elsewhere) and escapes what the user wrote.
"""

from __future__ import annotations

import html
import inspect
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

import pullback as pb
from pullback.display import highlight, summary, type_text
from pullback.graph import Graph, Node

SRC = str(Path(pb.__file__).resolve().parents[1])


class Printer:
    """IPython's RepresentationPrinter, as far as ``_repr_pretty_`` uses it."""

    def __init__(self, breaks: bool = True):
        self.parts: list[str] = []
        if breaks:
            self.break_ = lambda: self.parts.append("\n")

    def text(self, s: str) -> None:
        self.parts.append(s)

    @property
    def value(self) -> str:
        return "".join(self.parts)


def pretty(obj, cycle: bool = False, breaks: bool = True) -> str:
    p = Printer(breaks)
    obj._repr_pretty_(p, cycle)
    return p.value


def assert_self_contained(fragment: str) -> None:
    assert not fragment.lstrip().startswith("<!DOCTYPE")  # a fragment for a cell, not a page
    for banned in ("<script", "<link", "@import", "<iframe", " src="):
        assert banned not in fragment, banned
    assert set(re.findall(r"https?://[^\"' ]+", fragment)) <= {"http://www.w3.org/2000/svg"}
    assert all(ref.startswith("url(#") for ref in re.findall(r"url\([^)]*\)", fragment))


def parsed(fragment: str) -> ET.Element:
    """The fragment read as XML: every tag closed, every ``&`` and ``<`` of text escaped."""
    return ET.fromstring(fragment)


def tagged(x):
    a = x * x  # <b>bold</b> & "co" <script>
    return np.sum(np.log(a))


# -- Graph -------------------------------------------------------------------------------------


def test_a_graph_shows_its_drawing_and_listing():
    graph = pb.trace(tagged, np.array([1.0, 2.0, 3.0]))
    fragment = graph._repr_html_()
    assert_self_contained(fragment)
    root = parsed(fragment)
    assert root.tag == "div" and root.get("class") == "pb-graph"
    assert "<svg" in fragment and "<style>" in fragment
    assert "graph <code>tagged(x: f64[3])</code>" in fragment
    assert "<script>" not in fragment and "&lt;script&gt;" in fragment  # the source line
    listing = root.find("details/pre").text
    assert listing == str(graph)
    other = pb.trace(tagged, np.array([1.0, 2.0]))._repr_html_()
    assert re.findall(r'id="([^"]+)"', fragment)[0] != re.findall(r'id="([^"]+)"', other)[0]


def test_a_graph_with_a_nasty_name_is_escaped():
    x = Node(0, "input", name="x", shape=(2,))
    y = Node(1, "numpy.sin", np.sin, (x,), shape=(2,))
    fragment = Graph([x], [x, y], y, name="<nasty & co>")._repr_html_()
    assert "<nasty" not in fragment and "&lt;nasty &amp; co&gt;" in fragment
    parsed(fragment)


def test_a_large_graph_shows_its_listing_only():
    x = Node(0, "input", name="x")
    nodes = [x]
    for k in range(1, 260):
        nodes.append(Node(k, "numpy.sin", np.sin, (nodes[-1],)))
    fragment = Graph([x], nodes, nodes[-1], name="deep")._repr_html_()
    assert "<svg" not in fragment and "to_html()" in fragment
    assert "259 operations" in fragment


def test_a_graph_prints_through_ipythons_printer():
    graph = pb.trace(tagged, np.array([1.0, 2.0]))
    assert pretty(graph) == str(graph)
    assert pretty(graph, breaks=False) == str(graph)
    assert pretty(graph, cycle=True) == "graph tagged(...)"


def test_types_read_as_dtype_and_shape():
    assert type_text("float64", (3,)) == "f64[3]"
    assert type_text("float64", ()) == "f64[]"
    assert type_text(np.float32, (2, 5)) == "f32[2,5]"
    assert type_text("complex128", (1,)) == "c128[1]"
    assert type_text("int64", ()) == "i64[]"
    assert type_text("bool", (4,)) == "bool[4]"


# -- Tensor ------------------------------------------------------------------------------------


def test_a_tensor_shows_its_type_its_role_and_its_gradient():
    x = pb.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = np.sum(x * x)
    y.backward()
    leaf = x._repr_html_()
    assert_self_contained(leaf)
    parsed(leaf)
    assert "<code>f64[3]</code>" in leaf and "requires_grad" in leaf
    assert "grad <code>f64[3]</code>" in leaf and "[2. 4. 6.]" in leaf
    result = y._repr_html_()
    assert "<code>f64[]</code>" in result and "grad_fn=numpy.sum" in result and "14.0" in result
    assert "constant" in pb.tensor(np.ones(2), requires_grad=False)._repr_html_()
    assert pretty(y) == repr(y) == "Tensor(np.float64(14.0), grad_fn=numpy.sum)"


def test_a_large_tensor_shows_a_preview():
    fragment = pb.tensor(np.arange(100_000.0).reshape(100, 1000))._repr_html_()
    assert len(fragment) < 3000
    assert "f64[100,1000]" in fragment and "..." in fragment


# -- a source-mode derivative ----------------------------------------------------------------


def test_a_derivative_shows_its_source_highlighted():
    df = pb.grad(tagged)
    fragment = df._repr_html_()
    assert_self_contained(fragment)
    root = parsed(fragment)
    code = root.find("pre")
    assert "".join(code.itertext()) == pb.source(df)  # every character, and only those
    assert '<span class="k">def</span> <span class="nf">grad_tagged</span>' in fragment
    assert '<span class="adj">x_bar</span>' in fragment
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;co&quot; &lt;script&gt;" in fragment
    assert "<script>" not in fragment and "<b>" not in fragment


def test_the_derivative_stays_a_plain_function():
    df = pb.grad(tagged)
    assert inspect.isfunction(df)
    assert inspect.getsource(df) == pb.source(df)
    np.testing.assert_allclose(df(np.array([1.0, 2.0])), [2.0, 1.0])


def test_the_source_text_is_a_string_that_notebooks_highlight():
    df = pb.value_and_grad(tagged)
    text = pb.source(df)
    assert isinstance(text, str) and str(text) == text and type(str(text)) is str
    assert text.splitlines()[0].startswith("def value_and_grad_tagged(x)")
    assert text._repr_html_() == df._repr_html_()
    assert pretty(text) == text == pretty(text, breaks=False)


def test_highlighting_escapes_and_falls_back_on_text_it_cannot_read():
    assert highlight("s = '<&>'  # <i>") == (
        's = <span class="s">&#x27;&lt;&amp;&gt;&#x27;</span>  <span class="c"># &lt;i&gt;</span>'
    )
    broken = 'def f(x:\n    return "<'
    assert highlight(broken) == html.escape(broken)
    assert highlight("") == ""


def test_notebook_reprs_never_import_pygments(tmp_path):
    script = tmp_path / "cells.py"
    script.write_text(
        "import sys, numpy as np, pullback as pb\n"
        "def f(x):\n    return np.sum(x * x)\n"
        "pb.grad(f)._repr_html_(); pb.source(pb.grad(f))._repr_html_()\n"
        "pb.trace(f, np.ones(2))._repr_html_(); pb.tensor(np.ones(2))._repr_html_()\n"
        "assert 'pygments' not in sys.modules and 'IPython' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


# -- pb.compare --------------------------------------------------------------------------------


def layer(w, b, x):
    return np.sum(np.tanh(x @ w + b) ** 2)


def test_a_comparison_of_arrays_shows_summaries():
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(30, 4)), rng.normal(size=4), rng.normal(size=(50, 30)))
    table = pb.compare(layer, *args, modes=("source", "tape", "numeric"), budget=0.01)
    fragment = table._repr_html_()
    assert_self_contained(fragment)
    root = parsed(fragment)
    assert "<style>" in fragment and 'class="num"' in fragment
    assert root.find("table/caption").text == "pb.compare(layer at (f64[30,4], f64[4], f64[50,30]))"
    cells = root.findall(".//td")
    assert cells
    for cell in cells:
        for line in cell.itertext():  # the lines of a cell, between its <br/>s
            assert len(line) <= 60, line
    gradient = root.findall(".//tr")[1].findall("td")[2]
    lines = [t.strip() for t in gradient.itertext()]
    assert lines[0].startswith("w: f64[30,4] mean=") and "max|·|=" in lines[0]
    assert lines[1].startswith("b: [") and lines[1].count(",") == 3  # four values, shown
    assert lines[2].startswith("x: f64[50,30] mean=")
    assert gradient.get("title").startswith("f64[30,4] [[")  # a few more entries on hover
    text = str(table)
    assert "w: f64[30,4]" in text and max(len(line) for line in text.splitlines()) < 160
    assert pretty(table) == text


def test_a_comparison_marks_a_mode_that_fails_or_disagrees():
    def broken(x):
        raise ValueError("boom <here>")

    fragment = pb.compare(broken, 1.0, modes=("source", "numeric"))._repr_html_()
    assert fragment.count('<tr class="failed">') == 2 and "boom &lt;here&gt;" in fragment
    table = pb.compare(np.sin, 0.5, modes=("tape", "numeric"), budget=0.01)
    table["numeric"]["disagreement"] = 0.1  # as a wrong derivative would
    assert 'class="num bad"' in table._repr_html_()


def test_summaries_are_short():
    assert summary(np.arange(12.0).reshape(3, 4)) == "f64[3,4] mean=5.5 max|·|=11"
    assert summary(np.array([0.5, 2.0, -1.0])) == "[0.5, 2, -1]"
    with_gaps = np.array([np.nan, 1.0, np.inf, 3.0, 5.0])
    assert summary(with_gaps) == "f64[5] mean=3 max|·|=5 nan=1 inf=1"
    assert summary(np.zeros((0, 3))) == "f64[0,3]"
    assert len(summary(np.random.default_rng(1).normal(size=(1000, 1000)))) < 50
