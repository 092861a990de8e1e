"""Complex numbers and np.fft, in source, tape and graph modes, against finite differences.

The convention (README, "Complex numbers"): cotangents pair with tangents by Re(sum(ct * t)).
So the gradient of a real-valued f of z = x + iy is df/dx - i df/dy, checked here by central
differences along both real directions (z + h and z + ih); a holomorphic f with
holomorphic=True gives f'(z); a real argument gets a real gradient through complex
intermediates; vjp and jvp agree under the pairing.
"""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb
from pullback.errors import PullbackError, PullbackTypeError

MODES = ["source", "tape", "graph"]
H = 1e-6


def fd_gradient(f, args, i):
    """df/dx - i df/dy of real-valued f by argument i (df/dx alone for a real argument)."""
    x = np.asarray(args[i])
    is_complex = np.iscomplexobj(x)
    g = np.zeros(x.shape, complex if is_complex else float)

    def at(value):
        new = list(args)
        new[i] = value if np.ndim(args[i]) else value[()]
        return float(f(*new))

    for idx in np.ndindex(x.shape):
        steps = (1.0, 1j) if is_complex else (1.0,)
        for step in steps:
            e = np.zeros(x.shape, x.dtype)
            e[idx] = step * H
            d = (at(x + e) - at(x - e)) / (2 * H)
            g[idx] += d if step == 1.0 else -1j * d
    return g


def fd_derivative(f, z):
    """f'(z) of a holomorphic f of a scalar, by central differences along the real axis."""
    return (f(z + H) - f(z - H)) / (2 * H)


def assert_close(actual, expected, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=rtol)


# -- real-valued functions of complex arguments -------------------------------------------------


def abs_squared(z):
    return np.sum(np.abs(z) ** 2)


def abs_of_product(z, w):
    return np.sum(np.abs(z * w))


def real_of_exp_conj(z):
    return np.sum(np.real(np.exp(z) * np.conj(z)))


def imag_of_sin_squared(z):
    return np.sum(np.imag(np.sin(z)) ** 2)


def angle_times_abs(z):
    return np.sum(np.angle(z) * np.abs(z))


def vdot_form(z, w):
    return np.real(np.vdot(z, w * z))


def norms(z):
    return np.linalg.norm(z) + np.sum(np.linalg.norm(z * z, axis=-1))


def times_own_conjugate(z):
    return np.sum((z * z.conj()).real)


def parts_by_attribute(z):
    return np.sum(z.real * z.imag + z.conjugate().imag)


def polar_rebuilt(z):
    r = np.abs(z)  # a real intermediate that meets a complex factor: its adjoint is projected
    return np.sum(np.real(r * np.exp(1j * z)))


def spectrum_weighted(z):
    weights = np.arange(1.0, np.shape(z)[-1] + 1.0)
    return np.sum(np.abs(np.fft.fft(z)) ** 2 * weights)


def complex_variance(z):
    return np.var(z) + np.std(z * 2.0)


def abs_of_scalar(z):
    return abs(z * z + 1.0)


def sign_turns(z):  # sign(z) = z / |z| is no step for complex numbers: it turns with z
    weights = np.reshape(np.arange(1.0, 1.0 + np.size(z)), np.shape(z))
    return np.real(np.sum(np.sign(z) * weights * (1 - 2j)))


REAL_VALUED = [
    (abs_squared, ((3,), (2, 3), ())),
    (real_of_exp_conj, ((3,), (2, 2))),
    (imag_of_sin_squared, ((4,), ())),
    (angle_times_abs, ((3,), (2, 3))),
    (norms, ((3,), (2, 3))),
    (times_own_conjugate, ((3,), ())),
    (parts_by_attribute, ((3,), (2, 2))),
    (polar_rebuilt, ((3,), ())),
    (spectrum_weighted, ((5,), (2, 4))),
    (complex_variance, ((4,), (2, 3))),
    (abs_of_scalar, ((),)),
    (sign_turns, ((3,), (2, 2))),
]


def complex_sample(rng, shape):
    z = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    return z + 0.3 * np.sign(np.real(z))  # away from 0, where abs and angle have no derivative


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f,shapes", REAL_VALUED, ids=lambda v: getattr(v, "__name__", ""))
def test_gradient_of_a_real_function_of_complex_arguments(mode, f, shapes):
    rng = np.random.default_rng(0)
    for shape in shapes:
        z = complex_sample(rng, shape)
        if shape == ():
            z = complex(z)
        g = pb.grad(f, mode=mode)(z)
        assert np.iscomplexobj(g)
        assert np.shape(g) == np.shape(z)
        assert_close(g, fd_gradient(f, (z,), 0))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [abs_of_product, vdot_form])
def test_two_complex_arguments_with_broadcasting(mode, f):
    rng = np.random.default_rng(1)
    shapes = [((3, 1), (1, 4)), ((4,), (4,))] if f is abs_of_product else [((4,), (4,))]
    for zs, ws in shapes:
        z, w = complex_sample(rng, zs), complex_sample(rng, ws)
        gz, gw = pb.grad(f, (0, 1), mode=mode)(z, w)
        assert_close(gz, fd_gradient(f, (z, w), 0))
        assert_close(gw, fd_gradient(f, (z, w), 1))


@pytest.mark.parametrize("mode", MODES)
def test_the_documented_example(mode):
    """|z|**2 at 3+4j: d/dx = 6, d/dy = 8, so the gradient is 6-8j."""
    g = pb.grad(lambda_free_abs_squared, mode=mode)(3 + 4j)
    assert g == pytest.approx(6 - 8j)
    assert pb.grad(abs_of_square, mode=mode)(1 + 2j) == pytest.approx(
        complex(fd_gradient(abs_of_square, (1 + 2j,), 0))
    )


def lambda_free_abs_squared(z):
    return np.abs(z) ** 2


def abs_of_square(z):
    return np.abs(z * z)


# -- holomorphic functions ----------------------------------------------------------------------


def square(z):
    return z * z


def exp_sin(z):
    return np.exp(z) * np.sin(z)


def rational(z):
    return 1.0 / (z + 2.0) + z**3


HOLOMORPHIC = [square, exp_sin, rational]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", HOLOMORPHIC)
def test_holomorphic_gradient_is_the_complex_derivative(mode, f):
    for z in (1 + 2j, -0.5 + 0.3j, 2.0 - 1.0j):
        assert pb.grad(f, mode=mode, holomorphic=True)(z) == pytest.approx(
            fd_derivative(f, z), rel=1e-6
        )
        value, g = pb.value_and_grad(f, mode=mode, holomorphic=True)(z)
        assert value == pytest.approx(f(z)) and g == pytest.approx(fd_derivative(f, z), rel=1e-6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("direction", ["rev", "fwd"])
def test_holomorphic_jacobian(mode, direction):
    z = np.array([1 + 2j, -0.5 + 0.3j, 0.7 - 1j])
    jac = pb.jacobian(exp_sin, mode=mode, direction=direction, holomorphic=True)(z)
    assert_close(jac, np.diag([fd_derivative(exp_sin, v) for v in z]))


def magnitudes(z):
    return np.abs(z)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("direction", ["rev", "fwd"])
def test_jacobian_of_a_real_function_of_complex_arguments(mode, direction):
    z = np.array([1 + 2j, -0.5 + 0.3j, 0.7 - 1j])
    jac = pb.jacobian(magnitudes, mode=mode, direction=direction)(z)
    assert_close(jac, np.diag(np.conj(z) / np.abs(z)))


# -- real arguments through complex intermediates -----------------------------------------------


def real_part_of_scaled(x):
    return np.sum((x * (1 + 1j)).real)


def real_part_of_fft(x):
    return np.sum(np.fft.fft(x).real * np.arange(np.size(x)))


def power_spectrum(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2 * np.linspace(1.0, 2.0, np.size(x) // 2 + 1))


def power_by_conjugate(x):
    spectrum = np.fft.rfft(x)
    return np.sum(np.real(spectrum * np.conj(spectrum)) * np.arange(1.0, np.size(spectrum) + 1))


def round_trip(x):
    v = np.arange(1.0, np.size(x) + 1.0)
    return np.sum(v * np.fft.irfft(np.fft.rfft(x), np.size(x)))


def padded_spectrum_along_rows(x):
    return np.sum(np.abs(np.fft.rfft(x, n=7, axis=0)) ** 2) + np.sum(
        np.real(np.fft.fft2(x, norm="ortho")) * x
    )


def inverse_of_scaled_spectrum(x):
    spectrum = np.fft.fft(x, n=6) * np.exp(0.3j * np.arange(6.0))
    return np.sum(np.real(np.fft.ifft(spectrum)) ** 2) + np.sum(np.fft.irfft(spectrum[:4], 5) * 2.0)


def real_scalar_through_complex(x):
    z = x * (1.0 + 2.0j)
    return np.abs(z * z) + np.real(np.exp(z))


REAL_IN = [
    (real_part_of_scaled, (5,)),
    (real_part_of_fft, (6,)),
    (power_spectrum, (8,)),
    (power_spectrum, (7,)),
    (power_by_conjugate, (6,)),
    (padded_spectrum_along_rows, (4, 3)),
    (inverse_of_scaled_spectrum, (5,)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f,shape", REAL_IN, ids=[f"{f.__name__}{s}" for f, s in REAL_IN])
def test_real_argument_through_complex_intermediates(mode, f, shape):
    rng = np.random.default_rng(2)
    x = rng.normal(size=shape)
    g = pb.grad(f, mode=mode)(x)
    assert isinstance(g, np.ndarray) and g.dtype == np.float64, "a real argument: real gradient"
    assert_close(g, fd_gradient(f, (x,), 0))
    assert_close(pb.value_and_grad(f, mode=mode)(x)[1], g)


@pytest.mark.parametrize("mode", MODES)
def test_round_trip_through_the_spectrum_has_the_identity_gradient(mode):
    for n in (6, 7):
        x = np.random.default_rng(n).normal(size=n)
        assert_close(pb.grad(round_trip, mode=mode)(x), np.arange(1.0, n + 1.0))


@pytest.mark.parametrize("mode", MODES)
def test_real_scalar_keeps_its_type(mode):
    g = pb.grad(real_scalar_through_complex, mode=mode)(0.4)
    assert type(g) is float
    assert g == pytest.approx(float(fd_gradient(real_scalar_through_complex, (0.4,), 0)))
    g32 = pb.grad(real_part_of_scaled, mode=mode)(np.ones(3, np.float32))
    assert g32.dtype == np.float32
    assert_close(g32, np.ones(3))


@pytest.mark.parametrize("mode", MODES)
def test_user_arrays_are_not_changed(mode):
    x = np.linspace(0.0, 1.0, 6)
    z = x + 1j * x[::-1]
    before_x, before_z = x.copy(), z.copy()
    pb.grad(power_spectrum, mode=mode)(x)
    pb.grad(spectrum_weighted, mode=mode)(z)
    np.testing.assert_array_equal(x, before_x)
    np.testing.assert_array_equal(z, before_z)


# -- forward mode agrees with reverse under the pairing ----------------------------------------


def nonholomorphic_map(z):
    return z * np.conj(z) * np.exp(z) + np.abs(z) + 1j * np.angle(z)


def spectral_map(z):
    return np.fft.ifft(np.fft.fft(z, n=6) * np.conj(z[0]), n=4) + np.real(z[1]) * z


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [nonholomorphic_map, spectral_map, exp_sin])
def test_vjp_and_jvp_agree_under_the_pairing(mode, f):
    rng = np.random.default_rng(3)
    z = complex_sample(rng, (4,))
    t = complex_sample(rng, (4,))
    value, tangent = pb.jvp(f, (z,), (t,), mode=mode)
    ct = complex_sample(rng, np.shape(value))
    _, vjp_fn = pb.vjp(f, z, mode=mode)
    (adjoint,) = vjp_fn(ct)
    lhs = np.real(np.sum(ct * tangent))
    rhs = np.real(np.sum(adjoint * t))
    assert lhs == pytest.approx(rhs, rel=1e-9)
    differences = (f(z + H * t) - f(z - H * t)) / (2 * H)
    assert_close(tangent, differences)


@pytest.mark.parametrize("mode", MODES)
def test_jvp_of_a_real_function_is_the_real_part_of_gradient_times_tangent(mode):
    z = np.array([1 + 2j, -0.5 + 0.3j, 0.7 - 1j])
    t = np.array([0.3 - 1j, 2.0 + 0.5j, -1j])
    for f in (abs_squared, angle_times_abs, norms, spectrum_weighted):
        _, tangent = pb.jvp(f, (z,), (t,), mode=mode)
        assert np.isrealobj(tangent)
        assert tangent == pytest.approx(np.real(np.sum(pb.grad(f, mode=mode)(z) * t)))


# -- second order ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [power_spectrum, power_by_conjugate, real_part_of_fft])
def test_hessian_of_a_real_function_through_fft(mode, f):
    x = np.random.default_rng(4).normal(size=6)
    hessian = pb.hessian(f, mode=mode)(x)
    gradient = pb.grad(f, mode=mode)
    columns = [(gradient(x + H * e) - gradient(x - H * e)) / (2 * H) for e in np.eye(6)]
    assert_close(hessian, np.stack(columns, axis=-1), rtol=1e-5)


# -- errors ------------------------------------------------------------------------------------


def total(z):
    return np.sum(z)


@pytest.mark.parametrize("mode", MODES)
def test_complex_output_needs_holomorphic(mode):
    for make in (pb.grad, pb.value_and_grad):
        with pytest.raises(PullbackTypeError, match="holomorphic=True"):
            make(square, mode=mode)(1 + 2j)
    with pytest.raises(PullbackTypeError, match="holomorphic=True"):
        pb.grad(total, mode=mode)(np.array([1.0]) * (1 + 1j))
    for direction in ("rev", "fwd"):
        with pytest.raises(PullbackTypeError, match="holomorphic=True"):
            pb.jacobian(square, mode=mode, direction=direction)(np.array([1 + 2j]))


@pytest.mark.parametrize("mode", MODES)
def test_holomorphic_needs_complex_arguments(mode):
    with pytest.raises(PullbackTypeError, match="needs complex arguments"):
        pb.grad(square, mode=mode, holomorphic=True)(1.5)
    with pytest.raises(PullbackTypeError, match="needs complex arguments"):
        pb.jacobian(square, mode=mode, holomorphic=True)(np.ones(2))


def eigenvalue_sum(a):
    return np.sum(np.linalg.eigvalsh(a) ** 2).real


@pytest.mark.parametrize("mode", MODES)
def test_rules_without_a_complex_form_refuse_complex_arguments(mode):
    a = np.array([[2.0, 1j], [-1j, 3.0]])
    with pytest.raises(PullbackError, match="real arguments only"):
        pb.grad(eigenvalue_sum, mode=mode)(a)


def test_hessian_of_complex_arguments_is_refused():
    with pytest.raises(PullbackTypeError, match="complex arguments is not supported"):
        pb.hessian(abs_squared)(np.array([1 + 1j]))


def test_symbolic_and_numeric_modes_refuse_complex_arguments():
    with pytest.raises(PullbackTypeError, match="complex"):
        pb.grad(lambda_free_abs_squared, mode="symbolic")(3 + 4j)
    with pytest.raises(PullbackTypeError, match="complex"):
        pb.grad(lambda_free_abs_squared, mode="numeric")(3 + 4j)


def test_fft_rules_are_listed():
    names = set(pb.supported_functions())
    for name in ("fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "fftn", "ifftn", "fftshift"):
        assert f"numpy.fft.{name}" in names
    for name in ("numpy.real", "numpy.imag", "numpy.conjugate", "numpy.angle"):
        assert name in names
    for name in ("real", "imag", "conj", "conjugate"):
        assert f"numpy.ndarray.{name}" in names
