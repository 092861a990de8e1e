"""Central differences for the source-mode tests (float64, pytrees of floats and arrays).

In: a scalar function, its arguments, which to differentiate.
Out: numeric gradients with the structure of the arguments.
"""

from __future__ import annotations

import numpy as np

from pullback import pytree


def numeric_grad(f, args, argnums=0, h=1e-6, kwargs=None):
    kwargs = kwargs or {}
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    out = []
    for k in nums:
        leaves, tdef = pytree.flatten(args[k])
        grads = []
        for j, leaf in enumerate(leaves):
            arr = np.array(leaf, dtype=float)
            g = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                values = []
                for step in (h, -h):
                    moved = arr.copy()
                    moved[idx] += step
                    new_leaves = list(leaves)
                    new_leaves[j] = moved if np.ndim(leaf) else float(moved)
                    new_args = list(args)
                    new_args[k] = pytree.unflatten(tdef, new_leaves)
                    values.append(float(f(*new_args, **kwargs)))
                g[idx] = (values[0] - values[1]) / (2 * h)
            grads.append(g if np.ndim(leaf) else float(g))
        out.append(pytree.unflatten(tdef, grads))
    return out[0] if isinstance(argnums, int) else tuple(out)


def assert_close(actual, expected, rtol=1e-5, atol=1e-6):
    la, ta = pytree.flatten(actual)
    le, te = pytree.flatten(expected)
    assert len(la) == len(le), (actual, expected)
    for a, e in zip(la, le, strict=False):
        assert np.shape(a) == np.shape(e), (np.shape(a), np.shape(e))
        np.testing.assert_allclose(np.asarray(a, float), np.asarray(e, float), rtol=rtol, atol=atol)


def gradient_differences(grad, x, h=1e-5):
    """Central differences of a gradient ``grad`` at the 1-D ``x``: the Hessian's columns."""
    columns = []
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h
        columns.append((grad(x + step) - grad(x - step)) / (2 * h))
    return np.stack(columns, axis=1)


def assert_first_and_second_order(f, x, mode, v, hessian_rtol=1e-5, hessian_atol=1e-6):
    """For a scalar ``f`` of a 1-D ``x`` in ``mode``: the gradient against central differences,
    the JVP along ``v`` (and the value) against the gradient, and the Hessian (symmetric)
    against central differences of the gradient."""
    import pullback as pb

    grad = pb.grad(f, mode=mode)
    g = grad(x)
    assert_close(g, numeric_grad(f, (x,)))
    value, tangent = pb.jvp(f, (x,), (v,), mode=mode)
    assert_close(value, f(x), rtol=1e-12, atol=0.0)
    assert_close(tangent, np.dot(g, v), rtol=1e-8, atol=1e-10)
    h = pb.hessian(f, mode=mode)(x)
    assert_close(h, gradient_differences(grad, x), rtol=hessian_rtol, atol=hessian_atol)
    assert_close(h, h.T, rtol=1e-10, atol=1e-12)
