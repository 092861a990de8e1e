"""Algebra on expressions as they are built: ``g * 1.0`` is ``g``, constants fold.

In: an ``ast`` expression (``simplify``), or a tree whose tests are known (``KnownTests``).
Out: the same value, written shorter: ``g * 1.0`` -> ``g``, ``g * (1.0 / x)`` -> ``g / x``,
``g * -1.0`` -> ``-g``, ``2.0 * 3.0`` -> ``6.0``, ``None is None`` -> ``True``.
"""

from __future__ import annotations

import ast


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


_DISPLAYS = (ast.Tuple, ast.List, ast.Dict, ast.Set, ast.ListComp, ast.Lambda, ast.JoinedStr)


def _is_none(left, right) -> bool | None:
    """Whether ``left is right`` holds, where one side is ``None`` and the other a literal;
    None where that is only known at run time."""
    for a, b in ((left, right), (right, left)):
        if isinstance(b, ast.Constant) and b.value is None:
            if isinstance(a, ast.Constant):
                return a.value is None
            if isinstance(a, _DISPLAYS):
                return False
            if isinstance(a, ast.UnaryOp) and isinstance(a.operand, ast.Constant):
                return False  # -1, a signed literal: a number, never None
    return None


class KnownTests(ast.NodeTransformer):
    """Tests whose outcome the code shows: ``(1, 0) is None`` (a rule's ``axes is None`` with
    the user's ``(1, 0)`` spliced in, a SyntaxWarning at every compile if left in the text)
    and the ``a if True else b`` it leaves. Exact for any value, so safe on any statement."""

    def visit_Compare(self, e):
        self.generic_visit(e)
        return self.known_compare(e)

    def visit_IfExp(self, e):
        self.generic_visit(e)
        if isinstance(e.test, ast.Constant) and isinstance(e.test.value, bool):
            return e.body if e.test.value else e.orelse
        return e

    @staticmethod
    def known_compare(e):
        if len(e.ops) == 1 and isinstance(e.ops[0], (ast.Is, ast.IsNot)):
            known = _is_none(e.left, e.comparators[0])
            if known is not None:
                return ast.Constant(known == isinstance(e.ops[0], ast.Is))
        return e


class _Simplify(KnownTests):
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
        return self.known_compare(e)

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
