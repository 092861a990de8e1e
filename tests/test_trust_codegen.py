"""Source mode's generated code says what its tree says, compiles without warnings, and the
transformation knows which calls mutate, what ``tolist`` gives, when an entry read is a number,
and that a nested function cannot leave the function that defines it.

Checked against central differences in float64, in every mode where it applies.
"""

from __future__ import annotations

import ast
import copy
import importlib
import re
import warnings

import numpy as np
import pytest
from corpus import CORPUS
from fd import assert_close, numeric_grad
from showcase import SHOWCASE

import pullback as pb

codegen = importlib.import_module("pullback.source.backend.codegen")
cache = importlib.import_module("pullback.source.cache")

MODES = ("source", "tape", "graph")


def check_all_modes(f, args, argnums=0):
    want = numeric_grad(f, copy.deepcopy(args), argnums)
    for mode in MODES:
        assert_close(pb.grad(f, argnums, mode=mode)(*copy.deepcopy(args)), want)


# -- 1. negative constants ---------------------------------------------------------------------
def neg_square(x):
    return (-2.0) ** 2 * x


def neg_cube(x):
    return (-1.5) ** 3 * x


def neg_half_square(x):
    return (-0.5) ** 2 * x


def neg_exponent(x):
    return 2.0 ** (-1.0) * x ** (-2.0)


def neg_in_loop(x):
    total = 0.0
    for k in range(3):
        total = total + (-1.0) ** 2 * x * k
    return total


NEGATIVE = [neg_square, neg_cube, neg_half_square, neg_exponent, neg_in_loop]


@pytest.mark.parametrize("f", NEGATIVE, ids=lambda f: f.__name__)
def test_negative_constant_to_a_power(f):
    check_all_modes(f, (1.3,))
    _, tangent = pb.jvp(f, (1.3,), (1.0,))
    assert tangent == pytest.approx(numeric_grad(f, (1.3,)), rel=1e-6)
    second = numeric_grad(pb.grad(f), (1.3,))
    assert pb.grad(pb.grad(f))(1.3) == pytest.approx(second, rel=1e-5, abs=1e-6)
    assert pb.hessian(f)(1.3) == pytest.approx(second, rel=1e-5, abs=1e-6)


def test_negative_square_reads_with_parentheses():
    assert "(-2.0) ** 2" in pb.source(pb.grad(neg_square))
    assert pb.grad(neg_square)(3.0) == pytest.approx(4.0)


@pytest.mark.parametrize(
    "value",
    [-2.0, -0.0, 0.0, -3, 7, float("inf"), -float("inf"), 1j, 2 - 3j, (1, -2, (-0.5,)), ()],
    ids=repr,
)
def test_literal_reads_back_as_its_value(value):
    text = ast.unparse(ast.BinOp(left=codegen.literal(value), op=ast.Pow(), right=ast.Constant(1)))
    back = eval(text.rpartition(" ** ")[0])
    assert repr(back) == repr(value)
    assert ast.dump(ast.parse(text, mode="eval").body.left) == ast.dump(codegen.literal(value))


def test_round_trip_check_finds_a_tree_its_text_does_not_say():
    power = ast.BinOp(left=ast.Constant(-2.0), op=ast.Pow(), right=ast.Constant(2))
    body = [ast.Return(value=power)]
    fdef = ast.FunctionDef(
        name="g",
        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=body,
        decorator_list=[],
    )
    text = ast.unparse(ast.fix_missing_locations(ast.Module(body=[fdef], type_ignores=[])))
    assert "-2.0 ** 2" in text
    assert codegen.round_trip_mismatches([codegen.Piece(fdef, None)], text)


# -- 1 and 2. every corpus and showcase function: text == tree, no warnings ----------------------
def _tangent(v):
    if isinstance(v, (bool, int)):
        return None
    if isinstance(v, float):
        return 1.0
    if isinstance(v, np.ndarray):
        return np.ones_like(v) if v.dtype.kind in "fc" else None
    if isinstance(v, (list, tuple)):
        return type(v)(_tangent(x) for x in v)
    if isinstance(v, dict):
        return {k: _tangent(x) for k, x in v.items()}
    return None


_CASES = [(c.name, c.fn, c.argnums, c.args, c.kwargs) for c in CORPUS] + [
    (f"showcase_{n}", fn, argnums, args, {})
    for n, (fn, argnums, args) in SHOWCASE.items()
    if args is not None
]
_EXTRA = [
    ("transpose_1_0", lambda X: np.sum(X.transpose(1, 0) * X), 0, (np.eye(2) + 1.0,), {}),
    ("np_transpose", lambda X: np.sum(np.transpose(X, (1, 0)) ** 2), 0, (np.eye(2) + 1.0,), {}),
    ("neg_square", neg_square, 0, (1.3,), {}),
]


def _derivatives(fn, argnums, args, kwargs):
    """grad, jvp, Hessian and grad of grad where they apply: every generated module."""
    pb.grad(fn, argnums)(*copy.deepcopy(args), **kwargs)
    if not kwargs:
        primals = copy.deepcopy(args)
        pb.jvp(fn, primals, tuple(_tangent(a) for a in primals))
    first = argnums if isinstance(argnums, int) else argnums[0]
    if isinstance(args[first], (float, np.ndarray)):
        pb.hessian(fn, first)(*copy.deepcopy(args), **kwargs)
    if isinstance(args[first], float):
        pb.grad(pb.grad(fn, first), first)(*copy.deepcopy(args), **kwargs)


@pytest.mark.parametrize(
    "name, fn, argnums, args, kwargs", _CASES + _EXTRA, ids=[c[0] for c in _CASES + _EXTRA]
)
def test_generated_code_says_its_tree_and_compiles_without_warnings(
    monkeypatch, name, fn, argnums, args, kwargs
):
    monkeypatch.setenv("PULLBACK_CHECK_CODEGEN", "1")  # codegen compares text and tree
    cache.clear()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _derivatives(fn, argnums, args, kwargs)
    finally:
        cache.clear()


def test_transpose_with_axes_compiles_under_warnings_as_errors():
    def f(X):
        return np.sum(X.transpose(1, 0) * X)

    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_all_modes(f, (X,))
        assert " is None" not in pb.source(pb.grad(f))
        _, tangent = pb.jvp(f, (X,), (np.ones_like(X),))
        assert tangent == pytest.approx(np.sum(numeric_grad(f, (X,))))


# -- 3. which calls mutate -----------------------------------------------------------------------
def sorted_product(x):
    return np.sum(np.sort(x) * x)


def functions_that_copy(x):
    y = np.flip(np.sort(x)) + np.roll(x, 1) + np.clip(x, 0.0, 2.0)
    return np.sum(y * np.cumsum(x)) + np.sum(np.append(x, 1.0) ** 2)


@pytest.mark.parametrize("f", [sorted_product, functions_that_copy], ids=lambda f: f.__name__)
def test_numpy_functions_returning_copies_are_accepted(f):
    x = np.array([3.0, 1.0, 1.7, 0.5])
    before = x.copy()
    check_all_modes(f, (x,))
    _, tangent = pb.jvp(f, (x,), (np.ones_like(x),))
    assert tangent == pytest.approx(np.sum(numeric_grad(f, (x,))))
    np.testing.assert_array_equal(x, before)


def method_sort(x):
    x.sort()
    return np.sum(x)


def method_fill(x):
    x.fill(0.0)
    return np.sum(x)


def copyto_param(x):
    np.copyto(x, 1.0)
    return np.sum(x)


def copyto_local(x):
    y = np.zeros(3)
    np.copyto(y, x)
    return np.sum(y)


def list_method_on_class(x):
    list.append(x, 1.0)
    return sum(x)


def out_argument(x):
    y = np.zeros(3)
    np.sin(x, out=y)
    return np.sum(y)


@pytest.mark.parametrize(
    "f, says",
    [
        (method_sort, "mutates a value passed in"),
        (method_fill, "mutates a value passed in"),
        (copyto_param, "mutates a value passed in"),
        (copyto_local, "np.copyto() writes into its first argument"),
        (list_method_on_class, "mutates a value passed in"),
        (out_argument, "out= arguments"),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_calls_that_mutate_are_refused_at_the_call(f, says):
    with pytest.raises(pb.UnsupportedSyntaxError, match=re.escape(says)) as info:
        pb.grad(f)(np.array([3.0, 1.0, 2.0]))
    assert info.value.filename.endswith("test_trust_codegen.py")


# -- 4. tolist ---------------------------------------------------------------------------------
def sum_tolist(x):
    return sum(x.tolist())


def max_tolist(x):
    return max(x.tolist()) * x[0]


def tolist_entries(x):
    values = x.tolist()
    return values[0] * values[1] + sum(values, 1.0)


def tolist_of_matrix(m):
    rows = m.tolist()
    return rows[0][1] * rows[1][0] + sum(rows[1])


def sum_of_expression(x):
    return sum(np.sin(x)) + min(list(x * x))


@pytest.mark.parametrize(
    "f, x",
    [
        (sum_tolist, np.array([1.0, 2.0, -0.5])),
        (max_tolist, np.array([1.0, 2.0, -0.5])),
        (tolist_entries, np.array([1.0, 2.0, -0.5])),
        (tolist_of_matrix, np.array([[1.0, 2.0], [0.5, -1.5]])),
        (sum_of_expression, np.array([1.0, 2.0, -0.5])),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_sums_over_lists_of_numbers(f, x):
    before = x.copy()
    check_all_modes(f, (x,))
    gradient = pb.grad(f)(x)
    assert isinstance(gradient, np.ndarray) and gradient.shape == x.shape
    _, tangent = pb.jvp(f, (x,), (np.ones_like(x),))
    assert tangent == pytest.approx(np.sum(numeric_grad(f, (x,))))
    np.testing.assert_array_equal(x, before)


def test_tolist_hessian():
    x = np.array([1.0, 2.0, -0.5])
    want = pb.jacobian(pb.grad(tolist_entries), mode="numeric")(x)
    np.testing.assert_allclose(pb.hessian(tolist_entries)(x), want, atol=1e-6)
    np.testing.assert_allclose(pb.hessian(tolist_entries, mode="tape")(x), want, atol=1e-6)


# -- 5. an entry of a float array is a number ------------------------------------------------------
def gauss_seidel(b, u0):
    u = u0.copy()
    n = u.shape[0]
    for _sweep in range(3):
        for i in range(n):
            left = u[i - 1] if i > 0 else 0.0
            right = u[i + 1] if i < n - 1 else 0.0
            u[i] = (b[i] + left + right) / 4.0
    return np.sum(u * u)


def gauss_seidel_2d(b, u0):
    u = u0.copy()
    n, m = u.shape
    for _sweep in range(2):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                around = u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1]
                u[i, j] = (b[i, j] + around) / 4.0
    return np.sum(u**2)


def leapfrog(x, v):
    x = x.copy()
    v = v.copy()
    n = x.shape[0]
    x_old = np.zeros(n)
    for _step in range(4):
        for i in range(n):
            x_old[i] = x[i]
        for i in range(n):
            x[i] = x[i] + 0.1 * v[i]
        for i in range(n):
            v[i] = v[i] - 0.1 * np.sin(x[i]) * x_old[i]
    return np.sum(x * v)


def leapfrog_into_copy(u, u_prev):
    u = u.copy()
    u_prev = u_prev.copy()
    u_old = u.copy()
    n = u.shape[0]
    for _step in range(3):
        for i in range(n):
            u_old[i] = u[i]
        for i in range(1, n - 1):
            u[i] = 2.0 * u[i] - u_prev[i] + 0.1 * (u_old[i - 1] - 2.0 * u_old[i] + u_old[i + 1])
        for i in range(n):
            u_prev[i] = u_old[i]
    return np.sum(u**2)


B = np.array([1.0, 2.0, 0.5, -1.0, 0.25])
U0 = np.array([0.3, 0.1, -0.2, 0.4, 0.6])
M = np.random.default_rng(3).normal(size=(4, 5))


@pytest.mark.parametrize(
    "f, args",
    [
        (gauss_seidel, (B, U0)),
        (gauss_seidel_2d, (M, M[::-1].copy())),
        (leapfrog, (U0, B)),
        (leapfrog_into_copy, (U0, B)),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_in_place_sweeps_over_entries(f, args):
    before = copy.deepcopy(args)
    want = numeric_grad(f, copy.deepcopy(args), (0, 1))
    assert_close(pb.grad(f, (0, 1))(*args), want)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)  # inputs unmutated
    for mode in ("tape", "graph"):
        assert_close(pb.grad(f, (0, 1), mode=mode)(*copy.deepcopy(args)), want)
    tangents = tuple(np.ones_like(a) for a in args)
    _, tangent = pb.jvp(f, args, tangents)
    assert tangent == pytest.approx(sum(np.sum(g) for g in want), rel=1e-5)
    _, vjp_fn = pb.vjp(f, *args)
    assert_close(vjp_fn(1.0), want)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_entry_that_is_a_row_is_refused_when_run():
    with pytest.raises(pb.UnsupportedSyntaxError, match="'right' may share memory") as info:
        pb.grad(gauss_seidel, 1)(np.ones((3, 3)), np.ones((3, 3)))
    assert info.value.line.strip() == "right = u[i + 1] if i < n - 1 else 0.0"


def test_entry_stored_in_a_list_is_checked_when_run():
    def keeps_rows(m):
        m = m.copy()
        kept = [None, None]
        for i in range(2):
            kept[i] = m[i]
            m[i] = m[i] * 2.0
        return np.sum(kept[0]) + np.sum(m)

    x = np.array([1.0, 2.0, 3.0])
    check_all_modes(keeps_rows, (x,))  # entries of a 1-D array are numbers
    with pytest.raises(pb.UnsupportedSyntaxError, match="not a number"):
        pb.grad(keeps_rows)(np.ones((2, 2)))


def test_a_known_view_is_still_refused_before_running():
    def row_of_matrix(x):
        y = np.zeros((3, len(x)))
        for i in range(1, 3):
            above = y[i - 1]
            y[i] = above + x
        return np.sum(y)

    with pytest.raises(pb.UnsupportedSyntaxError, match="'above'"):
        pb.grad(row_of_matrix)


# -- 6. a callee returning a nested function -----------------------------------------------------
def make(a):
    def rebuild(v):
        return v * a

    return rebuild


def calls_returned(x):
    g = make(x)
    return g(x) * 2.0


def split(a):
    def rebuild(v):
        return v * a

    return a * 2.0, rebuild


def value_and_closure(x):
    value, fn = split(x)
    return value + fn(x)


def ignores_closure(x):
    value, fn = split(x)
    return value * 3.0


def flatten(x):
    shape = x.shape

    def unflatten(v):
        return np.reshape(v, shape)

    return np.ravel(x), unflatten


def flattened(x):
    flat, unflatten = flatten(x)
    return np.sum(unflatten(flat * 2.0) ** 2)


def flattened_only(x):
    flat, _ = flatten(x)
    return np.sum(flat**2)


@pytest.mark.parametrize(
    "f, x",
    [
        (calls_returned, 1.5),
        (value_and_closure, 1.5),
        (ignores_closure, 1.5),
        (flattened, np.ones((2, 2))),
        (flattened_only, np.ones((2, 2))),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_returned_nested_function_is_refused_before_running(f, x):
    for build in (
        lambda: pb.grad(f)(x),
        lambda: pb.jvp(f, (x,), (np.ones_like(x),)),
        lambda: pb.hessian(f)(x),
    ):
        with pytest.raises(pb.PullbackError) as info:
            build()
        assert info.value.filename.endswith("test_trust_codegen.py")
        assert not isinstance(info.value.__cause__, NameError)
    for mode in ("tape", "graph"):  # run-time modes call the closure
        assert_close(pb.grad(f, mode=mode)(x), numeric_grad(f, (x,)))


def test_nested_function_returned_names_the_function():
    with pytest.raises(pb.UnsupportedSyntaxError, match="nested function 'unflatten'") as info:
        pb.grad(flattened_only)(np.ones((2, 2)))
    assert info.value.line.strip() == "return np.ravel(x), unflatten"
