"""compile="numba": compiled derivatives of loop kernels, Numba kernels as first-class
functions and inside models, checked against finite differences and the uncompiled code."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb
from pullback.source.backend.kinds import kind_of
from pullback.source.backend.lean import specialize

numba = pytest.importorskip("numba", reason="compile='numba' needs Numba (in the dev extra)")

_spec = importlib.util.spec_from_file_location(
    "bench_kernels_defs", Path(__file__).resolve().parents[1] / "benchmarks" / "kernels.py"
)
kernels = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = kernels  # dataclasses look their module up
_spec.loader.exec_module(kernels)
KERNELS = kernels.KERNELS

SMALL = {
    "w4": [1, 7, 40],
    "recurrence": [2, 9, 30],
    "heat": [(5, 2), (7, 3)],
    "lennard_jones": [2, 5, 9],
}
CASES = [(name, size) for name, sizes in SMALL.items() for size in sizes]


@pytest.mark.parametrize(("name", "size"), CASES)
def test_compiled_gradient_matches_finite_differences(name, size):
    k = KERNELS[name]
    args = k.make(size)
    got = pb.grad(k.f, compile="numba")(*args)
    assert_close(got, numeric_grad(k.f, args), rtol=1e-5, atol=1e-6)
    assert_close(got, pb.grad(k.f)(*args), rtol=1e-12, atol=1e-12)  # the uncompiled code
    assert_close(got, numba.njit(k.adjoint)(*args), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("name", "size"), CASES)
def test_compiled_value_and_grad(name, size):
    k = KERNELS[name]
    args = k.make(size)
    value, g = pb.value_and_grad(k.f, compile="numba")(*args)
    assert value == pytest.approx(k.f(*args), rel=1e-12)
    assert_close(g, numeric_grad(k.f, args), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("name", "size"), CASES)
def test_the_specialized_code_runs_under_cpython_too(name, size):
    # lean.specialize writes plain Python: without Numba it computes the same gradient
    import ast

    k = KERNELS[name]
    args = k.make(size)
    df = pb.grad(k.f)
    gen = df.__pullback_generated__
    tree = ast.parse(df.__pullback_module__.text)
    fdef = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == gen.__name__)
    params = gen.__code__.co_varnames[: gen.__code__.co_argcount]
    kinds = {p: kind_of(a) for p, a in zip(params, args, strict=True)}
    namespace = {**gen.__globals__, "np": np, "math": math}
    exec(ast.unparse(specialize(fdef, kinds, namespace)), namespace)
    assert_close(namespace[gen.__name__](*args), df(*args), rtol=1e-12, atol=1e-12)


def w4(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.sin(x[i]) * x[i]
    return s


def test_compiled_code_records_nothing_it_can_read_again():
    df = pb.grad(w4, compile="numba")
    x = np.linspace(-1.0, 2.0, 11)
    assert_close(df(x), np.cos(x) * x + np.sin(x))
    text = pb.source(df)
    # x[i] is read again, s is never needed by the adjoint, two numbers need no unbroadcast
    for gone in ("_tape", "[None]", "unbroadcast", "seed(", "zeros_like_value"):
        assert gone not in text, text
    assert "x_bar[i] +=" in text
    where = {m.filename for m in pb.source_map(df)}
    assert where == {__file__}


def test_one_specialization_per_argument_kind():
    df = pb.grad(w4, compile="numba")
    x64 = np.linspace(0.1, 1.0, 5)
    g64 = df(x64)
    g32 = df(x64.astype(np.float32))
    assert_close(g32, g64, rtol=1e-5, atol=1e-6)
    assert len(df.__pullback_compiled__) == 2
    df(x64 + 1.0)
    assert len(df.__pullback_compiled__) == 2


def zero_times_inf(x):
    s = 0.0
    for i in range(x.shape[0]):
        d = x[i] - x[i]  # zero, so sqrt's derivative there is inf; its adjoint is zero
        s += 0.0 * math.sqrt(d) + x[i]
    return s


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_zero_adjoint_times_an_infinite_partial_stays_zero_when_compiled():
    x = np.array([0.5, 1.5, 2.0])
    assert_close(pb.grad(zero_times_inf)(x), np.ones(3))
    assert_close(pb.grad(zero_times_inf, compile="numba")(x), np.ones(3))


def test_a_scalar_argument_and_a_second_argument():
    def power_sum(x, p):
        s = 0.0
        for i in range(x.shape[0]):
            s += x[i] ** p
        return s

    x = np.array([0.5, 1.5, 2.0])
    dp = pb.grad(power_sum, argnums=1, compile="numba")(x, 2.5)
    assert dp == pytest.approx(numeric_grad(power_sum, (x, 2.5), argnums=1), rel=1e-6)
    dx, dp2 = pb.grad(power_sum, argnums=(0, 1), compile="numba")(x, 2.5)
    assert_close(dx, numeric_grad(power_sum, (x, 2.5)))
    assert dp2 == pytest.approx(dp)


# -- Numba kernels are first-class ------------------------------------------------------------
@numba.njit
def njit_w4(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.sin(x[i]) * x[i]
    return s


def test_grad_of_an_njit_kernel_is_compiled():
    x = np.linspace(-1.0, 1.0, 9)
    df = pb.grad(njit_w4)
    assert_close(df(x), numeric_grad(njit_w4.py_func, (x,)))
    assert df.__pullback_compiled__  # compiled by default
    inner = df.dispatcher(x)

    @numba.njit
    def twice(x):  # other njit code calls the derivative
        return 2.0 * inner(x)

    assert_close(twice(x), 2.0 * df(x))


def test_an_njit_kernel_uncompiled_on_request_and_in_tape_mode():
    x = np.linspace(-1.0, 1.0, 9)
    want = numeric_grad(njit_w4.py_func, (x,))
    assert_close(pb.grad(njit_w4, compile=None)(x), want)  # source mode, compiled by default
    assert_close(pb.grad(njit_w4, mode="numeric")(x), want, rtol=1e-4, atol=1e-5)


def model(w):
    h = np.tanh(2.0 * w)
    return njit_w4(h) + np.sum(w * w)


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_a_model_calling_a_kernel(mode):
    df = pb.grad(model, mode=mode)
    for w in (np.linspace(-0.7, 0.9, 6), np.linspace(0.2, 1.3, 6)):  # graph: a second point
        assert_close(df(w), numeric_grad(model, (w,)))
        _, t = pb.jvp(model, (w,), (np.ones(6),), mode=mode)
        assert t == pytest.approx(float(np.sum(numeric_grad(model, (w,)))), rel=1e-6)


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_a_second_order_through_a_kernel_in_a_model(mode):
    # its gradient's derivatives are forward mode over the kernel's generated gradient
    # (test_compile_numba_vjp checks them against differences)
    w = np.linspace(-0.7, 0.9, 3)
    h = np.tanh(2.0 * w)
    dh, d2h = 2.0 * (1.0 - h * h), -8.0 * h * (1.0 - h * h)
    dk, d2k = np.cos(h) * h + np.sin(h), 2.0 * np.cos(h) - h * np.sin(h)  # of sin(h) * h
    want = np.diag(d2k * dh * dh + dk * d2h + 2.0)
    assert_close(pb.hessian(model, mode=mode)(w), want)


def test_higher_orders_of_a_kernel_itself_run_its_python_function():
    x = np.linspace(-1.0, 1.0, 4)
    want = np.diag(2.0 * np.cos(x) - x * np.sin(x))  # d2/dx2 of sin(x) * x, entry by entry
    assert_close(pb.hessian(njit_w4)(x), want)
    assert_close(pb.hvp(njit_w4, (x,), (np.ones(4),)), want @ np.ones(4))


@numba.njit
def njit_vector(x):
    return x * 2.0


def test_a_kernel_returning_an_array_inside_a_model_is_refused():
    def f(w):
        return np.sum(njit_vector(w))

    with pytest.raises(pb.PullbackError, match="must return one number"):
        pb.grad(f)(np.ones(3))


# -- clear errors -------------------------------------------------------------------------------
def test_an_argument_compiled_code_cannot_take_is_named():
    df = pb.grad(w4, compile="numba")
    with pytest.raises(pb.CompileError, match="argument 'x' of w4 is a list"):
        df([1.0, 2.0])
    with pytest.raises(pb.CompileError, match="dtype object"):
        df(np.array([1.0, "a"], dtype=object))
    with pytest.raises(pb.CompileError, match="keyword"):
        df(x=np.ones(2))


def uses_a_dict(x):
    table = {"a": 1.0}
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * table["a"]
    return s


def test_code_numba_cannot_type_names_the_users_line():
    df = pb.grad(uses_a_dict, compile="numba")
    with pytest.raises(pb.CompileError) as info:
        df(np.ones(3))
    error = info.value
    assert error.filename == __file__
    assert "compile=None" in str(error)
    assert pb.grad(uses_a_dict)(np.ones(3)) == pytest.approx(np.ones(3))


def test_bad_compile_requests():
    with pytest.raises(pb.PullbackError, match="None or 'numba'"):
        pb.grad(w4, compile="cython")
    with pytest.raises(pb.PullbackError, match="mode='source'"):
        pb.grad(w4, mode="tape", compile="numba")
    with pytest.raises(pb.PullbackError, match="has_aux"):
        pb.grad(w4, has_aux=True, compile="numba")


def test_the_core_never_imports_numba(tmp_path):
    code = (
        "import sys, numpy as np, pullback as pb\n"
        "def f(x):\n"
        "    return np.sum(np.sin(x) * x)\n"
        "pb.grad(f)(np.ones(3)); pb.grad(f, mode='tape')(np.ones(3))\n"
        "print('numba' in sys.modules)\n"
    )
    script = tmp_path / "no_numba.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_vjp_and_jvp_of_a_kernel_run_uncompiled_unless_asked():
    x = np.linspace(-1.0, 1.0, 5)
    want = numeric_grad(njit_w4.py_func, (x,))
    value, back = pb.vjp(njit_w4, x)
    assert value == pytest.approx(njit_w4(x))
    assert_close(back(1.0)[0], want)
    _, t = pb.jvp(njit_w4, (x,), (np.ones(5),))
    assert t == pytest.approx(float(np.sum(want)))
    _, back = pb.vjp(w4, x, compile="numba")  # test_compile_numba_vjp: the compiled VJP
    assert_close(back(1.0)[0], want)


@pytest.mark.parametrize(("name", "size"), CASES)
def test_compiled_jvp(name, size):
    k = KERNELS[name]
    args = k.make(size)
    rng = np.random.default_rng(1)
    tangents = tuple(
        rng.standard_normal(np.shape(a)) if isinstance(a, np.ndarray) else 0 for a in args
    )
    value, t = pb.jvp(k.f, args, tangents, compile="numba")
    assert value == pytest.approx(k.f(*args), rel=1e-12)
    want = float(np.sum(numeric_grad(k.f, args) * tangents[0]))
    assert t == pytest.approx(want, rel=1e-5, abs=1e-6)
    assert t == pytest.approx(pb.jvp(k.f, args, tangents)[1], rel=1e-12, abs=1e-12)


def until_large(x):
    s = 0.0
    k = 0
    while k < x.shape[0] and s < 5.0:  # a data-dependent while loop
        s = s + math.exp(0.1 * x[k]) * x[k]
        k += 1
    return s


def branch_and_break(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            s += math.sqrt(x[i]) * s + x[i]
        else:
            s += x[i] ** 2
        if s > 3.0:
            break
    return s


@pytest.mark.parametrize("fn", [until_large, branch_and_break])
def test_control_flow_kernels_compile(fn):
    # a while test's names stay live through the loop body (else the loop never ends)
    for x in (np.linspace(-1.0, 2.0, 12), np.linspace(0.5, 0.6, 3)):
        got = pb.grad(fn, compile="numba")(x)
        assert_close(got, numeric_grad(fn, (x,)))
        assert_close(got, pb.grad(fn)(x), rtol=1e-12, atol=1e-12)


def test_the_specializer_agrees_with_the_generic_derivative_on_generated_programs():
    # lean.specialize on the gradients of random programs (lists, dicts, closures, callees,
    # branches, while loops), run under CPython: the same numbers, or no specialization
    import ast
    import random

    from program_gen import generate
    from test_program_generator import load

    checked = 0
    for index in range(60):
        program = generate(20261203, index)
        try:
            f = load(program.source, f"lean_{index}").f
            args = program.sample_args(random.Random(index))
            df = pb.grad(f)
            want = df(*args)
        except Exception:  # noqa: BLE001 - a program the generic derivative refuses
            continue
        gen = df.__pullback_generated__
        tree = ast.parse(df.__pullback_module__.text)
        fdef = next(
            n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == gen.__name__
        )
        params = gen.__code__.co_varnames[: gen.__code__.co_argcount]
        kinds = {p: kind_of(a) for p, a in zip(params, args, strict=True)}
        namespace = {**gen.__globals__, "np": np, "math": math}
        exec(ast.unparse(specialize(fdef, kinds, namespace)), namespace)
        got = namespace[gen.__name__](*args)
        np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol=1e-10)
        checked += 1
    assert checked >= 40
