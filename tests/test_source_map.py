"""pb.source_map: every generated line traced to the user's line, composed at higher order."""

import inspect
import linecache
import os

import numpy as np
import pytest

import pullback as pb
from pullback.source.common.files import is_generated

HERE = os.path.basename(__file__)


def loss(x):
    a = x * x
    b = np.log(
        a + 1.0,
    )
    return np.sum(b * np.sin(x))


FIRST = loss.__code__.co_firstlineno


grad_loss = pb.grad(loss)


def outer(x):
    return np.sum(grad_loss(x) * x)


def test_every_entry_names_a_user_line_with_its_text():
    df = pb.grad(loss)
    entries = pb.source_map(df)
    generated = pb.source(df).splitlines()
    assert [e.line for e in entries] == sorted({e.line for e in entries})
    assert len(entries) >= len([g for g in generated if g.strip()]) - 1  # all but the docstring
    for e in entries:
        assert e.filename == __file__
        assert e.text == linecache.getline(__file__, e.lineno).strip()
        assert e.code == generated[e.line - 1]
        assert e.function == "grad_loss"
        assert e.sweep in ("forward", "backward")
        assert not e.via
    by_code = {e.code.strip(): e for e in entries}
    assert by_code["a = x * x"].lineno == FIRST + 1
    assert by_code["a = x * x"].sweep == "forward"
    # the multi-line statement is given whole, its first line as the text
    log_line = next(e for e in entries if e.code.strip().startswith("b = np.log"))
    assert log_line.lineno == FIRST + 2 and log_line.text == "b = np.log("
    assert log_line.statement == "b = np.log(\n    a + 1.0,\n)"
    # the adjoint of line FIRST + 1 runs in the backward sweep, after every forward line
    adjoint = [e for e in entries if e.lineno == FIRST + 1 and e.sweep == "backward"]
    assert adjoint and all("x_bar" in e.code or "grad of" in e.code for e in adjoint)
    last_forward = max(e.line for e in entries if e.sweep == "forward")
    assert all(e.line > last_forward for e in entries if e.sweep == "backward")
    assert str(adjoint[0]).endswith(f"{__file__}:{FIRST + 1}: a = x * x (backward)")


def test_a_gradient_of_a_gradient_points_at_the_users_own_lines():
    ddf = pb.grad(outer)
    x = np.array([0.3, 1.2, -0.7])
    entries = pb.source_map(ddf)
    assert entries and all(e.filename == __file__ for e in entries)
    inner_file = grad_loss.__pullback_module__.filename  # the derivative outer calls
    inlined = [e for e in entries if e.via]
    assert inlined, "the first-order derivative's lines are inlined"
    assert all(e.via[0][0] == inner_file for e in inlined)
    assert {e.lineno for e in inlined} >= {FIRST + 1, FIRST + 2, FIRST + 5}
    # the backward half of grad_loss inlined: its lines run in the outer backward sweep
    backward_half = [e for e in entries if e.function.endswith("_backward")]
    assert backward_half and all(e.sweep == "backward" for e in backward_half)
    # lines from the inner backward sweep say so in their via
    assert any(e.via[0][2] == "backward" for e in inlined)
    # the "# grad of:" comments name the user's file, not the generated one
    comments = [g for g in pb.source(ddf).splitlines() if "# grad of:" in g]
    assert comments
    for comment in comments:
        assert f"({HERE}:" in comment, comment
        assert "pullback" not in comment.split("  (")[-1]
    # and the derivative is right
    numeric = pb.numeric.grad(outer)(x)
    np.testing.assert_allclose(ddf(x), numeric, rtol=1e-6, atol=1e-8)


def test_an_exported_second_order_module_comments_on_user_lines(tmp_path):
    ddf = pb.grad(outer)
    path = pb.export(ddf, tmp_path / "second.py")
    comments = [g for g in path.read_text().splitlines() if "# grad of:" in g]
    assert comments
    for comment in comments:
        assert f"({HERE}:" in comment and "<pullback" not in comment


def test_inspect_getsource_gives_the_generated_function():
    df = pb.grad(loss)
    assert inspect.getsource(df) == inspect.getsource(df.__pullback_generated__)
    assert inspect.getsource(df).startswith("def grad_loss(x):")
    assert inspect.getsource(df) in pb.source(df)
    vg = pb.value_and_grad(loss)
    assert inspect.getsource(vg).startswith("def value_and_grad_loss(x):")
    assert is_generated(inspect.getsourcefile(df.__pullback_generated__))


@pytest.mark.parametrize(
    "given",
    [loss, pb.grad(loss, mode="tape"), 3.0, None],
    ids=["plain function", "tape derivative", "number", "None"],
)
def test_something_else_is_refused_with_what_to_pass(given):
    with pytest.raises(pb.PullbackError, match=r"pb.grad\(f\)"):
        pb.source_map(given)


def test_a_rules_own_statements_point_at_the_users_line():
    """A rule whose derivative has statements of its own (logsumexp's ``weights = ...``) is
    spliced in at the user's line that calls it, not at the line of the same number in the
    rule's module."""
    from scipy.special import logsumexp

    def f(x):
        y = x * 3.0
        return logsumexp(y) * 2.0

    df = pb.grad(f)
    first = f.__code__.co_firstlineno
    spliced = [e for e in pb.source_map(df) if e.sweep == "backward"]
    assert spliced and {e.lineno for e in spliced} <= {first, first + 1, first + 2}
    x = np.array([0.3, -1.0, 2.0])
    h = 1e-6
    want = [(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(df(x), want, rtol=1e-6)
