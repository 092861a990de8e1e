"""Generators read as the lists they yield.

In: a parsed function definition (a nested one, or a callee of the differentiated function).
Out: ``as_list(node) -> bool``: the definition rewritten in place to build and return the
list of what it yields, where that is the same computation: ``yield v`` becomes
``yielded.append(v)``, ``yield from it`` a loop appending each item, a bare ``return`` (and
the end) ``return yielded``; True where it was rewritten.

A generator is consumed by the differentiated code (``for W, b in unpack_layers(weights)``,
``sum(terms(x))``, ``list(g(x))``), so its values are the same computed ahead. It is read so
only where it surely ends: every loop in it a ``for`` loop, ``yield`` used as a statement
(never ``x = yield``), no ``return value``. Any other generator is left as it is, and the fence
refuses it with a hint.
"""

from __future__ import annotations

import ast

_OUT = "yielded"


def is_generator(node: ast.FunctionDef) -> bool:
    """Whether ``node`` itself (not a function nested in it) yields."""
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(node))


def as_list(node: ast.FunctionDef) -> bool:
    """Rewrite generator ``node`` to return the list it yields (see the module docstring)."""
    if not is_generator(node) or not _surely_ends(node):
        return False
    taken = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    out = _OUT
    k = 2
    while out in taken:
        out, k = f"{_OUT}_{k}", k + 1
    node.body = [_at(_assign(out, ast.List(elts=[], ctx=ast.Load())), node.body[0])] + [
        _Rewrite(out).visit(s) for s in node.body
    ]
    node.body.append(_at(ast.Return(value=ast.Name(id=out, ctx=ast.Load())), node.body[-1]))
    ast.fix_missing_locations(node)
    return True


def _own_nodes(node: ast.FunctionDef):
    """The nodes of ``node``'s body, not descending into nested functions, lambdas or classes."""
    stack = list(node.body)
    while stack:
        n = stack.pop()
        yield n
        for child in ast.iter_child_nodes(n):
            if not isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
            ):
                stack.append(child)


def _surely_ends(node: ast.FunctionDef) -> bool:
    statements = set()
    for n in _own_nodes(node):
        if isinstance(n, ast.While):
            return False
        if isinstance(n, ast.Return) and n.value is not None:
            return False
        if isinstance(n, ast.Expr) and isinstance(n.value, (ast.Yield, ast.YieldFrom)):
            statements.add(id(n.value))
    own = [n for n in _own_nodes(node) if isinstance(n, (ast.Yield, ast.YieldFrom))]
    return all(id(n) in statements for n in own)


def _assign(target: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=value)


def _at(new: ast.stmt, old: ast.AST) -> ast.stmt:
    return ast.copy_location(new, old)


def _append(out: str, value: ast.expr) -> ast.Expr:
    method = ast.Attribute(value=ast.Name(id=out, ctx=ast.Load()), attr="append", ctx=ast.Load())
    return ast.Expr(value=ast.Call(func=method, args=[value], keywords=[]))


class _Rewrite(ast.NodeTransformer):
    def __init__(self, out: str):
        self.out = out

    def visit_FunctionDef(self, node):
        return node  # a nested function keeps its own yields

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef

    def visit_Expr(self, node):
        value = node.value
        if isinstance(value, ast.Yield):
            item = value.value if value.value is not None else ast.Constant(None)
            return _at(_append(self.out, item), node)
        if isinstance(value, ast.YieldFrom):
            item = f"{self.out}_item"
            loop = ast.For(
                target=ast.Name(id=item, ctx=ast.Store()),
                iter=value.value,
                body=[_at(_append(self.out, ast.Name(id=item, ctx=ast.Load())), node)],
                orelse=[],
            )
            return _at(loop, node)
        return node

    def visit_Return(self, node):
        return _at(ast.Return(value=ast.Name(id=self.out, ctx=ast.Load())), node)
