"""Gradient surgery in the adjoint sweep: the body of ``with pb.grad_of(x) as x_bar:``.

In: the marked ``with`` (see ``frontend/surgery.py``) and the adjoint states so far.
Out: no primal code; in the adjoint sweep, at the mirror of the ``with``, the body run on
``x``'s adjoint (``x_bar`` *is* that adjoint: reassigning it changes what flows on).
"""

from __future__ import annotations

import ast
import copy

from ..common.syntax import assign, name
from .states import MAYBE, VALUE, ZERO


def reverse(rev, node: ast.With, state: dict):
    """(primal, adjoint, state) of a grad_of block in the reverse transform."""
    x = node.items[0].context_expr.args[0].id  # renamed by SSA along with the code around it
    alias = node._grad_of[1]
    bar = rev.bar(x)
    st = state.get(x, ZERO)
    code: list[ast.stmt] = []
    if st == ZERO:
        code.append(
            assign(
                bar,
                ast.Call(func=rev.ctx.helper("zeros_like_value"), args=[name(x)], keywords=[]),
                node,
            )
        )
    elif st == MAYBE:
        code.append(
            assign(
                bar,
                ast.Call(
                    func=rev.ctx.helper("adjoint_or_zeros"), args=[name(bar), name(x)], keywords=[]
                ),
                node,
            )
        )
    rebinds = False
    for s in copy.deepcopy(node.body):
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and n.id == alias:
                rebinds |= isinstance(n.ctx, ast.Store)
                n.id = bar
        code.append(s)
    if rebinds:  # x_bar = 1.0 for an array x: ones, as anything after may rely on the shape
        conformed = ast.Call(
            func=rev.ctx.helper("conform_adjoint"), args=[name(bar), name(x)], keywords=[]
        )
        code.append(assign(bar, conformed, node))
    state = dict(state)
    state[x] = VALUE
    return [], code, state
