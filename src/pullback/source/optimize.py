"""Optimize generated code to a fixed point: algebra, dead code, copy propagation.

In: expressions being built (``simplify``) and whole generated functions (``optimize``).
Out: the same computations, shorter: ``g * 1.0`` -> ``g``, ``g * (1.0 / x)`` -> ``g / x``,
``g * -1.0`` -> ``-g``; assignments nothing reads are dropped (only pure ones: no calls of user
code, no stack operations); ``a = b`` is propagated where both are assigned once.
"""

from __future__ import annotations

import ast
import copy

from ..rules import registry

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


def _num(e, value) -> bool:
    return (
        isinstance(e, ast.Constant)
        and not isinstance(e.value, bool)
        and isinstance(e.value, (int, float))
        and e.value == value
    )


def simplify(e: ast.expr) -> ast.expr:
    """Local algebra and constant folding, bottom-up (never changes an array's shape)."""
    return _Simplify().visit(e)


_FOLD = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Pow: lambda a, b: a**b,
}
_CMP = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.Gt: lambda a, b: a > b,
}


def _is_num(e) -> bool:
    return (
        isinstance(e, ast.Constant)
        and isinstance(e.value, (int, float))
        and not isinstance(e.value, bool)
    )


class _Simplify(ast.NodeTransformer):
    def visit_BinOp(self, e):
        self.generic_visit(e)
        left, right = e.left, e.right
        fold = _FOLD.get(type(e.op))
        if fold and _is_num(left) and _is_num(right):
            try:
                return ast.Constant(fold(left.value, right.value))
            except Exception:
                return e
        if isinstance(e.op, ast.Mult):
            if _num(right, 1):
                return left
            if _num(left, 1):
                return right
            if _num(right, -1):
                return ast.UnaryOp(op=ast.USub(), operand=left)
            if (
                isinstance(right, ast.BinOp)
                and isinstance(right.op, ast.Div)
                and _num(right.left, 1)
            ):
                return ast.BinOp(left=left, op=ast.Div(), right=right.right)
            if (
                isinstance(right, ast.Call)
                and isinstance(right.func, ast.Attribute)
                and right.func.attr == "divide"
                and len(right.args) == 2
                and not right.keywords
                and _num(right.args[0], 1)
            ):
                # g * (1 / x) is g / x; the rule writes np.divide so that a zero x gives inf in
                # the rule's own use, while here g / x is a plain division, far faster on floats
                return ast.BinOp(left=left, op=ast.Div(), right=right.args[1])
            if isinstance(right, ast.UnaryOp) and isinstance(right.op, ast.USub):
                return ast.UnaryOp(
                    op=ast.USub(), operand=ast.BinOp(left=left, op=ast.Mult(), right=right.operand)
                )
        if isinstance(e.op, ast.Pow) and _num(right, 1):
            return left
        if (
            isinstance(e.op, ast.Add)
            and isinstance(right, ast.UnaryOp)
            and isinstance(right.op, ast.USub)
        ):
            return ast.BinOp(left=left, op=ast.Sub(), right=right.operand)
        return e

    def visit_UnaryOp(self, e):
        self.generic_visit(e)
        if isinstance(e.op, ast.USub):
            if isinstance(e.operand, ast.UnaryOp) and isinstance(e.operand.op, ast.USub):
                return e.operand.operand
            if _is_num(e.operand):
                return ast.Constant(-e.operand.value)
        return e

    def visit_Compare(self, e):
        self.generic_visit(e)
        fold = _CMP.get(type(e.ops[0])) if len(e.ops) == 1 else None
        if fold and _is_num(e.left) and _is_num(e.comparators[0]):
            return ast.Constant(bool(fold(e.left.value, e.comparators[0].value)))
        return e

    def visit_Call(self, e):
        self.generic_visit(e)
        f = e.func
        if isinstance(f, ast.Attribute) and not e.keywords:
            if (
                f.attr == "where"
                and len(e.args) == 3
                and isinstance(e.args[0], ast.Constant)
                and isinstance(e.args[0].value, bool)
            ):
                return e.args[1] if e.args[0].value else e.args[2]
            if f.attr == "power" and len(e.args) == 2 and _num(e.args[1], 1):
                return e.args[0]
        return e


# -- whole functions -------------------------------------------------------------------------


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


def dead_code(stmts, live_out: set[str], purity: Purity) -> tuple[list, set[str]]:
    out = []
    live = set(live_out)
    for s in reversed(stmts):
        if isinstance(s, ast.Assign):
            targets = _targets(s)
            simple = len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
            if simple and not (targets & live) and purity.pure(s.value):
                continue
            live = (live - targets) | _reads(s.value) | {x for t in s.targets for x in _reads(t)}
        elif isinstance(s, ast.If):
            body, l1 = dead_code(s.body, live, purity)
            orelse, l2 = dead_code(s.orelse, live, purity)
            if not body and not orelse and purity.pure(s.test):
                continue
            s.body = body or [ast.Pass()]
            s.orelse = orelse
            live = l1 | l2 | _reads(s.test)
        elif isinstance(s, (ast.For, ast.While)):
            head = set(live) | (_reads(s.test) if isinstance(s, ast.While) else set())
            target = _reads_store(s.target) if isinstance(s, ast.For) else set()
            for _ in range(20):
                _, body_in = dead_code(copy.deepcopy(s.body), head, purity)
                new_head = head | (body_in - target)
                if new_head == head:
                    break
                head = new_head
            body, body_in = dead_code(s.body, head, purity)
            s.body = body or [ast.Pass()]
            cond = s.iter if isinstance(s, ast.For) else s.test
            live = head | (body_in - target) | _reads(cond)
        elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
            continue
        else:
            live |= _reads(s)
        out.append(s)
    out.reverse()
    return out, live


def _reads_store(t) -> set[str]:
    return {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}


def _assign_counts(fdef) -> dict[str, int]:
    counts: dict[str, int] = {}
    for a in [*fdef.args.posonlyargs, *fdef.args.args, *fdef.args.kwonlyargs]:
        counts[a.arg] = 1
    for n in ast.walk(fdef):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            counts[n.id] = counts.get(n.id, 0) + 1
        if isinstance(n, (ast.For,)):
            for t in ast.walk(n.target):
                if isinstance(t, ast.Name):
                    counts[t.id] = counts.get(t.id, 0) + 1
    return counts


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


def optimize(fdef: ast.FunctionDef, namespace: dict, keep=frozenset()) -> ast.FunctionDef:
    purity = Purity(namespace)
    live_out: set[str] = set()
    for _ in range(10):
        before = ast.dump(fdef)
        copy_propagation(fdef, keep)
        fdef.body, _ = dead_code(fdef.body, set(live_out), purity)
        if ast.dump(fdef) == before:
            break
    fdef.body = flatten_exits(fdef.body)
    return fdef


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
