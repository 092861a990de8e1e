"""compile="numba" on pb.vjp and on the compositions (jacobian, hessian, hvp), while loops
compiled, and second derivatives through Numba kernels inside models: checked against
finite differences and the uncompiled code."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb

numba = pytest.importorskip("numba", reason="compile='numba' needs Numba (in the dev extra)")

_spec = importlib.util.spec_from_file_location(
    "bench_kernels_vjp_defs", Path(__file__).resolve().parents[1] / "benchmarks" / "kernels.py"
)
kernels = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = kernels
_spec.loader.exec_module(kernels)
KERNELS = kernels.KERNELS


def heat3(u0):
    """The heat stencil of kernels.py, three steps (pb.vjp takes no integer primal)."""
    u = u0.copy()
    n = u.shape[0]
    m = u.shape[1]
    for _ in range(3):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                u[i, j] = u[i, j] + 0.1 * (
                    u[i + 1, j] + u[i - 1, j] + u[i, j + 1] + u[i, j - 1] - 4.0 * u[i, j]
                )
    e = 0.0
    for i in range(n):
        for j in range(m):
            e += u[i, j] * u[i, j]
    return e


def recurrence_array(x):
    n = x.shape[0]
    y = np.zeros(n)
    y[0] = math.sin(x[0])
    for i in range(1, n):
        y[i] = 0.9 * y[i - 1] + math.sin(x[i])
    return y


def _point(name, size):
    return KERNELS[name].make(size)


SCALAR_CASES = [
    (KERNELS["w4"].f, ("w4", 7)),
    (KERNELS["recurrence"].f, ("recurrence", 9)),
    (heat3, ("heat", (6, 0))),
    (KERNELS["lennard_jones"].f, ("lennard_jones", 5)),
]
IDS = ["w4", "recurrence", "heat", "lennard_jones"]


@pytest.mark.parametrize(("f", "point"), SCALAR_CASES, ids=IDS)
def test_compiled_vjp_of_a_scalar_kernel(f, point):
    (x,) = _point(*point)[:1]
    value, back = pb.vjp(f, x, compile="numba")
    assert value == pytest.approx(f(x), rel=1e-12)
    want = numeric_grad(f, (x,))
    for ct in (1.0, -2.5):
        (got,) = back(ct)
        assert_close(got, ct * want, rtol=1e-5, atol=1e-6)
        assert_close(got, pb.vjp(f, x)[1](ct)[0], rtol=1e-12, atol=1e-12)
    assert_close(back(1.0)[0], want, rtol=1e-5, atol=1e-6)  # the saved state is unchanged


def test_the_pullback_calls_compiled_code_split_at_the_seed():
    f = KERNELS["w4"].f
    x = _point("w4", 11)[0]
    value, back = pb.vjp(f, x, compile="numba")
    forward, backward = back.dispatchers
    assert forward.signatures and backward.signatures  # both sweeps ran compiled
    text = pb.source(back)
    assert "def w4_kernel_forward(x):" in text and "def w4_kernel_backward(" in text
    assert "cotangent" in text and "_tape" not in text and "[None]" not in text
    assert {m.filename for m in pb.source_map(back)} == {kernels.__file__}
    back(1.0)
    assert len(forward.signatures) == 1  # the pullback did not run the forward sweep again
    assert len(backward.signatures) == 1


def test_one_specialization_per_primal_kind():
    f = KERNELS["w4"].f
    x = _point("w4", 5)[0]
    _, back = pb.vjp(f, x, compile="numba")
    _, back32 = pb.vjp(f, x.astype(np.float32), compile="numba")
    assert_close(back32(1.0)[0], back(1.0)[0], rtol=1e-5, atol=1e-6)
    _, again = pb.vjp(f, x + 1.0, compile="numba")
    assert len(again.__pullback_compiled__) == 2


@pytest.mark.parametrize("n", [2, 6])
def test_compiled_vjp_with_an_array_cotangent(n):
    x = np.random.default_rng(3).standard_normal(n)
    value, back = pb.vjp(recurrence_array, x, compile="numba")
    assert_close(value, recurrence_array(x), rtol=1e-12, atol=1e-12)
    jac = pb.jacobian(recurrence_array)(x)
    for ct in (np.ones(n), np.random.default_rng(4).standard_normal(n)):
        (got,) = back(ct)
        assert_close(got, ct @ jac, rtol=1e-10, atol=1e-12)
        assert_close(got, pb.vjp(recurrence_array, x)[1](ct)[0], rtol=1e-12, atol=1e-12)
    value[0] = 99.0  # the caller's array: the saved state is not it
    assert_close(back(np.ones(n))[0], np.ones(n) @ jac, rtol=1e-10, atol=1e-12)
    with pytest.raises(pb.PullbackError):
        back(np.ones(n + 1))  # a cotangent of the wrong shape


def test_compiled_vjp_of_two_primals():
    def power_sum(x, p):
        s = 0.0
        for i in range(x.shape[0]):
            s += x[i] ** p
        return s

    x = np.array([0.5, 1.5, 2.0])
    _, back = pb.vjp(power_sum, x, 2.5, compile="numba")
    dx, dp = back(2.0)
    assert_close(dx, 2.0 * numeric_grad(power_sum, (x, 2.5)))
    assert dp == pytest.approx(2.0 * numeric_grad(power_sum, (x, 2.5), argnums=1), rel=1e-6)
    assert isinstance(dp, float)


@numba.njit
def njit_w4(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.sin(x[i]) * x[i]
    return s


def test_vjp_of_an_njit_kernel_compiles_on_request_only():
    x = np.linspace(-1.0, 1.0, 5)
    want = numeric_grad(njit_w4.py_func, (x,))
    value, back = pb.vjp(njit_w4, x, compile="numba")
    assert value == pytest.approx(njit_w4(x))
    assert_close(back(1.0)[0], want)
    assert hasattr(back, "dispatchers")
    value, back = pb.vjp(njit_w4, x)  # uncompiled by default, as before
    assert_close(back(1.0)[0], want)


# -- compositions -----------------------------------------------------------------------------
@pytest.mark.parametrize("direction", ["rev", "fwd"])
@pytest.mark.parametrize(("f", "point"), SCALAR_CASES, ids=IDS)
def test_compiled_jacobian_of_a_scalar_kernel(f, point, direction):
    (x,) = _point(*point)[:1]
    got = pb.jacobian(f, compile="numba", direction=direction)(x)
    assert_close(got, numeric_grad(f, (x,)), rtol=1e-5, atol=1e-6)
    assert_close(got, pb.jacobian(f, direction=direction)(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("direction", ["rev", "fwd"])
def test_compiled_jacobian_of_an_array_valued_kernel(direction):
    x = np.random.default_rng(5).standard_normal(5)
    got = pb.jacobian(recurrence_array, compile="numba", direction=direction)(x)
    assert_close(got, pb.jacobian(recurrence_array)(x), rtol=1e-10, atol=1e-12)
    h = 1e-6
    cols = [
        (recurrence_array(x + h * e) - recurrence_array(x - h * e)) / (2 * h) for e in np.eye(5)
    ]
    assert_close(got, np.stack(cols, axis=-1), rtol=1e-5, atol=1e-6)


def test_compiled_jacobian_with_argnums():
    f = KERNELS["heat"].f
    u0, steps = _point("heat", (5, 2))
    got = pb.jacobian(f, argnums=0, compile="numba")(u0, steps)
    assert_close(got, numeric_grad(f, (u0, steps)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("f", "point"), [SCALAR_CASES[0], SCALAR_CASES[3]], ids=IDS[::3])
def test_compiled_hessian_and_hvp(f, point):
    # forward mode over the gradient specialized on the kinds, compiled
    (x,) = _point(*point)[:1]
    want = pb.hessian(f)(x)
    got = pb.hessian(f, compile="numba")(x)
    assert_close(got, want, rtol=1e-10, atol=1e-10)
    v = np.cos(np.arange(x.size)).reshape(x.shape)
    hv = pb.hvp(f, (x,), (v,), compile="numba")
    assert_close(hv, pb.hvp(f, (x,), (v,)), rtol=1e-10, atol=1e-10)
    g = pb.grad(f)
    h = 1e-6
    assert_close(hv, (g(x + h * v) - g(x - h * v)) / (2 * h), rtol=1e-5, atol=1e-6)


def test_hessian_and_hvp_say_which_part_cannot_be_compiled():
    f = KERNELS["recurrence"].f
    x = _point("recurrence", 4)[0]
    for thunk in (
        lambda: pb.hessian(f, compile="numba")(x),
        lambda: pb.hvp(f, (x,), (np.ones(4),), compile="numba"),
    ):
        with pytest.raises(pb.CompileError, match="forward mode over the gradient of recurrence"):
            thunk()
    assert_close(pb.hvp(f, (x,), (np.ones(4),)), pb.hessian(f)(x) @ np.ones(4))  # uncompiled


def test_bad_compiled_vjp_requests():
    x = np.ones(3)
    f = KERNELS["w4"].f
    with pytest.raises(pb.PullbackError, match="primal 0 of w4_kernel is an array of dtype obj"):
        pb.vjp(f, np.array([1.0, "a"], dtype=object), compile="numba")
    with pytest.raises(pb.CompileError, match="argument 'x' of w4_kernel is a list"):
        pb.vjp(f, [1.0, 2.0], compile="numba")
    with pytest.raises(pb.PullbackError, match="has_aux"):
        pb.vjp(f, x, has_aux=True, compile="numba")
    with pytest.raises(pb.PullbackError, match="None or 'numba'"):
        pb.vjp(f, x, compile="cython")
    with pytest.raises(pb.PullbackError, match="mode='source'"):
        pb.vjp(f, x, mode="tape", compile="numba")
    with pytest.raises(pb.PullbackError, match="None or 'numba'"):
        pb.jacobian(f, compile="cython")


# -- while loops ------------------------------------------------------------------------------
def newton_sqrt(a):
    y = a
    err = 1.0
    while err > 1e-12:
        y_new = 0.5 * (y + a / y)
        err = abs(y_new - y)
        y = y_new
    return y


def walk(x):
    i = 0
    s = 1.0
    while i < x.shape[0]:
        s = s * math.sin(x[i]) + x[i]
        i += 1
    return s


def until_tolerance(x):
    s = 0.0
    k = 0
    err = 1.0
    while err > 1e-3 and k < x.shape[0]:
        step = math.exp(-k) * math.cos(x[k])
        s = s + step
        err = abs(step)
        k += 1
    return s * s


@pytest.mark.parametrize("a", [0.7, 2.0, 30.0])
def test_a_newton_iteration_compiles(a):
    df = pb.grad(newton_sqrt, compile="numba")
    assert df(a) == pytest.approx(0.5 / math.sqrt(a), rel=1e-9)
    assert df(a) == pytest.approx(numeric_grad(newton_sqrt, (a,)), rel=1e-6)
    assert df.__pullback_compiled__
    value, back = pb.vjp(newton_sqrt, a, compile="numba")
    assert value == pytest.approx(math.sqrt(a))
    assert back(2.0)[0] == pytest.approx(2.0 * df(a), rel=1e-12)
    assert back(2.0)[0] == pytest.approx(2.0 * df(a), rel=1e-12)  # a stack popped: again


@pytest.mark.parametrize("fn", [walk, until_tolerance])
def test_while_loops_over_an_array_index_compile(fn):
    for x in (np.linspace(-1.0, 2.0, 9), np.linspace(0.1, 0.2, 2)):
        got = pb.grad(fn, compile="numba")(x)
        assert_close(got, numeric_grad(fn, (x,)))
        assert_close(got, pb.grad(fn)(x), rtol=1e-12, atol=1e-12)
        _, back = pb.vjp(fn, x, compile="numba")
        assert_close(back(1.0)[0], got, rtol=1e-12, atol=1e-12)
        assert_close(back(1.0)[0], got, rtol=1e-12, atol=1e-12)


def test_a_while_loop_stack_is_a_typed_list_not_a_list_of_none():
    df = pb.grad(walk, compile="numba")
    df(np.linspace(0.1, 1.0, 5))
    text = pb.source(df)
    assert "[None]" not in text and "= None" not in text
    assert "_stack = []" in text  # Numba's typed, growable list of float64


# -- second order through Numba kernels inside models -------------------------------------------
@numba.njit
def njit_scalar(a):
    y = a
    for _ in range(5):
        y = y - (y * y - a) / (2.0 * y)
    return math.sin(y) * a


def scalar_model(a):
    return njit_scalar(a * 2.0) + a * a


def model(w):
    h = np.tanh(2.0 * w)
    return njit_w4(h) + np.sum(w * w)


def model_of_two(w, p):
    return njit_power(np.tanh(w), p) * p


@numba.njit
def njit_power(x, p):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i] * p + math.sin(p * x[i])
    return s


def _second_differences(f, x, h=1e-4):
    g = pb.grad(f, mode="tape")
    x = np.asarray(x, float)
    cols = []
    for e in np.eye(x.size):
        e = e.reshape(x.shape)
        cols.append((np.asarray(g(x + h * e)) - np.asarray(g(x - h * e))) / (2 * h))
    return np.stack(cols, axis=-1).reshape(x.shape + x.shape)


def test_grad_of_grad_of_a_scalar_njit_kernel():
    a = 2.0
    want = float(_second_differences(njit_scalar.py_func, np.array(a)))
    assert pb.grad(pb.grad(njit_scalar))(a) == pytest.approx(want, rel=1e-6)
    with pytest.raises(pb.PullbackError, match=r"py_func"):
        pb.grad(njit_scalar, mode="tape")  # compiled code cannot run on a tape's values


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_grad_of_grad_of_a_model_calling_a_scalar_kernel(mode):
    a = 1.3
    want = float(_second_differences(scalar_model, np.array(a)))
    got = pb.grad(pb.grad(scalar_model, mode=mode), mode=mode)(a)
    assert got == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
def test_hessian_and_hvp_of_a_model_calling_a_kernel(mode):
    for w in (np.linspace(-0.7, 0.9, 4), np.linspace(0.2, 1.3, 4)):  # graph: a second point
        want = _second_differences(model, w)
        assert_close(pb.hessian(model, mode=mode)(w), want, rtol=1e-6, atol=1e-6)
        v = np.array([0.5, -1.0, 0.25, 2.0])
        assert_close(pb.hvp(model, (w,), (v,), mode=mode), want @ v, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", ["source", "tape"])
def test_mixed_second_derivatives_through_a_kernel_of_two_arguments(mode):
    w, p = np.array([0.3, -0.8, 1.1]), 2.5

    def flat(z):
        return model_of_two(z[:3], z[3])

    want = _second_differences(flat, np.append(w, p))
    _, t = pb.jvp(
        pb.grad(model_of_two, argnums=(0, 1), mode=mode), (w, p), (np.ones(3), 1.0), mode=mode
    )
    assert_close(np.append(t[0], t[1]), want @ np.ones(4), rtol=1e-5, atol=1e-6)


def test_a_third_order_through_a_kernel_is_refused_clearly():
    hessian = pb.hessian(scalar_model, mode="tape")
    with pytest.raises(pb.PullbackError, match="third derivative through the Numba kernel"):
        pb.grad(lambda a: hessian(a), mode="tape")(1.3)


def zero_times_inf(x):
    s = 0.0
    for i in range(x.shape[0]):
        d = x[i] - x[i]  # zero, so sqrt's derivative there is inf; its adjoint is zero
        s += 0.0 * math.sqrt(d) + x[i]
    return s


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_zero_adjoint_times_an_infinite_partial_stays_zero_in_the_compiled_vjp():
    x = np.array([0.5, 1.5, 2.0])
    _, back = pb.vjp(zero_times_inf, x, compile="numba")
    assert_close(back(1.0)[0], np.ones(3))
    assert_close(back(3.0)[0], 3.0 * np.ones(3))


def test_a_while_loop_vjp_runs_both_sweeps_per_pullback_and_says_so():
    x = np.linspace(0.1, 1.0, 5)
    _, back = pb.vjp(walk, x, compile="numba")
    text = pb.source(back)
    assert "def walk_forward(x):" in text and "def vjp_walk(x, cotangent):" in text
    assert '"""Both sweeps of walk' in text
    assert "_stack" not in text.split("def vjp_walk")[0]  # the value needs no stack


def test_jacobian_of_an_njit_kernel_compiled():
    x = np.linspace(-1.0, 1.0, 6)
    got = pb.jacobian(njit_w4, compile="numba")(x)
    assert_close(got, numeric_grad(njit_w4.py_func, (x,)))


def test_an_hvp_through_a_kernel_differentiates_its_specialized_gradient():
    # forward mode over the kernel's gradient specialized on the kinds (no tapes): linear in
    # n (over the generated gradient, whose tapes are copied per entry, n = 4000 took 24 s)
    n = 3000
    w = np.linspace(-1.0, 1.0, n)
    h = np.tanh(2.0 * w)
    dh, d2h = 2.0 * (1.0 - h * h), -8.0 * h * (1.0 - h * h)
    dk, d2k = np.cos(h) * h + np.sin(h), 2.0 * np.cos(h) - h * np.sin(h)
    v = np.cos(np.arange(n))
    assert_close(pb.hvp(model, (w,), (v,)), (d2k * dh * dh + dk * d2h + 2.0) * v)


def count(x):
    s = 0.0
    for _ in range(x.shape[0]):
        s += 1.0
    return s


def one_primal_unused(x, p):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * 2.0
    return s


def test_adjoints_that_do_not_depend_on_the_cotangent():
    x = np.ones(3)
    value, back = pb.vjp(count, x, compile="numba")
    assert value == 3.0
    assert_close(back(2.0)[0], np.zeros(3))
    _, back = pb.vjp(one_primal_unused, x, 2.0, compile="numba")
    dx, dp = back(2.0)
    assert_close(dx, 4.0 * np.ones(3))
    assert dp == 0.0
