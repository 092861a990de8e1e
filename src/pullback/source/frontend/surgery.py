"""Gradient surgery: ``with pb.grad_of(x) as x_bar:`` through every pass of source mode.

In: the ``with`` statement as each pass meets it.
Out, pass by pass:

- fence: the one accepted ``with`` form (``grad_of`` of a local name, ``as`` a name, a body
  without ``return``/``break``/``continue``); any other ``with`` is rejected with a hint;
- desugar and ANF: the statement is kept, marked (``node._grad_of = (x, x_bar)``), its body
  normalized like any block;
- reverse (``transform/grad_of.py``): the body is emitted in the adjoint sweep at the mirror
  of the ``with``, where the adjoint of ``x`` holds what flows back from the code after it;
  the body's ``x_bar`` *is* that adjoint, so reassigning it changes what flows on. The
  primal sweep drops the block.
- forward: the block is dropped (it belongs to the backward sweep only).

Called plainly, ``custom.grad_of`` skips the block, so the user's function runs unchanged.
"""

from __future__ import annotations

import ast
import copy

from ...custom import grad_of
from ..common.diagnostics import unsupported
from ..common.syntax import loc

HINT = (
    "write 'with pb.grad_of(x) as x_bar:' with x a local variable; other with blocks "
    "cannot be differentiated"
)


def parts(node: ast.With, scope, src, shadowed=frozenset()):
    """``(x, x_bar)`` of a grad_of block; raises UnsupportedSyntaxError for any other with."""
    if len(node.items) != 1:
        raise unsupported(node, src, "'with' blocks are not supported in source mode", HINT)
    item = node.items[0]
    call = item.context_expr
    if not isinstance(call, ast.Call) or scope.static_value(call.func, shadowed) is not grad_of:
        raise unsupported(node, src, "'with' blocks are not supported in source mode", HINT)
    if len(call.args) != 1 or call.keywords or not isinstance(call.args[0], ast.Name):
        raise unsupported(call, src, "grad_of takes one variable: grad_of(x)", HINT)
    if not isinstance(item.optional_vars, ast.Name):
        raise unsupported(node, src, "grad_of needs a name for the adjoint: 'as x_bar'", HINT)
    for n in ast.walk(ast.Module(body=node.body, type_ignores=[])):
        if isinstance(n, (ast.Return, ast.Break, ast.Continue)):
            raise unsupported(
                n,
                src,
                "a grad_of block cannot return, break or continue",
                "compute the new adjoint and assign it to the 'as' name",
            )
    return call.args[0].id, item.optional_vars.id


def fence(visitor, node: ast.With) -> None:
    """The fence's check of a ``with``: the grad_of form, and the body fenced like any code."""
    parts(node, visitor.scope, visitor.src)
    for stmt in node.body:
        visitor.visit(stmt)


def marked(node: ast.With, body: list[ast.stmt], x: str, x_bar: str) -> ast.With:
    new = loc(
        ast.With(items=copy.deepcopy(node.items), body=body or [ast.Pass()], type_comment=None),
        node,
    )
    new._grad_of = (x, x_bar)
    return new


def desugar(desugarer, node: ast.With) -> list[ast.stmt]:
    x, x_bar = parts(node, desugarer.scope, desugarer.src)
    return [marked(node, desugarer.block(node.body), x, x_bar)]


def anf(normalizer, node: ast.With) -> list[ast.stmt]:
    x, x_bar = getattr(node, "_grad_of", None) or parts(node, normalizer.scope, normalizer.src)
    return [marked(node, normalizer.block(node.body), x, x_bar)]


__all__ = ["parts", "fence", "desugar", "anf", "marked"]
