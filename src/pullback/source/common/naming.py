"""Names for generated variables: unique, and saying what they hold.

In: the names a function already uses, and descriptions of expressions.
Out: fresh names (``x_times_y``, ``sin_x``, ``xs_t``, ``h_stack``) that clash with nothing.
"""

from __future__ import annotations

import ast
import re

MAX_LEN = 32

_BINOP = {
    ast.Add: "plus",
    ast.Sub: "minus",
    ast.Mult: "times",
    ast.Div: "over",
    ast.FloorDiv: "floordiv",
    ast.Mod: "mod",
    ast.Pow: "pow",
    ast.MatMult: "matmul",
    ast.BitAnd: "and",
    ast.BitOr: "or",
    ast.BitXor: "xor",
    ast.LShift: "lshift",
    ast.RShift: "rshift",
}
_BINOP_NOUN = {
    ast.Add: "total",
    ast.Sub: "difference",
    ast.Mult: "product",
    ast.Div: "quotient",
    ast.Pow: "power",
    ast.MatMult: "matmul",
}
_CMP = {
    ast.Lt: "lt",
    ast.LtE: "le",
    ast.Gt: "gt",
    ast.GtE: "ge",
    ast.Eq: "eq",
    ast.NotEq: "ne",
    ast.Is: "is",
    ast.IsNot: "is_not",
    ast.In: "in",
    ast.NotIn: "not_in",
}
_UNARY = {ast.USub: "neg", ast.UAdd: "pos", ast.Not: "not", ast.Invert: "invert"}


class Namer:
    def __init__(self, taken=()):
        self.taken: set[str] = set(taken)

    def reserve(self, name: str) -> None:
        self.taken.add(name)

    def fresh(self, base: str) -> str:
        base = _clean(base) or "tmp"
        if base not in self.taken:
            self.taken.add(base)
            return base
        k = 2
        while f"{base}_{k}" in self.taken:
            k += 1
        name = f"{base}_{k}"
        self.taken.add(name)
        return name


def _clean(s: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z_]", "_", s)
    s = re.sub(r"_+", "_", s).strip("_")
    if s and s[0].isdigit():
        s = "v" + s
    return s


def word(e: ast.expr) -> str:
    """A short word for an atom or an index."""
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Constant):
        if isinstance(e.value, str):
            return e.value
        return str(e.value).replace("-", "neg").replace(".", "_")
    if isinstance(e, ast.Attribute):
        return e.attr
    if isinstance(e, ast.Slice):
        return "slice"
    if isinstance(e, ast.Tuple):
        return "_".join(word(x) for x in e.elts)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        return "neg" + word(e.operand)
    return "value"


def describe(e: ast.expr) -> str:
    """A name for a temporary holding the value of simple expression ``e``."""
    name = _describe(e, long=True)
    if len(name) > MAX_LEN:
        name = _describe(e, long=False)
    if len(name) > MAX_LEN:
        name = name[:MAX_LEN].rstrip("_")
    return _clean(name) or "tmp"


def _describe(e: ast.expr, long: bool) -> str:
    if isinstance(e, ast.BinOp):
        if long:
            return f"{word(e.left)}_{_BINOP.get(type(e.op), 'op')}_{word(e.right)}"
        return _BINOP_NOUN.get(type(e.op), _BINOP.get(type(e.op), "value"))
    if isinstance(e, ast.UnaryOp):
        return f"{_UNARY.get(type(e.op), 'op')}_{word(e.operand)}"
    if isinstance(e, ast.Compare):
        return f"{word(e.left)}_{_CMP.get(type(e.ops[0]), 'cmp')}_{word(e.comparators[0])}"
    if isinstance(e, ast.Call):
        f = e.func
        fname = (
            f.attr
            if isinstance(f, ast.Attribute)
            else (f.id if isinstance(f, ast.Name) else "call")
        )
        if long and e.args:
            return fname + "_" + "_".join(word(a) for a in e.args)
        return fname
    if isinstance(e, ast.Subscript):
        if long:
            return f"{word(e.value)}_{word(e.slice)}"
        return f"{word(e.value)}_item"
    if isinstance(e, ast.Attribute):
        return f"{word(e.value)}_{e.attr}" if long else e.attr
    if isinstance(e, (ast.Tuple, ast.List)):
        kind = "tuple" if isinstance(e, ast.Tuple) else "list"
        if long and e.elts and len(e.elts) <= 3:
            return "_".join(word(x) for x in e.elts)
        return kind
    if isinstance(e, ast.Dict):
        return "dict"
    return word(e)
