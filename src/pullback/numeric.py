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

from . import checks, pytree, results
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
    for leaf in pytree.flatten(value)[0]:
        checks.check_numeric_output(leaf, checks._fname(f), "pb.jvp")
    out = results.match_tree(_tree_directional(phi, value, h, method), value)  # value's types
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

        checks.check_scalar_output(f_of(*primals), getattr(f, "__name__", "f"))
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
    value, aux = checks.check_aux_pair(out, checks._fname(f)) if has_aux else (out, None)

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

_BASIS_LIMIT = 20  # a side with this many entries or fewer is checked one basis vector at a time
_LISTED = 10  # the disagreeing entries a report lists before it counts the rest


class GradientCheckError(PullbackError, AssertionError):
    """Analytic and numeric derivatives disagree; the message is the report."""


class _Layout:
    """The entries of a pytree of numbers (the arguments, or an output), each one nameable.

    ``labels`` holds one name per leaf ("argument 0 (x)", "output[1]"); entry ``j`` counts
    through the leaves in ``pytree.flatten`` order, each leaf in C order.
    """

    def __init__(self, like: Any, labels: list[str], named_scalar: bool = True):
        self.like = like
        self.leaves, self.tree = pytree.flatten(like)
        self.labels = labels
        self.shapes = [np.shape(leaf) for leaf in self.leaves]
        self.sizes = [int(np.prod(s, dtype=int)) for s in self.shapes]
        self.starts = np.cumsum([0, *self.sizes]).tolist()
        self.size = self.starts[-1]
        # a lone scalar output goes unnamed in a report ("argument 0 (x), entry [1]: ...")
        self.unnamed = not named_scalar and len(self.leaves) == 1 and self.shapes[0] == ()

    @classmethod
    def of_arguments(cls, args: tuple, names: list[str | None]) -> _Layout:
        labels = []
        for i, (a, name) in enumerate(zip(args, names, strict=True)):
            for path in pytree.leaf_paths(pytree.flatten(a)[1]):
                labels.append(f"argument {i} ({name}{path})" if name else f"argument {i}{path}")
        return cls(args, labels)

    @classmethod
    def of_output(cls, value: Any, labels: list[str] | None = None) -> _Layout:
        paths = pytree.leaf_paths(pytree.flatten(value)[1])
        if labels is not None and len(labels) == len(paths):
            return cls(value, labels)
        return cls(value, [f"output{path}" for path in paths], named_scalar=False)

    def where(self, j: int) -> tuple[int, tuple]:
        k = int(np.searchsorted(self.starts, j, side="right")) - 1
        return k, tuple(int(i) for i in np.unravel_index(j - self.starts[k], self.shapes[k]))

    def describe(self, j: int) -> str:
        k, idx = self.where(j)
        return f"{self.labels[k]}, entry [{', '.join(map(str, idx))}]" if idx else self.labels[k]

    def _tree(self, fill: Callable[[int, Any], Any]) -> Any:
        return pytree.unflatten(self.tree, [fill(k, x) for k, x in enumerate(self.leaves)])

    def basis(self, j: int) -> Any:
        """A tree like the original, zero but for a one at entry ``j``."""
        hot, idx = self.where(j)

        def fill(k, leaf):
            if not isinstance(leaf, np.ndarray):
                return 1.0 if k == hot else 0.0
            out = np.zeros(self.shapes[k])
            if k == hot:
                out[idx] = 1.0
            return out

        return self._tree(fill)

    def random(self, rng: np.random.Generator) -> Any:
        return self._tree(
            lambda k, leaf: (
                rng.standard_normal(self.shapes[k])
                if isinstance(leaf, np.ndarray)
                else float(rng.standard_normal())
            )
        )

    def flat(self, tree: Any, what: str) -> np.ndarray:
        """``tree`` (shaped like the original; None meaning zeros) as one vector of entries."""
        leaves = pytree.flatten(_none_as_zeros(pytree.conform(tree, self.like), self.like))[0]
        if len(leaves) != len(self.leaves):
            expected = ", ".join(self.labels[:3]) + (", ..." if len(self.labels) > 3 else "")
            raise GradientCheckError(
                f"{what} has {len(leaves)} leaves, not the {len(self.leaves)} of {expected}: "
                f"{tree!r:.80}"
            )
        parts = []
        for k, leaf in enumerate(leaves):
            a = np.asarray(leaf)
            if a.dtype.kind not in "fc":
                a = a.astype(float)
            if a.shape != self.shapes[k]:
                if a.ndim != 0:
                    raise GradientCheckError(
                        f"{what} for {self.labels[k]} has shape {a.shape}, but "
                        f"{self.labels[k]} has shape {self.shapes[k]}"
                    )
                a = np.broadcast_to(a, self.shapes[k])
            parts.append(a.ravel())
        return np.concatenate(parts) if parts else np.zeros(0)


def _none_as_zeros(tree: Any, like: Any) -> Any:
    """``tree`` with each None standing for a zero derivative replaced by zeros like ``like``."""
    if tree is None and like is not None:
        return pytree.tree_map(lambda leaf: np.zeros(np.shape(leaf)), like)
    if isinstance(tree, (list, tuple)) and isinstance(like, (list, tuple)):
        if len(tree) == len(like):
            return [_none_as_zeros(t, u) for t, u in zip(tree, like, strict=True)]
    if isinstance(tree, dict) and isinstance(like, dict) and set(tree) == set(like):
        return {k: _none_as_zeros(tree[k], like[k]) for k in like}
    return tree


def _numeric_jacobian(f: Callable, inputs: _Layout, outputs: _Layout) -> np.ndarray:
    """The Jacobian (output entries by input entries) by central differences, one column
    (two calls of ``f``) per input entry, each with a step fitted to that entry."""
    f = _on_copies(f)
    base = [_as_float_leaf(x, "central") for x in inputs.leaves]
    columns = []
    for k in range(len(inputs.leaves)):
        steps = np.broadcast_to(_step(base[k], "central"), inputs.shapes[k])
        for idx in np.ndindex(inputs.shapes[k]):

            def at(s, k=k, idx=idx):
                moved = list(base)
                moved[k] = np.array(base[k], copy=True)
                moved[k][idx] = moved[k][idx] + s
                rebuilt = [_rebuild(x, b) for x, b in zip(inputs.leaves, moved, strict=True)]
                return outputs.flat(f(*pytree.unflatten(inputs.tree, rebuilt)), "the output")

            columns.append(_directional(at, float(steps[idx]), "central"))
    if not columns:
        return np.zeros((outputs.size, 0))
    return np.stack(columns, axis=1)


def _number_text(v: Any) -> str:
    """A value in a report: ten significant digits, ``6.0`` rather than ``6``."""
    if np.iscomplexobj(v) and np.imag(v) != 0:
        return f"{complex(v):.10g}"
    text = f"{float(np.real(v)):.10g}"
    return text + ".0" if text.lstrip("-").isdigit() else text


class _Disagreements:
    """The entries where analytic and numeric derivatives differ beyond the tolerance."""

    def __init__(self, atol: float, rtol: float):
        self.atol, self.rtol = atol, rtol
        self.compared = 0
        self.found: list[tuple[str, Any, Any, float, float]] = []  # where, a, n, |diff|, tol

    def compare(self, analytic: np.ndarray, numeric: np.ndarray, where: Callable[[int], str]):
        self.compared += numeric.size
        diff = np.abs(analytic - numeric)
        tolerance = self.atol + self.rtol * np.abs(numeric)
        for i in np.flatnonzero(~(diff <= tolerance)):  # NaN disagrees too
            self.found.append(
                (where(int(i)), analytic[i], numeric[i], float(diff[i]), float(tolerance[i]))
            )

    def raise_if_any(self, kind: str, subject: str, how: str) -> None:
        if not self.found:
            return
        lines = [
            f"{kind} derivative of {subject} disagrees with finite differences: "
            f"{len(self.found)} of {self.compared} entries differ, checking {how}"
        ]
        for where, a, n, diff, tolerance in self.found[:_LISTED]:
            lines.append(
                f"  {where}: analytic {_number_text(a)}, numeric {_number_text(n)} "
                f"(|diff| {diff:.3g} > tolerance {tolerance:.2g})"
            )
        rest = self.found[_LISTED:]
        if rest:
            worst = max(self.found, key=lambda e: np.nan_to_num(e[3], nan=np.inf))
            lines.append(
                f"  ... and {len(rest)} more; the largest |diff|, {worst[3]:.3g}, is at {worst[0]}"
            )
        lines.append(
            f"  tolerance: |analytic - numeric| <= {self.atol:g} + {self.rtol:g} * |numeric|"
        )
        raise GradientCheckError("\n".join(lines))


def check_grads(
    f: Callable,
    args: Sequence,
    modes: Sequence[str] = ("fwd", "rev"),
    order: int = 2,
    *,
    mode: str = "source",
    atol: float = 1e-6,
    rtol: float = 1e-5,
    seed: int = 0,
) -> None:
    """Check ``f``'s derivatives at ``args`` against finite differences, up to ``order``.

    ``modes`` picks forward (``jvp``) and/or reverse (``vjp``) checks; ``mode`` the approach
    under test ("source", "tape", ...). Where the inputs (forward) or the output (reverse)
    have at most 20 entries, every entry of the Jacobian is checked, one basis vector at a
    time; beyond that, along one random direction (drawn with ``seed``). Raises
    ``GradientCheckError`` with a report naming the argument and entry of each disagreement,
    both values and the tolerance. ``order=2`` (the default) also checks the derivatives of
    the derivatives; in ``mode="numeric"``, whose derivatives are themselves differences, each
    order beyond the first is checked with a thousandfold tolerance.

    >>> import numpy as np
    >>> check_grads(lambda x: np.sin(x) * x, (1.5,), mode="numeric")
    """
    from . import api

    checks.check_callable(f, "pb.check_grads")
    args = _checked_arguments(f, args)
    modes = _checked_modes(modes)
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise PullbackValueError(
            f"check_grads order must be an int >= 1, got {order!r}; pass order=1 for first "
            "derivatives, order=2 to check the derivatives of those too"
        )
    for name, tol in (("atol", atol), ("rtol", rtol)):
        if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating, np.integer)):
            raise PullbackTypeError(
                f"check_grads {name} must be a number, got {type(tol).__name__} {tol!r:.40}"
            )
        if not tol >= 0:
            raise PullbackValueError(f"check_grads {name} must be >= 0, got {tol!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise PullbackTypeError(f"check_grads seed must be an int, got {seed!r:.40}")
    api.backend(mode)  # an unknown mode says so before anything runs
    inputs = _Layout.of_arguments(args, checks.parameter_names(f, len(args)))
    _check(f, args, modes, order, mode, float(atol), float(rtol), int(seed), inputs)


def _checked_arguments(f: Callable, args: Any) -> tuple:
    if not isinstance(args, (tuple, list)):
        raise PullbackTypeError(
            f"check_grads takes args as a tuple, one entry per argument, got "
            f"{type(args).__name__} {args!r:.40}; write ({args!r:.20},) for one argument"
        )
    if not args:
        raise PullbackValueError(
            "check_grads needs the point to check at, one entry per argument: "
            "pb.check_grads(f, (x,)) or pb.check_grads(f, (x, y))"
        )
    args = tuple(args)
    for i, a in enumerate(args):  # every argument is checked, so every one must be a float
        try:
            checks.check_differentiable(a, f"argument {i} of {checks._fname(f)}")
        except PullbackTypeError as error:
            raise PullbackTypeError(
                f"{error} check_grads differentiates every argument: fix the others with a "
                "lambda, as in pb.check_grads(lambda x: f(x, 3), (x,))"
            ) from None
        if any(np.iscomplexobj(leaf) for leaf in pytree.flatten(a)[0]):
            raise PullbackTypeError(
                f"argument {i} of {checks._fname(f)} is complex; check_grads compares against "
                "real finite differences, so pass the real and imaginary parts as two real "
                "arguments: pb.check_grads(lambda re, im: f(re + 1j * im), (z.real, z.imag))"
            )
    return args


def _checked_modes(modes: Any) -> tuple[str, ...]:
    if isinstance(modes, str):
        raise PullbackTypeError(
            f"check_grads modes is a tuple of 'fwd' and 'rev', got the string {modes!r}; "
            f"write modes=({modes!r},)"
        )
    try:
        modes = tuple(modes)
    except TypeError:
        raise PullbackTypeError(
            f"check_grads modes is a tuple of 'fwd' and 'rev', got {modes!r:.40}"
        ) from None
    for m in modes:
        if m not in ("fwd", "rev"):
            raise PullbackValueError(
                f"check_grads modes are 'fwd' and 'rev', got {m!r}; pass modes=('fwd', 'rev') "
                "or one of them"
            )
    if not modes:
        raise PullbackValueError(
            "check_grads modes is empty, so nothing would be checked; pass modes=('fwd', 'rev') "
            "or one of them"
        )
    return modes


def _check(f, args, modes, order, mode, atol, rtol, seed, inputs, subject=None, out_labels=None):
    """One order of ``check_grads`` (arguments checked), then the next on derived functions.

    ``subject`` names the function checked in reports; ``out_labels`` its outputs' leaves.
    """
    from . import api

    subject = subject or checks._fname(f)
    rng = np.random.default_rng(seed)
    one_by_one = inputs.size <= _BASIS_LIMIT
    value = vjp_fn = None
    if "fwd" in modes:
        if one_by_one:
            tangents = [inputs.basis(j) for j in range(inputs.size)]
        else:
            tangents = [inputs.random(rng)]
        forward = [api.jvp(f, args, t, mode=mode) for t in tangents]
        value = forward[0][0] if forward else None
    if "rev" in modes:
        value, vjp_fn = api.vjp(f, *args, mode=mode)
    if value is None:  # no entries to move along
        value = _on_copies(f)(*args)
    for leaf in pytree.flatten(value)[0]:
        checks.check_numeric_output(leaf, subject, "pb.check_grads")
    outputs = _Layout.of_output(value, out_labels)
    jacobian: list[np.ndarray] = []

    def numeric_jacobian() -> np.ndarray:
        if not jacobian:
            jacobian.append(_numeric_jacobian(f, inputs, outputs))
        return jacobian[0]

    def pair(j: int, i: int) -> str:
        return (
            inputs.describe(j)
            if outputs.unnamed
            else f"{inputs.describe(j)} → {outputs.describe(i)}"
        )

    if "fwd" in modes:
        found = _Disagreements(atol, rtol)
        if one_by_one:
            J = numeric_jacobian()
            for j, (_, t_out) in enumerate(forward):
                column = outputs.flat(t_out, "the output tangent")
                found.compare(column, J[:, j], lambda i, j=j: pair(j, i))
            how = "along one basis tangent per input entry"
        else:
            analytic = outputs.flat(forward[0][1], "the output tangent")
            numeric = outputs.flat(jvp(f, args, tangents[0])[1], "the output tangent")
            found.compare(analytic, numeric, outputs.describe)
            how = (
                f"along one random tangent (seed={seed}), as the inputs have {inputs.size} "
                f"entries (at most {_BASIS_LIMIT} are checked one by one)"
            )
        found.raise_if_any("forward (jvp)", subject, how)
    if "rev" in modes:
        found = _Disagreements(atol, rtol)
        if outputs.size <= _BASIS_LIMIT:
            J = numeric_jacobian()
            for i in range(outputs.size):
                row = inputs.flat(vjp_fn(outputs.basis(i)), "the gradient")
                found.compare(row, J[i, :], lambda j, i=i: pair(j, i))
            how = (
                "every entry of the gradient"
                if outputs.unnamed
                else "along one basis cotangent per output entry"
            )
        else:
            cotangent = outputs.random(rng)
            analytic = inputs.flat(vjp_fn(cotangent), "the gradient")
            if one_by_one:
                numeric = outputs.flat(cotangent, "the cotangent") @ numeric_jacobian()
            else:
                numeric = inputs.flat(vjp(f, args)[1](cotangent), "the gradient")
            found.compare(analytic, numeric, inputs.describe)
            how = (
                f"along one random output cotangent (seed={seed}), as the output has "
                f"{outputs.size} entries (at most {_BASIS_LIMIT} are checked one by one)"
            )
        found.raise_if_any("reverse (vjp)", subject, how)
    if order > 1:
        _check_next_order(f, args, modes, order, mode, atol, rtol, seed, inputs, outputs, subject)


def _check_next_order(f, args, modes, order, mode, atol, rtol, seed, inputs, outputs, subject):
    """Check the forward derivative of ``f``'s vjp (for a fixed cotangent) and of its jvp
    (for a fixed tangent): a one (the gradient, the derivative) where that is one number."""
    from . import api

    if mode == "numeric":  # differences of differences: rounding grows as eps / h**2
        atol, rtol = atol * 1e3, rtol * 1e3
    name = checks._fname(f)
    if "rev" in modes:
        if outputs.size == 1 and outputs.shapes == [()]:
            cotangent, what = outputs.basis(0), f"the gradient of {subject}"
        else:
            cotangent = outputs.random(np.random.default_rng(seed + 1))
            what = f"the vjp (along a random cotangent, seed={seed + 1}) of {subject}"

        def f_vjp(*xs):
            return api.vjp(f, *xs, mode=mode)[1](cotangent)

        f_vjp.__name__ = f"vjp_of_{name}"
        if hasattr(api.backend(mode), "vjp_of"):  # a mode that transforms source needs it
            f_vjp = api.backend(mode).vjp_of(f, args, cotangent)
        labels = [f"gradient for {label}" for label in inputs.labels]
        _check(f_vjp, args, ("fwd",), order - 1, mode, atol, rtol, seed + 2, inputs, what, labels)
    if "fwd" in modes:
        if inputs.size == 1:
            tangents, what = inputs.basis(0), f"the derivative of {subject}"
        else:
            tangents = inputs.random(np.random.default_rng(seed + 3))
            what = f"the jvp (along a random tangent, seed={seed + 3}) of {subject}"

        def f_jvp(*xs):
            return api.jvp(f, xs, tangents, mode=mode)[1]

        f_jvp.__name__ = f"jvp_of_{name}"
        if hasattr(api.backend(mode), "jvp_of"):
            f_jvp = api.backend(mode).jvp_of(f, args, tangents)
        labels = [f"tangent of {label}" for label in outputs.labels]
        _check(f_jvp, args, ("fwd",), order - 1, mode, atol, rtol, seed + 4, inputs, what, labels)
