"""Dead code out of specialized code, the last pass of ``lean.specialize``: a backward
liveness sweep over structured code (branches, loops with ``break`` and ``continue``).

In: a function body, its parameters (never dead: the caller sees what is written into them)
and the globals its code reads (to tell pure calls from others).
Out: ``eliminate_dead(body, params, globals_)``, the body without the statements whose results
nothing reads and that have no other effect (arithmetic, ``math`` and NumPy's constructors
and reductions, the pure runtime helpers, pushes onto and pops off a tape nothing reads), so a
tape read only for its shape, and the primal loop of a gradient that needs no primal value,
go. And ``_loaded``, the names a node reads.
"""

from __future__ import annotations

import ast

import numpy as np

from .kinds import callee

_PURE_HELPERS = {
    "unbroadcast",
    "unbroadcast_to",
    "zeros_like_value",
    "safe_mul",
    "add_adjoints",
    "getitem_adjoint",
    "setitem",
    "setitem_adjoint_v",
    "owned_adjoint",
    "unreduce",
    "seed",
    "copy_value",
}
_WRITES_FIRST = {"scatter_add", "write_entry"}  # in place into their first argument
_NUMPY_PURE = {"zeros", "ones", "empty", "zeros_like", "ones_like", "empty_like", "full_like"}
_NUMPY_PURE |= {"sum", "prod", "dot", "divide", "multiply", "full"}


def _loaded(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _pure_call(c, globals_) -> bool:
    fn = callee(c.func, globals_)
    if fn is None:
        if isinstance(c.func, ast.Attribute) and c.func.attr in ("copy", "pop"):
            return True
        return False
    if getattr(fn, "__module__", None) == "math" or isinstance(fn, np.ufunc):
        return True
    if fn in (range, reversed, len, float, int, abs, min, max):
        return True
    name = getattr(fn, "__name__", "")
    module = getattr(fn, "__module__", "") or ""
    if module.startswith("pullback") and (name in _PURE_HELPERS or name in _WRITES_FIRST):
        return True
    return module.startswith("numpy") and name in _NUMPY_PURE


def _removable(s, live, params, globals_) -> bool:
    """Nothing ``s`` sets is read later and it has no other effect."""
    if isinstance(s, ast.Pass):
        return True
    if isinstance(s, (ast.Assign, ast.AugAssign)):
        targets = s.targets if isinstance(s, ast.Assign) else [s.target]
        for t in targets:
            base = t
            while isinstance(base, ast.Subscript):
                base = base.value
            if not isinstance(base, ast.Name) or base.id in live or base.id in params:
                return False
        value = s.value
    elif isinstance(s, ast.Expr):
        value = s.value
        c = value
        if not (
            isinstance(c, ast.Call)
            and isinstance(c.func, ast.Attribute)
            and c.func.attr in ("append", "pop")
            and isinstance(c.func.value, ast.Name)
            and c.func.value.id not in live
            and c.func.value.id not in params
        ):
            return False
        value = ast.Tuple(elts=c.args, ctx=ast.Load())
    else:
        return False
    for n in ast.walk(value):
        if isinstance(n, ast.Call):
            if not _pure_call(n, globals_):
                return False
            if isinstance(n.func, ast.Attribute) and n.func.attr == "pop":
                stack = n.func.value
                if not isinstance(stack, ast.Name) or stack.id in live:
                    return False
            fn = callee(n.func, globals_)
            if getattr(fn, "__name__", "") in _WRITES_FIRST and n.args:
                first = n.args[0]
                if not isinstance(first, ast.Name) or first.id in live or first.id in params:
                    return False
        elif isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr)):
            return False
    return True


def _kills(s) -> set[str]:
    if isinstance(s, ast.Assign):
        return {t.id for t in s.targets if isinstance(t, ast.Name)}
    return set()


class _Live:
    """Backward liveness over structured code; ``sweep`` removes dead statements."""

    def __init__(self, params, globals_):
        self.params = params
        self.globals = globals_
        self.loop_exit: list[set] = []
        self.loop_head: list[set] = []

    def block(self, body, live: set, remove: bool):
        out = []
        for s in reversed(body):
            s2, live = self.stmt(s, live, remove)
            if s2 is not None:
                out.append(s2)
        return list(reversed(out)), live

    def stmt(self, s, live: set, remove: bool):
        if isinstance(s, ast.Return):
            return s, _loaded(s) if s.value is not None else set()
        if isinstance(s, ast.Break):
            return s, set(self.loop_exit[-1]) if self.loop_exit else set(live)
        if isinstance(s, ast.Continue):
            return s, set(self.loop_head[-1]) if self.loop_head else set(live)
        if isinstance(s, ast.If):
            body, a = self.block(s.body, set(live), remove)
            orelse, b = self.block(s.orelse, set(live), remove)
            if remove:
                s.body, s.orelse = body or [ast.Pass()], orelse
                if _all_pass(s.body) and not s.orelse and not _effects(s.test, self.globals):
                    return None, live
            return s, a | b | _loaded(s.test)
        if isinstance(s, (ast.For, ast.While)):
            head_uses = _loaded(s.iter) if isinstance(s, ast.For) else _loaded(s.test)
            # a while test runs again after each pass: what it reads is live at the body's end
            head = set(live) | (head_uses if isinstance(s, ast.While) else set())
            for _ in range(50):
                self.loop_exit.append(live)
                self.loop_head.append(head)
                _, inner = self.block(s.body, set(head), False)
                self.loop_exit.pop()
                self.loop_head.pop()
                new = head | inner | live
                if new == head:
                    break
                head = new
            if remove:
                self.loop_exit.append(live)
                self.loop_head.append(head)
                body, _ = self.block(s.body, set(head), True)
                self.loop_exit.pop()
                self.loop_head.pop()
                s.body = body or [ast.Pass()]
                head_expr = s.iter if isinstance(s, ast.For) else s.test
                if _all_pass(s.body) and not s.orelse and not _effects(head_expr, self.globals):
                    return None, live
            return s, head | head_uses
        if _removable(s, live, self.params, self.globals):  # dead: as if already gone
            return (None if remove else s), live
        uses = _loaded(s) | _mutated(s)
        if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
            uses.add(s.target.id)
        return s, (live - _kills(s)) | uses


def _mutated(s) -> set[str]:
    """Names ``s`` writes into in place (``y[i] = v``, ``s.append(v)``): still live before."""
    out = set()
    targets = s.targets if isinstance(s, ast.Assign) else [getattr(s, "target", None)]
    for t in targets:
        base = t
        while isinstance(base, ast.Subscript):
            base = base.value
        if base is not t and isinstance(base, ast.Name):
            out.add(base.id)
    return out


def _all_pass(body) -> bool:
    return all(isinstance(s, ast.Pass) for s in body)


def _effects(e, globals_) -> bool:
    return any(isinstance(n, ast.Call) and not _pure_call(n, globals_) for n in ast.walk(e))


def eliminate_dead(body, params: set, globals_: dict):
    """``body`` without the statements whose results nothing reads."""
    live = _Live(params, globals_)
    out, _ = live.block(body, set(), True)
    return out
