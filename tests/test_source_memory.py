"""What the optimizer does to make generated code hold no more memory than hand-written code:
temporaries folded back into the expression that uses them, matrix products read for their
shape through their operands, chains of ``unbroadcast`` collapsed, and tape entries nothing
reads dropped. Each is checked against finite differences over broadcasting shapes, at first
and second order, and for what it must not do (move a call with side effects, drop a user's
variable)."""

import gc
import weakref

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb

rng = np.random.default_rng(7)


def chain3(a, b, c):
    return np.sum(np.tanh(a + b + c) * c)


def mlp(W1, b1, W2, X):
    return np.mean((np.tanh(X @ W1 + b1) @ W2) ** 2)


SHAPES = [
    ((3, 4), (3, 4), (3, 4)),
    ((3, 1), (1, 4), (4,)),
    ((4,), (3, 4), (1, 1)),
    ((2, 1, 4), (3, 1), (4,)),
    ((), (3, 4), (3, 1)),
]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_broadcast_chains_against_finite_differences(shapes):
    args = tuple(rng.standard_normal(s) if s else float(rng.standard_normal()) for s in shapes)
    assert_close(pb.grad(chain3, (0, 1, 2))(*args), numeric_grad(chain3, args, (0, 1, 2)))


@pytest.mark.parametrize("shapes", SHAPES[:3], ids=str)
def test_broadcast_chains_second_order(shapes):
    args = tuple(rng.standard_normal(s) for s in shapes)
    hess = pb.hessian(chain3, 2)(*args)
    g = pb.grad(chain3, 2)
    n = args[2].size
    numeric = np.zeros((n, n))
    h = 1e-5
    for k in range(n):
        e = np.zeros(n)
        e[k] = h
        up = g(args[0], args[1], args[2] + e.reshape(args[2].shape))
        down = g(args[0], args[1], args[2] - e.reshape(args[2].shape))
        numeric[:, k] = ((up - down) / (2 * h)).ravel()
    assert_close(np.reshape(hess, (n, n)), numeric, rtol=1e-4, atol=1e-6)


def test_mlp_gradient_and_hvp():
    args = (
        rng.standard_normal((5, 6)) * 0.3,
        rng.standard_normal(6),
        rng.standard_normal((6, 2)),
        rng.standard_normal((4, 5)),
    )
    assert_close(pb.grad(mlp, (0, 1, 2))(*args), numeric_grad(mlp, args, (0, 1, 2)))
    v = rng.standard_normal((5, 6))

    b1, W2, X = args[1:]

    def loss_w1(W1):
        return mlp(W1, b1, W2, X)

    g = pb.grad(loss_w1)
    h = 1e-5
    numeric = (g(args[0] + h * v) - g(args[0] - h * v)) / (2 * h)
    assert_close(pb.hvp(loss_w1, (args[0],), (v,)), numeric, rtol=1e-4, atol=1e-6)


def test_matrix_product_read_for_its_shape_is_not_kept():
    text = pb.source(pb.grad(mlp, (0, 1, 2)))
    assert "np.tanh(X @ W1 + b1)" in text  # the forward sweep reads as the user wrote it
    assert "unbroadcast_to(X_matmul_W1_plus_b1_bar, matmul_shape(X, W1))" in text


def poly(x, y):
    return 3.0 * x**3 - x * y + y**2 / x - 2.0 * x + 1.0


def test_scalar_code_gets_no_bookkeeping():
    """Nothing is added for memory's sake where a temporary is not a matrix product: for
    floats it would only cost time and lines."""
    text = pb.source(pb.grad(poly))
    assert "_shape" not in text and "= None" not in text
    assert_close(pb.grad(poly)(1.3, 0.4), numeric_grad(poly, (1.3, 0.4), 0))


def _note_freed(products, freed):
    gc.collect()
    freed.append(products[-1]() is None)


def test_released_array_is_really_freed():
    """By the time the backward sweep reaches W1, nothing refers to ``X @ W1`` any more."""
    products = []

    class Probe(np.ndarray):
        def __matmul__(self, other):
            out = np.asarray(self) @ other
            products.append(weakref.ref(out))
            return out

    X = rng.standard_normal((3, 4)).view(Probe)
    b = rng.standard_normal(2)  # X @ W1 + b might broadcast: the adjoint needs X @ W1's shape
    freed = []

    def f(W1):
        with pb.grad_of(W1) as W1_bar:  # runs in the backward sweep, after W1's adjoint
            _note_freed(products, freed)
            W1_bar = W1_bar * 1.0
        return np.sum(np.tanh(X @ W1 + b))

    W1 = rng.standard_normal((4, 2))
    g = pb.grad(f)(W1)
    assert freed == [True]
    assert_close(g, numeric_grad(f, (W1,), 0))


def test_user_variable_is_not_released():
    def f(x, b):
        y = x * 2.0
        return np.sum(np.sin(y + b))

    text = pb.source(pb.grad(f))
    assert "y = None" not in text and "y_shape" not in text
    args = (rng.standard_normal((3, 4)), rng.standard_normal(4))
    assert_close(pb.grad(f)(*args), numeric_grad(f, args, 0))


def test_fold_never_moves_a_call_with_side_effects(capsys):
    def noisy(v):
        print("noisy", float(np.sum(v)))
        return v

    def f(x):
        a = x * 3.0
        print("a done")
        b = noisy(x) + a
        return np.sum(b * b)

    x = rng.standard_normal(3)
    g = pb.grad(f)(x)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "a done" and lines[1].startswith("noisy")
    assert_close(g, numeric_grad(f, (x,), 0))
    text = pb.source(pb.grad(f))
    assert "a = x * 3.0" in text  # not folded past the calls


def test_dead_tape_entries_are_dropped_but_needed_ones_kept():
    def rnn(Wx, b, xs):
        h = np.zeros((2, 3))
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ Wx + h + b)
        return np.sum(h**2)

    text = pb.source(pb.grad(rnn, (0, 1)))
    assert "h_tape" in text  # tanh's adjoint needs each h
    args = (
        rng.standard_normal((4, 3)) * 0.5,
        rng.standard_normal(3),
        rng.standard_normal((5, 2, 4)),
    )
    assert_close(pb.grad(rnn, (0, 1))(*args), numeric_grad(rnn, args, (0, 1)))


def test_generated_derivative_holds_no_stale_reference():
    """The derivative returns; no array of the forward sweep survives it."""
    W1 = rng.standard_normal((4, 3))
    X = rng.standard_normal((5, 4))

    def f(W1):
        return np.sum(np.tanh(X @ W1 + 1.0))

    out = pb.grad(f)(W1)
    ref = weakref.ref(out)
    del out
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize(
    "sa, sb",
    [((5, 3), (3, 2)), ((3,), (3, 2)), ((5, 3), (3,)), ((3,), (3,)), ((4, 5, 3), (3, 2))]
    + [((5, 3), (2, 3, 4)), ((2, 1, 5, 3), (4, 3, 2))],
)
def test_matmul_shape_matches_numpy(sa, sb):
    from pullback.runtime import matmul_shape

    assert matmul_shape(np.ones(sa), np.ones(sb)) == (np.ones(sa) @ np.ones(sb)).shape


def test_fold_never_moves_a_read_past_a_helper_writing_into_it():
    import ast

    from pullback.runtime.indexing import setitem, write_entry
    from pullback.source.backend.optimize import Purity, inline_single_use

    tree = ast.parse(
        "def g(x, y):\n    t = y * 2.0\n    z = write_entry(y, 0, x)\n    u = t + z\n    return u\n"
    )
    fdef = tree.body[0]
    for s in fdef.body:
        s.lineno = 7  # one source line: the fold would otherwise apply
    namespace = {"write_entry": write_entry, "np": np}
    inline_single_use(fdef, Purity(namespace))
    text = ast.unparse(fdef)
    assert "t = y * 2.0" in text and "z = write_entry(y, 0, x)" in text  # neither moves
    tree.body[0].body[1].value.func.id = "setitem"  # writes into a copy: now t may move
    inline_single_use(fdef, Purity({"setitem": setitem, "np": np}))
    assert "t = y * 2.0" not in ast.unparse(fdef)


def test_an_rnn_gradient_keeps_one_hidden_state_per_step():
    # the products xs[t] @ Wx and h @ Wh are read back only for their shapes: their shapes
    # are taped, not them (a hand-written adjoint keeps one hidden state per step)
    import tracemalloc

    def rnn(Wx, Wh, b, xs, h):
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        return np.sum(h**2)

    T, batch, hidden = 400, 8, 128
    args = (
        rng.standard_normal((4, hidden)) * 0.1,
        rng.standard_normal((hidden, hidden)) * 0.05,
        np.zeros(hidden),
        rng.standard_normal((T, batch, 4)),
        np.zeros((batch, hidden)),
    )
    df = pb.grad(rnn, (0, 1, 2))
    small = (*args[:3], args[3][:3], args[4])
    assert_close(df(*small), numeric_grad(rnn, small, (0, 1, 2)))
    assert "_shape_tape" in pb.source(df)
    tracemalloc.start()
    df(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak / (T * batch * hidden * 8) < 1.3  # was about 3 with the products taped
