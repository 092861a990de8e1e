"""What each name of a generated function holds, given the kinds of its arguments.

In: a generated ``FunctionDef`` (plain Python the transform wrote), the kinds of its
arguments (``kind_of(value)``: a number of a dtype, an array of a dtype and a number of axes,
``None``, a tuple of kinds), and the globals the code reads.
Out: ``infer(fdef, arg_kinds, globals)``, a dict name -> ``Kind`` that holds at every
assignment of the name (``UNKNOWN`` where two assignments disagree, ``OPTIONAL`` marks a
name that is ``None`` before a loop fills it), and ``kind_expr`` for one expression.

Only what loop kernels are made of is typed: numbers, arrays, indexing, arithmetic, ``math``
and NumPy's elementwise functions, ``range``, tuples, the tapes (``[None] * n``, ``[]``) and
pullback's runtime helpers. Anything else is ``UNKNOWN``; the specializer leaves such code as
it is, and a compiler then names the line it cannot type.
"""

from __future__ import annotations

import ast
import builtins
import types
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Kind:
    """``tag``: "num" (``dtype``), "array" (``dtype``, ``ndim``), "none", "tuple" (``items``),
    "list" (``items[0]`` the entry kind, or UNKNOWN), "range", "unknown"."""

    tag: str
    dtype: str = ""
    ndim: int = 0
    items: tuple = ()

    @property
    def scalar(self) -> bool:
        return self.tag == "num"

    @property
    def array(self) -> bool:
        return self.tag == "array"

    def __str__(self) -> str:
        if self.tag == "num":
            return self.dtype
        if self.tag == "array":
            return f"{self.dtype}[{', '.join(':' * self.ndim)}]"
        if self.tag == "tuple":
            return "(" + ", ".join(map(str, self.items)) + ")"
        return self.tag


UNKNOWN = Kind("unknown")
NONE = Kind("none")
RANGE = Kind("range")
FLOAT = Kind("num", "float64")
INT = Kind("num", "int64")
BOOL = Kind("num", "bool")


def num(dtype) -> Kind:
    return Kind("num", np.dtype(dtype).name)


def arr(dtype, ndim: int) -> Kind:
    return Kind("array", np.dtype(dtype).name, ndim) if ndim else num(dtype)


def kind_of(value) -> Kind:
    """The kind of one argument value."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, complex):
        return num(complex)
    if isinstance(value, np.generic):
        return num(value.dtype)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            return UNKNOWN
        return arr(value.dtype, value.ndim)
    if isinstance(value, tuple):
        return Kind("tuple", items=tuple(kind_of(v) for v in value))
    return UNKNOWN


def join(a: Kind | None, b: Kind) -> Kind:
    """One kind for a name assigned both: ``None`` before a loop and a value later joins to
    the value (the tape's initial entry); two different values are UNKNOWN."""
    if a is None or a == b:
        return b
    if a.tag == "none":
        return b
    if b.tag == "none":
        return a
    if a.tag == "list" and b.tag == "list":
        if a.items[0].tag in ("unknown", "none"):
            return b
        if b.items[0].tag in ("unknown", "none"):
            return a
        return Kind("list", items=(join(a.items[0], b.items[0]),))
    if a.tag == b.tag == "num":  # int and float accumulators: the wider one
        return num(np.promote_types(a.dtype, b.dtype))
    return UNKNOWN


def _promote(kinds) -> Kind:
    """The kind of arithmetic on ``kinds`` (NumPy's promotion; arrays broadcast). A name
    still ``None`` (not yet set on this walk through a loop) leaves the result unknown yet
    (NONE), to be filled in on the next walk."""
    if any(k.tag == "none" for k in kinds):
        return NONE
    if any(k.tag not in ("num", "array") for k in kinds):
        return UNKNOWN
    dtype = np.result_type(*[np.dtype(k.dtype) for k in kinds])
    ndim = max(k.ndim for k in kinds)
    return arr(dtype, ndim)


_FLOAT_RESULT = {"true_divide", "divide", "sqrt", "exp", "log", "sin", "cos", "tan", "tanh"}
_HELPERS_SAME_AS = {  # runtime helper -> which argument's kind its result has
    "unbroadcast": 1,
    "unbroadcast_to": 0,
    "zeros_like_value": 0,
    "scatter_add": 0,
    "write_entry": 0,
    "setitem": 0,
    "additem": 0,
    "sum_tangent": 3,
    "getitem_adjoint": 1,
    "owned_adjoint": 1,
    "setitem_adjoint_v": 3,
    "seed": 0,
    "unreduce": 1,
    "copy_value": 0,
    "zero_tangent": 0,
    "zero_region": 0,
    "setitem_tangent_v": 1,
}


class _Infer:
    def __init__(self, globals_: dict):
        self.globals = globals_
        self.kinds: dict[str, Kind] = {}
        self.changed = False

    def set(self, name: str, kind: Kind) -> None:
        new = join(self.kinds.get(name), kind)
        if new != self.kinds.get(name):
            self.kinds[name] = new
            self.changed = True

    def target(self, t, kind: Kind) -> None:
        if isinstance(t, ast.Name):
            self.set(t.id, kind)
        elif isinstance(t, ast.Tuple):
            items = kind.items if kind.tag == "tuple" and len(kind.items) == len(t.elts) else ()
            for k, e in enumerate(t.elts):
                self.target(e, items[k] if items else UNKNOWN)

    def stmts(self, body) -> None:
        for s in body:
            self.stmt(s)

    def stmt(self, s) -> None:
        if isinstance(s, ast.Assign):
            kind = self.expr(s.value)
            for t in s.targets:
                if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                    held = self.kinds.get(t.value.id)
                    if held is not None and held.tag == "list":  # a tape's entry
                        self.set(t.value.id, Kind("list", items=(kind,)))
                    continue
                self.target(t, kind)
        elif isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
            self.set(s.target.id, _promote([self.expr(s.target), self.expr(s.value)]))
        elif isinstance(s, ast.Expr):
            call = s.value
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "append"
                and isinstance(call.func.value, ast.Name)
            ):
                self.set(call.func.value.id, Kind("list", items=(self.expr(call.args[0]),)))
        elif isinstance(s, ast.For):
            it = self.expr(s.iter)
            item = INT if it == RANGE else (_entry(it) if it.array else UNKNOWN)
            self.target(s.target, item)
            self.stmts(s.body)
            self.stmts(s.orelse)
        elif isinstance(s, (ast.While, ast.If)):
            self.stmts(s.body)
            self.stmts(s.orelse)

    def expr(self, e) -> Kind:  # noqa: C901 - one case per node type
        if isinstance(e, ast.Constant):
            return kind_of(e.value)
        if isinstance(e, ast.Name):
            if e.id in self.kinds:
                return self.kinds[e.id]
            return UNKNOWN
        if isinstance(e, ast.BinOp):
            k = _promote([self.expr(e.left), self.expr(e.right)])
            if isinstance(e.op, ast.Div) and k.tag in ("num", "array") and k.dtype[0] in "ib":
                return arr(np.float64, k.ndim)
            if isinstance(e.op, ast.Mult) and isinstance(e.left, ast.List):
                return Kind("list", items=(UNKNOWN,))  # [None] * n: a tape
            return k
        if isinstance(e, ast.UnaryOp):
            k = self.expr(e.operand)
            return BOOL if isinstance(e.op, ast.Not) else k
        if isinstance(e, ast.Compare):
            ks = [self.expr(e.left)] + [self.expr(c) for c in e.comparators]
            k = _promote(ks)
            return arr(bool, k.ndim) if k != UNKNOWN else UNKNOWN
        if isinstance(e, ast.IfExp):
            return join(self.expr(e.body), self.expr(e.orelse))
        if isinstance(e, ast.Tuple):
            return Kind("tuple", items=tuple(self.expr(x) for x in e.elts))
        if isinstance(e, ast.List):
            return Kind("list", items=(UNKNOWN,)) if not e.elts else UNKNOWN
        if isinstance(e, ast.Subscript):
            return self.subscript(e)
        if isinstance(e, ast.Attribute):
            base = self.expr(e.value)
            if base.array and e.attr == "shape":
                return Kind("tuple", items=(INT,) * base.ndim)
            if base.array and e.attr in ("size", "ndim"):
                return INT
            if base.array and e.attr == "T":
                return base
            if base.scalar and e.attr in ("real", "imag"):
                return FLOAT
            return UNKNOWN
        if isinstance(e, ast.Call):
            return self.call(e)
        return UNKNOWN

    def subscript(self, e: ast.Subscript) -> Kind:
        base = self.expr(e.value)
        index = e.slice
        if base.tag == "tuple":
            if isinstance(index, ast.Constant) and isinstance(index.value, int):
                if -len(base.items) <= index.value < len(base.items):
                    return base.items[index.value]
            return UNKNOWN
        if base.tag == "list":  # an entry of a tape not yet written on this walk: NONE
            return NONE if base.items[0] == UNKNOWN else base.items[0]
        if not base.array:
            return UNKNOWN
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        dropped = 0
        for p in parts:
            if isinstance(p, ast.Slice):
                continue
            k = self.expr(p)
            ks = k.items if k.tag == "tuple" else (k,)  # a name holding (i, j)
            if all(x.scalar and x.dtype[0] in "iu" for x in ks):
                dropped += len(ks)
            else:
                return UNKNOWN  # an array index, None, ...: not typed here
        if dropped > base.ndim:
            return UNKNOWN
        return arr(base.dtype, base.ndim - dropped)

    def call(self, e: ast.Call) -> Kind:
        fn = callee(e.func, self.globals)
        args = [self.expr(a) for a in e.args]
        if fn is range:
            return RANGE
        if fn is reversed and args and args[0] == RANGE:
            return RANGE
        if fn is len:
            return INT
        if fn in (float, abs) and args and args[0].scalar:
            return FLOAT if fn is float else args[0]
        if fn is int:
            return INT
        if fn in (min, max) and args:
            return _promote(args)
        if isinstance(fn, types.BuiltinFunctionType) and getattr(fn, "__module__", "") == "math":
            return FLOAT if fn.__name__ not in ("floor", "ceil", "trunc") else INT
        if isinstance(fn, np.ufunc):
            k = _promote(args[: fn.nin]) if args else UNKNOWN
            if k.tag not in ("num", "array"):
                return k
            if fn.__name__ in _FLOAT_RESULT and k.dtype[0] in "ib":
                return arr(np.float64, k.ndim)
            if fn.__name__ in ("isfinite", "isnan", "isinf", "greater", "less", "equal"):
                return arr(bool, k.ndim)
            return k
        if fn is np.shape and len(args) == 1 and args[0].tag in ("num", "array"):
            return Kind("tuple", items=(INT,) * args[0].ndim)
        if fn is np.where and len(args) == 3 and not e.keywords:
            k = _promote(args[1:])
            return k if k == UNKNOWN else arr(k.dtype, max(k.ndim, args[0].ndim))
        if fn is np.zeros_like or fn is np.empty_like or fn is np.ones_like:
            return args[0] if args and args[0].array else UNKNOWN
        if fn in (np.sum, np.prod, np.max, np.min) and args and not e.keywords and len(args) == 1:
            return num(args[0].dtype) if args[0].tag in ("num", "array") else UNKNOWN
        if fn in (np.zeros, np.ones, np.empty) and args:
            shape = args[0]
            ndim = len(shape.items) if shape.tag == "tuple" else 1
            return arr(np.float64, ndim)
        name = getattr(fn, "__name__", None)
        if name in _HELPERS_SAME_AS and getattr(fn, "__module__", "").startswith("pullback"):
            k = _HELPERS_SAME_AS[name]
            if name == "seed":
                return FLOAT if args and args[0].scalar else UNKNOWN
            if name == "zeros_like_value" and args and args[0].scalar:
                return FLOAT
            return args[k] if k < len(args) else UNKNOWN
        if name in ("safe_mul", "add_adjoints") and getattr(fn, "__module__", "").startswith(
            "pullback"
        ):
            known = [a for a in args if a.tag != "none"]
            return _promote(known) if known else NONE
        if isinstance(e.func, ast.Attribute) and e.func.attr == "copy" and not e.args:
            return self.expr(e.func.value)
        if isinstance(e.func, ast.Attribute) and e.func.attr == "pop" and not e.args:
            lst = self.expr(e.func.value)
            if lst.tag != "list":
                return UNKNOWN
            return NONE if lst.items[0] == UNKNOWN else lst.items[0]
        return UNKNOWN


def _entry(k: Kind) -> Kind:
    return arr(k.dtype, k.ndim - 1)


def callee(func, globals_: dict):
    """The object a call's function expression names, read from ``globals_`` (``np.sin``,
    ``math.exp``, a helper), or None."""
    if isinstance(func, ast.Name):
        if func.id in globals_:
            return globals_[func.id]
        return getattr(builtins, func.id, None)
    if isinstance(func, ast.Attribute):
        base = callee(func.value, globals_)
        if isinstance(base, types.ModuleType):
            return getattr(base, func.attr, None)
    return None


def infer(fdef: ast.FunctionDef, arg_kinds: dict, globals_: dict) -> dict:
    """Name -> Kind for every name ``fdef`` assigns, starting from ``arg_kinds``; the body is
    walked until no kind changes (loops feed their later kinds back to their start)."""
    state = _Infer(globals_)
    state.kinds.update(arg_kinds)
    for _ in range(20):
        state.changed = False
        state.stmts(fdef.body)
        if not state.changed:
            break
    return state.kinds
