"""pb.view and ``pullback view``: the derivative's code beside the user's, as one HTML page."""

from __future__ import annotations

import importlib.util
import linecache
import re
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from test_render import _chromium, _png_pixels, needs_chromium

import pullback as pb
from pullback.errors import PullbackTypeError
from pullback.source.debug.highlight import highlight
from pullback.source.debug.recording import record

ROOT = Path(__file__).resolve().parents[1]


def rnn_like(W, U, xs, h):
    for t in range(xs.shape[0]):
        z = W @ h + U @ xs[t]
        if t % 2 == 0:
            h = np.tanh(z)
        else:
            h = np.maximum(z, 0.0)
    unused = np.sin(W) * 0.0  # contributes nothing: its adjoint is zero
    return np.sum(h * h) + np.sum(unused)


FIRST = rnn_like.__code__.co_firstlineno


def line_of(fn, text: str) -> int:
    """The file line of ``fn`` whose text contains ``text``."""
    lines, first = linecache.getlines(__file__), fn.__code__.co_firstlineno
    for number in range(first, first + 40):
        if text in lines[number - 1]:
            return number
    raise AssertionError(text)


def nasty(x):
    a = x * x  # <script>alert('&')</script>
    return np.log(a) if "</td><b>&amp;" else a


def cubic(x):
    return np.sum(x * x * x)


def rnn_args(steps: int = 4):
    rng = np.random.default_rng(0)
    W, U = rng.standard_normal((3, 3)), rng.standard_normal((3, 2))
    return W, U, rng.standard_normal((steps, 2)), np.full(3, 0.1)


class Rows(HTMLParser):
    """Every ``<tr>`` of a page: its attributes and, per cell class, the cell's text."""

    def __init__(self, text: str):
        super().__init__()
        self.rows: list[dict] = []
        self.scripts = 0
        self._cell = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        elif tag == "tr":
            self.rows.append({"attrs": attrs, "classes": attrs.get("class", "").split()})
        elif tag == "td" and self.rows:
            self._cell = attrs.get("class", "")
            self.rows[-1][self._cell] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self.rows[-1][self._cell] += data

    def by_id(self) -> dict[str, dict]:
        return {r["attrs"]["id"]: r for r in self.rows if "id" in r["attrs"]}

    def user(self) -> list[dict]:
        return [r for r in self.rows if "user" in r["classes"]]

    def generated(self) -> list[dict]:
        return [r for r in self.rows if "gen" in r["classes"]]


def user_row(rows: Rows, line: int) -> dict:
    (row,) = [r for r in rows.user() if r["no"] == str(line)]
    return row


# -- the page ----------------------------------------------------------------------------------


def test_both_sides_show_their_code_with_real_line_numbers():
    df = pb.grad(rnn_like)
    rows = Rows(pb.view(df))
    user = rows.user()
    assert [int(r["no"]) for r in user] == list(range(FIRST, FIRST + 9))
    for r in user:
        assert r["src"] == linecache.getline(__file__, int(r["no"])).rstrip("\n")
    generated = pb.source(df).splitlines()
    assert [r["src"] for r in rows.generated()] == generated
    assert [int(r["no"]) for r in rows.generated()] == list(range(1, len(generated) + 1))


def test_every_mapped_generated_line_links_to_its_user_line_and_back():
    df = pb.grad(rnn_like)
    rows = Rows(pb.view(df))
    ids = rows.by_id()
    entries = pb.source_map(df)
    assert entries
    for e in entries:
        row = ids[f"g{e.line}"]
        (target,) = row["attrs"]["data-links"].split()
        assert ids[target]["attrs"]["data-line"] == str(e.lineno)
        assert ("bwd" if e.sweep == "backward" else "fwd") in row["classes"]
        assert f"g{e.line}" in ids[target]["attrs"]["data-links"].split()
    for r in rows.user():
        links = r["attrs"].get("data-links", "").split()
        expected = {f"g{e.line}" for e in entries if str(e.lineno) == r["no"]}
        assert set(links) == expected and all(link in ids for link in links)
    # the groups a hover lights: the loop's body line has forward and backward lines
    body = user_row(rows, line_of(rnn_like, "z = W @ h"))
    sweeps = {tuple(ids[g]["classes"])[-1] for g in body["attrs"]["data-links"].split()}
    assert sweeps == {"fwd", "bwd"}


def test_everything_from_the_user_is_escaped():
    page = pb.view(pb.grad(nasty))
    assert "<script>alert" not in page and "</td><b>" not in page
    assert "&lt;script&gt;alert(&#x27;&amp;&#x27;)&lt;/script&gt;" in page
    assert "&lt;/td&gt;&lt;b&gt;&amp;amp;" in page
    rows = Rows(page)
    assert rows.scripts == 1  # the page's own
    comment = user_row(rows, line_of(nasty, "a = x * x"))
    assert comment["src"] == "    a = x * x  # <script>alert('&')</script>"  # read back whole


def test_the_page_needs_no_network():
    page = pb.view(pb.grad(rnn_like), args=rnn_args())
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for needle in ("http:", "https:", "<link", "@import", "url(", " src="):
        assert needle not in page, needle


def test_highlighting_marks_tokens_and_keeps_every_character():
    lines = highlight("def f(x_bar):\n    return 'a<b' + range(2)  # c&\n")
    assert lines[0] == (
        '<span class="kw">def</span> <span class="fn">f</span>(<span class="adj">x_bar</span>):'
    )
    assert '<span class="str">&#x27;a&lt;b&#x27;</span>' in lines[1]
    assert (
        '<span class="bi">range</span>' in lines[1]
        and '<span class="com"># c&amp;</span>' in lines[1]
    )
    broken = "x = '''never closed\nstill <here>\n"
    text = [re.sub(r"<[^>]+>", "", line) for line in highlight(broken)]
    assert text == ["x = &#x27;&#x27;&#x27;never closed", "still &lt;here&gt;"]


def test_a_page_of_several_functions_shows_each_one(tmp_path):
    from showcase import cube

    df = pb.grad(cube)
    page = pb.view(df, tmp_path / "cube.html")
    assert (tmp_path / "cube.html").read_text(encoding="utf-8") == page
    rows = Rows(page)
    shown = [r["src"].strip() for r in rows.user()]
    assert shown[0] == "def cube(x):"  # the function differentiated first
    assert "def power(x, n):" in shown and "return x * power(x, n - 1)" in shown


# -- with arguments: values and adjoint norms ---------------------------------------------------


def test_args_add_shapes_and_adjoint_norms_per_line():
    args = rnn_args()
    before = [a.copy() for a in args]
    df = pb.grad(rnn_like)
    expected = df(*args)
    rows = Rows(pb.view(df, args=args))
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)  # nothing the run touched was changed
    np.testing.assert_array_equal(df(*args), expected)
    z_line = user_row(rows, line_of(rnn_like, "z = W @ h"))
    assert "z float64[3]" in z_line["note"]
    assert "‖W_bar +=‖" in z_line["note"] and "‖h_bar‖" in z_line["note"]
    assert "×4" in z_line["note"]  # the loop ran four times
    back = user_row(rows, line_of(rnn_like, "return np.sum"))
    assert "returns float64 = " in back["note"] and "‖h_bar‖" in back["note"]
    unused = user_row(rows, line_of(rnn_like, "unused = "))
    assert "flag-zero" in unused["classes"] and "zero" in unused["note"]
    assert "‖W_bar‖ 0" in unused["note"]
    assert not any("flag-zero" in r["classes"] for r in rows.user() if r is not unused)


def test_the_recorded_norms_are_the_gradients_norms():
    x = np.array([1.0, -2.0, 0.5])
    df = pb.grad(cubic)
    run = record(df.__pullback_module__, lambda: df(x))
    np.testing.assert_array_equal(run.result, 3 * x * x)
    key = (__file__, line_of(cubic, "return np.sum"))
    (norm,) = run.contributions[key]["x_bar"]
    assert norm == pytest.approx(np.linalg.norm(3 * x * x))


def test_a_branch_not_taken_says_so():
    rows = Rows(pb.view(pb.grad(rnn_like), args=rnn_args(steps=1)))
    relu = user_row(rows, line_of(rnn_like, "h = np.maximum"))
    assert "notrun" in relu["classes"] and "not run" in relu["note"]
    assert "notrun" not in user_row(rows, line_of(rnn_like, "h = np.tanh"))["classes"]


def root_at_zero(x):
    return np.sum(np.sqrt(x))


def steep(x):
    return np.sum(np.exp(10.0 * x))


def tiny(x):
    return np.sum(np.exp(-50.0 * x))


@pytest.mark.parametrize(
    "fn, x, flag",
    [(root_at_zero, np.zeros(2), "nonfinite"), (steep, np.full(2, 3.0), "huge"),
     (tiny, np.ones(2), "tiny")],
    ids=["nonfinite", "huge", "vanishing"],
)  # fmt: skip
def test_lines_whose_gradient_explodes_or_vanishes_stand_out(fn, x, flag):
    with np.errstate(all="ignore"):
        rows = Rows(pb.view(pb.grad(fn), args=(x,)))
    row = user_row(rows, fn.__code__.co_firstlineno + 1)
    assert f"flag-{flag}" in row["classes"], row


def test_a_loop_whose_adjoint_shrinks_is_marked_vanishing():
    from showcase import rnn_loss

    rng = np.random.default_rng(1)
    args = (4 * rng.standard_normal((2, 3)), 4 * rng.standard_normal((3, 3)), np.zeros(3),
            rng.standard_normal((30, 2)), np.zeros(3))  # fmt: skip
    rows = Rows(pb.view(pb.grad(rnn_loss, (0, 1, 2)), args=args))
    body = user_row(rows, rnn_loss.__code__.co_firstlineno + 2)
    assert "flag-tiny" in body["classes"] and "×30" in body["note"]


def test_value_and_grad_and_a_method_are_viewed_too():
    rows = Rows(pb.view(pb.value_and_grad(cubic), args=(np.ones(2),)))
    assert "‖x_bar‖" in user_row(rows, line_of(cubic, "return"))["note"]

    class Model:
        scale = 2.0

        def loss(self, w):
            return np.sum(self.scale * w * w)

    rows = Rows(pb.view(pb.grad(Model().loss), args=(np.ones(2),)))
    assert "‖w_bar‖ 5.66" in user_row(rows, line_of(Model.loss, "return"))["note"]  # 4w


# -- what is not a derivative, or not its arguments ----------------------------------------------


@pytest.mark.parametrize(
    "given",
    [cubic, pb.grad(cubic, mode="tape"), pb.grad(cubic, mode="graph"), 3.0, None],
    ids=["plain function", "tape derivative", "graph derivative", "number", "None"],
)
def test_what_is_not_a_derivative_is_refused_with_what_to_pass(given):
    with pytest.raises(pb.PullbackError, match=r"pb\.grad\(f\).*pb\.trace\(f, \*args\)"):
        pb.view(given)


WRONG_SHAPES = (np.ones((3, 3)), np.ones((3, 2)), np.ones((4, 5)), np.ones(3))


@pytest.mark.parametrize(
    "fn, args, message",
    [
        (cubic, np.ones(2), r"takes a tuple .* args=\(x,\)"),
        (cubic, (np.ones(2), 1.0), r"grad_cubic\(x\) .* 2 argument"),
        (cubic, (), r"missing a required argument"),
        (cubic, (np.ones((2, 1)),), None),  # fine: another shape
        (rnn_like, WRONG_SHAPES, r"failed, ValueError: .*pass args that grad_rnn_like runs with"),
    ],
    ids=["not a tuple", "too many", "too few", "another shape", "fails"],
)
def test_wrong_arguments_say_what_to_pass(fn, args, message):
    df = pb.grad(fn)
    if message is None:
        assert "‖x_bar‖" in pb.view(df, args=args)
        return
    with pytest.raises(pb.PullbackError, match=message) as caught:
        pb.view(df, args=args)
    assert isinstance(caught.value, (TypeError, ValueError))


def test_an_integer_argument_keeps_its_own_error():
    with pytest.raises(PullbackTypeError, match="dtype int64; only floating-point"):
        pb.view(pb.grad(cubic), args=(np.arange(3),))


def test_a_function_whose_source_is_gone_is_refused(tmp_path):
    path = tmp_path / "gone_model.py"
    path.write_text("import numpy as np\n\ndef f(x):\n    return np.sin(x)\n")
    spec = importlib.util.spec_from_file_location("gone_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    df = pb.grad(module.f)
    path.unlink()
    linecache.checkcache(str(path))
    with pytest.raises(pb.SourceUnavailableError, match="cannot be read.*in a file"):
        pb.view(df)


def test_a_graph_gets_its_graph_page(tmp_path):
    graph = pb.trace(cubic, np.ones(2))
    page = pb.view(graph, tmp_path / "g.html")
    assert page == graph.to_html() == (tmp_path / "g.html").read_text(encoding="utf-8")
    with pytest.raises(PullbackTypeError, match="already holds"):
        pb.view(graph, args=(np.ones(2),))


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(
        textwrap.dedent(
            """
            import numpy as np

            def loss(w, x):
                h = np.tanh(x * w)
                return np.sum(h ** 2)

            def divides(x):
                return 1.0 / (x - x)
            """
        )
    )
    return path


def _cli(*args, cwd):
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "pullback", *args], capture_output=True, text=True, cwd=cwd,
        env=env, timeout=300,
    )  # fmt: skip


def test_cli_writes_the_source_page_by_default(model_file, tmp_path):
    done = _cli("view", f"{model_file}:loss", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = Rows((tmp_path / "view.html").read_text(encoding="utf-8"))
    assert [r["src"].strip() for r in rows.user()][:2] == ["def loss(w, x):", "h = np.tanh(x * w)"]
    done = _cli("view", f"{model_file}:loss", "--args", "0.5", "[1.0, 2.0]", "-o", "p.html",
                "--argnums", "0,1", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0 and "wrote p.html" in done.stdout, done.stderr
    notes = "".join(r["note"] for r in Rows((tmp_path / "p.html").read_text("utf-8")).user())
    assert "h float64[2]" in notes and "‖w_bar‖" in notes and "‖x_bar‖" in notes
    done = _cli("view", f"{model_file}:loss", "--mode", "graph", "--args", "0.5", "1.0",
                cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0 and "<svg" in (tmp_path / "graph.html").read_text()


@pytest.mark.parametrize(
    "args, status, message",
    [
        (("--mode", "graph"), 2, "needs --args"),
        (("--args", "0.5"), 2, "cannot take 1 argument"),
        (("--mode", "bogus"), 2, "invalid choice"),
    ],
)
def test_cli_bad_input_is_one_line(model_file, tmp_path, args, status, message):
    done = _cli("view", f"{model_file}:loss", *args, cwd=tmp_path)
    assert done.returncode == status and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_cli_a_failing_function_names_its_line(model_file, tmp_path):
    done = _cli("view", f"{model_file}:divides", "--args", "1.0", cwd=tmp_path)
    assert done.returncode == 1 and "ZeroDivisionError" in done.stderr, done.stderr
    assert "model.py:9" in done.stderr and len(done.stderr.strip().splitlines()) == 1


# -- a real browser -----------------------------------------------------------------------------


def _dom(page: str, tmp_path: Path, fragment: str = "") -> Rows:
    path = tmp_path / "view.html"
    path.write_text(page, encoding="utf-8")
    done = _chromium("--dump-dom", path.as_uri() + fragment, profile=tmp_path / "profile")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<tr" in done.stdout, done.stdout[:2000]
    return Rows(done.stdout)


@needs_chromium
def test_the_browser_builds_the_linked_lines(tmp_path):
    df = pb.grad(rnn_like)
    page = pb.view(df, args=rnn_args())
    rows = _dom(page, tmp_path)
    assert len(rows.user()) == 9 and len(rows.generated()) == len(pb.source(df).splitlines())
    ids = rows.by_id()
    for r in rows.rows:
        for target in r["attrs"].get("data-links", "").split():
            assert target in ids
    assert "&lt;" not in "".join(r.get("src", "") for r in rows.rows)  # parsed, not doubled
    assert not any({"active", "linked"} & set(r["classes"]) for r in rows.rows)


@needs_chromium
def test_hovering_a_user_line_lights_its_generated_lines(tmp_path):
    df = pb.grad(rnn_like)
    page = pb.view(df)
    line = line_of(rnn_like, "z = W @ h")
    (user_id,) = [r["attrs"]["id"] for r in Rows(page).user() if r["no"] == str(line)]
    rows = _dom(page, tmp_path, f"#hover={user_id}")
    ids = rows.by_id()
    assert "active" in ids[user_id]["classes"]
    counterparts = {f"g{e.line}" for e in pb.source_map(df) if e.lineno == line}
    lit = {i for i, r in ids.items() if "linked" in r["classes"]}
    assert lit == counterparts and len(lit) >= 4


@needs_chromium
def test_hovering_a_generated_line_lights_its_user_line_and_group(tmp_path):
    df = pb.grad(rnn_like)
    page = pb.view(df)
    line = line_of(rnn_like, "h = np.tanh")
    group = sorted(e.line for e in pb.source_map(df) if e.lineno == line)
    rows = _dom(page, tmp_path, f"#hover=g{group[-1]}")
    ids = rows.by_id()
    assert "active" in ids[f"g{group[-1]}"]["classes"]
    (lit,) = [r for r in rows.user() if "linked" in r["classes"]]
    assert lit["no"] == str(line)
    assert {i for i, r in ids.items() if "group" in r["classes"]} == {f"g{g}" for g in group[:-1]}


@needs_chromium
def test_the_page_draws_in_the_browser(tmp_path):
    from showcase import mlp_loss

    rng = np.random.default_rng(2)
    args = (rng.standard_normal((3, 4)), np.zeros(4), rng.standard_normal((4, 2)), np.zeros(2),
            rng.standard_normal((5, 3)), rng.standard_normal((5, 2)))  # fmt: skip
    path = tmp_path / "mlp.html"
    pb.view(pb.grad(mlp_loss, (0, 1, 2, 3)), path, args=args)
    shot = tmp_path / "mlp.png"
    done = _chromium(f"--screenshot={shot}", "--window-size=1400,900",
                     path.as_uri() + "#click=u0-21", profile=tmp_path / "profile")  # fmt: skip
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (1400, 900)
    assert len(set(pixels)) > 50, "the screenshot is blank"


def test_a_run_where_no_python_line_ran_shows_no_notes():
    from pullback.source.debug.recording import Recording
    from pullback.source.debug.viewpage import page

    df = pb.grad(cubic)
    text = page(df.__pullback_module__, name="grad_cubic", run=Recording(result=0.5), args={})
    assert "No line of the generated code ran as Python" in text
    assert 'class="note"' not in text and 'class="flag notrun"' not in text
