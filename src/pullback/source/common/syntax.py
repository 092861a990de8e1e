"""Building syntax trees: names, calls and assignments that carry a source location.

In: identifiers, expressions and the node whose location a new one takes.
Out: ``ast`` nodes, ready for any pass; ``static_name`` marks a reference to an object the
generated module binds in its globals.
"""

from __future__ import annotations

import ast


def loc(new, old):
    """``new`` with ``old``'s source location (recursively for nodes without one)."""
    if old is None:
        return new
    for n in ast.walk(new):
        if not hasattr(n, "lineno") or getattr(n, "lineno", None) is None:
            if "lineno" in n._attributes:
                ast.copy_location(n, old)
    return new


def relocated(new, old):
    """``new`` with ``old``'s source location on every node, replacing any it had (a rule's
    statement spliced in keeps no line of the rule's module: it belongs to the user's line)."""
    for n in ast.walk(new):
        if "lineno" in n._attributes:
            ast.copy_location(n, old)
    return new


def name(id_: str, ctx=None) -> ast.Name:
    return ast.Name(id=id_, ctx=ctx or ast.Load())


def static_name(id_: str) -> ast.Name:
    """A reference to an object the transformation binds in the generated module's globals."""
    node = ast.Name(id=id_, ctx=ast.Load())
    node._static = True
    return node


def assign(target: str, value: ast.expr, at) -> ast.Assign:
    return loc(ast.Assign(targets=[name(target, ast.Store())], value=value), at)


def call(fn: ast.expr, *args: ast.expr) -> ast.Call:
    return ast.Call(func=fn, args=list(args), keywords=[])


def function_def(name_: str, args: ast.arguments, body: list) -> ast.FunctionDef:
    """A plain ``def name_(args): body``: no decorators, annotations or type comment."""
    return ast.FunctionDef(
        name=name_, args=args, body=body, decorator_list=[], returns=None, type_comment=None
    )
