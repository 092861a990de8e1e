"""Symbolic mode's tracer: every branch of a scalar function, one decision at a time.

In: a scalar function of scalars, a point, and a way to turn graph nodes into SymPy
(``translate.Translator``).
Out: ``follow``: one path's expression and the conditions under which it holds (the decisions
taken on symbolic conditions, ``x > 0`` or its negation); ``explore``: every path, as pieces
``(expression, condition)`` for a ``Piecewise``.

How: the function runs on traced values (the tracer of graph mode). Each ``bool()`` of a
traced value (``if``, ``while``, ``and``, a conditional expression, ``min`` of two values)
is a branch decision. Its condition is translated while the function runs; a condition
decided already on this path (or its negation) is answered the same way, a constant one by
its value, and any other is taken from ``forced`` (the path being explored) or, past it, by
the value at the point. ``explore`` runs the function once per path: depth first, flipping
each decision past the forced prefix in turn. Each path is traced at a point that satisfies
its conditions where one is found among sample points, so it computes real values.

A path that would need more than ``MAX_DECISIONS`` decisions (a ``while`` on a symbolic
condition, whose number of iterations depends on the arguments) or a function with more than
``MAX_PATHS`` paths is refused, as is an integer conversion of a symbolic value (``int(x)``,
``range(int(x))``): no finite formula describes them.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import NonDifferentiableError, PullbackError
from ..tape.context import _where, tracing
from ..tape.namespace import with_dispatching_namespace
from ..tape.tensor import Tensor
from ..tape.trace import ReverseTrace
from .scalars import _integral_input, _sympy

__all__ = ["follow", "explore", "MAX_DECISIONS", "MAX_PATHS"]

MAX_DECISIONS = 16
MAX_PATHS = 64

_HINT = (
    "pb.grad(f, mode='symbolic') differentiates the path each call takes; mode='source', "
    "'tape' or 'graph' differentiate any number of iterations"
)


@dataclass
class Path:
    """One path through the function: its output's expression and when it is taken."""

    expression: Any
    decisions: tuple = ()  # the branch decisions on symbolic conditions, in order
    taken: list = field(default_factory=list)  # the condition each decision means
    sites: list = field(default_factory=list)  # (filename, lineno) of each decision
    conditions: list = field(default_factory=list)  # every condition the path depends on


class _PathTrace(ReverseTrace):
    """A replayable trace whose branch decisions are recorded as SymPy conditions."""

    __slots__ = ("translator", "forced", "explore", "path", "known")

    def __init__(self, forced: Sequence[bool], explore: bool):
        super().__init__(replayable=True)
        self.translator = None
        self.forced = tuple(forced)
        self.explore = explore
        self.path = Path(None)
        self.known: dict = {}

    def guard(self, tensor: Tensor, convert: Callable, what: str):
        result = convert(tensor.value)
        node = tensor.node
        if node is None or self.translator is None:
            return result
        path = self.path
        self.translator.advance(self.nodes)
        if what != "bool":
            if _integral_input(node):
                return result  # range(n) of an integer argument: held at its value
            if self.explore:
                filename, lineno = _where(self)
                raise NonDifferentiableError(
                    f"symbolic mode cannot write one formula here: {what}() of a value that "
                    "depends on the arguments (a loop count or an index computed from them) "
                    "has a piece for every integer",
                    filename=filename,
                    lineno=lineno,
                    hint=_HINT,
                )
            path.conditions.append(self.translator.guard_condition(what, node, result))
            return result
        sp = self.translator.sp
        condition = self.translator.condition(node)
        if condition == sp.true or condition == sp.false:
            return bool(condition)
        if condition in self.known:
            return self.known[condition]
        k = len(path.decisions)
        decision = self.forced[k] if k < len(self.forced) else bool(result)
        taken = condition if decision else sp.Not(condition)
        path.decisions += (decision,)
        path.taken.append(taken)
        path.sites.append(_where(self))
        path.conditions.append(taken)
        self.known[condition] = decision
        self.known[sp.Not(condition)] = not decision
        if self.explore and len(path.decisions) > MAX_DECISIONS:
            _refuse_loop(path)
        return decision


def _refuse_loop(path: Path):
    (filename, lineno), count = collections.Counter(path.sites).most_common(1)[0]
    if count > 1:
        message = (
            "symbolic mode cannot write one formula here: how often this loop runs depends on "
            f"the arguments (more than {count} times on one path), so a formula would need "
            "a piece for every count"
        )
    else:
        message = (
            f"symbolic mode cannot write one formula here: more than {MAX_DECISIONS} branch "
            "decisions on symbolic conditions on one path"
        )
    raise NonDifferentiableError(message, filename=filename, lineno=lineno, hint=_HINT)


def follow(
    f: Callable,
    point: Sequence,
    names: Sequence[str],
    make_translator: Callable,
    forced: Sequence[bool] = (),
    explore: bool = False,
) -> Path:
    """The path ``f`` takes at ``point`` (decisions from ``forced`` first, as far as it goes)."""
    tr = _PathTrace(forced, explore)
    inputs = [tr.input(v, name=n) for v, n in zip(point, names, strict=True)]
    tr.translator = translator = make_translator([t.node for t in inputs])
    with tracing(tr), np.errstate(all="ignore"):
        out = with_dispatching_namespace(f)(*inputs)
    translator.advance(tr.nodes)
    if type(out) is Tensor and out.traced_by is tr:
        out = out.node if out.node is not None else out.value
    path = tr.path
    path.expression = translator.of(out, "the output")
    path.conditions.extend(translator.conditions)
    return path


_SAMPLES = (0.7, -0.7, 0.3, -0.3, 1.5, -1.5, 3.0, -3.0, 0.0, 10.0, -10.0, 0.05, -0.05, 100.0,
            -100.0, 1e4, -1e4)  # fmt: skip


def _point_satisfying(sp, symbols: list, condition, point: Sequence) -> tuple | None:
    """A point near ``point`` where ``condition`` holds (its integer coordinates kept)."""
    try:
        test = sp.lambdify(symbols, condition, modules=["numpy", "math"])
    except Exception:
        return None

    def holds(candidate) -> bool:
        try:
            with np.errstate(all="ignore"):
                return bool(test(*candidate))
        except Exception:
            return False

    free = [i for i, v in enumerate(point) if isinstance(v, float)]
    candidates = itertools.chain(
        ([*point[:i], v, *point[i + 1 :]] for i in free for v in _SAMPLES),
        (_random_point(point, free, seed) for seed in range(200)),
    )
    for candidate in candidates:
        if holds(candidate):
            return tuple(candidate)
    return None


def _random_point(point: Sequence, free: list[int], seed: int) -> list:
    rng = np.random.default_rng(seed)
    out = list(point)
    for i in free:
        out[i] = float(rng.choice(_SAMPLES) * rng.uniform(0.5, 1.5))
    return out


def explore(
    f: Callable, point: Sequence, names: Sequence[str], symbols: list, make_translator: Callable
) -> list[tuple[Any, Any]]:
    """Every path of ``f``: pieces ``(expression, condition)``, the traced point's path first."""
    sp = _sympy()
    pieces: list[tuple[Any, Any]] = []
    pending: list[tuple[tuple, list]] = [((), [])]
    while pending:
        forced, taken = pending.pop()
        start = tuple(point)
        if forced:
            start = _point_satisfying(sp, symbols, sp.And(*taken), point) or start
        try:
            path = follow(f, start, names, make_translator, forced, explore=True)
        except PullbackError:
            raise
        except Exception as err:
            if not forced:
                raise
            raise PullbackError(
                f"symbolic mode could not follow the branch of {getattr(f, '__name__', f)} "
                f"where {sp.And(*taken)}: running it at {start} raised "
                f"{type(err).__name__}: {err}; pass at= a point on that branch"
            ) from err
        pieces.append((path.expression, simplified(sp, sp.And(*path.taken))))
        if len(pieces) > MAX_PATHS:
            raise NonDifferentiableError(
                f"symbolic mode cannot write one formula here: {getattr(f, '__name__', f)} "
                f"has more than {MAX_PATHS} paths through its branches",
                filename=path.sites[-1][0] if path.sites else None,
                lineno=path.sites[-1][1] if path.sites else None,
                hint=_HINT,
            )
        for k in reversed(range(len(forced), len(path.decisions))):
            flipped = [*path.taken[:k], sp.Not(path.taken[k])]
            if simplified(sp, sp.And(*flipped)) != sp.false:
                pending.append(((*path.decisions[:k], not path.decisions[k]), flipped))
    return pieces


def simplified(sp, condition):
    """``condition`` as an interval where it bounds one variable linearly (``false`` if empty).

    Conditions that are not conjunctions of linear inequalities in one variable stay as they
    are (correct, if longer than need be).
    """
    if condition in (sp.true, sp.false) or len(condition.free_symbols) != 1:
        return condition
    parts = condition.args if isinstance(condition, sp.And) else (condition,)
    (x,) = condition.free_symbols
    low, low_strict, high, high_strict = -sp.oo, True, sp.oo, True
    for rel in parts:
        if not isinstance(rel, (sp.Gt, sp.Ge, sp.Lt, sp.Le)):
            return condition
        poly = (rel.lhs - rel.rhs).as_poly(x)
        if poly is None or poly.degree() != 1:
            return condition
        a, b = poly.all_coeffs()
        if not (a.is_number and b.is_number and a.is_real and b.is_real):
            return condition
        bound = -b / a
        above = isinstance(rel, (sp.Gt, sp.Ge)) == bool(a > 0)  # x above the bound
        strict = isinstance(rel, (sp.Gt, sp.Lt))
        if above and (bound > low or (bound == low and strict)):
            low, low_strict = bound, strict
        elif not above and (bound < high or (bound == high and strict)):
            high, high_strict = bound, strict
    if low > high or (low == high and (low_strict or high_strict)):
        return sp.false
    if low == high:
        return sp.Eq(x, low)
    out = []
    if low != -sp.oo:
        out.append(x > low if low_strict else x >= low)
    if high != sp.oo:
        out.append(x < high if high_strict else x <= high)
    return sp.And(*out)
