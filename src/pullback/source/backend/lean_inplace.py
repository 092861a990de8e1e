"""Accumulations into arrays nothing else holds, written in place: the pass of
``lean.specialize`` that lets forward mode over a specialized gradient compile (a Hessian-vector
product of a loop kernel, ``pb.hvp(..., compile="numba")``).

In: a function body after the helper rewrites, its parameters and the specializer (kinds).
Out: ``in_place(body, params, spec)``, the body with, for an array ``a`` that the function
made itself (``np.zeros_like(...)``) and never hands to another name:

- ``a = additem(a, i, v)`` (a copy with ``a[i] += v``) as ``a[i] += v``;
- ``a = a + setitem_tangent_v(t, x, i, v)`` (zeros shaped like ``x`` with ``t`` at ``i``,
  where ``a`` was made as ``np.zeros_like(x)``) as ``a[i] += t``.

Both compute the same values: the copy's old value is held by no name, so nothing reads it.
"""

from __future__ import annotations

import ast

_FRESH = {"zeros_like", "zeros", "empty", "ones", "empty_like", "ones_like", "full_like"}


def _call_name(e) -> str | None:
    if isinstance(e, ast.Call):
        f = e.func
        if isinstance(f, ast.Name):
            return f.id
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "np":
            return f"np.{f.attr}"
        if isinstance(f, ast.Attribute) and f.attr == "copy" and not e.args:
            return ".copy"
    return None


def _fresh(e) -> bool:
    name = _call_name(e)
    return name == ".copy" or (name is not None and name.removeprefix("np.") in _FRESH)


def _accumulation(s):
    """``(a, index, value, shape_of)`` of ``a = additem(a, i, v)`` (shape_of None) or
    ``a = a + setitem_tangent_v(t, x, i, v)`` (shape_of ``x``); else None."""
    if not (
        isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
    ):
        return None
    a, v = s.targets[0].id, s.value
    if _call_name(v) == "additem" and len(v.args) == 3:
        first = v.args[0]
        if isinstance(first, ast.Name) and first.id == a:
            return a, v.args[1], v.args[2], None
    if isinstance(v, ast.BinOp) and isinstance(v.op, ast.Add):
        left, right = v.left, v.right
        if (
            isinstance(left, ast.Name)
            and left.id == a
            and _call_name(right) == "setitem_tangent_v"
            and len(right.args) == 4
            and isinstance(right.args[1], ast.Name)
        ):
            return a, right.args[2], right.args[0], right.args[1].id
    return None


def _owned(name, body, params) -> str | None:
    """Whether ``name`` holds an array only this name holds: made fresh, then only
    accumulated into, read by index or shape, and packed into the result after its last
    write. Returns what it was made like (``np.zeros_like(x)``: ``x``), or "" ."""
    if name in params:
        return None
    made_like = ""
    writes, packs = [], []
    for pos, top in enumerate(body):
        for s in ast.walk(top):
            if isinstance(s, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in s.targets
            ):
                if _accumulation(s) is not None:
                    writes.append(pos)
                elif _fresh(s.value) and len(s.targets) == 1:
                    if _call_name(s.value) == "np.zeros_like" and isinstance(
                        s.value.args[0], ast.Name
                    ):
                        made_like = s.value.args[0].id
                    writes.append(pos)
                else:
                    return None
            elif isinstance(s, ast.AugAssign) and _root(s.target) == name:
                writes.append(pos)
        for n, parent in _loads_with_parent(top, name):
            if _harmless(n, parent, name):
                continue
            if isinstance(parent, (ast.Tuple, ast.Return)):
                packs.append(pos)
                continue
            return None
    if packs and writes and min(packs) <= max(writes):
        return None
    return made_like


def _root(t):
    while isinstance(t, ast.Subscript):
        t = t.value
    return t.id if isinstance(t, ast.Name) else None


def _loads_with_parent(tree, name):
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            if isinstance(child, ast.Name) and child.id == name and isinstance(child.ctx, ast.Load):
                yield child, parent


def _harmless(n, parent, name) -> bool:
    """A read of ``name`` that keeps no reference to its array."""
    if isinstance(parent, ast.Subscript) and parent.value is n:
        return True  # an entry
    if isinstance(parent, ast.Attribute) and parent.value is n and parent.attr == "shape":
        return True
    if isinstance(parent, ast.Call):
        called = _call_name(parent)
        if called in ("np.zeros_like", "zero_tangent", "np.empty_like", "np.ones_like"):
            return True
        if called == "setitem_tangent_v" and len(parent.args) == 4 and parent.args[1] is n:
            return True  # for its shape
        if called == "additem" and parent.args and parent.args[0] is n:
            return True  # its own accumulation
    return isinstance(parent, (ast.BinOp, ast.UnaryOp, ast.Compare))  # a new value


def in_place(body, params, spec):
    """``body`` with the accumulations into owned arrays written in place (see the module
    docstring)."""
    owned: dict = {}

    def rewrite(stmts):
        out = []
        for s in stmts:
            acc = _accumulation(s)
            if acc is not None:
                a, index, value, shape_of = acc
                if a not in owned:
                    owned[a] = _owned(a, body, params)
                like = owned[a]
                kind = spec.kind(ast.Name(id=a, ctx=ast.Load()))
                if (
                    like is not None
                    and kind.array
                    and spec.int_index(index)
                    and spec.kind(value).scalar
                    and (shape_of is None or shape_of == like)
                ):
                    target = ast.Subscript(
                        value=ast.Name(id=a, ctx=ast.Load()), slice=index, ctx=ast.Store()
                    )
                    s = ast.copy_location(
                        ast.AugAssign(target=target, op=ast.Add(), value=value), s
                    )
            elif isinstance(s, (ast.For, ast.While, ast.If)):
                s.body = rewrite(s.body)
                s.orelse = rewrite(s.orelse)
            out.append(s)
        return out

    return rewrite(body)
