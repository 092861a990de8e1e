"""Optimize generated code to a fixed point: algebra, dead code, copy propagation.

In: expressions being built (``simplify``) and whole generated functions (``optimize``).
Out: the same computations, shorter: ``g * 1.0`` -> ``g``, ``g * (1.0 / x)`` -> ``g / x``,
``g * -1.0`` -> ``-g``; assignments nothing reads are dropped (only pure ones: no calls of user
code, no stack operations); ``a = b`` is propagated where both are assigned once; a temporary
read once, by a later statement for the same source line, is folded back into it (``h =
np.tanh(X @ W1 + b1)`` rather than a name for ``X @ W1 + b1``), so the array it holds is freed
as soon as it is used, as in code a person writes.
"""

from __future__ import annotations

import ast

from ...rules import registry
from ..common.algebra import KnownTests, simplify  # noqa: F401  (simplify: used by the passes)

_PURE_BUILTINS = {
    "len",
    "range",
    "reversed",
    "slice",
    "float",
    "int",
    "abs",
    "min",
    "max",
    "tuple",
    "list",
    "dict",
    "isinstance",
    "zip",
    "enumerate",
}


def _reads(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _targets(s) -> set[str]:
    """Names an assignment binds (``x_tape[i] = v`` binds none: it writes into ``x_tape``)."""
    return {
        n.id
        for t in s.targets
        for n in ast.walk(t)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


class Purity:
    def __init__(self, namespace: dict):
        self.namespace = namespace

    def callee(self, func):
        if isinstance(func, ast.Name):
            return self.namespace.get(func.id, _builtin(func.id))
        if isinstance(func, ast.Attribute):
            base = self.callee(func.value)
            if base is None:
                return None
            return getattr(base, func.attr, None)
        return None

    def pure(self, e) -> bool:
        for n in ast.walk(e):
            if isinstance(n, ast.Call):
                fn = self.callee(n.func)
                if fn is None:
                    return False
                if (
                    isinstance(n.func, ast.Name)
                    and n.func.id in _PURE_BUILTINS
                    and fn is _builtin(n.func.id)
                ):
                    continue
                module = getattr(fn, "__module__", "") or ""
                if module.startswith("pullback.runtime"):
                    continue
                if registry.lookup(fn) is not None or registry.is_nondiff(fn):
                    continue
                return False
            if isinstance(n, (ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield)):
                return False
        return True


def _builtin(name):
    import builtins

    return getattr(builtins, name, None)


def mark_user_statements(fdef: ast.FunctionDef) -> None:
    """Mark the statements of a normalized user function: ``dead_code`` keeps those whose
    evaluation may raise, as the function itself would (``x.T`` of a float, ``x + "a"``),
    even where nothing reads what they assign. Marks survive ``copy.deepcopy``."""
    for n in ast.walk(fdef):
        if isinstance(n, ast.stmt) and n is not fdef:
            n._user = True


def _cannot_raise(e) -> bool:
    """Whether evaluating ``e`` surely raises nothing: a constant, or a container of them."""
    if isinstance(e, ast.Constant):
        return True
    if isinstance(e, (ast.Tuple, ast.List)):
        return all(_cannot_raise(x) for x in e.elts)
    return False


def _droppable(s, purity: Purity) -> bool:
    """A pure assignment whose target nothing reads: dropped unless it is the user's own and
    might raise (the function would raise there, so its derivative must too)."""
    if not purity.pure(s.value):
        return False
    return not getattr(s, "_user", False) or _cannot_raise(s.value)


def dead_code(
    stmts, live_out: set[str], purity: Purity, scratch=frozenset(), mutate=True
) -> tuple[list, set[str]]:
    """Drop pure assignments nothing reads later, and writes into a ``scratch`` list (a tape
    the function made itself, ``[None] * n``) that nothing reads later. Returns the kept
    statements and the names live on entry; ``mutate=False`` only computes them, leaving
    the bodies of nested statements as they are."""
    out = []
    live = set(live_out)
    for s in reversed(stmts):
        if isinstance(s, ast.Assign):
            targets = _targets(s)
            simple = len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
            if simple and not (targets & live) and _droppable(s, purity):
                continue
            if (
                len(s.targets) == 1
                and isinstance(s.targets[0], ast.Subscript)
                and isinstance(s.targets[0].value, ast.Name)
                and s.targets[0].value.id in scratch
                and s.targets[0].value.id not in live
                and purity.pure(s.value)
                and purity.pure(s.targets[0].slice)
            ):
                continue  # a tape entry nothing reads
            live = (live - targets) | _reads(s.value) | {x for t in s.targets for x in _reads(t)}
        elif isinstance(s, ast.If):
            body, l1 = dead_code(s.body, live, purity, scratch, mutate)
            orelse, l2 = dead_code(s.orelse, live, purity, scratch, mutate)
            if not body and not orelse and purity.pure(s.test):
                continue
            if mutate:
                s.body = body or [ast.Pass()]
                s.orelse = orelse
            live = l1 | l2 | _reads(s.test)
        elif isinstance(s, (ast.For, ast.While)):
            head = set(live) | (_reads(s.test) if isinstance(s, ast.While) else set())
            target = _reads_store(s.target) if isinstance(s, ast.For) else set()
            for _ in range(20):
                _, body_in = dead_code(s.body, head, purity, scratch, mutate=False)
                new_head = head | (body_in - target)
                if new_head == head:
                    break
                head = new_head
            body, body_in = dead_code(s.body, head, purity, scratch, mutate)
            if mutate:
                s.body = body or [ast.Pass()]
            cond = s.iter if isinstance(s, ast.For) else s.test
            live = head | (body_in - target) | _reads(cond)
        elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
            continue
        elif isinstance(s, ast.AugAssign):  # reads its target (and may change it in place)
            live |= _reads(s) | _reads_store(s.target)
        else:
            live |= _reads(s)
        out.append(s)
    out.reverse()
    return out, live


def _scratch_lists(fdef, counts=None) -> set[str]:
    """Names bound once, to a list the function builds (``[None] * n``), and only ever
    indexed: writing into one is seen by nothing but the function's own reads of it.
    ``counts``: ``_assign_counts(fdef)`` where the caller has it."""
    counts = counts if counts is not None else _assign_counts(fdef)
    out = set()
    for s in ast.walk(fdef):
        if (
            isinstance(s, ast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name)
            and counts.get(s.targets[0].id) == 1
            and isinstance(s.value, ast.BinOp)
            and isinstance(s.value.op, ast.Mult)
            and isinstance(s.value.left, ast.List)
            and all(isinstance(e, ast.Constant) for e in s.value.left.elts)
        ):
            out.add(s.targets[0].id)
    if not out:
        return out
    nodes = list(ast.walk(fdef))
    indexed = {id(p.value) for p in nodes if isinstance(p, ast.Subscript)}
    for n in nodes:  # a bare read (passed on, returned, aliased) lets it escape
        if isinstance(n, ast.Name) and n.id in out and isinstance(n.ctx, ast.Load):
            if id(n) not in indexed:
                out.discard(n.id)
    return out


def _reads_store(t) -> set[str]:
    return {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}


def _assign_counts(fdef) -> dict[str, int]:
    return _census(fdef)[0]


def _census(fdef) -> tuple[dict[str, int], dict[str, int]]:
    """How many times each name is assigned (a loop variable counts twice: it is never
    assigned once) and read, in one walk."""
    stores: dict[str, int] = {}
    loads: dict[str, int] = {}
    for a in [*fdef.args.posonlyargs, *fdef.args.args, *fdef.args.kwonlyargs]:
        stores[a.arg] = 1
    for n in ast.walk(fdef):
        if n.__class__ is ast.Name:
            if n.ctx.__class__ is ast.Load:
                loads[n.id] = loads.get(n.id, 0) + 1
            elif n.ctx.__class__ is ast.Store:
                stores[n.id] = stores.get(n.id, 0) + 1
        elif n.__class__ is ast.For:
            for t in ast.walk(n.target):
                if isinstance(t, ast.Name):
                    stores[t.id] = stores.get(t.id, 0) + 1
    return stores, loads


def copy_propagation(fdef, keep=frozenset()) -> bool:
    """Replace ``a`` by ``b`` after a top-level ``a = b`` when each is assigned once."""
    counts = _assign_counts(fdef)
    changed = False
    body = fdef.body
    for _k, s in enumerate(list(body)):
        if not (
            isinstance(s, ast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name)
            and isinstance(s.value, ast.Name)
        ):
            continue
        a, b = s.targets[0].id, s.value.id
        if counts.get(a) != 1 or counts.get(b, 0) > 1 or a == b or a in keep:
            continue
        if getattr(s.value, "_static", False):
            continue
        idx = body.index(s)
        for later in body[idx + 1 :]:
            for n in ast.walk(later):
                if isinstance(n, ast.Name) and n.id == a and isinstance(n.ctx, ast.Load):
                    n.id = b
        del body[idx]
        changed = True
        counts = _assign_counts(fdef)
    return changed


_MAX_LINE = 88  # a folded statement longer than this keeps its temporary: it reads better


def _blocks(stmts):
    """Every statement list: ``stmts`` and the bodies nested in it."""
    yield stmts
    for s in stmts:
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and not isinstance(s, (ast.FunctionDef, ast.Lambda)):
                yield from _blocks(inner)


def _binds(s) -> set[str]:
    """Names a simple statement rebinds or writes into (``a[i] = v`` writes into ``a``)."""
    targets = s.targets if isinstance(s, ast.Assign) else [s.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _written(stmt, purity) -> set[str]:
    """Names ``stmt`` passes as the first argument of a runtime helper that writes into it
    (``scatter_add(x_bar, ...)``, ``write_entry(y, i, v)``)."""
    return {
        n.args[0].id
        for n in ast.walk(stmt)
        if isinstance(n, ast.Call)
        and n.args
        and isinstance(n.args[0], ast.Name)
        and getattr(purity.callee(n.func), "writes_first_argument", False)
    }


def _single_load(node, name):
    """The one ``Name`` node reading ``name`` in ``node``'s value, unless it sits inside a
    lambda or comprehension (evaluated later, or many times)."""
    value = node.value
    if value is None:
        return None
    for n in ast.walk(value):
        if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            if any(isinstance(m, ast.Name) and m.id == name for m in ast.walk(n)):
                return None
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load):
            return n
    return None


def inline_single_use(fdef, purity: Purity, keep=frozenset(), census=None) -> bool:
    """Fold ``t = e`` into the one statement that reads ``t`` when both come from the same
    source line, ``t`` is assigned once and read once, everything involved is pure, and the
    statements in between neither write what ``e`` reads nor call anything impure. Undoes the
    naming ANF did for values the backward sweep does not need, so they die right away.
    ``census``: ``_census(fdef)`` where the caller has it (kept up to date here)."""
    stores, loads = census or _census(fdef)
    changed = False
    for block in list(_blocks(fdef.body)):
        i = 0
        while i < len(block):
            if _fold(block, i, stores, loads, purity, keep):
                changed = True
                continue
            i += 1
    return changed


def _fold(block, i, stores, loads, purity, keep) -> bool:
    s = block[i]
    if not (
        isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
    ):
        return False
    t = s.targets[0].id
    if t in keep or stores.get(t) != 1 or loads.get(t) != 1 or getattr(s.value, "_static", 0):
        return False
    if not purity.pure(s.value) or _written(s, purity):
        return False  # a write into an array happens where it is written, not later
    reads = _reads(s.value)
    for later in block[i + 1 :]:
        if not isinstance(later, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr)):
            return False
        if getattr(later, "lineno", None) != getattr(s, "lineno", None):
            return False
        if later.value is None or not purity.pure(later.value):
            return False
        use = _single_load(later, t)
        if use is None:
            if _computes_before(later, s):
                return False
            if any(isinstance(n, ast.Name) and n.id == t for n in ast.walk(later)):
                return False  # read in a target or a comprehension: leave it named
            if isinstance(later, ast.Return) or isinstance(later, ast.Expr):
                return False
            if _binds(later) & reads or _written(later, purity) & reads:
                return False  # rebinds, or writes into (scatter_add(x_bar, ...)), a read
            continue
        _replace(later, use, s.value)
        if getattr(later, "col_offset", 4) + len(ast.unparse(later)) > _MAX_LINE:
            _replace(later, s.value, use)  # too long to read well: put the name back
            return False
        del block[i]
        stores.pop(t, None)
        loads.pop(t, None)
        return True
    return False


def _computes_before(later, s) -> bool:
    """Whether folding the user's statement ``s`` past the generated ``later`` would run a
    derivative's computation first (a tangent of forward mode, ``y_dot = ...``): where ``s``
    raises, the user's exception must come first, as the function itself raises it."""
    if not getattr(s, "_user", False) or getattr(later, "_user", False):
        return False
    if not isinstance(later, (ast.Assign, ast.AugAssign)):
        return False
    target = later.target if isinstance(later, ast.AugAssign) else later.targets[0]
    return isinstance(target, ast.Name) and not _cannot_raise(later.value)


def _replace(stmt, old, new) -> None:
    for parent in ast.walk(stmt):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for k, item in enumerate(value):
                    if item is old:
                        value[k] = new
                        return


def _is_unbroadcast(call, namespace, to_value_only=False) -> bool:
    """Whether ``call`` is ``unbroadcast(g, x)`` or ``unbroadcast_to(g, shape)`` (with
    ``to_value_only``: the first, whose second argument is a value)."""
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and len(call.args) == 2
        and not call.keywords
    ):
        return False
    to_value, to_shape = _unbroadcasts()
    fn = id(namespace.get(call.func.id))
    return fn in to_value or (not to_value_only and fn in to_shape)


def _unbroadcasts() -> tuple[set[int], set[int]]:
    global _UNBROADCASTS
    if _UNBROADCASTS is None:
        from ...runtime import adjoints, unbroadcast, unbroadcast_to

        to_value = {id(unbroadcast), id(adjoints.unbroadcast)}
        _UNBROADCASTS = to_value, {id(unbroadcast_to), id(adjoints.unbroadcast_to)}
    return _UNBROADCASTS


_UNBROADCASTS = None


def collapse_unbroadcast(fdef, namespace, users, keep=frozenset(), census=None) -> bool:
    """``u = unbroadcast(g, x)`` read only as ``unbroadcast(u, y)``: those read
    ``unbroadcast(g, y)``, and ``u`` goes. Summing down to ``x``'s shape and then to ``y``'s
    is summing down to ``y``'s at once (``y`` broadcast to ``x``, ``x`` to ``g``). Only for a
    temporary ``x``: a user's variable keeps its adjoint, to be looked at. ``census``:
    ``_census(fdef)`` where the caller has it (kept up to date here)."""
    stores, loads = census or _census(fdef)
    changed = False
    for block in list(_blocks(fdef.body)):
        i = 0
        while i < len(block):
            s = block[i]
            i += 1
            if not (
                isinstance(s, ast.Assign)
                and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name)
                and _is_unbroadcast(s.value, namespace)
                and isinstance(s.value.args[0], ast.Name)
                and isinstance(s.value.args[1], ast.Name)
                and s.value.args[1].id not in users
            ):
                continue
            u, g = s.targets[0].id, s.value.args[0].id
            if u in keep or stores.get(u) != 1:
                continue
            uses = [
                (k, n)
                for k, later in enumerate(block)
                for n in ast.walk(later)
                if isinstance(n, ast.Name) and n.id == u and isinstance(n.ctx, ast.Load)
            ]
            total = loads.get(u, 0)
            if not uses or len(uses) != total or min(k for k, _ in uses) < i:
                continue
            last = max(k for k, _ in uses)
            if any(
                isinstance(n, ast.Name) and n.id == g and isinstance(n.ctx, ast.Store)
                for later in block[i:last]
                for n in ast.walk(later)
            ):
                continue  # g changes before the last use
            calls = [
                c
                for k, later in enumerate(block)
                if k >= i
                for c in ast.walk(later)
                if _is_unbroadcast(c, namespace)
                and isinstance(c.args[0], ast.Name)
                and c.args[0].id == u
            ]
            if len(calls) != total:
                continue  # some use is not the adjoint argument of an unbroadcast
            for c in calls:
                c.args[0] = ast.Name(id=g, ctx=ast.Load())
            i -= 1
            del block[i]
            stores.pop(u, None)
            loads.pop(u, None)
            loads[g] = loads.get(g, 0) + total - 1  # read by each call now, not by u's value
            changed = True
    return changed


def optimize(
    fdef: ast.FunctionDef, namespace: dict, keep=frozenset(), users=None
) -> ast.FunctionDef:
    """``users``: the names the user wrote, whose adjoints stay named (None: all of them)."""
    purity = Purity(namespace)
    live_out: set[str] = set()
    for _ in range(10):
        changed = copy_propagation(fdef, keep)
        KnownTests().visit(fdef)
        census = _census(fdef)
        if users is not None:
            changed |= collapse_unbroadcast(fdef, namespace, users, keep, census)
        changed |= inline_single_use(fdef, purity, keep, census)
        before = _statement_count(fdef.body)
        scratch = _scratch_lists(fdef, census[0])
        fdef.body, _ = dead_code(fdef.body, set(live_out), purity, scratch)
        if not changed and _statement_count(fdef.body) == before:
            break
    fdef.body = flatten_exits(fdef.body)
    return fdef


def _statement_count(stmts) -> int:
    """How many statements (nested ones included): what dead-code removal changes."""
    return sum(
        1 + _statement_count(getattr(s, "body", [])) + _statement_count(getattr(s, "orelse", []))
        for s in stmts
    )


def flatten_exits(stmts):
    """``if c: ... continue`` ``else: rest`` -> ``if c: ... continue`` then ``rest``: the
    structured form the transformation works on (see ``desugar._structured_exits``), written
    back the way a person writes it. Loops and branches are flattened inside too."""
    out = []
    for s in stmts:
        if isinstance(s, (ast.For, ast.While)):
            s.body = flatten_exits(s.body)
        elif isinstance(s, ast.If):
            s.body = flatten_exits(s.body)
            s.orelse = flatten_exits(s.orelse)
            if s.orelse and _ends_in_exit(s.body):
                rest, s.orelse = s.orelse, []
                out += [s, *rest]
                continue
            if (
                s.orelse
                and _ends_in_exit(s.orelse)
                and not _ends_in_exit(s.body)
                and not all(isinstance(x, ast.Pass) for x in s.body)
            ):
                rest = s.body
                s.test = ast.UnaryOp(op=ast.Not(), operand=s.test)
                s.body, s.orelse = s.orelse, []
                out += [s, *rest]
                continue
        out.append(s)
    return out


def _ends_in_exit(stmts) -> bool:
    return bool(stmts) and isinstance(stmts[-1], (ast.Break, ast.Continue))
