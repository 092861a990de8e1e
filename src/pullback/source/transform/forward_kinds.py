"""The kinds of forward tangents: where a tangent may be a symbolic zero (``None``).

In: what ``forward.Forward`` knows of the tangents so far (``kinds``: variable -> kind, the
names of the tangents, which values have one).
Out: the kinds ``DENSE``, ``SPARSE``, ``MAYBE`` and ``ZERO``, ``level`` and ``merge`` of kinds,
and ``TangentKinds``, the mixin of ``Forward`` that records kinds (``kind``, ``widen``),
guards a term built from a tangent that may be ``None`` (``guarded``), and gives the tangents of
a container's entries (``tangent_or_none``, ``container``) and of its methods (``method``).

Inside containers a zero tangent stays symbolic: ``t = (x, c)`` with ``c`` inactive gets
``t_dot = (x_dot, None)``, and a list grows a ``None`` for an inactive item. Each tangent has a
*kind*: ``DENSE`` (no ``None`` anywhere in it), ``SPARSE`` (a container that may hold ``None``
entries), ``MAYBE`` (may itself be ``None``: an entry read from a sparse container, the tangent
of a recursive call), or for a tuple a tuple of its entries' kinds, ``ZERO`` marking an entry
without a tangent. ``t[1]`` with ``t``'s kind ``(DENSE, ZERO)`` has no tangent at all; kinds
travel into callees (one JVP function per kinds of its tangent parameters) and back out with
their results, so the JVP of a gradient's backward sweep knows which saved values have
tangents. A term built from a ``MAYBE`` tangent is guarded (``term if x_dot is not None else
None``). A zero never becomes an array of zeros, and the work it would feed (a matmul with an
inactive input saved for a gradient's backward sweep, in a Hessian-vector product) is not
emitted.
"""

from __future__ import annotations

import ast
import copy

from ...errors import MissingRuleError
from ..analysis.activity import IDENTITY_METHODS, NONDIFF_METHODS
from ..common.diagnostics import where
from ..common.syntax import name
from ..frontend.anf_expressions import is_static

_CONTAINER_METHODS = {"get", "pop", "copy", "values", "items"}

DENSE, SPARSE, MAYBE = 0, 1, 2  # tangent kinds, from surely a value to possibly None
ZERO = -1  # the kind of a tuple entry without a tangent: its tangent is None


def level(kind) -> int:
    """DENSE, SPARSE or MAYBE: what a kind says about the tangent as a whole."""
    if isinstance(kind, tuple):  # a tuple's kind entry by entry
        return DENSE if all(level(k) == DENSE for k in kind) else SPARSE
    return MAYBE if kind == ZERO else kind


def merge(a, b):
    """A kind true of tangents of either kind."""
    if a == b:
        return a
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return tuple(merge(x, y) for x, y in zip(a, b, strict=True))
    return max(level(a), level(b))


class TangentKinds:
    """Mixin of ``Forward``: the kinds of its tangents, and the tangents of containers."""

    def kind(self, v: str):
        return self.kinds.get(v, DENSE)

    def widen(self, v: str, kind) -> None:
        """Record that ``v``'s tangent may be of ``kind`` (kinds only widen: loops revisit)."""
        self.kinds[v] = merge(self.kinds[v], kind) if v in self.kinds else kind

    def guarded(self, v: str, expr: ast.expr) -> ast.expr:
        """``expr``, or ``None`` where the tangent of ``v`` is a symbolic zero at run time."""
        if level(self.kind(v)) != MAYBE:
            return expr
        test = ast.Compare(
            left=name(self.dot(v)), ops=[ast.IsNot()], comparators=[ast.Constant(None)]
        )
        return ast.IfExp(test=test, body=expr, orelse=ast.Constant(None))

    def has(self, e, state) -> bool:
        return isinstance(e, ast.Name) and not is_static(e) and e.id in state

    def tangent_or_none(self, e, state):
        """(tangent of ``e`` as an entry of a container, its kind): ``None`` for a zero."""
        if isinstance(e, ast.Name) and not is_static(e) and e.id in state:
            return name(self.dot(e.id)), self.kind(e.id)
        return ast.Constant(None), ZERO

    def container(self, entries, state, fixed=False):
        """(entries' tangents, the container's kind: entry by entry where ``fixed``)."""
        got = [self.tangent_or_none(e, state) for e in entries]
        kind = (
            tuple(k for _, k in got)
            if fixed
            else SPARSE
            if any(level(k) != DENSE for _, k in got)
            else DENSE
        )
        return [t for t, _ in got], kind

    def method(self, value, state, s):
        method = value.func.attr
        obj = value.func.value
        is_get = method == "get" and len(value.args) == 2 and not value.keywords
        if is_get and not self.has(obj, state) and self.has(value.args[1], state):
            call = ast.Call(  # a constant dict's default that has a tangent
                func=self.ctx.helper("get_tangent"),
                args=[
                    ast.Constant(None),
                    copy.deepcopy(obj),
                    copy.deepcopy(value.args[0]),
                    name(self.dot(value.args[1].id)),
                ],
                keywords=[],
            )
            return [], call, MAYBE
        if not self.has(obj, state) or method in NONDIFF_METHODS:
            return [], None, DENSE
        kind = level(self.kind(obj.id))
        if method in IDENTITY_METHODS:
            return [], name(self.dot(obj.id)), kind
        if is_get:
            # d.get(key, default): the entry's tangent where key is in d, else the default's
            default_dot = self.tangent_or_none(value.args[1], state)[0]
            call = ast.Call(
                func=self.ctx.helper("get_tangent"),
                args=[
                    name(self.dot(obj.id)),
                    copy.deepcopy(obj),
                    copy.deepcopy(value.args[0]),
                    default_dot,
                ],
                keywords=[],
            )
            return [], self.guarded(obj.id, call), MAYBE
        if method in _CONTAINER_METHODS:
            call = ast.Call(
                func=ast.Attribute(value=name(self.dot(obj.id)), attr=method, ctx=ast.Load()),
                args=copy.deepcopy(value.args),
                keywords=copy.deepcopy(value.keywords),
            )
            if method in ("get", "pop") and kind != DENSE:
                kind = MAYBE  # an entry of a container that may hold symbolic zeros
            return [], self.guarded(obj.id, call), kind
        raise MissingRuleError(f"numpy.ndarray.{method}", **where(s, self.ctx.src))
