"""pb.debug and ``pullback debug``: pdb starts on the generated derivative's first line."""

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import pullback as pb

SRC = str(Path(pb.__file__).resolve().parents[1])

MODEL = """
import numpy as np
import pullback as pb

def loss(x):
    a = x * x
    b = np.log(a)
    return np.sum(b)

grad_loss = pb.grad(loss)

def outer(x):
    return np.sum(grad_loss(x) * x)
"""


def run(tmp_path, argv, commands):
    (tmp_path / "model.py").write_text(textwrap.dedent(MODEL))
    return subprocess.run(
        [sys.executable, *argv],
        input=commands,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": SRC},
        timeout=120,
    )


def test_the_command_line_stops_on_the_first_generated_line(tmp_path):
    done = run(
        tmp_path,
        ["-m", "pullback", "debug", "model.py:loss", "--args", "[1.0, 2.0]"],
        "where\nnext\np a\ncontinue\n",
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    first_stop = out.split("(Pdb)")[0]
    assert "grad_of_loss_" in first_stop and "grad_loss()" in first_stop
    assert "-> a = x * x" in first_stop  # the first line of the derivative, not wrapper code
    assert f"forward sweep of {tmp_path / 'model.py'}:6: a = x * x" in first_stop
    assert "-> b = np.log(a)" in out and "model.py:7: b = np.log(a)" in out
    assert "array([1., 4.])" in out  # p a, in the generated frame
    assert "gradient [2.0, 1.0]" in out or "gradient array([2., 1.])" in out


def test_a_break_on_a_derivative_name_stops_there(tmp_path):
    script = (
        "import pullback as pb, numpy as np, model\n"
        "print(pb.debug(pb.grad(model.outer), np.array([1.0, 2.0])))\n"
    )
    (tmp_path / "driver.py").write_text(script)
    done = run(
        tmp_path,
        ["driver.py"],
        "break grad_loss_backward\ncontinue\nwhere\ncontinue\n",
    )
    assert done.returncode == 0, done.stderr
    stops = done.stdout.split("(Pdb)")
    assert "grad_outer()" in stops[0]
    assert "Breakpoint 1 at" in stops[1]
    assert "grad_loss_backward()" in stops[2]  # the inlined backward sweep of grad_loss
    assert "backward sweep of" in stops[2] and "model.py:" in stops[2]
    assert "[" in done.stdout.splitlines()[-1]  # the result printed after continuing


def square(x):
    return x * x


def test_in_process_with_given_streams():
    out = io.StringIO()
    result = pb.debug(pb.grad(square), 3.0, stdin=io.StringIO("p x\ncontinue\n"), stdout=out)
    assert result == 6.0
    assert "-> x_bar = 2.0 * x" in out.getvalue() or "grad_square()" in out.getvalue()
    assert "3.0" in out.getvalue()


@pytest.mark.parametrize(
    "df, args, match",
    [
        (square, (3.0,), r"pb.grad\(f\)"),
        (pb.grad(square, mode="tape"), (3.0,), r"pb.grad\(f\)"),
        (pb.grad(square), (), "pass them as you would call df"),
        (pb.grad(square), (1.0, 2.0), "pass them as you would call df"),
    ],
    ids=["not a derivative", "tape derivative", "too few", "too many"],
)
def test_bad_input_says_what_to_pass(df, args, match):
    with pytest.raises(pb.PullbackError, match=match):
        pb.debug(df, *args)
    assert np.isfinite(pb.grad(square)(2.0))
