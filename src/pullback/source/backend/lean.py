"""A generated derivative specialized on the kinds of its arguments: what the shapes do not
need is dropped, cheap values are recomputed instead of recorded, dead code is removed.

In: a generated ``FunctionDef``, the kinds of its arguments (``kinds.kind_of``) and the
globals its code reads.
Out: ``specialize(fdef, arg_kinds, globals_)``, a new ``FunctionDef`` (the input is left
alone) that computes the same values for arguments of those kinds, after these passes:

- runtime helpers become the plain operations they stand for when the kinds are known
  (here, ``_Helpers`` and ``_Specializer.statements``):
  ``unbroadcast`` of two numbers is the adjoint itself, ``seed(s)`` of a number ``1.0``,
  ``zeros_like_value`` of a number ``0.0`` and of an array ``np.zeros_like``,
  ``x_bar = scatter_add(x_bar, x, i, g)`` is ``x_bar[i] += g``, ``y = write_entry(y, i, v)``
  is ``y[i] = v``, ``add_adjoints`` of two values is ``+``, ``v.copy()`` of a number ``v``;
- a tape of numbers, ``v_tape = [None] * n``, is an array ``np.empty(n)``, and a name that is
  ``None`` until a loop sets it starts as a zero of its kind (here, ``_Specializer``);
- recompute instead of record (``lean_recompute``): a value set once in a counted loop by
  arithmetic, ``math`` or NumPy functions of numbers, and reads of arrays the loop does not
  write, is computed again at the start of the adjoint loop's iteration rather than taped
  (``x_i = x[i]`` again, not ``x_i_tape``);
- an accumulation into an array the function made and hands to no other name is written in
  place (``lean_inplace``): ``a = additem(a, i, v)`` is ``a[i] += v``, and forward mode's
  ``a_dot = a_dot + setitem_tangent_v(t, a, i, v)`` is ``a_dot[i] += t``, so forward mode
  over a specialized gradient compiles (a Hessian-vector product of a loop kernel);
  ``sum_tangent`` of numbers is ``+``;
- ``reversed(range(a, b))`` counts down as ``range(b - 1, a - 1, -1)`` (here, ``_Countdown``);
- then every statement whose result nothing reads is removed (a liveness sweep,
  ``lean_liveness``), so a tape read only for its shape, and the primal loop of a gradient
  that needs no primal value, go.

The result is plain Python (it runs under CPython too); ``numba_compile`` compiles it.
"""

from __future__ import annotations

import ast
import copy
import math

import numpy as np

from ...errors import PullbackValueError
from .kinds import NONE, UNKNOWN, Kind, callee, infer
from .lean_inplace import in_place
from .lean_liveness import eliminate_dead
from .lean_recompute import _is_restore, _target_names, recompute


def _name(n: str) -> ast.Name:
    return ast.Name(id=n, ctx=ast.Load())


def _call(fn: ast.expr, *args) -> ast.Call:
    return ast.Call(func=fn, args=list(args), keywords=[])


def _is_none(e) -> bool:
    return isinstance(e, ast.Constant) and e.value is None


def _np(attr: str) -> ast.Attribute:
    return ast.Attribute(value=_name("np"), attr=attr, ctx=ast.Load())


def _zero_of(kind: Kind) -> ast.expr | None:
    if kind.scalar:
        value = np.zeros((), kind.dtype)[()].item()
        return ast.Constant(value)
    if kind.array:
        shape = ast.Tuple(elts=[ast.Constant(0)] * kind.ndim, ctx=ast.Load())
        return _call(_np("empty"), shape, _np(kind.dtype))
    if kind.tag == "tuple" and kind.items:
        zeros = [_zero_of(k) for k in kind.items]
        if all(z is not None for z in zeros):
            return ast.Tuple(elts=zeros, ctx=ast.Load())
    return None


class _Helpers(ast.NodeTransformer):
    """Runtime helper calls replaced by the operations they stand for, kinds permitting."""

    def __init__(self, spec: _Specializer):
        self.spec = spec

    def helper(self, e) -> str | None:
        if not isinstance(e, ast.Call):
            return None
        fn = callee(e.func, self.spec.globals)
        name = getattr(fn, "__name__", None)
        module = getattr(fn, "__module__", "") or ""
        if name and module.startswith("pullback") and isinstance(e.func, ast.Name):
            return name
        return None

    def visit_Call(self, e):
        self.generic_visit(e)
        kind = self.spec.kind
        h = self.helper(e)
        args = e.args
        maybe = [self.spec.may_be_none(a) and not _is_none(a) for a in args]
        if h == "sum_tangent" and any(maybe):
            return e  # a tangent that may be None (zero) when it runs: the helper handles it
        if (
            h
            and h not in ("add_adjoints", "sum_tangent")
            and any(self.spec.may_be_none(a) for a in args)
        ):
            return e  # a None (zero) adjoint among them: the helper handles it
        if h == "add_adjoints" and any(
            self.spec.may_be_none(a) and kind(a).tag != "none" for a in args
        ):
            return e
        if h == "unbroadcast" and len(args) == 2:
            g, x = kind(args[0]), kind(args[1])
            if g.scalar and x.scalar:
                return args[0]
            if g.array and x.scalar:
                return _call(_np("sum"), args[0])
            if g.array and x.array and g.ndim == x.ndim and self.spec.same_shape(args):
                return args[0]
        if h == "safe_mul" and len(args) == 2 and not self.spec.zero_safe:
            return ast.BinOp(left=args[0], op=ast.Mult(), right=args[1])
        if h == "unbroadcast_to" and len(args) == 2:
            g, shape = kind(args[0]), kind(args[1])
            if shape.tag == "tuple" and not shape.items:  # down to a number
                if g.scalar:
                    return args[0]
                if g.array:
                    return _call(_np("sum"), args[0])
        if h == "sum_tangent" and len(args) == 4 and kind(args[3]).scalar:
            t, u = args[0], args[1]
            none = [_is_none(t), _is_none(u)]
            if none[0] and kind(u).scalar:
                return u
            if none[1] and kind(t).scalar:
                return t
            if kind(t).scalar and kind(u).scalar:
                return ast.BinOp(left=t, op=ast.Add(), right=u)
        if h == "seed" and len(args) == 1 and kind(args[0]).scalar:
            return ast.Constant(1.0)
        if h in ("zeros_like_value", "zero_tangent") and len(args) == 1:
            k = kind(args[0])
            if k.scalar:
                return ast.Constant(0.0)
            if k.array and k.dtype.startswith("float"):
                return _call(_np("zeros_like"), args[0])
        if h == "add_adjoints" and len(args) == 2:
            a, b = kind(args[0]), kind(args[1])
            if a == NONE:
                return args[1]
            if b == NONE:
                return args[0]
            if a.tag in ("num", "array") and b.tag in ("num", "array"):
                return ast.BinOp(left=args[0], op=ast.Add(), right=args[1])
        if h == "setitem_adjoint_v" and len(args) == 4:
            region = self.spec.kinds_of.subscript(
                ast.Subscript(value=args[0], slice=args[2], ctx=ast.Load())
            )
            v = kind(args[3])
            picked = ast.Subscript(value=args[0], slice=args[2], ctx=ast.Load())
            if region.scalar and v.scalar:
                return picked
            if region.array and v.scalar:
                return _call(_np("sum"), picked)
        if h == "owned_adjoint" and len(args) == 2:
            g, x = kind(args[0]), kind(args[1])
            if g == NONE and x.array:
                return _call(_np("zeros_like"), args[1])
            if g.array and x.array and g.ndim == x.ndim:
                return _call(ast.Attribute(value=args[0], attr="copy", ctx=ast.Load()))
        if h == "unreduce" and len(args) >= 1:
            extra = args[2:] + [k.value for k in e.keywords]
            plain = all(isinstance(a, ast.Constant) and a.value in (None, False) for a in extra)
            if plain and kind(args[0]).scalar and kind(args[1]).array:
                return _call(_np("full_like"), args[1], args[0])
        if (
            callee(e.func, self.spec.globals) is np.where
            and len(args) == 3
            and not e.keywords
            and all(kind(a).scalar for a in args)
        ):  # np.where of numbers: a conditional expression
            return ast.IfExp(test=args[0], body=args[1], orelse=args[2])
        if (
            isinstance(e.func, ast.Attribute)
            and e.func.attr == "copy"
            and not e.args
            and kind(e.func.value).scalar
        ):
            return e.func.value
        return e


class _Specializer:
    def __init__(self, fdef, arg_kinds, globals_):
        self.fdef = fdef
        self.globals = globals_
        self.arg_kinds = arg_kinds
        self.kinds: dict = {}
        self.kinds_of = None
        self.optional: set[str] = set()

    def refresh(self):
        from .kinds import _Infer

        self.kinds = infer(self.fdef, self.arg_kinds, self.globals)
        self.kinds_of = _Infer(self.globals)
        self.kinds_of.kinds = self.kinds
        self.find_optional()

    def kind(self, e) -> Kind:
        return self.kinds_of.expr(e)

    def may_be_none(self, e) -> bool:
        """Whether ``e`` may be ``None`` when it runs (an adjoint that is zero so far)."""
        if isinstance(e, ast.Constant):
            return e.value is None
        if isinstance(e, ast.Name):
            return e.id in self.optional
        return False

    def find_optional(self):
        """The names that may hold ``None`` when read: set to ``None`` (other than a tape
        variable's start, made a zero), or to a value that may be ``None`` (a helper given
        one, an entry of a tuple or of a tape that recorded one, what an unknown function
        returns)."""
        optional: set[str] = set()
        self.optional_entries = set()  # tapes and stacks that may hold a None
        assigns = [
            n for n in ast.walk(self.fdef) if isinstance(n, ast.Assign) and len(n.targets) == 1
        ]
        pushes = [
            (n.func.value.id, n.args[0])
            for n in ast.walk(self.fdef)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "append"
            and isinstance(n.func.value, ast.Name)
            and len(n.args) == 1
        ]
        while True:
            before = len(optional) + len(self.optional_entries)
            for n in assigns:
                t = n.targets[0]
                if isinstance(t, ast.Subscript):
                    if isinstance(t.value, ast.Name) and self._value_may_be_none(n.value, optional):
                        self.optional_entries.add(t.value.id)
                    continue
                if self._value_may_be_none(n.value, optional):
                    optional.update(_target_names(t))
            for stack, value in pushes:
                if self._value_may_be_none(value, optional):
                    self.optional_entries.add(stack)
            if len(optional) + len(self.optional_entries) == before:
                break
        self.optional = optional

    def _value_may_be_none(self, v, optional) -> bool:
        if isinstance(v, ast.Constant):
            return v.value is None
        if isinstance(v, ast.Name):
            return v.id in optional
        if isinstance(v, ast.IfExp):
            return self._value_may_be_none(v.body, optional) or self._value_may_be_none(
                v.orelse, optional
            )
        if isinstance(v, ast.Subscript):
            base = self.kind(v.value)
            if base.array:
                return False
            if base.tag == "list" and isinstance(v.value, ast.Name):
                return v.value.id in self.optional_entries
            return True  # an entry of a tuple (a callee's adjoints) may be None
        if isinstance(v, ast.Call):
            f = v.func
            if isinstance(f, ast.Attribute) and f.attr == "pop" and isinstance(f.value, ast.Name):
                return f.value.id in self.optional_entries
            if isinstance(f, ast.Attribute) and f.attr == "copy":
                return False
            fn = callee(f, self.globals)
            module = getattr(fn, "__module__", "") or ""
            if module.startswith("pullback"):
                return any(self._value_may_be_none(a, optional) for a in v.args)
            known = module in ("math", "numpy") or isinstance(fn, np.ufunc) or fn in (abs, float)
            return fn is None or not known
        return False

    def same_shape(self, args) -> bool:
        """Two arrays whose shapes are known equal: the same name, or ``x`` and ``x_bar``."""
        a, b = args
        return (
            isinstance(a, ast.Name)
            and isinstance(b, ast.Name)
            and (a.id == b.id or a.id == f"{b.id}_bar")
        )

    # -- statements the helpers stood for ------------------------------------------------
    def statement(self, s):
        """``x_bar = scatter_add(x_bar, x, i, g)`` -> ``x_bar[i] += g``; ``y = write_entry(y,
        i, v)`` -> ``y[i] = v``; ``t = [None] * n`` of numbers -> ``np.empty(n)``."""
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1):
            return s
        t, v = s.targets[0], s.value
        if not isinstance(t, ast.Name):
            return s
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.args:
            fn = callee(v.func, self.globals)
            name = getattr(fn, "__name__", None)
            first = v.args[0]
            owned = isinstance(first, ast.Name) and first.id == t.id
            if any(self.may_be_none(a) for a in v.args):
                return s  # a None (zero) adjoint: the helper handles it
            if name == "scatter_add" and owned and len(v.args) == 4:
                into, index = self.kind(first), v.args[2]
                if into.array and self.int_index(index) and self.kind(v.args[3]).tag != "none":
                    target = ast.Subscript(value=_name(t.id), slice=index, ctx=ast.Store())
                    return ast.copy_location(
                        ast.AugAssign(target=target, op=ast.Add(), value=v.args[3]), s
                    )
            if name == "write_entry" and owned and len(v.args) == 3:
                if self.kind(first).array and self.int_index(v.args[1]):
                    target = ast.Subscript(value=_name(t.id), slice=v.args[1], ctx=ast.Store())
                    return ast.copy_location(ast.Assign(targets=[target], value=v.args[2]), s)
        if (
            isinstance(v, ast.BinOp)
            and isinstance(v.op, ast.Mult)
            and isinstance(v.left, ast.List)
            and len(v.left.elts) == 1
            and isinstance(v.left.elts[0], ast.Constant)
            and v.left.elts[0].value is None
        ):
            entry = self.kinds.get(t.id, UNKNOWN)
            entry = entry.items[0] if entry.tag == "list" else UNKNOWN
            if entry.scalar:
                return ast.copy_location(
                    ast.Assign(targets=[t], value=_call(_np("empty"), v.right, _np(entry.dtype))),
                    s,
                )
        return s

    def int_index(self, index) -> bool:
        """An index of integers only (``i``, ``(i, j)``, a name holding ``(i, j)``)."""
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        kinds = []
        for p in parts:
            k = self.kind(p)
            kinds.extend(k.items if k.tag == "tuple" else [k])
        return all(k.scalar and k.dtype[0] in "iu" for k in kinds)

    def statements(self, body):
        out = []
        for s in body:
            s = self.statement(s)
            if isinstance(s, (ast.For, ast.While, ast.If)):
                s.body = self.statements(s.body) or [ast.Pass()]
                s.orelse = self.statements(s.orelse)
            out.append(s)
        return out

    def none_inits(self):
        """``v = None`` before a loop -> a zero of ``v``'s kind, where nothing asks whether
        ``v`` is None (a compiler wants one type per name)."""
        asked = {
            c.left.id
            for c in ast.walk(self.fdef)
            if isinstance(c, ast.Compare)
            and isinstance(c.left, ast.Name)
            and any(isinstance(op, (ast.Is, ast.IsNot)) for op in c.ops)
        }
        taped = {
            n.targets[0].id
            for n in ast.walk(self.fdef)
            if isinstance(n, ast.Assign)
            and len(n.targets) == 1
            and isinstance(n.targets[0], ast.Name)
            and _is_restore(n, n.targets[0].id)
        }
        for s in self.fdef.body:
            if (
                isinstance(s, ast.Assign)
                and len(s.targets) == 1
                and isinstance(s.targets[0], ast.Name)
                and isinstance(s.value, ast.Constant)
                and s.value.value is None
                and s.targets[0].id not in asked
                and s.targets[0].id in taped  # only pushed before the loop sets it
                and not s.targets[0].id.endswith("_bar")
            ):
                zero = _zero_of(self.kinds.get(s.targets[0].id, UNKNOWN))
                if zero is not None:
                    s.value = zero


def with_modules(globals_: dict) -> dict:
    """``globals_`` with ``np`` and ``math``, which specialized code names (a generated module
    binds them to NumPy and ``math`` where it uses them at all)."""
    for name, module in (("np", np), ("math", math)):
        if globals_.get(name, module) is not module:
            raise PullbackValueError(
                f"the derivative's globals bind {name!r} to {globals_[name]!r}, not the "
                f"{module.__name__} module the specialized code needs; compile=None"
            )
    return {**globals_, "np": np, "math": math}


def specialize(
    fdef: ast.FunctionDef, arg_kinds: dict, globals_: dict, zero_safe: bool = True
) -> ast.FunctionDef:
    """``fdef`` specialized on ``arg_kinds`` (see the module docstring). ``zero_safe=False``
    writes the products ``safe_mul(g, d)`` as plain ``g * d``: the same result wherever that
    result is finite (a 0 * inf the safe product would have zeroed is a NaN that reaches the
    output), for a caller that checks the output and falls back to the safe form."""
    fdef = copy.deepcopy(fdef)
    globals_ = with_modules(globals_)
    spec = _Specializer(fdef, arg_kinds, globals_)
    spec.zero_safe = zero_safe
    spec.refresh()
    spec.none_inits()
    spec.refresh()
    fdef.body = spec.statements(fdef.body)
    helpers = _Helpers(spec)
    for _ in range(3):  # rewriting one helper may make its neighbour's kinds known
        spec.refresh()
        helpers.visit(fdef)
    spec.refresh()
    params = {a.arg for a in fdef.args.args + fdef.args.kwonlyargs}
    fdef.body = in_place(fdef.body, params, spec)
    spec.refresh()
    recompute(fdef, spec)
    _Countdown().visit(fdef)
    params = {a.arg for a in fdef.args.args + fdef.args.kwonlyargs}
    fdef.body = eliminate_dead(fdef.body, params, globals_) or [ast.Pass()]
    ast.fix_missing_locations(fdef)
    return fdef


class _Countdown(ast.NodeTransformer):
    """``reversed(range(a, b))`` as ``range(b - 1, a - 1, -1)``: one loop form for compilers
    (Numba types ``range``, not ``reversed``)."""

    def visit_Call(self, e):
        self.generic_visit(e)
        if not (isinstance(e.func, ast.Name) and e.func.id == "reversed" and len(e.args) == 1):
            return e
        inner = e.args[0]
        if not (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Name)
            and inner.func.id == "range"
            and 1 <= len(inner.args) <= 2
            and not inner.keywords
        ):
            return e
        start, stop = (ast.Constant(0), inner.args[0]) if len(inner.args) == 1 else inner.args
        return ast.Call(
            func=_name("range"),
            args=[_minus_one(stop), _minus_one(start), ast.Constant(-1)],
            keywords=[],
        )


def _minus_one(e) -> ast.expr:
    if isinstance(e, ast.Constant) and isinstance(e.value, int):
        return ast.Constant(e.value - 1)
    if (
        isinstance(e, ast.BinOp)
        and isinstance(e.op, ast.Add)
        and isinstance(e.right, ast.Constant)
        and e.right.value == 1
    ):
        return e.left  # range(i + 1, n) counts down to i
    return ast.BinOp(left=e, op=ast.Sub(), right=ast.Constant(1))
