"""Activity analysis: which variables carry derivatives.

In: a function in normalized form (see ``anf``), the names of the differentiated parameters
and the name of the output.
Out: an ``Activity`` with

- ``varied``: variables that depend on a differentiated input through a differentiable
  operation;
- ``useful``: variables the output depends on through a differentiable operation;
- ``active`` = varied and useful: only these get an adjoint (reverse) or a tangent (forward);
- ``numeric``: variables known to hold numbers or arrays (not tuples, lists or dicts), whose
  adjoints may be summed with ``+``.

The analysis is per name and flow-insensitive (a name assigned twice is active if either
assignment is), which is safe: at worst an adjoint is computed that turns out zero.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass, field

import numpy as np

from ...rules import registry
from ..frontend.anf_expressions import NONDIFF_ATTRS, is_static
from ..frontend.resolve import MISSING

BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.MatMult: operator.matmul,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
}
UNARYOPS = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
_NONDIFF_OPS = {
    operator.floordiv,
    operator.and_,
    operator.or_,
    operator.xor,
    operator.lshift,
    operator.rshift,
    operator.invert,
}
IDENTITY_METHODS = {"copy", "astype", "item"}
NONDIFF_METHODS = {
    "keys",
    "index",
    "count",
    "__len__",
    "format",
    "join",
    "split",
    "strip",
    "startswith",
    "endswith",
    "lower",
    "upper",
    "replace",
    "is_integer",
}


@dataclass
class Activity:
    varied: set[str] = field(default_factory=set)
    useful: set[str] = field(default_factory=set)
    numeric: set[str] = field(default_factory=set)
    sequences: set[str] = field(default_factory=set)
    # a number read back from a string made of a varied value (float(f"{x}")), the output
    # depending on it: variable -> the conversion. A string cannot carry a derivative.
    through_text: dict = field(default_factory=dict)

    @property
    def active(self) -> set[str]:
        return self.varied & self.useful

    def is_active(self, e) -> bool:
        return (
            isinstance(e, ast.Name)
            and not is_static(e)
            and e.id in self.varied
            and e.id in self.useful
        )


def names_read(e: ast.expr) -> list[str]:
    """Local names an expression reads (static references excluded)."""
    out = []
    for n in ast.walk(e):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and not is_static(n):
            out.append(n.id)
    return out


def static_callee(e: ast.Call, ns_lookup):
    """The object a call's static callee names, or MISSING."""
    if is_static(e.func):
        return ns_lookup(e.func)
    return MISSING


_TEXT_MAKERS = {str, repr, format, ascii}
# what reads a number back from a string: float("1.5"), int, complex, np.float64, np.array
_TEXT_READERS = {float, int, complex, np.array, np.asarray, np.asanyarray}


def makes_text(value: ast.expr, ns_lookup) -> bool:
    """Whether ``value`` formats its operands into a string: an f-string, ``str(x)``,
    ``repr``, ``format``, ``"%s" % x``, ``"{}".format(x)``."""
    if isinstance(value, ast.JoinedStr):
        return True
    if (
        isinstance(value, ast.BinOp)
        and isinstance(value.op, ast.Mod)
        and isinstance(value.left, ast.Constant)
        and isinstance(value.left.value, str)
    ):
        return True
    if isinstance(value, ast.Call):
        if isinstance(value.func, ast.Attribute) and not is_static(value.func):
            return value.func.attr == "format"
        return static_callee(value, ns_lookup) in _TEXT_MAKERS
    return False


def _reads_text(value: ast.expr, ns_lookup) -> bool:
    """Whether ``value``, reading a string, is a number read back from it."""
    if not isinstance(value, ast.Call):
        return False
    fn = static_callee(value, ns_lookup)
    if fn is MISSING:
        return False
    return fn in _TEXT_READERS or (isinstance(fn, type) and issubclass(fn, np.number))


def _keeps_text(value: ast.expr, ns_lookup) -> bool:
    """Whether ``value`` may still be (or hold) a string when an operand is one: a copy, a
    concatenation, an index or slice, a container, a method (``s.strip()``); not a call of
    a function (``len(s)``)."""
    if isinstance(value, ast.Call):
        return isinstance(value.func, ast.Attribute) and not is_static(value.func)
    return not isinstance(value, (ast.Compare, ast.Constant))


def _through_text(pairs, varied, useful, ns_lookup) -> dict:
    """Useful variables read back from strings formatted from varied values."""
    texts = set()
    lost = {}
    changed = True
    while changed:
        changed = False
        for target, value in pairs:
            if target in texts or target in lost:
                continue
            reads = names_read(value)
            if makes_text(value, ns_lookup) and any(n in varied or n in texts for n in reads):
                texts.add(target)
                changed = True
            elif any(n in texts for n in reads):
                if _reads_text(value, ns_lookup):
                    lost[target] = value
                    changed = True
                elif _keeps_text(value, ns_lookup):
                    texts.add(target)
                    changed = True
    return {v: e for v, e in lost.items() if v in useful}


def differentiable_inputs(value: ast.expr, ns_lookup) -> list[str]:
    """The local names through which ``value`` carries a derivative."""
    if makes_text(value, ns_lookup):  # a string carries no derivative (see through_text)
        return []
    if isinstance(value, ast.Name):
        return [] if is_static(value) else [value.id]
    if isinstance(value, ast.BinOp):
        fn = BINOPS.get(type(value.op))
        if fn in _NONDIFF_OPS:
            return []
        return names_read(value.left) + names_read(value.right)
    if isinstance(value, ast.UnaryOp):
        if isinstance(value.op, (ast.Not, ast.Invert)):
            return []
        return names_read(value.operand)
    if isinstance(value, (ast.Compare, ast.Constant, ast.JoinedStr)):
        return []
    if isinstance(value, ast.Attribute):  # a field of a structure (array attributes were
        # made calls, or are shape, ndim, dtype ...)
        return [] if value.attr in NONDIFF_ATTRS else names_read(value.value)
    if isinstance(value, ast.Subscript):
        return names_read(value.value)
    if isinstance(value, (ast.Tuple, ast.List)):
        return [n for e in value.elts for n in names_read(e)]
    if isinstance(value, ast.Dict):
        return [n for e in value.values for n in names_read(e)]
    if isinstance(value, ast.Call):
        fn = static_callee(value, ns_lookup)
        if fn is not MISSING:
            if registry.is_nondiff(fn):
                return []
            rule = registry.lookup(fn)
            args = [*value.args, *(k.value for k in value.keywords)]
            if rule is not None:
                bound = _bind(rule.params, value)
                return [n for p in rule.diff_params if p in bound for n in names_read(bound[p])]
            return [n for a in args for n in names_read(a)]
        if isinstance(value.func, ast.Attribute):
            if value.func.attr in NONDIFF_METHODS:
                return []
            if value.func.attr in IDENTITY_METHODS:
                return names_read(value.func.value)
            # a method of an object known only when running: its arguments may carry a
            # derivative too (the reverse transform refuses to drop it silently)
            args = [*value.args, *(k.value for k in value.keywords)]
            return names_read(value.func.value) + [n for a in args for n in names_read(a)]
        # a callee known only when running (source.dynamic): its arguments carry a derivative
        args = [value.func, *value.args, *(k.value for k in value.keywords)]
        return [n for a in args for n in names_read(a)]
    return []


def _bind(params, call: ast.Call) -> dict:
    bound = dict(zip(params, call.args, strict=False))
    for k in call.keywords:
        bound[k.arg] = k.value
    return bound


def _assignments(stmts):
    """(target, value) for every assignment, and appends as assignments to the list."""
    for s in stmts:
        if isinstance(s, ast.Assign):
            yield s.targets[0].id, s.value
        elif (
            isinstance(s, ast.Expr)
            and isinstance(s.value, ast.Call)
            and isinstance(s.value.func, ast.Attribute)
            and s.value.func.attr == "append"
            and isinstance(s.value.func.value, ast.Name)
        ):
            yield s.value.func.value.id, ast.List(elts=s.value.args, ctx=ast.Load())
        elif isinstance(s, ast.If):
            yield from _assignments(s.body)
            yield from _assignments(s.orelse)
        elif isinstance(s, (ast.For, ast.While)):
            yield from _assignments(s.body)


def analyze(fn: ast.FunctionDef, wrt: list[str], output: str | None, ns_lookup) -> Activity:
    pairs = list(_assignments(fn.body))
    edges = [(target, differentiable_inputs(value, ns_lookup)) for target, value in pairs]
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for target, inputs in edges:
            if target not in varied and any(i in varied for i in inputs):
                varied.add(target)
                changed = True
    useful = {output} if output else set()
    changed = True
    while changed:
        changed = False
        for target, inputs in edges:
            if target in useful:
                for i in inputs:
                    if i not in useful:
                        useful.add(i)
                        changed = True
    sequences = set()
    changed = True
    while changed:
        changed = False
        for target, value in pairs:
            if target in sequences:
                continue
            if (
                isinstance(value, (ast.Tuple, ast.List, ast.ListComp))
                or (isinstance(value, ast.Name) and value.id in sequences)  # a copy: c = c_2
                or (
                    isinstance(value, ast.IfExp)
                    and any(
                        isinstance(e, ast.Name) and e.id in sequences
                        for e in (value.body, value.orelse)
                    )
                )
            ) or (
                isinstance(value, ast.BinOp)
                and isinstance(value.op, (ast.Add, ast.Mult))
                and any(n in sequences for n in names_read(value))
            ):
                sequences.add(target)
                changed = True
    numeric = set()
    for target, value in pairs:
        if target in sequences:
            continue
        if isinstance(value, (ast.BinOp, ast.UnaryOp)):
            numeric.add(target)
            numeric.update(n for n in names_read(value) if n not in sequences)
        elif isinstance(value, ast.Call):
            fn_obj = static_callee(value, ns_lookup)
            rule = registry.lookup(fn_obj) if fn_obj is not MISSING else None
            if rule is not None and rule.kind == "elementwise":
                numeric.add(target)
                numeric.update(n for a in value.args for n in names_read(a))
    numeric -= sequences
    lost = _through_text(pairs, varied, useful, ns_lookup)
    return Activity(varied, useful, numeric, sequences, lost)
