"""Calls whose derivative came out silently zero or NaN (each a test in every mode, against
central differences): np.einsum's sublist form, np.r_ / np.c_, np.linspace / np.logspace /
np.full (declared constant), np.std over one entry, a rule call with more arguments than its
rule binds, and a nested pb.grad over a closure in graph mode.
"""

import numpy as np
import pytest
from fd import numeric_grad

import pullback as pb

MODES = ("source", "tape", "graph")
A = np.array([[0.2, -0.4, 0.9], [1.1, 0.3, -0.6]])


def einsum_sublists(a):
    return np.sum(np.sin(np.einsum(a, [0, 1], A.T, [1, 2], [0, 2])))


def einsum_sublists_implicit(a):
    return np.sum(np.einsum(a, [0, 1], a, [0, 1]) * np.einsum(a, [1, 0]))


def linspace_of(x):
    return np.sum(np.sin(np.linspace(x[0], x[1], 7)) * np.linspace(x[1], 2.0, 7, endpoint=False))


def logspace_of(x):
    return np.sum(np.logspace(x[0], x[1], 4, base=2.0) ** 0.5)


def full_of(x):
    return np.sum(np.full((2, 3), x[0]) * A) + np.sum(np.full_like(A, x[1]) ** 2)


def std_of(x):
    return np.std(x[0]) + np.std(x[1:2]) * 3.0 + np.std(x) ** 2


def gathered(a):
    picks = np.take_along_axis(a, np.array([[2, 0, 2], [1, 1, 0]]), axis=1)
    return np.sum(np.sin(picks) * a[:, :1]) + np.ptp(a) * np.sum(np.nan_to_num(a) ** 2)


CASES = [
    (gathered, A),
    (einsum_sublists, A * 0.7),
    (einsum_sublists_implicit, A),
    (linspace_of, np.array([0.3, 1.4])),
    (logspace_of, np.array([0.3, 1.4])),
    (full_of, np.array([0.3, -1.4])),
    (std_of, np.array([0.3, -1.4, 0.8])),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, x", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_and_tangent_against_finite_differences(mode, fn, x):
    want = numeric_grad(fn, (x,))
    np.testing.assert_allclose(pb.grad(fn, mode=mode)(x), want, rtol=1e-6, atol=1e-8)
    v = np.linspace(0.5, -1.0, x.size).reshape(x.shape)
    _, tangent = pb.jvp(fn, (x,), (v,), mode=mode)
    np.testing.assert_allclose(tangent, np.sum(want * v), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn", [linspace_of, std_of, gathered], ids=["linspace", "std", "gather"])
def test_second_order(mode, fn):
    x = {linspace_of: np.array([0.3, 1.4]), std_of: np.array([0.3, 1.4, -0.2]), gathered: A}[fn]
    h = pb.hessian(fn, mode=mode)(x)
    gradient = pb.grad(fn, mode=mode)
    for j in np.ndindex(x.shape):
        row = numeric_grad(lambda x, j=j: gradient(x)[j], (x,))
        np.testing.assert_allclose(h[j], row, rtol=1e-5, atol=1e-7)


def linspace_array_ends(x):
    return np.sum(np.cos(np.linspace(x, 3.0, 5, axis=-1)))


@pytest.mark.parametrize("mode", MODES)
def test_linspace_of_array_ends_along_an_axis(mode):
    x = np.array([0.3, -0.5, 1.2])
    np.testing.assert_allclose(
        pb.grad(linspace_array_ends, mode=mode)(x),
        numeric_grad(linspace_array_ends, (x,)),
        rtol=1e-6,
    )


def r_and_c(x):
    return np.sum(np.r_[x, 2.0 * x, 3.0] ** 2) + np.sum(np.c_[x, x**2] * A.T)


def r_with_a_range(x):
    return np.sum(np.r_[0:2, x])


def r_for_indices(x):
    return np.sum(x[np.r_[0:2]] ** 2)


def test_r_and_c_keep_their_derivatives_in_source_mode():
    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(pb.grad(r_and_c)(x), numeric_grad(r_and_c, (x,)), rtol=1e-6)
    np.testing.assert_allclose(pb.grad(r_for_indices)(x), [0.6, -1.4, 0.0])
    with pytest.raises(pb.UnsupportedSyntaxError, match=r"np.r_\[...\]"):
        pb.grad(r_with_a_range)(x)


@pytest.mark.parametrize("mode", ["tape", "graph"])
def test_r_and_c_of_traced_values_raise_in_tape_and_graph_modes(mode):
    with pytest.raises(pb.PullbackError):
        pb.grad(r_and_c, mode=mode)(np.array([0.3, -0.7, 1.1]))


def einsum_five(x):
    return np.einsum("i,i,i,i,i->", x, x, x, x, x)


@pytest.mark.parametrize("mode", MODES)
def test_a_call_with_more_operands_than_its_rule_binds_is_refused(mode):
    # before: the fifth operand's derivative was dropped (tape: an internal TypeError)
    x = np.array([0.3, -0.7, 1.1])
    with pytest.raises(pb.PullbackError, match="at most 5 positional"):
        pb.grad(einsum_five, mode=mode)(x)
    with pytest.raises(pb.PullbackError, match="at most 5 positional"):
        pb.jvp(einsum_five, (x,), (x,), mode=mode)


@pytest.mark.parametrize("mode", ["tape", "graph"])
def test_a_nested_grad_over_a_closure(mode):
    # before, graph mode: the inner graph baked the outer value in as a constant (1.0)
    def outer(y):
        def inner(z):
            return z * y * y

        return pb.grad(inner, mode=mode)(y) * y  # y ** 3

    for y in (1.0, 0.5, -2.0):
        assert pb.grad(outer, mode=mode)(y) == pytest.approx(3 * y * y, rel=1e-12)


# -- found trying common calls in every mode ---------------------------------------------------


def imports_inside(x):
    import math as m  # an import statement inside the function: tape and graph need __import__

    return np.sum(np.sin(x)) * m.pi


def nan_masked(x):
    return np.nansum(x * 2.0) + np.nanmean(x**2) + np.sum(np.where(~np.isnan(x) & (x > 0), x, 0.0))


@pytest.mark.parametrize("mode", ["tape", "graph"])
@pytest.mark.parametrize("fn", [imports_inside, nan_masked])
def test_imports_and_boolean_masks_of_traced_values(mode, fn):
    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(pb.grad(fn, mode=mode)(x), numeric_grad(fn, (x,)), rtol=1e-6)


LOSSES = {
    "cumsum": lambda x: np.sum(np.cumsum(x) * A[0]),
    "hypot": lambda x: np.sum(np.hypot(x, A[1])),
    "det": lambda x: np.linalg.det(np.outer(x, x) + np.eye(3)),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_a_lambda_that_is_a_value_in_a_dict_literal(name):
    # before: "cannot parse the source of <lambda>" (its line alone is not Python)
    x = np.array([0.3, -0.7, 1.1])
    fn = LOSSES[name]
    np.testing.assert_allclose(pb.grad(fn)(x), numeric_grad(fn, (x,)), rtol=1e-6, atol=1e-9)


PAIRS = {"a": lambda t: t**3, "b": lambda t: t * 2.0}  # two lambdas on one line


def test_two_lambdas_on_one_line_of_a_dict_literal():
    assert pb.grad(PAIRS["a"])(2.0) == pytest.approx(12.0)
    assert pb.grad(PAIRS["b"])(2.0) == pytest.approx(2.0)


# -- found by the large generator run ------------------------------------------------------------


def repeated_list(x):
    lst = [x * 2.0, x * x]
    t = 0.0
    for v in lst * 3:
        t = t + np.tanh(v)
    return t + sum(2 * lst) + sum(lst + lst)


@pytest.mark.parametrize("mode", MODES)
def test_list_repetition_and_concatenation(mode):
    # before, source mode: seq * k read as a product and lst + lst adjoints concatenated
    for x in (0.3, -1.2):
        want = numeric_grad(repeated_list, (x,))
        assert pb.grad(repeated_list, mode=mode)(x) == pytest.approx(want, rel=1e-7)
        assert pb.jvp(repeated_list, (x,), (1.0,), mode=mode)[1] == pytest.approx(want, rel=1e-7)


def fractional_power_from_zero(x):
    s = 0.0
    for _ in range(2):
        s = s**0.2 + np.tanh(x) ** 2  # at the first step s is 0: d(s**0.2)/ds is inf
    return s


def power_of_a_zero_difference(x):
    a = x - x  # zero, with a zero tangent: d(a ** x)/da = x * a ** (x - 1) is inf
    return a**x + x


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the partial is inf: NumPy says so
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn", [fractional_power_from_zero, power_of_a_zero_difference])
def test_a_zero_tangent_times_an_infinite_partial_is_zero(mode, fn):
    # before: 0.0 * inf = nan in source jvp (the first) and tape/graph jvp (the second)
    x = 0.7
    want = numeric_grad(fn, (x,))
    _, tangent = pb.jvp(fn, (x,), (1.0,), mode=mode)
    assert tangent == pytest.approx(want, rel=1e-6)


LABELS = np.array([1.24, 0.86, "1.5"])  # a constant array of text read by the function


def reads_text_constant(x):
    if x <= 0.0:
        return x
    return x * len(LABELS)


def test_graph_mode_checks_a_text_constant_it_read():
    # before: comparing the text array with np.array_equal(equal_nan=True) raised TypeError
    for x in (-0.8, -0.5, 0.5):
        assert pb.jvp(reads_text_constant, (x,), (1.0,), mode="graph")[1] == (
            1.0 if x <= 0 else 3.0
        )


def dot_into(x, w):
    M = np.outer(x, w)
    out = np.zeros(3)
    return np.sum(np.dot(M, w, out)) + np.sum(out)


@pytest.mark.parametrize("mode", MODES)
def test_an_out_argument_given_by_position_is_refused(mode):
    # before: np.dot(M, w, out) wrote into out (an argument, in the generator's case) unseen
    x, w = np.array([0.3, 0.5, 0.7]), np.array([1.0, 2.0, 3.0])
    with pytest.raises(pb.PullbackError, match="out"):
        pb.grad(dot_into, mode=mode)(x, w)
    with pytest.raises(pb.PullbackError, match="out"):
        pb.jvp(dot_into, (x, w), (x, w), mode=mode)


def formats_a_call(x):
    s = float(f"{0.2 + np.tanh(np.sin(0.3)) ** 2:.6f}")  # a constant, read through its text
    return s * x + x


@pytest.mark.parametrize("mode", MODES)
def test_an_f_string_reads_its_names_like_any_expression(mode):
    # before, source mode: the generated code met f"{np.tanh(...)}" without np bound
    want = numeric_grad(formats_a_call, (0.4,))
    assert pb.grad(formats_a_call, mode=mode)(0.4) == pytest.approx(want, rel=1e-7)
    assert pb.jvp(formats_a_call, (0.4,), (1.0,), mode=mode)[1] == pytest.approx(want, rel=1e-7)


def writes_into_its_loop_counter(x):
    for j in range(3):
        j[j] = x * 2.0  # an int does not support item assignment
    return x * x


def reads_a_name_never_set(x):
    for _ in range(2):
        acc = acc + x  # noqa: F821, F841 - never set: the function raises UnboundLocalError
    return x * x


@pytest.mark.parametrize(
    ("fn", "error"),
    [(writes_into_its_loop_counter, TypeError), (reads_a_name_never_set, UnboundLocalError)],
)
def test_a_dead_user_statement_that_raises_still_raises(fn, error):
    # y = f(y) is split into t = f(y); y = t where y's old value is read: both parts are
    # still the user's statement, kept where nothing reads them because they may raise
    with pytest.raises(error):
        fn(0.5)
    with pytest.raises(error):
        pb.grad(fn)(0.5)
    with pytest.raises(error):
        pb.jvp(fn, (0.5,), (1.0,))


def writes_through_a_try(x):
    c = np.array([1.0, 2.0])  # a plain array: tape mode refuses writing a traced value into it
    y = C_PLAIN.copy()
    for j in range(2):
        try:
            y[j] = x * (j + 1)
        except Exception:  # noqa: BLE001 - the user's code swallows every error
            pass
    return np.sum(y * c)


C_PLAIN = np.array([1.5, 0.5])


@pytest.mark.parametrize("mode", ["tape", "graph"])
def test_a_refusal_the_users_try_swallows_is_raised_again(mode):
    # else the write is skipped and the value and gradient are silently another function's
    with pytest.raises(pb.NonDifferentiableError, match="drop"):
        pb.grad(writes_through_a_try, mode=mode)(0.7)


def sums_a_float_by_method(x, w):
    return x * w.sum(np.ones(2))  # a float has no .sum: the function raises AttributeError


@pytest.mark.parametrize("mode", MODES)
def test_the_users_exception_in_every_mode(mode):
    # a traced number has the array methods; where the plain call raises, its error is raised
    with pytest.raises(AttributeError, match="'float' object has no attribute 'sum'"):
        pb.grad(sums_a_float_by_method, mode=mode)(0.5, 2.0)


def returns_a_module(x):
    return np


@pytest.mark.parametrize("mode", MODES)
def test_a_jvp_of_a_function_returning_a_module_is_refused(mode):
    with pytest.raises(pb.PullbackError, match="return a number or a numeric array"):
        pb.jvp(returns_a_module, (1.0,), (1.0,), mode=mode)
