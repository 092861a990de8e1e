"""In-place arrays: which ``y[i] = v`` the reverse transform may write into ``y`` itself.

In: a function body in normalized form (after the reverse transform's SSA renaming), its
parameters, and ``value_of`` (the object a static reference names).
Out: the names of arrays written in place in loops (``arrays_written_in_place``), and the
body with every other in-place write turned back into a copying one (``setitem``).

``desugar`` turns ``y[i] = v`` into ``y = setitem(y, i, v)``, a copy of ``y``: right, but in a
loop that fills ``y`` it makes the loop quadratic, and the tape keeps every copy. When ``y`` is
an array the function makes itself (``np.zeros``, ``np.ones``, ``np.full``, ...) and only
ever changes through ``y[...] = v`` / ``y[...] += v`` (so no other name holds it: the
``aliasing`` pass has refused any that would see the change), the reverse transform writes
into ``y`` in place (``write_entry(y, i, v)``), records only the entries it overwrites, and
writes them back in the adjoint sweep. The generated code itself calls ``write_entry``; when
it is differentiated again, the calls on arrays that do not qualify here become copying
``setitem`` calls again, so the in-place form never reaches code that could see the change.
"""

from __future__ import annotations

import ast

import numpy as np

from ... import runtime
from ...runtime import indexing
from ..frontend.anf_expressions import is_static

# y = f(y, index, v): the copying function and its in-place form
COPYING = {indexing.setitem: "set", indexing.additem: "add"}
IN_PLACE = {indexing.write_entry: "set", indexing.add_to_entry: "add"}
AS_COPY = {indexing.write_entry: indexing.setitem, indexing.add_to_entry: indexing.additem}

# calls that return a new array the function alone holds
_ALLOCATORS = (
    np.zeros,
    np.ones,
    np.empty,
    np.full,
    np.zeros_like,
    np.ones_like,
    np.empty_like,
    np.full_like,
    np.copy,
    np.eye,
    np.identity,
    runtime.zeros_like_value,
    indexing.owned_adjoint,
)


def _callee(value, value_of):
    if isinstance(value, ast.Call) and is_static(value.func):
        return value_of(value.func)
    return None


def write_kind(value, target: str, value_of):
    """``"set"``/``"add"`` when ``value`` is ``setitem``/``additem`` (or their in-place forms)
    of ``target`` itself, else None."""
    fn = _callee(value, value_of)
    kind = _lookup(COPYING, fn) or _lookup(IN_PLACE, fn)
    if kind is None or len(value.args) != 3 or value.keywords:
        return None
    first = value.args[0]
    if isinstance(first, ast.Name) and not is_static(first) and first.id == target:
        return kind
    return None


def _lookup(table, fn):
    try:
        return table.get(fn)
    except TypeError:  # unhashable
        return None


def _allocates(value, value_of) -> bool:
    if (  # x.copy(): a new array (or list) that no other name holds
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "copy"
        and not value.args
        and not value.keywords
    ):
        return True
    fn = _callee(value, value_of)
    return any(fn is a for a in _ALLOCATORS)


def arrays_written_in_place(body, params, value_of) -> set[str]:
    """Names that always hold an array the function made, written ``y[...] = v`` in a loop."""
    forms: dict[str, list] = {}  # name -> ("new" | "self" | ("copy", source)) per assignment
    in_loop: set[str] = set()

    def visit(stmts, depth):
        for s in stmts:
            if isinstance(s, ast.Assign):
                for t in s.targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name) and not isinstance(t, ast.Name):
                            forms.setdefault(n.id, []).append(None)  # unpacked: unknown
                if len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
                    y = s.targets[0].id
                    forms.setdefault(y, []).append(_form(s.value, y, value_of))
                    if depth and write_kind(s.value, y, value_of):
                        in_loop.add(y)
            elif isinstance(s, (ast.For, ast.While)):
                if isinstance(s, ast.For):
                    for n in ast.walk(s.target):
                        if isinstance(n, ast.Name):
                            forms.setdefault(n.id, []).append(None)
                visit(s.body, depth + 1)
            elif isinstance(s, ast.If):
                visit(s.body, depth)
                visit(s.orelse, depth)
            elif isinstance(s, ast.With):
                visit(s.body, depth)
                for item in s.items:
                    if item.optional_vars is not None:
                        for n in ast.walk(item.optional_vars):
                            if isinstance(n, ast.Name):
                                forms.setdefault(n.id, []).append(None)

    visit(body, 0)
    arrays = {y for y, fs in forms.items() if y not in params and None not in fs}
    while True:  # a copy of an array is an array: keep the names whose sources stay arrays
        keep = {y for y in arrays if all(f in ("new", "self") or f[1] in arrays for f in forms[y])}
        if keep == arrays:
            break
        arrays = keep
    return arrays & in_loop


def _form(value, y, value_of):
    if write_kind(value, y, value_of):
        return "self"
    if _allocates(value, value_of):
        return "new"
    fn = _callee(value, value_of)  # a copy (an in-place write of another name is made one)
    if (
        (_lookup(COPYING, fn) or _lookup(IN_PLACE, fn))
        and value.args
        and isinstance(value.args[0], ast.Name)
        and not is_static(value.args[0])
    ):
        return ("copy", value.args[0].id)
    return None


def copy_other_writes(body, in_place: set[str], value_of, ref) -> None:
    """Turn ``write_entry``/``add_to_entry`` calls that will not run in place (outside loops,
    or on names not in ``in_place``) into ``setitem``/``additem``; ``ref(obj)`` is a static
    reference to ``obj``."""

    def visit(stmts, depth):
        for s in stmts:
            if isinstance(s, ast.Assign) and isinstance(s.value, ast.Call):
                fn = _callee(s.value, value_of)
                copying = _lookup(AS_COPY, fn)
                if copying is not None:
                    target = s.targets[0]
                    keep = (
                        depth
                        and isinstance(target, ast.Name)
                        and target.id in in_place
                        and write_kind(s.value, target.id, value_of)
                    )
                    if not keep:
                        s.value.func = ref(copying)
            for field in ("body", "orelse"):
                inner = getattr(s, field, None)
                if isinstance(inner, list):
                    visit(
                        inner,
                        depth
                        + (1 if isinstance(s, (ast.For, ast.While)) and field == "body" else 0),
                    )

    visit(body, 0)
