"""svd, qr, eig, eigvals, pinv, cond and matrix_rank in source, tape and graph modes.

For each function, a scalar function of it that does not depend on the free signs or phases
of singular vectors and eigenvectors (squared entries, ``|v|^2``, products that cancel the
signs), checked at two inputs per shape: ``pb.grad`` against central differences, ``pb.jvp``
against the gradient, and ``pb.hessian`` against central differences of the gradient. Then
the refusals: full SVDs of non-square matrices, wide or non-reduced QR, ``hermitian=True``,
complex matrices; NaN where singular values are repeated; a zero derivative through
``matrix_rank``.
"""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb

MODES = ["source", "tape", "graph"]
WEIGHTS = np.random.default_rng(7).normal(size=(6, 6))


def svd_uv(a):
    res = np.linalg.svd(a, full_matrices=False)
    k = res.S.shape[-1]
    m, n = np.shape(a)
    u_part = np.sum(res.U**2 * WEIGHTS[:m, :k])
    v_part = np.sum(res.Vh**2 * WEIGHTS[:k, :n])
    return np.sum(res.S**3) + u_part + v_part + np.sum((res.U * res.S) @ res.Vh * WEIGHTS[:m, :n])


def singular_values(a):
    return np.sum(np.sin(np.linalg.svd(a, compute_uv=False)))


def qr_parts(a):
    q, r = np.linalg.qr(a)
    n = np.shape(a)[1]
    return np.sum(q * q * WEIGHTS[: np.shape(a)[0], :n]) + np.sum(r * r * WEIGHTS[:n, :n])


def eig_parts(a):
    res = np.linalg.eig(a)
    n = np.shape(a)[0]
    modulus = np.real(res.eigenvectors * np.conj(res.eigenvectors))
    return np.sum(np.real(res.eigenvalues**2)) + np.sum(modulus * WEIGHTS[:n, :n])


def eigenvalues(a):
    w = np.linalg.eigvals(a)
    return np.sum(np.real(w**3)) + np.sum(np.abs(w))


def pinv_parts(a):
    p = np.linalg.pinv(a)
    return np.sum(p * WEIGHTS[: p.shape[0], : p.shape[1]]) + np.sum(p**2)


def condition(a):
    return np.linalg.cond(a) + 0.1 * np.linalg.cond(a, "fro") + 0.1 * np.linalg.cond(a, 1)


def condition_2(a):
    return np.linalg.cond(a) + np.linalg.cond(a, -2)


def rotation_plus_scaling(rng):
    """A 3x3 matrix with a complex pair of eigenvalues and a real one."""
    basis = rng.normal(size=(3, 3)) + 2 * np.eye(3)
    block = np.array([[1.0, -2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    return basis @ block @ np.linalg.inv(basis)


def plain(shape):
    return lambda rng: rng.normal(size=shape)


def wellcond(n):
    return lambda rng: rng.normal(size=(n, n)) + 3 * np.eye(n)


CASES = [
    (svd_uv, plain((3, 3))),
    (svd_uv, plain((4, 3))),
    (svd_uv, plain((3, 4))),
    (singular_values, plain((4, 3))),
    (qr_parts, plain((3, 3))),
    (qr_parts, plain((5, 3))),
    (eig_parts, rotation_plus_scaling),
    (eig_parts, plain((3, 3))),
    (eigenvalues, rotation_plus_scaling),
    (eigenvalues, wellcond(4)),
    (pinv_parts, plain((3, 3))),
    (pinv_parts, plain((4, 3))),
    (pinv_parts, plain((3, 4))),
    (condition, wellcond(3)),
    (condition_2, plain((4, 3))),
]


def _id(case):
    f, draw = case
    return f"{f.__name__}-{draw(np.random.default_rng(0)).shape}"


def inputs(draw):
    return [draw(np.random.default_rng(seed)) for seed in (11, 12)]


def difference_of_gradient(gradient, a, h=1e-6):
    out = np.zeros(a.shape + a.shape)
    for idx in np.ndindex(a.shape):
        step = np.zeros(a.shape)
        step[idx] = h
        out[(Ellipsis, *idx)] = (gradient(a + step) - gradient(a - step)) / (2 * h)
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_gradient_tangent_and_hessian(case, mode):
    f, draw = case
    for a in inputs(draw):
        gradient = pb.grad(f, mode=mode)
        g = gradient(a)
        assert_close(g, numeric_grad(f, (a,)), rtol=1e-5, atol=1e-6)

        direction = np.random.default_rng(3).normal(size=a.shape)
        value, tangent = pb.jvp(f, (a,), (direction,), mode=mode)
        assert_close(value, f(a), rtol=1e-12, atol=1e-12)
        assert_close(tangent, np.sum(g * direction), rtol=1e-8, atol=1e-8)

        h = pb.hessian(f, mode=mode)(a)
        assert_close(h, difference_of_gradient(gradient, a), rtol=1e-4, atol=1e-5)


# -- the structure of the results -----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_results_are_read_by_field_and_by_position(mode):
    def by_field(a):
        res = np.linalg.svd(a, full_matrices=False)
        q = np.linalg.qr(a)
        e = np.linalg.eig(a.T @ a)
        return np.sum(res.S) + np.sum(q.R**2) + np.sum(e.eigenvalues)

    def by_position(a):
        u, s, vt = np.linalg.svd(a, full_matrices=False)
        q, r = np.linalg.qr(a)
        w, v = np.linalg.eig(a.T @ a)
        return np.sum(s) + np.sum(r**2) + np.sum(w)

    a = np.random.default_rng(5).normal(size=(4, 3))
    expected = numeric_grad(by_field, (a,))
    assert_close(pb.grad(by_field, mode=mode)(a), expected)
    assert_close(pb.grad(by_position, mode=mode)(a), expected)


@pytest.mark.parametrize("mode", MODES)
def test_a_stack_of_matrices(mode):
    def f(a):
        return np.sum(np.linalg.svd(a, compute_uv=False) ** 2) + np.sum(np.linalg.cond(a))

    a = np.random.default_rng(6).normal(size=(2, 4, 3))
    assert_close(pb.grad(f, mode=mode)(a), numeric_grad(f, (a,)))


# -- refusals and NaN -----------------------------------------------------------------------------


REFUSED = [
    (lambda a: np.sum(np.linalg.svd(a)[1]), (4, 3), "full_matrices=False"),
    (lambda a: np.sum(np.linalg.svd(a, hermitian=True)[1]), (3, 3), "hermitian"),
    (lambda a: np.sum(np.linalg.qr(a)[1]), (3, 4), "wide"),
    (lambda a: np.sum(np.linalg.qr(a, mode="complete")[1]), (4, 3), "mode='reduced'"),
    (lambda a: np.sum(np.linalg.pinv(a, hermitian=True)), (3, 3), "hermitian"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f, shape, hint", REFUSED, ids=[r[2] for r in REFUSED])
def test_refused_with_a_clear_error(f, shape, hint, mode):
    a = np.random.default_rng(8).normal(size=shape)
    a = a + a.T if shape[0] == shape[1] else a
    with pytest.raises(pb.PullbackError, match=hint):
        pb.grad(f, mode=mode)(a)


@pytest.mark.parametrize("mode", MODES)
def test_complex_matrices_are_refused(mode):
    def f(z):
        return np.sum(np.abs(np.linalg.eigvals(z)))

    z = np.random.default_rng(9).normal(size=(3, 3)) * (1 + 1j)
    with pytest.raises(pb.PullbackError, match="real arguments only"):
        pb.grad(f, mode=mode)(z)


@pytest.mark.parametrize("mode", MODES)
def test_repeated_singular_values_give_nan_not_a_number_that_is_wrong(mode):
    def uses_vectors(a):
        return np.sum(np.linalg.svd(a, full_matrices=False).U[:, 0] ** 2 * np.arange(1.0, 4.0))

    def values_only(a):
        return np.sum(np.linalg.svd(a, compute_uv=False))

    rng = np.random.default_rng(4)
    left, right = (np.linalg.qr(rng.normal(size=(3, 3)))[0] for _ in range(2))
    a = left @ np.diag([2.0, 2.0, 1.0]) @ right.T
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan(pb.grad(uses_vectors, mode=mode)(a)).any()
    assert_close(pb.grad(values_only, mode=mode)(a), left @ right.T)


@pytest.mark.parametrize("mode", MODES)
def test_close_but_resolved_eigenvalues_keep_their_finite_derivative(mode):
    # a gap of 1e-6 is far above rounding: the derivative is large but real, and must match
    def f(a):
        return np.sum(np.linalg.eigh(a).eigenvectors[:, 0] * np.arange(1.0, 4.0))

    rng = np.random.default_rng(5)
    q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    a = q @ np.diag([1.0, 1.0 + 1e-6, 3.0]) @ q.T
    g = pb.grad(f, mode=mode)(a)
    assert np.all(np.isfinite(g))
    sym = lambda a: f((a + a.T) / 2)  # noqa: E731  (eigh reads one triangle)
    assert_close((g + g.T) / 2, numeric_grad(sym, (a,), h=1e-9), rtol=1e-3)


@pytest.mark.parametrize("mode", MODES)
def test_matrix_rank_is_a_constant(mode):
    def f(a):
        return np.linalg.matrix_rank(a) * np.sum(a)

    a = np.random.default_rng(10).normal(size=(4, 3))
    assert_close(pb.grad(f, mode=mode)(a), np.full((4, 3), 3.0))
    assert "numpy.linalg.matrix_rank" in pb.rules.nondiff_functions()
