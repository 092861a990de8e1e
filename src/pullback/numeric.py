"""Finite differences: the numeric mode, and the yardstick every other mode is checked against.

In: a function of scalars, arrays or pytrees of them, and a method — ``"forward"``,
``"central"``, ``"complex"`` (complex step: exact to rounding, needs ``f`` to accept complex
input) or ``"richardson"`` (central differences extrapolated over three step sizes).
Out: gradients (``grad``), directional derivatives (``jvp``), vector-Jacobian products
(``vjp``, one central difference per input entry), and ``check_grads``, which raises a readable
report when analytic and numeric derivatives disagree.

>>> import numpy as np
>>> round(grad(lambda x: np.log(x * x))(3.0), 8)
0.66666667
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import pytree
from .errors import PullbackError, PullbackTypeError, PullbackValueError

__all__ = ["grad", "jvp", "vjp", "derivative", "check_grads", "GradientCheckError", "METHODS"]

METHODS = ("forward", "central", "complex", "richardson")
_EPS = np.finfo(float).eps


def _step(x: np.ndarray, method: str) -> np.ndarray:
    """A step per entry balancing truncation and rounding error for ``method``."""
    scale = np.maximum(1.0, np.abs(np.real(x)))
    if method == "forward":
        return np.sqrt(_EPS) * scale
    if method == "complex":
        return np.full(np.shape(x), 1e-20)
    if method == "richardson":
        return _EPS ** (1 / 5) * 4 * scale
    return _EPS ** (1 / 3) * scale


def _directional(phi: Callable[[Any], Any], h: float, method: str) -> Any:
    """d/dt phi(t) at t = 0, where phi maps a scalar step to an output."""
    if method == "forward":
        return (np.asarray(phi(h)) - np.asarray(phi(0.0))) / h
    if method == "central":
        return (np.asarray(phi(h)) - np.asarray(phi(-h))) / (2 * h)
    if method == "complex":
        return np.imag(np.asarray(phi(1j * h))) / h
    if method == "richardson":

        def central(s):
            return (np.asarray(phi(s)) - np.asarray(phi(-s))) / (2 * s)

        d1, d2, d4 = central(h), central(h / 2), central(h / 4)
        e1 = (4 * d2 - d1) / 3
        e2 = (4 * d4 - d2) / 3
        return (16 * e2 - e1) / 15
    raise PullbackValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def _as_float_leaf(x: Any, method: str):
    arr = np.asarray(x)
    if method == "complex":
        return arr.astype(complex)
    # differences in float64 at least: a float32 step is lost in float32's rounding (the
    # derivative is given back in the argument's type)
    return arr.astype(np.result_type(arr.dtype, np.float64)) if arr.dtype.kind in "biuf" else arr


def _rebuild(leaf: Any, arr: np.ndarray):
    """Give a perturbed array back the kind of the original leaf (Python number or array)."""
    if isinstance(leaf, np.ndarray):
        return arr
    return arr[()] if arr.ndim == 0 else arr


def _on_copies(f: Callable) -> Callable:
    """``f`` called on copies of its array arguments: a function that writes into its
    argument (``x += 1``, ``x[i] = v``) must change neither the user's array nor the next
    evaluation's point."""

    def f_on_copies(*args, **kwargs):
        fresh = pytree.tree_map(lambda a: a.copy() if isinstance(a, np.ndarray) else a, args)
        return f(*fresh, **kwargs)

    f_on_copies.__name__ = getattr(f, "__name__", type(f).__name__)
    f_on_copies.__wrapped__ = f
    return f_on_copies


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise PullbackValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def jvp(f: Callable, primals: Sequence, tangents: Sequence, *, method: str = "central"):
    """``(f(*primals), directional derivative along tangents)`` by one finite difference."""
    _check_method(method)
    f = _on_copies(f)
    primals = tuple(primals)
    leaves, td = pytree.flatten(primals)
    t_leaves = pytree.flatten(tuple(tangents))[0]
    if len(t_leaves) != len(leaves):
        t_leaves = [None] * len(leaves)
    base = [_as_float_leaf(x, method) for x in leaves]
    dirs = [
        np.zeros(np.shape(x)) if t is None else np.asarray(t, float)
        for x, t in zip(leaves, t_leaves, strict=False)
    ]
    norm = max([float(np.max(np.abs(b))) for b in base if np.size(b)] + [1.0])
    h = float(_step(np.asarray(norm), method))

    def phi(s):
        moved = [_rebuild(x, b + s * d) for x, b, d in zip(leaves, base, dirs, strict=False)]
        return f(*pytree.unflatten(td, moved))

    value = f(*primals)
    from . import api

    for leaf in pytree.flatten(value)[0]:
        api.check_numeric_output(leaf, api._fname(f), "pb.jvp")
    out = api.match_tree(_tree_directional(phi, value, h, method), value)  # value's types
    return value, out


def _tree_directional(phi, value, h, method):
    """Directional derivative for pytree-valued functions, leaf by leaf."""
    if pytree.is_leaf(value):
        d = _directional(phi, h, method)
        return d[()] if isinstance(d, np.ndarray) and d.ndim == 0 else d
    leaves, td = pytree.flatten(value)
    parts = []
    for k in range(len(leaves)):

        def phi_k(s, k=k):
            return pytree.flatten(phi(s))[0][k]

        d = _directional(phi_k, h, method)
        parts.append(d[()] if isinstance(d, np.ndarray) and d.ndim == 0 else d)
    return pytree.unflatten(td, parts)


def _gradient_of_scalar(f: Callable, primals: tuple, method: str) -> list:
    """Per-leaf gradient arrays of scalar ``f`` with respect to every leaf of ``primals``."""
    leaves, td = pytree.flatten(primals)
    base = [_as_float_leaf(x, method) for x in leaves]
    grads = []
    for k, leaf in enumerate(leaves):
        g = np.zeros(np.shape(leaf))
        steps = _step(base[k], method)
        for idx in np.ndindex(np.shape(leaf)):

            def phi(s, k=k, idx=idx):
                moved = list(base)
                arr = np.array(base[k], copy=True)
                arr[idx] = arr[idx] + s
                moved[k] = arr
                rebuilt = [_rebuild(x, b) for x, b in zip(leaves, moved, strict=False)]
                return f(*pytree.unflatten(td, rebuilt))

            g[idx] = np.real(_directional(phi, float(np.asarray(steps)[idx]), method))
        grads.append(g)
    return grads


def _match(g: np.ndarray, x: Any):
    return float(g) if not isinstance(x, np.ndarray) else g


def grad(f: Callable, argnums: int | Sequence[int] = 0, *, method: str = "central") -> Callable:
    """The finite-difference gradient of scalar-valued ``f`` (pytrees keep their structure)."""
    _check_method(method)
    f = _on_copies(f)

    def numeric_gradient(*args, **kwargs):
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        primals = tuple(args[i] for i in nums)

        def f_of(*diff):
            full = list(args)
            for i, v in zip(nums, diff, strict=False):
                full[i] = v
            return f(*full, **kwargs)

        from .api import check_scalar_output

        check_scalar_output(f_of(*primals), getattr(f, "__name__", "f"))
        grads = _gradient_of_scalar(f_of, primals, method)
        leaves, td = pytree.flatten(primals)
        tree = pytree.unflatten(td, [_match(g, x) for g, x in zip(grads, leaves, strict=False)])
        return tree[0] if isinstance(argnums, int) else tuple(tree)

    numeric_gradient.__name__ = f"numeric_grad_{getattr(f, '__name__', 'f')}"
    return numeric_gradient


def derivative(f: Callable, x: float, *, method: str = "central") -> float:
    """df/dx of a scalar function of one scalar."""
    return grad(f, method=method)(x)


def vjp(f: Callable, primals: Sequence, has_aux: bool = False, *, method: str = "central"):
    """Numeric mode's VJP: ``vjp_fn(u)`` differentiates ``<u, f(x)>`` entry by entry."""
    from . import api

    f = _on_copies(f)
    primals = tuple(primals)
    for leaf in pytree.flatten(primals)[0]:
        if np.iscomplexobj(leaf):
            raise PullbackTypeError(
                "numeric mode differentiates real arguments only, got a complex one; use "
                "mode='source' or 'tape' for complex arguments (method='complex' is the "
                "complex-step method for real ones)"
            )
    out = f(*primals)
    value, aux = api.check_aux_pair(out, api._fname(f)) if has_aux else (out, None)

    def vjp_fn(cotangent):
        def weighted(*xs):
            y = f(*xs)
            if has_aux:
                y = y[0]
            return _tree_dot(cotangent, y)

        grads = _gradient_of_scalar(weighted, primals, method)
        leaves, td = pytree.flatten(primals)
        return tuple(
            pytree.unflatten(td, [_match(g, x) for g, x in zip(grads, leaves, strict=False)])
        )

    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def _tree_dot(a: Any, b: Any) -> Any:
    la, lb = pytree.flatten(a)[0], pytree.flatten(b)[0]
    if len(la) == 1 and len(lb) > 1:
        la = la * len(lb)
    return sum(np.sum(np.asarray(x) * y) for x, y in zip(la, lb, strict=False))


# -- checking ---------------------------------------------------------------------------------


class GradientCheckError(PullbackError, AssertionError):
    """Analytic and numeric derivatives disagree; the message is the report."""


def _random_like(x: Any, rng: np.random.Generator) -> Any:
    return pytree.tree_map(
        lambda leaf: (
            rng.standard_normal(np.shape(leaf))
            if isinstance(leaf, np.ndarray)
            else float(rng.standard_normal())
        ),
        x,
    )


def _close(a, b, atol, rtol) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def check_grads(
    f: Callable,
    args: Sequence,
    modes: Sequence[str] = ("fwd", "rev"),
    order: int = 1,
    *,
    mode: str = "source",
    atol: float = 1e-6,
    rtol: float = 1e-5,
    seed: int = 0,
) -> None:
    """Check ``f``'s derivatives at ``args`` against finite differences, up to ``order``.

    ``modes`` picks forward (``jvp``) and/or reverse (``vjp``) checks; ``mode`` the approach
    under test ("source", "tape", ...). Raises ``GradientCheckError`` with a report naming the
    argument, the entries that disagree, both values and the tolerance.

    >>> import numpy as np
    >>> check_grads(lambda x: np.sin(x) * x, (1.5,), mode="numeric")
    """
    from . import api

    api.check_callable(f, "pb.check_grads")
    if not isinstance(args, (tuple, list)):
        raise PullbackTypeError(
            f"check_grads takes args as a tuple, one entry per argument, got "
            f"{type(args).__name__} {args!r:.40}; write ({args!r:.20},) for one argument"
        )
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise PullbackValueError(f"check_grads order must be an int >= 1, got {order!r}")
    args = tuple(args)
    for i, a in enumerate(args):  # every argument is checked, so every one must be a float
        api.check_differentiable(a, f"argument {i} of {api._fname(f)}")
    rng = np.random.default_rng(seed)
    for m in modes:
        if m not in ("fwd", "rev"):
            raise PullbackValueError(f"check_grads modes are 'fwd' and 'rev', got {m!r}")
    if "fwd" in modes:
        tangents = _random_like(args, rng)
        _, t_analytic = api.jvp(f, args, tangents, mode=mode)
        _, t_numeric = jvp(f, args, tangents)
        if not _tree_close(t_analytic, t_numeric, atol, rtol):
            raise GradientCheckError(
                _report("forward (jvp)", f, "the output tangent", t_analytic, t_numeric, atol, rtol)
            )
    if "rev" in modes:
        value, vjp_fn = api.vjp(f, *args, mode=mode)
        cotangent = _random_like(value, rng)
        analytic = vjp_fn(cotangent)
        numeric = vjp(f, args)[1](cotangent)
        for k, (a, n) in enumerate(zip(analytic, numeric, strict=False)):
            if not _tree_close(a, n, atol, rtol):
                raise GradientCheckError(
                    _report("reverse (vjp)", f, f"argument {k}", a, n, atol, rtol)
                )
    if order > 1:
        if "rev" in modes:
            value = _on_copies(f)(*args)
            cotangent = _random_like(value, np.random.default_rng(seed + 1))

            def f_vjp(*xs):
                return api.vjp(f, *xs, mode=mode)[1](cotangent)

            f_vjp.__name__ = f"vjp_of_{getattr(f, '__name__', 'f')}"
            if hasattr(api.backend(mode), "vjp_of"):  # a mode that transforms source needs it
                f_vjp = api.backend(mode).vjp_of(f, args, cotangent)
            check_grads(
                f_vjp, args, ("fwd",), order - 1, mode=mode, atol=atol, rtol=rtol, seed=seed + 2
            )
        if "fwd" in modes:
            tangents = _random_like(args, np.random.default_rng(seed + 3))

            def f_jvp(*xs):
                return api.jvp(f, xs, tangents, mode=mode)[1]

            f_jvp.__name__ = f"jvp_of_{getattr(f, '__name__', 'f')}"
            if hasattr(api.backend(mode), "jvp_of"):
                f_jvp = api.backend(mode).jvp_of(f, args, tangents)
            check_grads(
                f_jvp, args, ("fwd",), order - 1, mode=mode, atol=atol, rtol=rtol, seed=seed + 4
            )


def _tree_close(a, b, atol, rtol) -> bool:
    la, lb = pytree.flatten(a)[0], pytree.flatten(b)[0]
    if len(la) != len(lb):
        return False
    return all(_close(0.0 if x is None else x, y, atol, rtol) for x, y in zip(la, lb, strict=False))


def _report(kind, f, what, analytic, numeric, atol, rtol) -> str:
    name = getattr(f, "__name__", "f")
    lines = [f"{kind} derivative of {name} disagrees with finite differences for {what}:"]
    la, lb = pytree.flatten(analytic)[0], pytree.flatten(numeric)[0]
    for k, (x, y) in enumerate(zip(la, lb, strict=False)):
        x = np.asarray(0.0 if x is None else x, float)
        y = np.asarray(y, float)
        x, y = np.broadcast_arrays(x, y)
        bad = np.abs(x - y) > atol + rtol * np.abs(y)
        if not bad.any():
            continue
        prefix = f"  leaf {k}: " if len(la) > 1 else "  "
        lines.append(f"{prefix}{int(bad.sum())} of {bad.size} entries differ")
        for idx in list(zip(*np.nonzero(bad), strict=False))[:5] if x.ndim else [()]:
            lines.append(
                f"    entry {tuple(int(i) for i in idx)}: analytic {x[idx]:.10g}  "
                f"numeric {y[idx]:.10g}  |diff| {abs(x[idx] - y[idx]):.3g}"
            )
    lines.append(f"  tolerance: |analytic - numeric| <= {atol:g} + {rtol:g} * |numeric|")
    return "\n".join(lines)
