"""Ordinary NumPy functions shared by the tape- and graph-mode tests, and a difference helper.

Each case: (name, function, arguments). Every argument is differentiated.
"""

import math

import numpy as np

RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 4))
B = RNG.normal(size=(4, 2))
V = RNG.uniform(0.5, 1.5, size=4)
M = RNG.normal(size=(3, 3)) + 3 * np.eye(3)


def central_grad(f, args, h=1e-6):
    """Central differences of scalar ``f`` with respect to every (float or array) argument."""
    grads = []
    for k, a in enumerate(args):
        a = np.asarray(a, dtype=float)
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus, minus = a.copy(), a.copy()
            plus[idx] += h
            minus[idx] -= h
            args_p = list(args)
            args_m = list(args)
            args_p[k] = plus if a.shape else float(plus)
            args_m[k] = minus if a.shape else float(minus)
            g[idx] = (f(*args_p) - f(*args_m)) / (2 * h)
        grads.append(g if a.shape else float(g))
    return tuple(grads)


def assert_grad_matches_central_differences(f, args, mode):
    """``pb.grad`` of every argument in ``mode``: each gradient has its argument's shape and
    matches central differences."""
    import pullback as pb

    argnums = tuple(range(len(args)))
    got = pb.grad(f, argnums, mode=mode)(*args)
    want = central_grad(f, args)
    for g, w, a in zip(got, want, args, strict=True):
        assert np.shape(g) == np.shape(a)
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def poly(x, y):
    return 3.0 * x**3 - x * y + y**2 / x - 2.0 ** (x * 0.5) + abs(-x) - (-y)


def trig(x):
    return np.sin(x) * np.cos(x) + np.tanh(x) / (1.0 + np.exp(-x)) + np.log(x) + np.sqrt(x)


def with_math(x, y):
    return math.sin(x) * math.exp(y) + math.log(x + y) + math.sqrt(x * y)


def mlp(x, w, b):
    h = np.tanh(x @ w + b)
    return np.mean(h**2)


def reductions(a):
    return np.sum(a, axis=0).dot(np.ones(4)) + a.max() + np.mean(a, axis=1).sum() + a.T.sum()


def shapes(a):
    b = a.reshape(4, 3)
    c = np.concatenate([b, b * 2.0], axis=0)
    return np.sum(np.transpose(c) ** 2) + np.stack([a[0], a[1]]).sum()


def indexing(v):
    return v[0] * v[-1] + np.sum(v[1:3] ** 2) + v[[0, 2]].sum() + sum(v)


def methods(a):
    return a.sum(axis=1).prod() + a.clip(-0.5, 0.5).sum() + a.copy().astype(float).mean()


def control(x):
    total = 0.0
    for i in range(3):
        if x > 1.0:
            total = total + x * i
        else:
            total = total - np.sin(x)
    while total < 5.0:
        total = total * total + 1.0
    return total


def array_literal(x, y):
    z = np.array([x, y * x, 1.0])
    return np.sum(z**2)


def setitem(v):
    w = v * 1.0
    w[0] = v[1] * v[2]
    w[1:3] = np.sin(v[1:3])
    return np.sum(w * v)


def matrix(m):
    return np.sum(np.linalg.inv(m)) + np.trace(m @ m.T)


def shared(x):
    y = x * x
    z = y * y + y
    return z * y


CASES = [
    ("poly", poly, (1.3, 0.7)),
    ("trig", trig, (0.8,)),
    ("trig_array", lambda v: np.sum(trig(v)), (V,)),
    ("with_math", with_math, (0.6, 0.3)),
    ("mlp", mlp, (A, B, RNG.normal(size=2))),
    ("reductions", reductions, (A,)),
    ("shapes", shapes, (A,)),
    ("indexing", indexing, (V,)),
    ("methods", methods, (A,)),
    ("control_high", control, (1.5,)),
    ("control_low", control, (0.5,)),
    ("array_literal", array_literal, (0.4, 1.1)),
    ("setitem", setitem, (V,)),
    ("matrix", matrix, (M,)),
    ("shared", shared, (0.9,)),
]
