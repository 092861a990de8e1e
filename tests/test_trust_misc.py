"""Trust: symbolic mode's branches, the command line's errors, derivatives taken on threads."""

from __future__ import annotations

import linecache
import math
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from fd import numeric_grad

import pullback as pb

sympy = pytest.importorskip("sympy")
symbolic = pb.symbolic


# -- 1. symbolic mode: every branch, or a refusal ------------------------------------------------


def if_else(x):
    if x > 0:
        return x * x
    else:
        return -x


def conditional_expression(x):
    return np.sin(x) if x < 0.5 else x**3


def elif_chain(x):
    if x < -1:
        y = -x
    elif x < 1:
        y = x * x
    else:
        y = 2 * x - 1 + np.log(x)
    return y


def where(x):
    return np.where(x > 0, x * x, -x)


def builtin_abs(x):
    return abs(x) * x + np.abs(x - 1.0)


def maximum_minimum(x):
    return np.maximum(x, 0.5) * np.minimum(x * x, 2.0)


def builtin_max_min(x):
    return max(x, 0.0) + min(x * x, 1.0) * x


def loop_with_branch(x):
    for i in range(3):
        if x > i:
            x = x * 1.5
    return x


def and_condition(x):
    if x > -1 and x < 1:
        return np.cos(x)
    return x * x / 2


def math_on_one_side(x):
    return math.sqrt(x) if x > 0 else -x


def steps(x):
    return x * np.floor(x) + np.sign(x) * x + np.ceil(x / 2)


BRANCHING = {
    if_else: (-2.0, -0.3, 0.4, 2.5),
    conditional_expression: (-1.0, 0.2, 0.7, 2.0),
    elif_chain: (-3.0, -0.5, 0.5, 3.0),
    where: (-2.0, -0.3, 0.4, 2.5),
    builtin_abs: (-2.0, -0.3, 0.4, 1.7),
    maximum_minimum: (-1.0, 0.3, 0.9, 1.8),
    builtin_max_min: (-1.5, 0.4, 1.6),
    loop_with_branch: (-1.0, 0.3, 0.8, 1.2, 3.0),
    and_condition: (-2.0, -0.5, 0.5, 2.0),
    math_on_one_side: (-2.0, 0.5, 3.0),
    steps: (-1.5, 0.3, 2.5, 3.7),
}


def central_difference(f, x: float) -> float:
    return numeric_grad(f, (x,))


def _at(expr, symbol, point: float) -> float:
    return float(expr.subs(symbol, point).evalf())


@pytest.mark.parametrize("f", BRANCHING, ids=lambda f: f.__name__)
@pytest.mark.parametrize("at", [None, (-0.8,), (2.2,)], ids=["default", "left", "right"])
def test_symbolic_expression_holds_on_every_branch(f, at):
    expr = symbolic.expression(f, at=at)
    d = symbolic.derivative(f, at=at)
    x = sympy.Symbol("x", real=True)
    for point in BRANCHING[f]:
        assert _at(expr, x, point) == pytest.approx(float(f(point)), rel=1e-12, abs=1e-12), point
        expected = central_difference(lambda t: float(f(t)), point)
        assert _at(d, x, point) == pytest.approx(expected, rel=1e-6, abs=1e-8), point


@pytest.mark.parametrize(
    "f", [if_else, where, builtin_abs, maximum_minimum, conditional_expression]
)
def test_a_branch_on_a_comparison_is_a_piecewise(f):
    assert symbolic.derivative(f).has(sympy.Piecewise)


def test_two_arguments_branching_on_both():
    def f(x, y):
        if x > y:
            return x * y
        return np.where(y > 1, y**2, x + y)

    dx = symbolic.derivative(f, 0)
    dy = symbolic.derivative(f, "y")
    xs, ys = sympy.symbols("x y", real=True)
    for px, py in [(2.0, 1.0), (0.5, 1.5), (0.2, 0.7), (-1.0, 0.5)]:
        at = {xs: px, ys: py}
        gx = numeric_grad(f, (px, py), 0)
        gy = numeric_grad(f, (px, py), 1)
        assert float(dx.subs(at)) == pytest.approx(gx, rel=1e-6, abs=1e-8)
        assert float(dy.subs(at)) == pytest.approx(gy, rel=1e-6, abs=1e-8)


def while_doubling(x):
    while x < 10:
        x *= 2
    return x


def test_a_loop_whose_count_depends_on_the_arguments_is_refused():
    with pytest.raises(pb.PullbackError, match="how often this loop runs depends") as err:
        symbolic.derivative(while_doubling)
    assert "while x < 10" in str(err.value) and __file__ in str(err.value)
    with pytest.raises(pb.PullbackError, match="int\\(\\) of a value that depends"):
        symbolic.expression(lambda x: sum(x for _ in range(int(x))), at=(2.5,))


def test_the_mode_primitives_still_follow_the_path_of_each_call():
    df = pb.grad(while_doubling, mode="symbolic")
    for point in (0.7, 3.0, 12.0, 0.1):
        assert df(point) == pytest.approx(central_difference(while_doubling, point), rel=1e-6)


def test_integer_argument_counts_are_held_at_their_value():
    def power(x, n):
        for _ in range(n):
            x = x * x
        return x

    xs = sympy.Symbol("x", real=True)
    assert sympy.simplify(symbolic.derivative(power, at=(1.0, 3)) - 8 * xs**7) == 0


def test_a_cached_path_is_not_reused_where_its_branch_is_not_taken():
    def f(x):  # both branches give 1.0 at x = -1, with slopes -2 and 2
        return x * x if x > 0 else 2 - x * x

    df = pb.grad(f, mode="symbolic")
    assert df(2.0) == pytest.approx(4.0)
    assert df(-1.0) == pytest.approx(2.0)
    value, vjp_fn = pb.vjp(f, -1.0, mode="symbolic")
    assert vjp_fn(1.0)[0] == pytest.approx(2.0)
    assert pb.jvp(f, (-1.0,), (1.0,), mode="symbolic")[1] == pytest.approx(2.0)


def test_stop_gradient_keeps_its_value_and_drops_its_derivative():
    def f(x):
        return pb.stop_gradient(x) * x + np.floor(x) * x

    d = symbolic.derivative(f)
    x = sympy.Symbol("x", real=True)
    for point in (-1.5, 0.3, 2.5):
        assert _at(d, x, point) == pytest.approx(pb.grad(f)(point))
        assert _at(d, x, point) == pytest.approx(point + math.floor(point))


def test_a_traced_graph_is_nan_off_its_path():
    expr = symbolic.expression(pb.trace(if_else, 1.0))
    x = sympy.Symbol("x", real=True)
    assert _at(expr, x, 3.0) == 9.0
    assert sympy.nan == expr.subs(x, -1.0)


# -- 2. the command line: one-line errors, exit status 2 for bad input, quiet closed pipes ------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANY_LINES = "\n".join(f"    y = np.sin(y) * y + {i}.0" for i in range(600))
MODEL = f"""
import numpy as np

def loss(w, x):
    h = np.tanh(x * w)
    return np.sum(h ** 2)

def long(x):
    y = x
{MANY_LINES}
    return y

def looped(x):
    y = x
    for _ in range(3000):
        y = np.sin(y) * y + x
    return y

def divides(x):
    return 1.0 / (x - x)

not_a_function = 3
"""


@pytest.fixture
def cli_dir(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom at import')\n")
    (tmp_path / "syntax.py").write_text("def f(x:\n")
    return tmp_path


def _env():
    return {"PYTHONPATH": os.path.join(ROOT, "src"), "PATH": "/usr/bin:/bin"}


def _cli(cwd, *args):
    return subprocess.run(
        [sys.executable, "-m", "pullback", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(),
        timeout=300,
    )


BAD_INPUT = [
    (("show", "model.py:loss", "--argnums", "x"), "--argnums"),
    (("show", "model.py:loss", "--argnums", "5"), "out of range"),
    (("show", "model.py:loss", "--mode", "graph"), "needs --args"),
    (("show", "model.py:loss", "--mode", "graph", "--args", "0.5"), "cannot take 1 argument"),
    (("show", "model.py:loss", "--mode", "graph", "--args", "[1,", "2"), "not a Python literal"),
    (("show", "model.py:loss", "--mode", "bogus"), "invalid choice"),
    (("show", "model.py:nothing"), "defines no 'nothing'"),
    (("show", "model.py:not_a_function"), "is not a function"),
    (("show", "missing.py:f"), "no such file"),
    (("show", "model.py"), "expected FILE.py:FUNC"),
    (("show", "syntax.py:f"), "cannot import syntax.py"),
    (("check", "model.py:loss", "--args", "0.5"), "cannot take 1 argument"),
    (("check", "model.py:loss", "--args", "0.5", "1.0", "2.0"), "cannot take 3 argument"),
    (("check", "model.py:loss", "--args", "abc", "1.0"), "not a Python literal"),
    (("check", "model.py:loss", "--args", "['a']", "1.0"), "not a list of numbers"),
    (("check", "model.py:loss", "--args", "0.5", "1.0", "--mode", "bogus"), "invalid choice"),
    (("check", "model.py:loss", "--args", "0.5", "1.0", "--order", "0"), "positive integer"),
    (("check", "model.py:missing", "--args", "0.5"), "defines no"),
    (("view", "model.py:loss", "--args", "0.5"), "cannot take 1 argument"),
    (("view", "model.py:not_a_function", "--args", "0.5"), "is not a function"),
    (
        ("view", "model.py:loss", "--args", "0.5", "1.0", "-o", "/no/such/dir/p.html"),
        "cannot write",
    ),
    (("demo", "--bogus"), "unrecognized arguments"),
    (("bogus",), "invalid choice"),
    ((), "required"),
]


@pytest.mark.parametrize(
    "args, message", BAD_INPUT, ids=lambda a: " ".join(a) if isinstance(a, tuple) else None
)
def test_bad_input_is_one_error_line_and_exit_status_2(cli_dir, args, message):
    done = _cli(cli_dir, *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith((" ", "usage:"))]
    assert len(lines) == 1, done.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (("show", "broken.py:f"), "RuntimeError: boom at import"),
        (("check", "model.py:divides", "--args", "1.0"), "ZeroDivisionError"),
    ],
)
def test_a_failing_user_function_is_one_line_naming_its_place(cli_dir, args, message):
    done = _cli(cli_dir, *args)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert message in done.stderr and ".py:" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize(
    "command",
    [
        "show model.py:long",
        "show model.py:looped --mode graph --args 0.5",
        "check model.py:loss --args 0.5 1.0",
        "demo",
    ],
)
def test_a_closed_pipe_ends_quietly(cli_dir, command):
    done = subprocess.run(
        f"{sys.executable} -m pullback {command} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=cli_dir,
        env=_env(),
        timeout=300,
    )
    assert done.stdout.strip(), done.stderr
    assert done.stderr == "", done.stderr


def test_show_graph_mode_differentiates_the_argnums_asked_for(cli_dir):
    both = _cli(cli_dir, "show", "model.py:loss", "--mode", "graph", "--args", "0.5", "1.0")
    second = _cli(cli_dir, "show", *"model.py:loss --mode graph --args 0.5 1.0 --argnums 1".split())
    pair = _cli(cli_dir, "show", *"model.py:loss --mode graph --args 0.5 1.0 --argnums 0,1".split())
    assert both.returncode == second.returncode == pair.returncode == 0
    assert "return (w_bar,)" in both.stdout  # argnums=0 by default, as in source mode
    assert "return (x_bar,)" in second.stdout and "w_bar" not in second.stdout
    assert "return (w_bar, x_bar)" in pair.stdout


# -- 3. derivatives of fresh functions on eight threads at once ---------------------------------

THREADS = 8


def _fresh_function(k: int):
    """A new function per call: built by exec of its own source, or a closure (every other)."""
    if k % 2:
        scale = 1.0 + k

        def closure(x):
            return np.sum(np.sin(x * scale) * x)

        return closure, lambda x: np.sin(x * scale) + scale * x * np.cos(x * scale)
    source = f"def fresh_{k}(x):\n    y = x * {k + 1}.0\n    return np.sum(np.tanh(y) * y)\n"
    namespace = {"np": np}
    filename = f"<fresh {k}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    c = k + 1.0
    return namespace[f"fresh_{k}"], lambda x: c * np.tanh(c * x) + c * c * x / np.cosh(c * x) ** 2


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_grad_of_fresh_functions_on_eight_threads_at_once(mode):
    for round_ in range(3):
        barrier = threading.Barrier(THREADS)
        errors: list = []

        def work(k, round_=round_, barrier=barrier, errors=errors):
            try:
                f, slope = _fresh_function(k + THREADS * round_)
                x = np.linspace(0.1, 1.0, 1 + k % 4)  # different shapes
                barrier.wait()
                g = pb.grad(f, mode=mode)(x)
                np.testing.assert_allclose(g, slope(x), rtol=1e-10, atol=1e-12)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append((k, error))

        threads = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
