"""Recompute instead of record, a pass of ``lean.specialize``: a value a counted loop sets
once, by arithmetic, ``math`` or NumPy functions of numbers and reads of arrays the loop does
not write, is computed again at the start of the adjoint loop's iteration rather than taped
(``x_i = x[i]`` again, not ``x_i_tape``).

In: a generated ``FunctionDef`` (changed in place) and the specializer that knows the kinds
of its names (``spec.kind``, ``spec.globals``).
Out: ``recompute(fdef, spec)``: the forward loop no longer pushes those values, the adjoint
loop computes them instead of restoring them. And the patterns of the tapes generated code
records into, which other passes read too: ``_is_push`` (``v_tape[i] = v``,
``v_stack.append(v)``), ``_is_restore`` (``v = v_tape[i]``, ``v = v_stack.pop()``),
``_stores`` (how often a name is written) and ``_target_names`` (the names a target sets).
"""

from __future__ import annotations

import ast
import copy
import types

import numpy as np

from .kinds import callee
from .lean_liveness import _loaded


def _range_key(loop) -> str | None:
    it = loop.iter
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and not it.keywords:
        if it.func.id == "reversed" and len(it.args) == 1:
            inner = it.args[0]
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name):
                if inner.func.id == "range" and isinstance(loop.target, ast.Name):
                    return "back:" + loop.target.id + ast.dump(ast.Tuple(inner.args, ast.Load()))
        if it.func.id == "range" and isinstance(loop.target, ast.Name):
            return "fwd:" + loop.target.id + ast.dump(ast.Tuple(it.args, ast.Load()))
    return None


def _loops(body, enclosing=()):
    for s in body:
        if isinstance(s, (ast.For, ast.While)):
            yield s, enclosing
            yield from _loops(s.body, enclosing + (s,))
        elif isinstance(s, ast.If):
            yield from _loops(s.body, enclosing)
            yield from _loops(s.orelse, enclosing)


def _stores(node) -> dict:
    """Name -> how many statements in ``node`` assign it or write into it in place."""
    out: dict[str, int] = {}
    for n in ast.walk(node):
        targets = []
        if isinstance(n, ast.Assign):
            targets = n.targets
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign)):
            targets = [n.target]
        elif isinstance(n, (ast.For,)):
            targets = [n.target]
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            if n.func.attr in ("append", "pop", "fill", "sort", "extend", "clear"):
                targets = [n.func.value]
        for t in targets:
            for m in _target_names(t):
                out[m] = out.get(m, 0) + 1
    return out


def _target_names(t) -> list[str]:
    """The names a target sets: ``a`` of ``a``, ``(a, b)`` and ``a[i, j]`` (not ``i``)."""
    if isinstance(t, ast.Name):
        return [t.id]
    if isinstance(t, (ast.Tuple, ast.List)):
        return [n for e in t.elts for n in _target_names(e)]
    if isinstance(t, (ast.Subscript, ast.Attribute, ast.Starred)):
        return _target_names(t.value)
    return []


def _is_restore(s, v: str) -> bool:
    """``v = v_tape[i]`` or ``v = v_stack.pop()``: the adjoint sweep's restore of ``v``."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1):
        return False
    t, e = s.targets[0], s.value
    if not (isinstance(t, ast.Name) and t.id == v):
        return False
    if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name):
        return e.value.id.startswith(v + "_tape")
    return (
        isinstance(e, ast.Call)
        and isinstance(e.func, ast.Attribute)
        and e.func.attr == "pop"
        and isinstance(e.func.value, ast.Name)
        and e.func.value.id.startswith(v + "_stack")
    )


def _is_push(s, v: str) -> bool:
    if isinstance(s, ast.Assign) and len(s.targets) == 1:
        t = s.targets[0]
        return (
            isinstance(t, ast.Subscript)
            and isinstance(t.value, ast.Name)
            and t.value.id.startswith(v + "_tape")
            and isinstance(s.value, ast.Name)
            and s.value.id == v
        )
    if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):
        c = s.value
        return (
            isinstance(c.func, ast.Attribute)
            and c.func.attr == "append"
            and isinstance(c.func.value, ast.Name)
            and c.func.value.id.startswith(v + "_stack")
            and len(c.args) == 1
            and isinstance(c.args[0], ast.Name)
            and c.args[0].id == v
        )
    return False


def _pushes_something(s) -> bool:
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.value, ast.Name):
        return _is_push(s, s.value.id)
    if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and s.value.args:
        a = s.value.args[0]
        return isinstance(a, ast.Name) and _is_push(s, a.id)
    return False


def _cheap(e, spec, names_ok) -> bool:
    """Arithmetic, ``math``/NumPy functions of numbers and reads of arrays, reading only
    ``names_ok`` names: worth computing again rather than recording. Its value is a number."""
    for n in ast.walk(e):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            if n.id not in names_ok and not isinstance(spec.globals.get(n.id), types.ModuleType):
                return False
        elif isinstance(n, ast.Call):
            fn = callee(n.func, spec.globals)
            math_fn = getattr(fn, "__module__", None) == "math"
            if not (math_fn or isinstance(fn, np.ufunc) or fn in (abs, float, min, max)):
                return False
            if any(not spec.kind(a).scalar for a in n.args) or n.keywords:
                return False
        elif not isinstance(
            n,
            (
                ast.Name,
                ast.Constant,
                ast.BinOp,
                ast.UnaryOp,
                ast.Subscript,
                ast.Tuple,
                ast.Attribute,
                ast.Call,
                ast.Load,
                ast.operator,
                ast.unaryop,
            ),
        ):
            return False
    k = spec.kind(e)
    return k.scalar or (k.tag == "tuple" and all(i.scalar for i in k.items))


def recompute(fdef, spec) -> None:
    """Values a counted loop sets from numbers and unwritten arrays, computed again at the top
    of the adjoint loop's iteration instead of being recorded (see the module docstring)."""
    loops = list(_loops(fdef.body))
    keys: dict[str, list] = {}
    for loop, enclosing in loops:
        if isinstance(loop, ast.For):
            k = _range_key(loop)
            if k:
                keys.setdefault(k, []).append((loop, enclosing))
    everywhere = _stores(fdef)
    restored = {
        s.targets[0].id
        for s in ast.walk(fdef)
        if isinstance(s, ast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], ast.Name)
        and _is_restore(s, s.targets[0].id)
    }
    tops = fdef.body
    written = [_stores(s) for s in tops]

    def top_of(loop):
        return next(k for k, s in enumerate(tops) if any(n is loop for n in ast.walk(s)))

    done: set[str] = set()
    for key, found in keys.items():
        if not key.startswith("fwd:") or len(found) != 1:
            continue
        back = keys.get("back:" + key[4:])
        if not back or len(back) != 1:
            continue
        (fwd, enclosing), (bwd, _) = found[0], back[0]
        inside = _stores(fwd)
        targets = {loop.target.id for loop in enclosing if isinstance(loop, ast.For)}
        a, b = top_of(fwd), top_of(bwd)
        if a >= b:
            continue
        between = set().union(*written[a : b + 1])  # not written from F's start to B's end
        ok = {fwd.target.id} | targets | {n for n in _loaded(fdef) if n not in between}
        ok |= {n for n in restored | done if n not in inside}
        again = []
        read_before: set[str] = _loaded(fwd.iter)
        for s in fwd.body:
            if (
                isinstance(s, ast.Assign)
                and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name)
            ):
                v = s.targets[0].id
                restores = [x for x in bwd.body if _is_restore(x, v)]
                others = everywhere.get(v, 0) - 1 - len(restores)
                if (
                    v not in read_before
                    and restores
                    and others <= 1  # the None it starts as, at most
                    and inside.get(v, 0) == 1
                    and _cheap(s.value, spec, ok | {a for a, _, _ in again})
                ):
                    again.append((v, s.value, s))
            if not _pushes_something(s):  # a push reads the old value only for its tape
                read_before |= _loaded(s)
        if not again:
            continue
        names = {v for v, _, _ in again}
        fwd.body = [s for s in fwd.body if not any(_is_push(s, v) for v in names)] or [ast.Pass()]
        body = [s for s in bwd.body if not any(_is_restore(s, v) for v in names)]
        recomputed = []
        for v, e, where in again:  # at the user line of the forward statement
            r = ast.Assign(targets=[ast.Name(id=v, ctx=ast.Store())], value=copy.deepcopy(e))
            recomputed.append(ast.copy_location(r, where))
        bwd.body = recomputed + body
        done |= names
