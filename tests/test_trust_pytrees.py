"""Structured arguments and the types of derivatives, in every mode.

- dataclasses (plain and frozen) and namedtuples read by attribute (``p.w``): gradients,
  VJPs, JVPs and Hessian-vector products with the argument's structure, also where zero;
- a list or tuple of floats used as an array (``np.sin(x)`` of a list): a list of floats back;
- dicts matched by key, not position: a tangent or cotangent may list its keys in any order;
- NumPy's namedtuple results (``slogdet``, ``eigh``) in forward mode and read by field;
- types: float32 stays float32, ``np.float64`` stays ``np.float64``, a Python float stays a
  Python float, at every order; integers are refused.

Values are checked against central differences (``fd.numeric_grad``) in float64.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb

MODES = ("source", "tape", "graph", "numeric")
RUN_MODES = ("source", "tape", "graph")  # the analytic ones: exact to rounding


@dataclasses.dataclass
class Params:
    w: np.ndarray
    b: float


@dataclasses.dataclass(frozen=True)
class FrozenParams:
    w: np.ndarray
    b: float


class TupleParams(NamedTuple):
    w: np.ndarray
    b: float


STRUCTS = (Params, FrozenParams, TupleParams)


def make(cls):
    return cls(w=np.array([1.0, 2.0]), b=0.5)


def linear_loss(p):
    return np.sum(p.w * 2.0) + p.b * 3.0


def curved_loss(p):
    return np.sum(np.sin(p.w) * p.b) + p.b**3 + np.sum(p.w**2) * p.b


def constant_loss(p):
    return 1.5


def looped_loss(p):
    total = 0.0
    for k in range(3):
        total = total + np.sum(np.tanh(p.w * k)) * p.b
    return total


def _tol(mode):
    return dict(rtol=1e-5, atol=1e-6) if mode == "numeric" else dict(rtol=1e-6, atol=1e-8)


# -- 1, 4: dataclasses and namedtuples read by attribute ------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cls", STRUCTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("loss", [linear_loss, curved_loss, looped_loss], ids=lambda f: f.__name__)
def test_grad_and_vjp_of_a_structure_read_by_attribute(mode, cls, loss):
    p = make(cls)
    expected = numeric_grad(loss, (p,))
    g = pb.grad(loss, mode=mode)(p)
    assert type(g) is cls
    assert_close(g, expected, **_tol(mode))
    value, vjp_fn = pb.vjp(loss, p, mode=mode)
    (g_vjp,) = vjp_fn(1.0)
    assert type(g_vjp) is cls
    assert_close(g_vjp, expected, **_tol(mode))
    np.testing.assert_allclose(value, loss(p))


def test_the_linear_loss_of_the_report():
    for mode in MODES:
        g = pb.grad(linear_loss, mode=mode)(Params(w=np.array([1.0, 2.0]), b=0.5))
        np.testing.assert_allclose(g.w, [2.0, 2.0], rtol=1e-6)
        assert abs(g.b - 3.0) < 1e-6


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cls", STRUCTS, ids=lambda c: c.__name__)
def test_jvp_along_a_structure(mode, cls):
    p = make(cls)
    t = cls(w=np.array([0.3, -1.0]), b=2.0)
    g = numeric_grad(curved_loss, (p,))
    expected = float(np.sum(g.w * t.w) + g.b * t.b)
    value, tangent = pb.jvp(curved_loss, (p,), (t,), mode=mode)
    np.testing.assert_allclose(value, curved_loss(p))
    np.testing.assert_allclose(tangent, expected, rtol=1e-5)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cls", STRUCTS, ids=lambda c: c.__name__)
def test_a_zero_gradient_keeps_the_structure(mode, cls):
    g = pb.grad(constant_loss, mode=mode)(make(cls))
    assert type(g) is cls
    np.testing.assert_array_equal(g.w, [0.0, 0.0])
    assert g.b == 0.0 and type(g.b) is float


@pytest.mark.parametrize("mode", RUN_MODES)
@pytest.mark.parametrize("cls", STRUCTS, ids=lambda c: c.__name__)
def test_hvp_along_a_structure(mode, cls):
    p = make(cls)
    t = cls(w=np.array([1.0, 0.0]), b=1.0)
    expected = pb.hvp(curved_loss, (p,), (t,), mode="numeric")
    out = pb.hvp(curved_loss, (p,), (t,), mode=mode)
    assert type(out) is cls
    assert_close(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", MODES)
def test_a_namedtuple_read_by_position_and_by_field(mode):
    def loss(p):
        return np.sum(p[0] * p.w) + p[1] * p.b

    p = make(TupleParams)
    g = pb.grad(loss, mode=mode)(p)
    assert type(g) is TupleParams
    assert_close(g, numeric_grad(loss, (p,)), **_tol(mode))


@pytest.mark.parametrize("mode", MODES)
def test_a_dataclass_inside_a_dict_and_a_list(mode):
    def loss(tree):
        layer = tree["layers"][1]
        return np.sum(layer.w**2) * layer.b + tree["scale"] * tree["layers"][0].b

    tree = {"layers": [make(Params), Params(np.array([0.5, -1.5]), 2.0)], "scale": 0.7}
    g = pb.grad(loss, mode=mode)(tree)
    assert type(g["layers"][0]) is Params and type(g["layers"]) is list
    assert_close(g, numeric_grad(loss, (tree,)), **_tol(mode))


def test_a_property_of_a_dataclass_is_refused_not_zeroed():
    @dataclasses.dataclass
    class Box:
        w: np.ndarray

        @property
        def doubled(self):
            return self.w * 2.0

    def loss(box):
        d = box.doubled
        return np.sum(d)

    box = Box(np.array([1.0, 2.0]))
    try:
        g = pb.grad(loss)(box)
    except pb.PullbackError as error:
        assert "doubled" in str(error)
    else:  # a property of the receiver's class may be resolved: then it must be right
        np.testing.assert_allclose(g.w, [2.0, 2.0])


def test_a_dataclass_with_a_field_init_does_not_take():
    @dataclasses.dataclass
    class Scaled:
        w: np.ndarray
        b: float = dataclasses.field(init=False, default=1.0)

    def loss(p):
        return np.sum(p.w * p.b)

    p = Scaled(np.array([1.0, 3.0]))
    p.b = 2.0
    for mode in MODES:
        g = pb.grad(loss, mode=mode)(p)
        np.testing.assert_allclose(g.w, [2.0, 2.0], rtol=1e-6)
        assert abs(g.b - 4.0) < 1e-5


def test_generated_code_reads_the_field():
    df = pb.grad(linear_loss)
    df(make(Params))
    text = pb.source(df)
    assert "getattr_adjoint(" in text and "zeros_like_value(p)" not in text


# -- 2: a list or tuple of floats used as an array ------------------------------------------


def sin_times(x):
    return np.sum(np.sin(x) * x)


def squared_norm(x):
    return np.sum(np.asarray(x) ** 2) + x[0] * x[1]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", [list, tuple])
@pytest.mark.parametrize("f", [sin_times, squared_norm], ids=lambda f: f.__name__)
def test_a_sequence_of_floats_used_as_an_array(mode, kind, f):
    x = kind([1.0, 2.0])
    g = pb.grad(f, mode=mode)(x)
    assert type(g) is kind and all(type(v) is float for v in g)
    assert_close(list(g), list(numeric_grad(f, (x,))), **_tol(mode))


@pytest.mark.parametrize("mode", MODES)
def test_a_nested_list_used_as_a_matrix(mode):
    def f(m):
        return np.sum(np.asarray(m) @ np.array([1.0, -2.0]))

    m = [[1.0, 2.0], [3.0, 4.0]]
    g = pb.grad(f, mode=mode)(m)
    assert type(g) is list and type(g[0]) is list and type(g[0][0]) is float
    assert_close(g, numeric_grad(f, (m,)), **_tol(mode))


# -- 3: dicts matched by key ----------------------------------------------------------------


def dict_model(p, x):
    return np.sum(np.tanh(p["w"] * x)) * p["b"]


@pytest.mark.parametrize("mode", MODES)
def test_a_tangent_dict_in_another_key_order(mode):
    w, v, x = np.array([1.0, 2.0]), np.array([0.5, 0.1]), np.array([3.0, -4.0])
    p = {"w": w, "b": 0.3}
    g = numeric_grad(dict_model, (p, x))
    expected = float(np.sum(g["w"] * v) + g["b"] * 1.0)
    value, tangent = pb.jvp(dict_model, (p, x), ({"b": 1.0, "w": v}, 0 * x), mode=mode)
    np.testing.assert_allclose(tangent, expected, rtol=1e-5)
    same = pb.jvp(dict_model, (p, x), ({"w": v, "b": 1.0}, 0 * x), mode=mode)[1]
    np.testing.assert_allclose(tangent, same, rtol=1e-7)


@pytest.mark.parametrize("mode", RUN_MODES)
def test_hvp_with_a_tangent_dict_in_another_key_order(mode):
    p = {"w": np.array([1.0, 2.0]), "b": 0.3}

    def f(q):
        return dict_model(q, np.array([0.5, -1.0]))

    out = pb.hvp(f, (p,), ({"b": 1.0, "w": np.array([0.2, 0.4])},), mode=mode)
    expected = pb.hvp(f, (p,), ({"w": np.array([0.2, 0.4]), "b": 1.0},), mode="numeric")
    assert list(out) == ["w", "b"]
    assert_close(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", MODES)
def test_a_cotangent_dict_in_another_key_order(mode):
    def f(x):
        return {"a": x * 2.0, "b": np.sin(x)}

    x = np.array([0.5, 1.5])
    _, vjp_fn = pb.vjp(f, x, mode=mode)
    ca, cb = np.array([1.0, 0.0]), np.array([0.0, 3.0])
    (g,) = vjp_fn({"b": cb, "a": ca})
    np.testing.assert_allclose(g, 2.0 * ca + np.cos(x) * cb, rtol=1e-5)


# -- 5: NumPy's namedtuple results ----------------------------------------------------------


A = np.array([[2.0, 0.3, 0.1], [0.1, 1.5, 0.2], [0.0, 0.4, 1.2]])
S = A + A.T
V = np.array([[0.3, 0.1, 0.0], [0.2, -0.4, 0.1], [0.1, 0.0, 0.5]])


def logdet_unpacked(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return logabsdet * sign


def logdet_field(a):
    result = np.linalg.slogdet(a)
    return result.logabsdet


def eigenvalues_field(a):
    result = np.linalg.eigh(a)
    return np.sum(result.eigenvalues**2) + np.sum(result.eigenvectors[:, 0] ** 4)


def _numeric_directional(f, a, v, h=1e-6):
    return (f(a + h * v) - f(a - h * v)) / (2 * h)


@pytest.mark.parametrize("mode", RUN_MODES)
@pytest.mark.parametrize(
    "f, a, v",
    [(logdet_unpacked, A, V), (logdet_field, A, V), (eigenvalues_field, S, V + V.T)],
    ids=["slogdet-unpacked", "slogdet-field", "eigh-field"],
)
def test_namedtuple_results_forward_and_reverse(mode, f, a, v):
    value, tangent = pb.jvp(f, (a,), (v,), mode=mode)
    np.testing.assert_allclose(tangent, _numeric_directional(f, a, v), rtol=1e-5)
    if mode != "graph" or f is not eigenvalues_field:  # graph's eigh adjoint: see the report
        g = pb.grad(f, mode=mode)(a)
        np.testing.assert_allclose(np.sum(g * v), _numeric_directional(f, a, v), rtol=1e-5)


@pytest.mark.parametrize("mode", RUN_MODES)
@pytest.mark.parametrize("f", [logdet_unpacked, logdet_field])
def test_hvp_through_slogdet(mode, f):
    out = pb.hvp(f, (A,), (V,), mode=mode)
    expected = _numeric_directional(lambda a: pb.grad(f, mode="source")(a), A, V)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-7)


def test_tape_keeps_the_result_type():
    from pullback.tape.mode import jvp

    def f(a):
        result = np.linalg.slogdet(a)
        assert type(result).__name__ == "SlogdetResult"
        return result.logabsdet

    jvp(f, (A,), (V,))


# -- 6: types of derivatives ----------------------------------------------------------------


def elementwise(x):
    return np.sum(np.sin(x) * x + np.exp(-x * x))


def reduction(x):
    return np.mean(x**2) + np.max(x) * np.sum(x)


def matmul(x):
    m = np.outer(x, x) + 1.0
    return np.sum(m @ x)


def loop(x):
    acc = x * 0.0
    for k in range(3):
        acc = acc + np.cos(x * k)
    return np.sum(acc * x)


FUNCTIONS = (elementwise, reduction, matmul, loop)


def scalar_fn(x):
    return x * x * np.sin(x)


def _kind(v):
    return (type(v), getattr(v, "dtype", None))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_arrays_keep_their_dtype_at_every_order(mode, f, dtype):
    x = np.array([0.4, -0.7, 1.1], dtype=dtype)
    v = np.array([1.0, 0.5, -1.0], dtype=dtype)
    g = pb.grad(f, mode=mode)(x)
    assert g.dtype == dtype
    g_vjp = pb.vjp(f, x, mode=mode)[1](np.ones((), dtype)[()])[0]
    assert g_vjp.dtype == dtype
    h = pb.hessian(f, mode=mode)(x)
    assert h.dtype == dtype and h.shape == (3, 3)
    hv = pb.hvp(f, (x,), (v,), mode=mode)
    assert hv.dtype == dtype
    y, t = pb.jvp(lambda z: np.sin(z) * z, (x,), (v,), mode=mode)
    assert t.dtype == y.dtype == dtype
    if dtype is np.float64:  # exact enough to compare with differences
        x64 = x.astype(float)
        assert_close(g, numeric_grad(f, (x64,)), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(h @ v, hv, rtol=1e-4, atol=1e-6)
    else:
        reference = pb.grad(f, mode=mode)(x.astype(float))
        np.testing.assert_allclose(g, reference, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "x", [3.0, np.float64(3.0), np.float32(3.0)], ids=["float", "np.float64", "np.float32"]
)
def test_scalars_keep_their_type_at_every_order(mode, x):
    expected = (type(x), getattr(x, "dtype", None))
    first = pb.grad(scalar_fn, mode=mode)(x)
    second = pb.grad(pb.grad(scalar_fn, mode=mode), mode=mode)(x)
    assert _kind(first) == expected
    assert _kind(second) == expected
    assert _kind(pb.vjp(scalar_fn, x, mode=mode)[1](1.0)[0]) == expected
    assert _kind(pb.value_and_grad(scalar_fn, mode=mode)(x)[1]) == expected
    assert _kind(pb.hessian(scalar_fn, mode=mode)(x)) == expected
    assert _kind(pb.hvp(scalar_fn, (x,), (type(x)(1.0),), mode=mode)) == expected
    value, tangent = pb.jvp(scalar_fn, (x,), (type(x)(1.0),), mode=mode)
    # Python floats in, Python float out; otherwise the tangent has the output's type
    assert _kind(tangent) == (expected if type(x) is float else _kind(value))
    if type(x) is not np.float32:
        d1 = 2 * x * np.sin(x) + x * x * np.cos(x)
        d2 = 2 * np.sin(x) + 4 * x * np.cos(x) - x * x * np.sin(x)
        tol = 1e-5 if mode == "numeric" else 1e-9
        np.testing.assert_allclose([first, tangent], [d1, d1], rtol=tol)
        np.testing.assert_allclose(second, d2, rtol=1e-4 if mode == "numeric" else 1e-9)


def test_the_scalar_fast_path_gives_a_python_float():
    def f(x):
        return np.sum(np.sin(x) * x)

    df = pb.grad(f)
    for _ in range(2):  # the second call is the cached one
        assert type(df(3.0)) is float
        assert type(pb.grad(pb.grad(f))(3.0)) is float
        assert type(pb.value_and_grad(f)(3.0)[1]) is float


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("x", [3, np.int64(3), np.array([1, 2])], ids=["int", "np.int64", "ints"])
def test_integer_inputs_are_refused(mode, x):
    with pytest.raises(pb.PullbackError):
        pb.grad(elementwise, mode=mode)(x)
    with pytest.raises(pb.PullbackError):
        pb.vjp(elementwise, x, mode=mode)


# -- Jacobians and Hessians of structured values: trees outside (output) and inside (argument) --


def dict_loss(p):
    return np.sum(p["w"] ** 3) * p["b"] + np.sin(p["b"])


def tree_output(x):
    return {"a": x**2, "b": (np.sin(x), x[0] * x[1])}


@pytest.mark.parametrize("mode", RUN_MODES)
def test_hessian_of_a_dict_argument_is_a_dict_of_dicts(mode):
    p = {"w": np.array([1.0, -2.0, 0.5]), "b": 0.7}
    h = pb.hessian(dict_loss, mode=mode)(p)
    assert set(h) == {"w", "b"} and set(h["w"]) == {"w", "b"}
    # each row of the Hessian is the finite-difference derivative of the gradient
    gradient = pb.grad(dict_loss, mode=mode)
    for j in range(3):
        row = numeric_grad(lambda q, j=j: gradient(q)["w"][j], (p,))
        np.testing.assert_allclose(h["w"]["w"][j], row["w"], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(h["w"]["b"][j], row["b"], rtol=1e-6, atol=1e-8)
    row = numeric_grad(lambda q: gradient(q)["b"], (p,))
    np.testing.assert_allclose(h["b"]["w"], row["w"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(h["b"]["b"], row["b"], rtol=1e-6, atol=1e-8)
    assert isinstance(h["b"]["b"], float)
    np.testing.assert_allclose(h["w"]["b"], h["b"]["w"], rtol=1e-12)  # symmetric


@pytest.mark.parametrize("mode", RUN_MODES)
@pytest.mark.parametrize("direction", ["rev", "fwd"])
def test_jacobian_of_a_tree_output_has_the_output_tree_outside(mode, direction):
    x = np.array([0.4, -1.3])
    jac = pb.jacobian(tree_output, mode=mode, direction=direction)(x)
    np.testing.assert_allclose(jac["a"], np.diag(2 * x))
    np.testing.assert_allclose(jac["b"][0], np.diag(np.cos(x)))
    fd = numeric_grad(lambda x: tree_output(x)["b"][1], (x,))
    np.testing.assert_allclose(jac["b"][1], fd, rtol=1e-6)
    assert isinstance(jac["b"], tuple)
