"""Splice rule bodies: a rule's derivative expression with the call's names substituted.

In: a ``Rule`` from the table, the atoms a call passes, the output's name and its adjoint's
name.
Out: for each differentiable argument, the statements and the expression of its adjoint
contribution, e.g. ``y_bar * np.cos(x)`` for ``y = np.sin(x)``; or ``None`` when the rule
cannot be spliced (then the caller calls ``rule.vjp_fn(i)`` instead).
"""

from __future__ import annotations

import ast
import builtins
import copy

from ...rules import registry
from ..common.naming import Namer
from ..frontend.namespace import Namespace


def bind_call(params: tuple, args: list, keywords: list) -> dict:
    bound = dict(zip(params, args, strict=False))
    for k in keywords:
        bound[k.arg] = k.value
    return bound


class Splicer:
    def __init__(self, ns: Namespace, namer: Namer):
        self.ns = ns
        self.namer = namer

    def entries(self, fn, n: int):
        """(FunctionDef, preamble, entries) of a rule function, or None if not spliceable."""
        try:
            node = registry.rule_ast(fn)
            entries = registry.return_entries(node, n)
        except Exception:
            return None
        if any(isinstance(s, ast.Return) for st in node.body[:-1] for s in ast.walk(st)):
            return None
        if node.args.vararg or node.args.kwarg:
            return None
        return node, node.body[:-1], entries

    def reads(self, fn, n: int, i: int) -> set[str] | None:
        """Parameter names entry ``i`` of rule function ``fn`` reads (None: unknown)."""
        got = self.entries(fn, n)
        if got is None:
            return None
        node, preamble, entries = got
        names = set()
        for part in [*preamble, entries[i]]:
            names.update(x.id for x in ast.walk(part) if isinstance(x, ast.Name))
        return names

    def splice(self, fn, n: int, i: int, mapping: dict[str, ast.expr]):
        """(statements, expression) of entry ``i`` with parameters replaced by ``mapping``.

        Parameters absent from ``mapping`` take their defaults.
        """
        got = self.entries(fn, n)
        if got is None:
            return None
        node, preamble, entries = got
        params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
        first_default = len(params) - len(node.args.defaults)
        defaults = dict(zip(params[first_default:], node.args.defaults, strict=True))
        for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=False):
            params.append(a.arg)
            if d is not None:
                defaults[a.arg] = d
        full = {}
        for p in params:
            if p in mapping:
                full[p] = mapping[p]
            elif p in defaults:
                full[p] = defaults[p]
        local = set()
        for st in preamble:
            for x in ast.walk(st):
                if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Store):
                    local.add(x.id)
        renames = {v: self.namer.fresh(v) for v in local}
        glb = getattr(fn, "__globals__", {})

        def substitute(tree):
            tree = copy.deepcopy(tree)
            return _FoldOptions().visit(_Substitute(full, renames, glb, self.ns).visit(tree))

        stmts = [substitute(s) for s in preamble]
        expr = substitute(entries[i])
        return stmts, expr


class _Substitute(ast.NodeTransformer):
    def __init__(self, full, renames, glb, ns):
        self.full = full
        self.renames = renames
        self.glb = glb
        self.ns = ns

    def visit_Name(self, node):
        if node.id in self.renames:
            return ast.copy_location(ast.Name(id=self.renames[node.id], ctx=node.ctx), node)
        if node.id in self.full and isinstance(node.ctx, ast.Load):
            return copy.deepcopy(self.full[node.id])
        if isinstance(node.ctx, ast.Load):
            obj = self.glb.get(node.id, getattr(builtins, node.id, _UNSET))
            if obj is not _UNSET:
                ref = self.ns.ref(obj)
                ref._static = True
                return ref
        return node


class _FoldOptions(ast.NodeTransformer):
    """Fold ``A if OPTION is True else B`` where the call left ``OPTION`` at its default: a rule
    written for NumPy's options (``where=``, ``initial=``) splices as its plain case."""

    def visit_Compare(self, node):
        self.generic_visit(node)
        if (
            len(node.ops) == 1
            and isinstance(node.ops[0], (ast.Is, ast.IsNot))
            and isinstance(node.left, ast.Constant)
            and isinstance(node.comparators[0], ast.Constant)
        ):
            same = node.left.value is node.comparators[0].value
            return ast.Constant(same if isinstance(node.ops[0], ast.Is) else not same)
        return node

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        if all(isinstance(v, ast.Constant) for v in node.values):
            values = [v.value for v in node.values]
            return ast.Constant(all(values) if isinstance(node.op, ast.And) else any(values))
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        if isinstance(node.test, ast.Constant):
            return node.body if node.test.value else node.orelse
        return node


_UNSET = object()
