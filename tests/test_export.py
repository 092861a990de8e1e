"""Export: a source-mode derivative as a standalone module, run in a fresh process, edited and
plugged back in as a custom rule."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import pullback as pb

WEIGHTS = np.array([1.0, 2.0, 3.0])
SCALE = 1.5


def wave(x):
    total = 0.0
    for i in range(3):
        total = total + np.sin(x * WEIGHTS[i]) * SCALE
    return total


def squash(a):
    return np.tanh(a) * a


def calls_squash(x):
    return np.sum(squash(x) * 2.0)


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def imported_modules(text):
    out = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            out.add(node.module)
    return out


@pytest.mark.parametrize("fn, x", [(wave, 0.4), (calls_squash, np.array([0.2, -0.7, 1.1]))])
def test_exported_gradient_runs_in_a_fresh_process(tmp_path, fn, x):
    df = pb.grad(fn)
    path = pb.export(df, tmp_path / f"exported_{fn.__name__}.py")
    text = path.read_text()
    assert imported_modules(text) <= {
        "numpy",
        "math",
        "pullback.runtime",
        "pullback.runtime.adjoints",
    }
    assert "# grad of:" in text and f"def grad_{fn.__name__}(x):" in text
    script = (
        "import json, sys, numpy as np\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        f"import exported_{fn.__name__} as m\n"
        f"x = np.array(json.loads(sys.argv[1])) if sys.argv[2] == 'array' else float(sys.argv[1])\n"
        f"print(json.dumps(np.asarray(m.grad_{fn.__name__}(x)).tolist()))\n"
    )
    env = dict(os.environ)
    src = os.path.join(os.path.dirname(pb.__file__), os.pardir)
    env["PYTHONPATH"] = os.path.abspath(src) + os.pathsep + env.get("PYTHONPATH", "")
    kind = "array" if isinstance(x, np.ndarray) else "float"
    out = subprocess.run(
        [sys.executable, "-c", script, json.dumps(np.asarray(x).tolist()), kind],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    np.testing.assert_allclose(json.loads(out.stdout), df(x), rtol=1e-14)


def smooth(x):
    return np.log(1.0 + x * x)


def smooth_with_rule(x):
    return np.log(1.0 + x * x)


def smooth_custom(x):
    return np.log(1.0 + x * x)


def test_an_edited_export_plugs_back_in_as_a_rule(tmp_path):
    path = pb.export(pb.grad(smooth), tmp_path / "grad_smooth.py")
    text = path.read_text()
    # the edit: a gradient clipped to [-0.5, 0.5]
    lines = text.splitlines()
    last = max(k for k, line in enumerate(lines) if line.strip().startswith("return "))
    value = lines[last].strip()[len("return ") :]
    lines[last] = f"    return np.clip({value}, -0.5, 0.5)"
    path.write_text("\n".join(lines) + "\n")
    exported = load(path, "grad_smooth_edited")

    pb.defvjp(smooth_with_rule, lambda g, ans, x: g * exported.grad_smooth(x))

    def outer(x):
        return smooth_with_rule(x) * 3.0

    for x in (0.2, 3.0):
        expected = 3.0 * np.clip(2.0 * x / (1.0 + x * x), -0.5, 0.5)
        assert pb.grad(outer)(x) == pytest.approx(expected)


def test_an_export_as_the_bwd_of_a_custom_vjp(tmp_path):
    path = pb.export(pb.grad(smooth), tmp_path / "grad_smooth_plain.py")
    exported = load(path, "grad_smooth_plain")
    rule = pb.custom_vjp(smooth_custom)
    rule.defvjp(lambda x: (rule(x), x), lambda x, g: (g * exported.grad_smooth(x) * 10.0,))

    def outer(x):
        return rule(x) + x

    assert pb.grad(outer)(0.5) == pytest.approx(10.0 * 2.0 * 0.5 / 1.25 + 1.0)


def test_only_derivatives_can_be_exported(tmp_path):
    with pytest.raises(TypeError):
        pb.export(smooth, tmp_path / "nothing.py")


@pb.custom_vjp
def softplus(x):
    return np.log1p(np.exp(x))


def softplus_fwd(x):
    return softplus(x), x


def softplus_bwd(x, g):
    return (g / (1.0 + np.exp(-x)),)


softplus.defvjp(softplus_fwd, softplus_bwd)


def uses_softplus(x):
    return softplus(x) * x


def test_user_code_the_derivative_calls_is_imported_and_named_in_the_header(tmp_path):
    df = pb.grad(uses_softplus)
    path = pb.export(df, tmp_path / "grad_uses_softplus.py")
    text = path.read_text()
    assert "user modules whose code the derivative calls: " + __name__.split(".")[0] in text
    assert "def softplus_vjp_0(" in text  # the custom rule's callable is copied in
    exported = load(path, "grad_uses_softplus")
    assert exported.grad_uses_softplus(0.3) == pytest.approx(df(0.3))
