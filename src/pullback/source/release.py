"""Stop keeping matrix products that the backward sweep reads only for their shape.

In: a generated function (after ``optimize``), its module's ``Namespace`` and the names the
user wrote (a user's variable is never touched: it stays inspectable in pdb).
Out: the same function, where ``unbroadcast(g, t)`` for a temporary ``t = a @ b`` (``a`` and
``b`` never rebound) reads ``unbroadcast_to(g, matmul_shape(a, b))``; ``release_products``
says whether it rewrote anything, after which the fold (``optimize.inline_single_use``) puts
``a @ b`` back into its one use.

In ``h = np.tanh(X @ W1 + b1)`` the backward sweep needs ``X @ W1`` only to know whether ``b1``
was broadcast. Kept under a name until the function returns, that product is one more large
array alive while ``tanh`` allocates its result than in the user's own line, and the
allocator pays for it in page faults on every call. Its shape comes from ``X`` and ``W1``,
which the matmul's adjoint keeps anyway, so the forward sweep can read as the user wrote it.
"""

from __future__ import annotations

import ast
import copy

from ..runtime import adjoints
from ..runtime.linalg import matmul_shape
from .optimize import _assign_counts, _is_unbroadcast


def release_products(fdef: ast.FunctionDef, ns, users: set[str], keep=frozenset()) -> bool:
    """Rewrite, at the top level of ``fdef``, each shape-only read of a temporary ``a @ b``."""
    read_for_shape = {call.args[1].id for call in _shape_arguments(fdef, ns).values()}
    if not any(_product(s) in read_for_shape for s in fdef.body):
        return False
    fdef.body = [_unshared(s) for s in fdef.body]  # one node per place: earlier passes share
    shape_args = _shape_arguments(fdef, ns)
    body = fdef.body
    # assigned once, a parameter never assigned to included (a loop variable counts twice)
    stable = {n for n, k in _assign_counts(fdef).items() if k == 1}
    reads_at: dict[str, list[tuple[int, ast.Name]]] = {}  # name -> (statement index, node)
    for j, later in enumerate(body):
        for n in _reads(later):
            reads_at.setdefault(n.id, []).append((j, n))
    named = users | set(keep)
    to_shape = shape_of = None
    changed = False
    for i, s in enumerate(body):
        t = _product(s)
        if t is None or not all(o.id in stable for o in (s.value.left, s.value.right)):
            continue
        if t not in stable or t in named:
            continue
        uses = reads_at.get(t, ())
        if any(j <= i for j, _ in uses):
            continue  # read before it is assigned: a loop-carried value
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


def _product(s) -> str | None:
    """``t`` where ``s`` is ``t = a @ b`` with ``a`` and ``b`` names, else None."""
    if (
        isinstance(s, ast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], ast.Name)
        and isinstance(s.value, ast.BinOp)
        and isinstance(s.value.op, ast.MatMult)
        and isinstance(s.value.left, ast.Name)
        and isinstance(s.value.right, ast.Name)
    ):
        return s.targets[0].id
    return None


def _shape_arguments(fdef, ns) -> dict[int, ast.Call]:
    """id(Name node) -> the ``unbroadcast(g, name)`` call that reads it only for its shape."""
    return {
        id(n.args[1]): n
        for n in ast.walk(fdef)
        if _is_unbroadcast(n, ns.bound, to_value_only=True) and isinstance(n.args[1], ast.Name)
    }


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


__all__ = ["release_products"]
