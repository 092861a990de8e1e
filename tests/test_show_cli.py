"""pb.show and the command line (show, check, view) on a user file."""

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import pullback as pb

ROOT = Path(__file__).resolve().parents[1]


def f(x):
    a = x * x
    return np.log(a)


def test_show_prints_the_generated_source():
    out = io.StringIO()
    pb.show(f, file=out)
    text = out.getvalue()
    assert text.startswith("def grad_f(x):") and "# grad of: return np.log(a)" in text
    assert "x_bar" in text


def test_show_graph_mode_prints_both_graphs():
    out = io.StringIO()
    pb.show(f, 3.0, mode="graph", file=out)
    assert "graph f(x: f64[]):" in out.getvalue() and "graph grad_f(x: f64[]):" in out.getvalue()


def test_show_graph_mode_without_arguments_is_a_clear_error():
    with pytest.raises(pb.PullbackError, match="needs arguments"):
        pb.show(f, mode="graph")


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
            """
        )
    )
    return path


def _cli(*args, cwd):
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "pullback", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_cli_show_check_view(model_file, tmp_path):
    shown = _cli("show", f"{model_file}:loss", "--argnums", "0,1", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "def grad_loss(w, x):" in shown.stdout and "return (w_bar, x_bar)" in shown.stdout
    checked = _cli(
        "check", f"{model_file}:loss", "--args", "[0.5, 1.0]", "[1.0, 2.0]", cwd=tmp_path
    )
    assert checked.returncode == 0, checked.stderr
    assert "agree with finite differences" in checked.stdout
    page = tmp_path / "page.html"
    viewed = _cli(
        "view", f"{model_file}:loss", "--args", "0.5", "1.0", "-o", str(page), cwd=tmp_path
    )
    assert viewed.returncode == 0, viewed.stderr
    assert 'id="generated"' in page.read_text()  # source mode: code beside code
    viewed = _cli(
        "view", f"{model_file}:loss", "--mode", "graph", "--args", "0.5", "1.0", "-o", str(page),
        cwd=tmp_path,
    )  # fmt: skip
    assert viewed.returncode == 0, viewed.stderr
    assert "<svg" in page.read_text()


def test_cli_reports_a_missing_function(model_file, tmp_path):
    out = _cli("show", f"{model_file}:nothing", cwd=tmp_path)
    assert out.returncode != 0 and "defines no 'nothing'" in out.stderr
