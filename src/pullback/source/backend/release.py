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

import numpy as np

from ...runtime import adjoints
from ...runtime.linalg import matmul_shape
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


_PRODUCTS = (np.dot, np.matmul, np.outer, np.einsum, np.tensordot, np.kron)


def _products_assigned(fdef, ns) -> set[str]:
    """Names every forward assignment of which is a matrix product (``a @ b``, ``np.dot``
    ...): arrays, whose shapes are worth taping instead of them (a number's is not: its tape
    slot costs less than ``np.shape``)."""
    verdict: dict[str, bool] = {}
    for n in ast.walk(fdef):
        if not isinstance(n, ast.Assign) or getattr(n, "_adjoint", False):
            continue
        for t in n.targets:
            if not isinstance(t, ast.Name):
                continue
            v = n.value
            product = (isinstance(v, ast.BinOp) and isinstance(v.op, ast.MatMult)) or (
                isinstance(v, ast.Call)
                and isinstance(v.func, (ast.Name, ast.Attribute))
                and any(ns.bound.get(getattr(v.func, "id", None)) is p for p in _PRODUCTS)
            )
            none = isinstance(v, ast.Constant) and v.value is None
            if not none:
                verdict[t.id] = verdict.get(t.id, True) and product
    return {v for v, ok in verdict.items() if ok}


def release_shape_tapes(fdef: ast.FunctionDef, ns, users: set[str]) -> bool:
    """Tape the shape of a loop's temporary, not its value, where the backward sweep reads
    it only as ``unbroadcast(g, t)``: ``t_shape = np.shape(t)`` after each assignment of ``t``
    in the forward sweep, the tape records ``t_shape``, the backward sweep restores it and
    reads ``unbroadcast_to(g, t_shape)``. The value itself is then freed at its last forward
    use (``xs[t] @ Wx`` in an RNN step: a batch-by-hidden array per step, never read back)."""
    from .lean_recompute import _is_push, _is_restore

    names = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name)}
    restored = {}  # v -> its tape or stack name
    for n in ast.walk(fdef):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            v = n.targets[0].id
            if _is_restore(n, v):
                store = n.value.value if isinstance(n.value, ast.Subscript) else n.value.func.value
                restored.setdefault(v, set()).add(store.id)
    candidates = {v: tapes for v, tapes in restored.items() if len(tapes) == 1}
    candidates = {v: next(iter(t)) for v, t in candidates.items() if v not in (users or set())}
    pushed = {v for v in candidates for n in ast.walk(fdef) if _is_push(n, v)}
    params = {a.arg for a in fdef.args.args + fdef.args.kwonlyargs}
    candidates = {  # both sweeps here (not a backward half given the tape by its forward)
        v: tape for v, tape in candidates.items() if v in pushed and tape not in params
    }
    if not candidates:
        return False
    shape_reads: dict[str, list] = {v: [] for v in candidates}
    spoiled: set[str] = set()

    def visit(stmts):
        for st in stmts:
            if isinstance(st, (ast.If, ast.For, ast.While)):
                for n in ast.walk(st.test if isinstance(st, (ast.If, ast.While)) else st.iter):
                    if isinstance(n, ast.Name) and n.id in candidates:
                        spoiled.add(n.id)
                visit(st.body)
                visit(st.orelse)
                continue
            pushed = next((v for v in candidates if _is_push(st, v)), None)
            if pushed is not None or any(_is_restore(st, v) for v in candidates):
                continue
            adjoint = getattr(st, "_adjoint", False)
            shape_args = {
                id(c.args[1])
                for c in ast.walk(st)
                if _is_unbroadcast(c, ns.bound, to_value_only=True)
                and isinstance(c.args[1], ast.Name)
            }
            for n in _reads(st):
                if n.id not in candidates:
                    continue
                if id(n) in shape_args:
                    shape_reads[n.id].append(st)
                elif adjoint:
                    spoiled.add(n.id)

    visit(fdef.body)
    products = _products_assigned(fdef, ns)
    chosen = {
        v: tape
        for v, tape in candidates.items()
        if v not in spoiled and shape_reads[v] and v in products
    }
    if not chosen:
        return False

    def fresh(base):
        new, k = base, 2
        while new in names:
            new, k = f"{base}_{k}", k + 1
        names.add(new)
        return new

    shape_of = {v: fresh(f"{v}_shape") for v in chosen}
    tape_of = {chosen[v]: fresh(chosen[v].replace(v, f"{v}_shape", 1)) for v in chosen}
    np_shape = ns.ref(np.shape)
    to_shape = ns.ref(adjoints.unbroadcast_to)

    def rewrite(stmts):
        out = []
        for st in stmts:
            if isinstance(st, (ast.If, ast.For, ast.While)):
                st.body = rewrite(st.body)
                st.orelse = rewrite(st.orelse)
                out.append(st)
                continue
            v = next((v for v in chosen if _is_push(st, v) or _is_restore(st, v)), None)
            if v is not None:  # the tape records the shape
                for n in ast.walk(st):
                    if isinstance(n, ast.Name) and n.id == v:
                        n.id = shape_of[v]
                    elif isinstance(n, ast.Name) and n.id in tape_of:
                        n.id = tape_of[n.id]
                out.append(st)
                continue
            for c in ast.walk(st):
                if _is_unbroadcast(c, ns.bound, to_value_only=True) and isinstance(
                    c.args[1], ast.Name
                ):
                    if c.args[1].id in chosen:
                        c.func = copy.deepcopy(to_shape)
                        c.args[1] = ast.Name(id=shape_of[c.args[1].id], ctx=ast.Load())
            for n in ast.walk(st):
                if isinstance(n, ast.Name) and n.id in tape_of:  # allocations
                    n.id = tape_of[n.id]
            out.append(st)
            if not isinstance(st, ast.Assign) or getattr(st, "_adjoint", False):
                continue
            set_here = [
                e.id
                for t in st.targets
                for e in ([t] if isinstance(t, ast.Name) else getattr(t, "elts", []))
                if isinstance(e, ast.Name) and e.id in chosen
            ]
            for v in set_here:  # v = ..., or (v, w) = ...: its shape right after
                none = isinstance(st.value, ast.Constant) and st.value.value is None
                value = (
                    ast.Constant(None)
                    if none
                    else ast.Call(
                        func=copy.deepcopy(np_shape),
                        args=[ast.Name(id=v, ctx=ast.Load())],
                        keywords=[],
                    )
                )
                extra = ast.Assign(targets=[ast.Name(id=shape_of[v], ctx=ast.Store())], value=value)
                out.append(ast.copy_location(extra, st))
        return out

    fdef.body = rewrite(fdef.body)
    return True


__all__ = ["release_products", "release_shape_tapes"]
