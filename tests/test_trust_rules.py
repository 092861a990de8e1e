"""Derivative rules users reported wrong: np.where with a non-finite untaken branch, eigh at
repeated eigenvalues, SciPy's Python-level functions and ndarray methods in tape and graph modes.

Each is checked against central differences in every mode (source, tape, graph; grad and jvp).
"""

import warnings

import numpy as np
import pytest
import scipy.special
from fd import assert_close, numeric_grad

import pullback as pb
from pullback.rules import lookup_method
from pullback.rules.registry import _METHODS  # the table's method names

MODES = ("source", "tape", "graph")


def where_sqrt(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def where_sinc(x):
    return np.sum(np.where(x != 0, np.sin(x) / x, 1.0))


def where_log(x):
    return np.sum(np.where(x > 0, np.log(x), 0.0))


def where_tanh_sqrt(x):
    return np.sum(np.where(x > 0, np.tanh(np.sqrt(x)) * x, x * x))


def sinc_grad(x):
    return np.cos(x) / x - np.sin(x) / x**2


# the derivative of the branch each entry takes (0 for a constant branch), as central
# differences give it away from the switch; at the switch (log at 0) the taken branch's
WHERE_CASES = [
    (where_sqrt, np.array([1.0, -1.0, 4.0]), np.array([0.5, 0.0, 0.25])),
    (where_sinc, np.array([0.5, 0.0, 2.0]), np.array([sinc_grad(0.5), 0.0, sinc_grad(2.0)])),
    (where_log, np.array([1.0, -1.0, 0.0, 4.0]), np.array([1.0, 0.0, 0.0, 0.25])),
    (where_tanh_sqrt, np.array([1.0, -1.0, -2.0, 3.0]), None),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f,x,want", WHERE_CASES, ids=[c[0].__name__ for c in WHERE_CASES])
def test_where_with_an_untaken_non_finite_branch_has_a_finite_gradient(f, x, want, mode):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if want is None:
            want = numeric_grad(f, (x,))
        else:  # the numbers above are the differences away from the switch
            away = x != 0
            assert_close(numeric_grad(f, (x,))[away], want[away])
        got = pb.grad(f, mode=mode)(x)
        assert np.all(np.isfinite(got)), got
        assert_close(got, want)
        v = np.linspace(0.5, 1.5, x.size)
        _, tangent = pb.jvp(f, (x,), (v,), mode=mode)
        assert np.isclose(tangent, want @ v)


@pytest.mark.parametrize("mode", MODES)
def test_where_second_order_stays_finite(mode):
    x = np.array([1.0, -1.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = pb.hessian(where_sqrt, mode=mode)(x)
    np.testing.assert_allclose(h, np.diag([-0.25, 0.0, -0.25 / 8.0]), atol=1e-12)


def eig_sum(a):
    return np.sum(np.linalg.eigh(a)[0])


def eig_trace(a):
    w, v = np.linalg.eigh(a)
    return np.trace((v * w) @ v.T)


def eig_total(a):
    w, v = np.linalg.eigh(a)
    return np.sum((v * w) @ v.T)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [eig_sum, eig_trace])
def test_eigh_at_repeated_eigenvalues_is_exact_for_rotation_invariant_functions(f, mode):
    for a in (np.eye(3), np.diag([1.0, 1.0, 2.0])):
        assert_close(pb.grad(f, mode=mode)(a), numeric_grad(f, (a,)))
        if f is eig_trace:  # a tangent that splits equal eigenvalues moves V: 0/0, NaN
            continue
        v = np.arange(9.0).reshape(3, 3) / 10
        _, tangent = pb.jvp(f, (a,), (v,), mode=mode)
        assert np.isclose(tangent, np.sum(numeric_grad(f, (a,)) * v))


@pytest.mark.parametrize("mode", MODES)
def test_eigh_gives_nan_rather_than_a_wrong_number_where_the_formula_is_zero_over_zero(mode):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = pb.grad(eig_total, mode=mode)(np.eye(3))
    assert np.all(np.isnan(g))
    a = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 3.0]])
    assert_close(pb.grad(eig_total, mode=mode)(a), numeric_grad(eig_total, (a,)))


def lse(x):
    return scipy.special.logsumexp(x * 2.0)


def soft(x):
    return np.sum(scipy.special.softmax(x) * np.arange(3.0))


def log_soft(x):
    return np.sum(scipy.special.log_softmax(x) * np.arange(3.0))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [lse, soft, log_soft])
def test_scipy_python_functions_with_rules_work_in_every_mode(f, mode):
    x = np.array([0.5, -1.0, 2.0])
    want = numeric_grad(f, (x,))
    assert_close(pb.grad(f, mode=mode)(x), want)
    _, tangent = pb.jvp(f, (x,), (np.ones(3),), mode=mode)
    assert np.isclose(tangent, want.sum())


# -- every ndarray method of the rule table on a Tensor --------------------------------------

METHOD_CALLS = {
    "sum": ((), {"axis": 0}), "mean": ((), {}), "prod": ((), {}), "max": ((), {}),
    "min": ((), {}), "var": ((), {}), "std": ((), {}), "cumsum": ((), {}),
    "cumprod": ((), {}), "ravel": ((), {}), "flatten": ((), {}), "swapaxes": ((0, 1), {}),
    "squeeze": ((), {}), "dot": ((np.ones(3),), {}), "copy": ((), {}), "trace": ((), {}),
    "diagonal": ((), {}), "repeat": ((2,), {}), "take": (([0, 2],), {}),
    "reshape": ((9,), {}), "transpose": ((), {}), "clip": ((0.25, 0.8), {}),
    "astype": ((float,), {}), "tolist": ((), {}), "T": None, "mT": None,
    "real": None, "imag": None, "conj": ((), {}), "conjugate": ((), {}),
}  # fmt: skip
NONDIFF_METHODS = (
    "round", "item", "argmax", "argmin", "argsort", "nonzero", "all", "any", "shape", "ndim",
    "size",
)  # fmt: skip


def test_the_method_list_covers_the_rule_table():
    assert set(METHOD_CALLS) | set(NONDIFF_METHODS) == set(_METHODS)


@pytest.mark.parametrize("mode", ("tape", "graph"))
@pytest.mark.parametrize("name", sorted(METHOD_CALLS))
def test_every_ndarray_method_of_the_rule_table_works_on_tensors(name, mode):
    a = np.array([[0.3, 0.5, 0.1], [0.7, 0.2, 0.9], [0.4, 0.6, 0.35]])
    call = METHOD_CALLS[name]

    def f(x):
        y = getattr(x, name) if call is None else getattr(x, name)(*call[0], **call[1])
        return np.sum(np.sin(y))

    assert lookup_method(name) is not None
    assert_close(pb.grad(f, mode=mode)(a), numeric_grad(f, (a,)))


@pytest.mark.parametrize("mode", ("tape", "graph"))
@pytest.mark.parametrize("name", NONDIFF_METHODS)
def test_non_differentiable_methods_run_on_tensors(name, mode):
    a = np.array([[0.3, 0.5], [0.7, 0.2]])

    def f(x):
        value = getattr(x, name)
        value = (value(0) if name == "item" else value()) if callable(value) else value
        return np.sum(x) * 1.0 + 0.0 * len(np.atleast_1d(value))

    assert_close(pb.grad(f, mode=mode)(a), np.ones((2, 2)))


# -- np.pad at second order: its two helpers are each other's transpose -----------------------


def padded(x):
    return np.sum(np.pad(x, 1) ** 2 * np.sin(np.pad(x, (1, 2), mode="reflect")[: x.shape[0] + 2]))


def padded_edges(x):
    return np.sum(np.cos(np.pad(x, (2, 1), mode="edge")) * np.pad(x, (1, 2), mode="wrap") ** 2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn", [padded, padded_edges])
def test_hessian_through_np_pad(mode, fn):
    x = np.array([0.3, 0.5, -0.2, 1.1])
    h = pb.hessian(fn, mode=mode)(x)
    gradient = pb.grad(fn, mode=mode)
    for j in range(x.size):
        row = numeric_grad(lambda x, j=j: gradient(x)[j], (x,))
        np.testing.assert_allclose(h[j], row, rtol=1e-6, atol=1e-8)
    hv = pb.hvp(fn, (x,), (np.array([1.0, -0.5, 0.25, 2.0]),), mode=mode)
    np.testing.assert_allclose(hv, h @ np.array([1.0, -0.5, 0.25, 2.0]), rtol=1e-10)


@pytest.mark.parametrize("mode", MODES)
def test_np_pad_modes_without_a_reverse_rule_are_refused(mode):
    with pytest.raises(pb.PullbackError):
        pb.grad(lambda x: np.sum(np.pad(x, 1, mode="maximum")), mode=mode)(np.array([1.0, 2.0]))
    with pytest.raises(pb.PullbackError):  # before: the tangent padded by its own maximum
        pb.jvp(lambda x: np.pad(x, 1, mode="maximum"), (np.array([1.0, 2.0]),), (np.ones(2),))
