"""Free forward values of which the backward sweep needs only the shape.

In: a generated function (after ``optimize``), its module's ``Namespace`` and the names the
user wrote (kept for pdb: a user's variable stays inspectable to the end).
Out: the same function, where a temporary ``t`` that later statements read only as the shape
argument of ``unbroadcast(g, t)`` is replaced, right after its last other use, by

    t_shape, t = np.shape(t), None

and those later calls read ``unbroadcast_to(g, t_shape)``. In ``h = np.tanh(X @ W1 + b1)``
the backward sweep needs ``X @ W1`` only to know whether ``b1`` was broadcast; keeping the
whole array alive until the function returns is what made generated code allocate more than
code a person writes (a fresh page-faulted buffer on every call). Only top-level temporaries
assigned once are released: their last use is then a single, unconditional place.

A matrix product ``t = a @ b`` of names never rebound needs no release: its shape is
``matmul_shape(a, b)``, read from operands the backward sweep keeps anyway, so ``t`` is folded
back into its one use and the forward sweep reads as the user wrote it.
"""

from __future__ import annotations

import ast
import copy

import numpy as np

from ..runtime import adjoints
from ..runtime import unbroadcast as _plain_unbroadcast
from ..runtime.linalg import matmul_shape

_UNBROADCAST = (adjoints.unbroadcast, _plain_unbroadcast)


def user_names(src) -> set[str] | None:
    """Every name the user's source text mentions, or None where the text does not parse."""
    try:
        tree = ast.parse(src.text)
    except (SyntaxError, ValueError, AttributeError):
        return None
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return names | {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}


def release_shape_only(fdef: ast.FunctionDef, ns, users: set[str], keep=frozenset()) -> bool:
    """Returns whether it rewrote the shape of a matrix product (``X @ W1`` read through
    ``matmul_shape(X, W1)``): that product may now fold into its one use, and this pass is to
    be run again after."""
    fdef.body = [_unshared(s) for s in fdef.body]  # one node per place: earlier passes share
    body = fdef.body
    stores = _store_counts(fdef)
    params = {a.arg for a in ast.walk(fdef.args) if isinstance(a, ast.arg)}
    shape_args = _shape_arguments(fdef, ns)
    taken = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name)} | params | set(ns.bound)
    releases: dict[int, list[str]] = {}
    rewrites: list[tuple[ast.Call, str]] = []
    reads_at: dict[str, list[tuple[int, ast.Name]]] = {}  # name -> (statement index, node)
    for j, later in enumerate(body):
        for n in _reads(later):
            reads_at.setdefault(n.id, []).append((j, n))
    stable = {n for n, k in stores.items() if k == 1} | params
    if _shapes_from_operands(body, ns, shape_args, reads_at, stable, users | set(keep)):
        return True  # the caller folds what this freed, then calls again for the rest
    for i, s in enumerate(body):
        if not (
            isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
        ):
            continue
        t = s.targets[0].id
        if stores.get(t) != 1 or t in params or t in users or t in keep:
            continue
        last_value_use, shape_uses, ok = i, [], True
        for j, n in reads_at.get(t, ()):
            if j <= i:
                ok = False  # read before (or while) it is assigned: a loop-carried value
            elif id(n) in shape_args:
                shape_uses.append((j, shape_args[id(n)]))
            else:
                last_value_use = max(last_value_use, j)
        freed = [call for j, call in shape_uses if j > last_value_use]
        if not ok or not freed:
            continue
        shape_name = _fresh(f"{t}_shape", taken)
        releases.setdefault(last_value_use, []).append((t, shape_name))
        rewrites += [(call, shape_name) for call in freed]
    if not releases:
        return False
    to_shape = ns.ref(adjoints.unbroadcast_to)
    for call, shape_name in rewrites:
        call.func = to_shape
        call.args[1] = ast.Name(id=shape_name, ctx=ast.Load())
    np_shape = ns.ref(np.shape)
    for k in sorted(releases, reverse=True):
        lineno = getattr(body[k], "lineno", None)
        added = []
        for t, shape_name in releases[k]:
            shape = ast.Call(func=np_shape, args=[ast.Name(id=t, ctx=ast.Load())], keywords=[])
            pair = ast.Tuple(
                elts=[ast.Name(id=shape_name, ctx=ast.Store()), ast.Name(id=t, ctx=ast.Store())],
                ctx=ast.Store(),
            )
            value = ast.Tuple(elts=[shape, ast.Constant(value=None)], ctx=ast.Load())
            added.append(ast.Assign(targets=[pair], value=value))
        for a in added:
            a.lineno = lineno
            a._bookkeeping = True
            ast.fix_missing_locations(a)
        body[k + 1 : k + 1] = added
    return False


def _shapes_from_operands(body, ns, shape_args, reads_at, stable, named) -> bool:
    """``t = a @ b`` whose later reads include ``unbroadcast(g, t)``, with ``a`` and ``b``
    never rebound: those read ``unbroadcast_to(g, matmul_shape(a, b))``, so ``t`` need not be
    kept for the backward sweep (nor named at all, where it is used once)."""
    to_shape = None
    changed = False
    for i, s in enumerate(body):
        if not (
            isinstance(s, ast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name)
            and isinstance(s.value, ast.BinOp)
            and isinstance(s.value.op, ast.MatMult)
            and all(
                isinstance(o, ast.Name) and o.id in stable for o in (s.value.left, s.value.right)
            )
        ):
            continue
        t = s.targets[0].id
        if t not in stable or t in named:
            continue
        uses = reads_at.get(t, ())
        if any(j <= i for j, _ in uses):
            continue
        calls = [shape_args[id(n)] for _, n in uses if id(n) in shape_args]
        if not calls:
            continue
        if to_shape is None:
            to_shape = ns.ref(adjoints.unbroadcast_to)
            shape_of = ns.ref(matmul_shape)
        for call in calls:
            call.func = to_shape
            operands = [ast.Name(id=o.id, ctx=ast.Load()) for o in (s.value.left, s.value.right)]
            call.args[1] = ast.Call(func=shape_of, args=operands, keywords=[])
        changed = True
    return changed


def _shape_arguments(fdef, ns) -> dict[int, ast.Call]:
    """id(Name node) -> the ``unbroadcast(g, name)`` call that reads it only for its shape."""
    out = {}
    for n in ast.walk(fdef):
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name)
            and len(n.args) == 2
            and not n.keywords
            and isinstance(n.args[1], ast.Name)
            and any(ns.bound.get(n.func.id) is f for f in _UNBROADCAST)
        ):
            out[id(n.args[1])] = n
    return out


def _unshared(node):
    """A copy of ``node`` in which no two places hold the same child node (``deepcopy`` keeps
    sharing as it finds it); extra attributes (``_adjoint``, ``_bookkeeping``) are kept."""
    new = copy.copy(node)
    for field, value in ast.iter_fields(node):
        if isinstance(value, ast.AST):
            setattr(new, field, _unshared(value))
        elif isinstance(value, list):
            setattr(new, field, [_unshared(v) if isinstance(v, ast.AST) else v for v in value])
    return new


def _reads(stmt):
    """The ``Name`` nodes ``stmt`` reads (not the names it assigns to; a name's ``ctx`` is not
    trusted: generated code reuses nodes)."""
    written = set()
    for n in ast.walk(stmt):
        if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For)):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            written |= {id(t) for t in targets if isinstance(t, ast.Name)}
            written |= {
                id(e)
                for t in targets
                if isinstance(t, (ast.Tuple, ast.List))
                for e in t.elts
                if isinstance(e, ast.Name)
            }
    out = [n for n in ast.walk(stmt) if isinstance(n, ast.Name) and id(n) not in written]
    for n in ast.walk(stmt):  # x += v reads x too
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            out.append(n.target)
    return out


def _store_counts(fdef) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in ast.walk(fdef):
        if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For)):
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        counts[n.id] = counts.get(n.id, 0) + 1
    return counts


def _fresh(base: str, taken: set[str]) -> str:
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


__all__ = ["release_shape_only", "user_names"]
