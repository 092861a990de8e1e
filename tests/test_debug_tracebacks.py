"""Errors and NumPy warnings raised in a derivative name the user's line and the sweep, in
every mode: scripts run in a subprocess, their stderr read as a user would."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pullback as pb

SRC = str(Path(pb.__file__).resolve().parents[1])
pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes need 3.11")

SCRIPT = """
import sys
import numpy as np, pullback as pb

def root_sum(x):
    z = np.log(x + 1.0)
    y = np.sqrt(x)
    return np.sum(y * 2.0 + z)

mode, what, point = sys.argv[1], sys.argv[2], float(sys.argv[3])
if what == "raise":
    np.seterr(all="raise")
print(pb.grad(root_sum, mode=mode)(np.array([point, 4.0])))
"""
LOG_LINE, SQRT_LINE = 6, 7  # of the script, counting its leading empty line


def run(tmp_path, *argv):
    script = tmp_path / "model.py"
    script.write_text(textwrap.dedent(SCRIPT))
    done = subprocess.run(
        [sys.executable, str(script), *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
        timeout=120,
    )
    return done, script


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
@pytest.mark.parametrize("what", ["raise", "warn"])
def test_a_backward_sweep_failure_names_the_user_line(tmp_path, mode, what):
    done, script = run(tmp_path, mode, what, "0.0")  # sqrt is finite at 0, its derivative not
    stderr = done.stderr
    assert (done.returncode != 0) == (what == "raise"), stderr
    assert "divide by zero" in stderr
    assert "backward sweep" in stderr
    assert f"{script}:{SQRT_LINE}:\n" in stderr
    assert "    y = np.sqrt(x)\n" in stderr.split(f"{script}:{SQRT_LINE}:")[1]
    if what == "raise":
        assert "FloatingPointError" in stderr
    if mode == "source":
        assert "generated line" in stderr
        # Python's own printer shows the generated line that failed, read from its file
        assert "np.divide(0.5, y)" in stderr


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_a_forward_sweep_failure_names_the_user_line(tmp_path, mode):
    done, script = run(tmp_path, mode, "raise", "-1.0")  # log(0) in the forward sweep
    stderr = done.stderr
    assert done.returncode != 0
    assert "FloatingPointError" in stderr and "forward sweep" in stderr
    assert f"{script}:{LOG_LINE}:\n" in stderr
    assert "z = np.log(x + 1.0)" in stderr.split(f"{script}:{LOG_LINE}:")[1]
    assert "backward sweep" not in stderr


def test_a_second_order_warning_names_the_users_own_line(tmp_path):
    script = tmp_path / "second.py"
    script.write_text(
        textwrap.dedent(
            """
            import numpy as np, pullback as pb

            def f(x):
                return np.sum(np.log(x) * x)

            df = pb.grad(f)

            def g(x):
                return np.sum(df(x))

            print(pb.grad(g)(np.array([0.0, 1.0])))
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "RuntimeWarning" in done.stderr
    assert f"{script}:5:\n      return np.sum(np.log(x) * x)" in done.stderr
    assert "<pullback" not in done.stderr
