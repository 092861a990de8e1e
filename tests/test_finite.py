"""check_finite=True and pb.debug_nans(): the first NaN/Inf named at the user's line."""

import warnings

import numpy as np
import pytest

import pullback as pb

MODES = ["source", "tape", "graph"]


def root(x):
    y = np.sqrt(x)
    return np.sum(y * 3.0)


def logs(x):
    a = x - 1.0
    b = np.log(a)
    return np.sum(b * x)


def masked_root(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def length(x):
    r = np.linalg.norm(x)
    return r * 2.0


def explode(x):
    big = x * 1000.0
    e = np.exp(big)
    return np.sum(e)


def line_of(fn, text):
    import inspect

    lines, first = inspect.getsourcelines(fn)
    return first + next(k for k, line in enumerate(lines) if text in line)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


CASES = [  # function, point, sweep, the user line's text, the primitive's name
    (root, np.array([4.0, 0.0]), "backward", "y = np.sqrt(x)", "sqrt"),
    (logs, np.array([2.0, 1.0]), "forward", "b = np.log(a)", "log"),
    (length, np.zeros(3), "backward", "r = np.linalg.norm(x)", "norm"),
    (explode, np.array([0.1, 1.0]), "forward", "e = np.exp(big)", "exp"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, x, sweep, text, primitive", CASES, ids=[c[0].__name__ for c in CASES])
def test_the_classic_cases_are_named_at_their_line(mode, fn, x, sweep, text, primitive):
    df = pb.grad(fn, mode=mode, check_finite=True)
    for _ in range(2):  # graph mode: the first call traces, the second replays
        with pytest.raises(pb.NonFiniteError) as info:
            df(x)
        error = info.value
        assert isinstance(error, pb.PullbackError) and isinstance(error, FloatingPointError)
        assert error.sweep == sweep
        assert error.filename == __file__
        assert error.lineno == line_of(fn, text)
        assert error.text == text
        message = str(error)
        assert f"{__file__}:{error.lineno}" in message and text in message
        assert f"{sweep} sweep" in message
        assert "first at index (" in message
        if mode == "source":
            assert error.generated_line and "generated line" in message
            assert primitive in error.generated_line or primitive in error.primitive
        else:
            assert error.primitive


@pytest.mark.parametrize("mode", MODES)
def test_a_masked_root_is_finite_at_zero_and_checks_change_nothing(mode):
    x = np.array([0.0, 0.25, 4.0])
    plain = pb.grad(masked_root, mode=mode)(x)
    checked = pb.grad(masked_root, mode=mode, check_finite=True)(x)
    assert np.all(np.isfinite(plain))
    assert plain.tobytes() == checked.tobytes()
    np.testing.assert_allclose(plain, [0.0, 1.0, 0.25])
    # a negative entry: its square root is a NaN of the forward sweep, masked by np.where
    with pytest.raises(pb.NonFiniteError) as info:
        pb.grad(masked_root, mode=mode, check_finite=True)(np.array([-1.0, 4.0]))
    assert info.value.sweep == "forward"
    assert info.value.lineno == line_of(masked_root, "np.where")


def smooth(W, b, X):
    h = np.tanh(X @ W + b)
    return np.mean(h**2) + 0.1 * np.sum(W * W)


@pytest.mark.parametrize("mode", MODES)
def test_a_check_without_nan_returns_the_same_bits(mode):
    rng = np.random.default_rng(0)
    args = (rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((5, 4)))
    plain = pb.value_and_grad(smooth, (0, 1), mode=mode)(*args)
    checked = pb.value_and_grad(smooth, (0, 1), mode=mode, check_finite=True)(*args)
    assert plain[0] == checked[0]
    for p, c in zip(plain[1], checked[1], strict=True):
        assert p.tobytes() == c.tobytes()
    numeric = pb.numeric.grad(smooth, (0, 1))(*args)
    for c, n in zip(checked[1], numeric, strict=True):
        np.testing.assert_allclose(c, n, rtol=1e-6, atol=1e-8)
    value, vjp_fn = pb.vjp(smooth, *args, mode=mode, check_finite=True)
    assert value == plain[0]
    assert vjp_fn(1.0)[0].tobytes() == plain[1][0].tobytes()
    t = (np.ones((4, 3)), np.zeros(3), np.zeros((5, 4)))
    assert pb.jvp(smooth, args, t, mode=mode, check_finite=True) == pb.jvp(
        smooth, args, t, mode=mode
    )


@pytest.mark.parametrize("mode", MODES)
def test_debug_nans_checks_derivatives_made_before(mode):
    df = pb.grad(root, mode=mode)
    x = np.array([1.0, 0.0])
    assert np.isinf(df(x)[1])  # off: the plain result
    with pb.debug_nans():
        with pytest.raises(pb.NonFiniteError, match="backward sweep"):
            df(x)
    assert np.isinf(df(x)[1])  # and off again


@pytest.mark.parametrize("mode", MODES)
def test_vjp_and_jvp_name_their_sweep(mode):
    x = np.array([1.0, 0.0])
    value, vjp_fn = pb.vjp(root, x, mode=mode, check_finite=True)  # the forward sweep is finite
    with pytest.raises(pb.NonFiniteError) as info:
        vjp_fn(1.0)
    assert info.value.sweep == "backward" and info.value.lineno == line_of(root, "np.sqrt")
    if mode != "source":
        return  # tape and graph modes' dual numbers are not checked yet
    with pytest.raises(pb.NonFiniteError) as info:
        pb.jvp(root, (x,), (np.ones(2),), mode=mode, check_finite=True)
    assert info.value.lineno == line_of(root, "np.sqrt")


grad_root = pb.grad(root)


def second(x):
    return np.sum(grad_root(x) * x)


def test_second_order_names_the_users_own_line():
    with pytest.raises(pb.NonFiniteError) as info:
        pb.grad(second, check_finite=True)(np.array([1.0, 0.0]))
    assert info.value.filename == __file__
    assert info.value.lineno == line_of(root, "np.sqrt")
    x = np.array([1.0, 2.0])
    checked = pb.grad(second, check_finite=True)(x)
    assert checked.tobytes() == pb.grad(second)(x).tobytes()
    np.testing.assert_allclose(checked, pb.numeric.grad(second)(x), rtol=1e-6)


def test_the_plain_generated_code_is_unchanged_when_off():
    def fresh(x):
        return np.sum(np.log(x) * x)

    df = pb.grad(fresh)
    df(np.array([3.0, 4.0]))
    assert "__pullback_finite" not in pb.source(df)
    assert not hasattr(df.__pullback_module__, "checked")  # no twin until asked
    pb.grad(fresh, check_finite=True)(np.array([3.0, 4.0]))
    assert hasattr(df.__pullback_module__, "checked")
    assert "__pullback_finite" not in pb.source(df)
