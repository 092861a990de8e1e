"""The derivatives built from a mode's two primitives, ``vjp`` and ``jvp``.

In: the user's function, ``argnums``, and a mode's ``vjp`` (for ``value_and_grad`` and
``grad``), or a ``vjp`` or ``jvp`` function bound to a mode (for a Jacobian).
Out: ``value_and_grad`` and ``grad`` functions for a mode without its own; the user's function
of the differentiated arguments only, the others fixed (``_partial``); a Jacobian built row by
row from cotangents (``_jacobian_rev``) or column by column from tangents (``_jacobian_fwd``),
as trees: the output's structure outside, the arguments' inside.

Nothing here chooses a mode: ``pullback.api`` passes in the mode's primitives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import pytree
from .checks import (
    _fname,
    _normalize_argnums,
    check_differentiable,
    check_holomorphic_argument,
    check_numeric_output,
    check_real_output,
    check_scalar_output,
)
from .results import _complex_leaf, match_leaf, match_tree, value_and_grad_result

# -- gradients from vjp -----------------------------------------------------------------------


def _partial(f: Callable, args: tuple, kwargs: dict, nums: tuple[int, ...]) -> Callable:
    """``f`` as a function of the arguments ``nums`` only, the other ``args`` and ``kwargs``
    fixed; ``f`` itself where every argument is differentiated."""
    if not kwargs and nums == tuple(range(len(args))):
        return f  # every argument is differentiated: f itself (source mode can transform it)

    def f_of_diff(*diff):
        full = list(args)
        for i, v in zip(nums, diff, strict=False):
            full[i] = v
        return f(*full, **kwargs)

    f_of_diff.__name__ = _fname(f)
    f_of_diff.__wrapped__ = f
    f_of_diff.__pullback_partial__ = (f, args, kwargs, nums)  # for modes that transform f
    return f_of_diff


def generic_value_and_grad(
    impl, f: Callable, argnums, has_aux: bool, holomorphic: bool = False
) -> Callable:
    """value_and_grad built on a mode's ``vjp``."""

    def value_and_gradient(*args, **kwargs):
        nums = _normalize_argnums(argnums, len(args))
        for i in nums:
            check_differentiable(args[i], f"argument {i} of {_fname(f)}")
            if holomorphic:
                check_holomorphic_argument(args[i], f"argument {i} of {_fname(f)}", "pb.grad")
        primals = tuple(args[i] for i in nums)
        out = impl.vjp(_partial(f, args, kwargs, nums), primals, has_aux=has_aux)
        if has_aux:
            value, vjp_fn, aux = out
        else:
            value, vjp_fn = out
        check_scalar_output(value, _fname(f))
        if not holomorphic:
            check_real_output(value, _fname(f), "pb.grad")
        cotangent = _one_like(value)
        grads = tuple(match_tree(g, p) for g, p in zip(vjp_fn(cotangent), primals, strict=False))
        return value_and_grad_result(value, aux if has_aux else None, grads, argnums, has_aux)

    value_and_gradient.__name__ = f"value_and_grad_{_fname(f)}"
    value_and_gradient.__wrapped__ = f
    return value_and_gradient


def grad_from_value_and_grad(value_and_gradient: Callable, f: Callable, has_aux: bool) -> Callable:
    """``grad(f)`` from ``value_and_grad(f)``: the gradient (and aux, if any) without the value."""

    def gradient(*args, **kwargs):
        value, g = value_and_gradient(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    gradient.__name__ = f"grad_{_fname(f)}"
    gradient.__wrapped__ = f
    return gradient


def _one_like(value: Any) -> Any:
    """The cotangent 1 of a scalar loss, in its float type if narrower than float64 (a
    float32 loss, traced or not, keeps its sweep in float32)."""
    dtype = getattr(value, "dtype", None)
    if dtype in (np.float32, np.float16):
        return np.ones(np.shape(value), dtype) if isinstance(value, np.ndarray) else dtype.type(1)
    return 1.0 if not isinstance(value, np.ndarray) else np.ones_like(value, dtype=float)


# -- Jacobians from vjp (rows) or jvp (columns) -----------------------------------------------


def _jacobian_rev(g, primals, vjp, real_only=True):
    """The Jacobians of ``g`` by ``primals``, one per primal, a row per output entry: ``vjp(g,
    *primals) -> (value, vjp_fn)`` is a mode's ``pb.vjp``."""
    value, vjp_fn = vjp(g, *primals)
    outs, out_def = _numeric_leaves(value, g, real_only)
    ins = [pytree.flatten(p) for p in primals]
    rows = [[[[] for _ in leaves] for _ in outs] for leaves, _ in ins]  # [arg][out leaf][in leaf]
    for o, out in enumerate(outs):
        for _, e in _one_hot_leaves(out):
            cotangent = pytree.unflatten(out_def, _one_hot_tree(outs, o, e))
            for k, gk in enumerate(vjp_fn(cotangent)):
                gk_leaves, _ = pytree.flatten(match_tree(gk, primals[k]))
                for j, gkj in enumerate(gk_leaves):
                    rows[k][o][j].append(np.asarray(gkj))
    return [
        _blocks(
            out_def, outs, in_def, leaves, lambda o, j, out, p, r=rows[k]: _stacked(r[o][j], out, p)
        )
        for k, (leaves, in_def) in enumerate(ins)
    ]


def _jacobian_fwd(g, primals, jvp, real_only=True):
    """The Jacobians of ``g`` by ``primals``, one per primal, a column per argument entry:
    ``jvp(g, primals, tangents) -> (value, tangent_out)`` is a mode's ``pb.jvp``."""
    jacs = []
    value = None

    def along(k, tangent):
        tangents = tuple(
            tangent if i == k else pytree.tree_map(_zero_tangent, q) for i, q in enumerate(primals)
        )
        return jvp(g, primals, tangents)

    for k, p in enumerate(primals):
        leaves, in_def = pytree.flatten(p)
        cols = {}  # (out leaf, in leaf) -> the columns
        for j, leaf in enumerate(leaves):
            complex_leaf = _complex_leaf(leaf)
            for _, e in _one_hot_leaves(leaf):
                if complex_leaf:  # a complex basis tangent, as the primal's type
                    e = e + 0j if isinstance(e, np.ndarray) else complex(e)
                value, t = along(k, pytree.unflatten(in_def, _one_hot_tree(leaves, j, e)))
                outs, _ = _numeric_leaves(value, g, real_only)
                t_leaves, _ = pytree.flatten(match_tree(t, value))
                if real_only and complex_leaf:  # df/dx - i df/dy: along i*e comes df/dy
                    _, t_i = along(k, pytree.unflatten(in_def, _one_hot_tree(leaves, j, 1j * e)))
                    i_leaves, _ = pytree.flatten(match_tree(t_i, value))
                    t_leaves = [a - 1j * b for a, b in zip(t_leaves, i_leaves, strict=True)]
                for o, (out, t_o) in enumerate(zip(outs, t_leaves, strict=True)):
                    column = np.broadcast_to(np.asarray(t_o), np.shape(out))
                    cols.setdefault((o, j), []).append(column)
        if value is None:
            value = g(*primals)
        outs, out_def = _numeric_leaves(value, g, real_only)

        def block(o, j, out, p, cols=cols):
            columns = cols.get((o, j), [])
            stacked = np.stack(columns, axis=-1) if columns else np.zeros(np.shape(out) + (0,))
            return _as_result(stacked.reshape(np.shape(out) + np.shape(p)), out, p)

        jacs.append(_blocks(out_def, outs, in_def, leaves, block))
    return jacs


def _numeric_leaves(value, g, real_only: bool = True):
    """The leaves and tree of a Jacobian's function output, each checked to be numeric (and
    real, unless the function is taken as holomorphic)."""
    outs, out_def = pytree.flatten(value)
    for out in outs if outs else [value]:
        check_numeric_output(out, _fname(g), "pb.jacobian")
        if real_only:
            check_real_output(out, _fname(g), "pb.jacobian")
    return outs, out_def


def _one_hot_leaves(x: Any):
    """Yield (index, basis tangent) for every scalar entry of ``x`` (a scalar or an array)."""
    shape = np.shape(x)
    for idx in np.ndindex(shape):
        e = np.zeros(shape)
        e[idx] = 1.0
        yield idx, (e if shape or isinstance(x, np.ndarray) else float(e[()]))


def _one_hot_tree(leaves: list, i: int, e) -> list:
    """Leaves for a basis tangent: ``e`` at leaf ``i``, zeros at every other leaf."""
    return [e if q == i else _zero_tangent(leaf) for q, leaf in enumerate(leaves)]


def _stacked(rows: list, out, p):
    stacked = np.stack(rows) if rows else np.zeros((0,) + np.shape(p))
    return _as_result(stacked.reshape(np.shape(out) + np.shape(p)), out, p)


def _blocks(out_def, outs, in_def, ins, block):
    """A Jacobian as trees, as JAX gives it: the output's structure outside, the argument's
    inside, ``block(o, j, out, p)`` (shaped ``out.shape + p.shape``) at each pair of leaves.
    For an array in and an array out that is the one array."""
    return pytree.unflatten(
        out_def,
        [
            pytree.unflatten(in_def, [block(o, j, out, p) for j, p in enumerate(ins)])
            for o, out in enumerate(outs)
        ],
    )


def _zero_tangent(x):
    return np.zeros(np.shape(x)) if isinstance(x, np.ndarray) else 0.0


def _as_result(a: np.ndarray, value: Any, p: Any):
    """A Jacobian in the floating type of its function's output and argument (float32 stays
    float32); the derivative of a scalar by a scalar has the argument's kind (see
    ``match_leaf``)."""
    floating = [np.asarray(v).dtype for v in (value, p) if _floating(v)]
    dtype = np.result_type(*floating) if floating else np.dtype(float)
    a = np.asarray(a, dtype=dtype if a.dtype.kind != "c" else np.result_type(dtype, a.dtype))
    if a.ndim == 0:
        return match_leaf(a, p)
    return a


def _floating(v: Any) -> bool:
    return np.asarray(v).dtype.kind in "fc"
