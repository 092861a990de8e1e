"""ANF: every operation on a line of its own, on names and constants.

In: a desugared ``FunctionDef`` (see ``desugar``), its ``Scope``, the local functions recorded
by ``desugar`` and the module ``Namespace``.
Out: a ``FunctionDef`` in the normalized form every transformation reads:

- statements: ``name = simple``; ``simple`` as an expression statement (a call made for its
  side effect, such as ``print(...)`` or ``values.append(v)``); ``if atom: ... else: ...``;
  ``while atom: ...`` (the condition is computed before the loop and again at the end of the
  body, into the same name); ``for name in range(atoms): ...``; ``raise``; and a final
  ``return atom``.
- an *atom* is a local name, a constant (or a tuple of constants), or a *static reference*:
  a free name or attribute chain that names an object known before running (``np.pi``, a
  global constant, a helper function). ``is_atom`` says which.
- a *simple* expression is an atom, or one operation on atoms: ``a op b``, ``-a``,
  ``not a``, ``a < b``, ``f(a, k=b)`` with ``f`` a static reference or ``atom.method``,
  ``a[index]`` (the index built from atoms and slices of atoms), ``a.attr``, ``(a, b)``,
  ``[a, b]``, ``{k: a}``.

Nested calls, ``a if c else b``, ``and``/``or``, chained comparisons, comprehensions,
generator expressions in ``sum``/``max``/``min``, ndarray methods and attributes registered
in the rule table (``x.sum()``, ``x.T``) and calls of nested functions (inlined) are lowered
here. Temporaries are named after what they hold (``x_times_y``, ``sin_x``, ``xs_t``).
Every statement keeps the source location of the user statement it came from.
"""

from __future__ import annotations

import ast
import builtins
import copy
import sys
import types

from ...rules import registry
from ...runtime import arrays as runtime_arrays
from ...runtime import indexing
from ..common.diagnostics import unsupported
from ..common.naming import Namer, describe
from ..common.syntax import assign, call, loc, name, static_name
from .desugar import Desugarer
from .exits import ExitLowering
from .namespace import Namespace, generated_target, value_of
from .resolve import MISSING, Scope, is_data, local_names, receiver_kind

# attributes of an array that carry no derivative; any other attribute read (``p.w`` of a
# dataclass or namedtuple, ``r.logabsdet`` of NumPy's named results) carries its field's
NONDIFF_ATTRS = frozenset({"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"})
_PLAIN_METHODS = {
    "append",
    "copy",
    "keys",
    "values",
    "items",
    "astype",
    "item",
    "get",
    "index",
    "count",
}


def is_static(e: ast.expr) -> bool:
    return getattr(e, "_static", False)


def mark_static(e: ast.expr) -> ast.expr:
    e._static = True
    return e


def is_atom(e: ast.expr) -> bool:
    if isinstance(e, (ast.Name, ast.Constant)):
        return True
    if isinstance(e, ast.Tuple) and all(isinstance(x, ast.Constant) for x in e.elts):
        return True
    return is_static(e)


class _Sym:
    """A stand-in for a value, passed to a method adapter to read how it rewrites a call."""

    def __init__(self, node):
        self.node = node


class ANF:
    def __init__(
        self,
        scope: Scope,
        src,
        namer: Namer,
        ns: Namespace,
        desugarer: Desugarer,
        owners: dict | None = None,
    ):
        self.scope = scope
        self.src = src
        self.namer = namer
        self.ns = ns
        self.d = desugarer
        self.local_functions = desugarer.local_functions
        self.inlining: list[str] = []
        self.shadowed: set[str] = set(scope.locals)
        self.reads_at_call: dict[str, ast.expr] = {}
        self.owners = owners if owners is not None else {}  # id(function) -> its class
        self.receiver: tuple[str, str] | None = None  # ("self", "instance") in a method
        # a local name holding a function: a nested function's name, or a static reference
        self.functions: dict[str, str | ast.expr] = {}
        self.packed: dict[str, int | list[str]] = {}  # *args length, **kwargs keys (inlined)

    # -- statements ------------------------------------------------------------------------
    def function(self, node: ast.FunctionDef) -> ast.FunctionDef:
        self.shadowed |= local_names(node)
        self.receiver = _receiver(node, self.scope)
        body = self.block(node.body)
        body = [assign(v, e, node) for v, e in self.reads_at_call.items()] + body
        out = ast.FunctionDef(
            name=node.name,
            args=node.args,
            body=body,
            decorator_list=[],
            returns=None,
            type_comment=None,
        )
        return ast.copy_location(out, node)

    def block(self, stmts):
        out = []
        for s in stmts:
            self.at = s
            out.extend(self.stmt(s))
        return out

    def stmt(self, s):
        if isinstance(s, ast.Assign):
            target = s.targets[0].id
            pre, simple = self.simple(s.value, hint=target)
            if self.alias(target, simple):
                return pre
            return pre + [assign(target, simple, s)]
        if isinstance(s, ast.Expr):
            pre, simple = self.simple(s.value)
            if is_atom(simple):
                return pre
            return pre + [loc(ast.Expr(value=simple), s)]
        if isinstance(s, ast.If):
            pre, test = self.atom(s.test)
            if isinstance(test, ast.Constant):
                return pre + self.block(s.body if test.value else s.orelse)
            body = self.block(s.body) or [loc(ast.Pass(), s)]
            orelse = self.block(s.orelse)
            return pre + [loc(ast.If(test=test, body=body, orelse=orelse), s)]
        if isinstance(s, ast.While):
            cond = self.namer.fresh(
                describe(s.test) if not isinstance(s.test, ast.BoolOp) else "more"
            )
            pre, value = self.simple(s.test, hint=cond)
            compute = pre + [assign(cond, value, s)]
            body = self.block(s.body)
            again = copy.deepcopy(compute)
            return compute + [loc(ast.While(test=name(cond), body=body + again, orelse=[]), s)]
        if isinstance(s, ast.For):
            it = s.iter
            pre = []
            args = []
            assigned = {
                n.id
                for st in s.body
                for n in ast.walk(st)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
            for a in it.args:
                p, at = self.atom(a)
                pre += p
                if isinstance(at, ast.Name) and at.id in assigned:
                    keep = self.namer.fresh(at.id + "_at_entry")
                    pre.append(assign(keep, at, s))
                    at = name(keep)
                args.append(at)
            rng = loc(ast.Call(func=self.builtin_ref("range"), args=args, keywords=[]), s)
            body = self.block(s.body) or [loc(ast.Pass(), s)]
            return pre + [loc(ast.For(target=s.target, iter=rng, body=body, orelse=[]), s)]
        if isinstance(s, ast.Return):
            pre, a = self.atom(
                s.value if s.value is not None else ast.Constant(None), hint="result"
            )
            return pre + [loc(ast.Return(value=a), s)]
        if isinstance(s, ast.Raise):  # kept as written: the free names it uses must resolve
            for part in (s.exc, s.cause):
                for n in ast.walk(part) if part is not None else ():
                    if isinstance(n, ast.Name) and n.id not in self.shadowed:
                        value = self.scope.lookup(n.id)
                        if value is not MISSING:
                            self.ns.bind_user(n.id, value)
            return [s]
        if isinstance(s, (ast.Break, ast.Continue)):
            return [s]
        if isinstance(s, ast.Pass):
            return []
        if isinstance(s, ast.With):
            from . import surgery  # a grad_of block: its body normalized like any block

            return surgery.anf(self, s)
        raise unsupported(s, self.src, f"{type(s).__name__} is not supported here")

    def builtin_ref(self, fn_name):
        return self.ns.ref(getattr(builtins, fn_name))

    # -- expressions -----------------------------------------------------------------------
    def atom(self, e, hint=None):
        pre, simple = self.simple(e, hint)
        if is_atom(simple):
            self.refuse_local_function_value(simple, e)
            return pre, simple
        var = self.namer.fresh(describe(simple))
        self.shadowed.add(var)  # a local, should its statements be normalized again (fold)
        return pre + [assign(var, simple, self.at)], name(var)

    def atoms(self, exprs):
        pre, out = [], []
        for e in exprs:
            p, a = self.atom(e)
            pre += p
            out.append(a)
        return pre, out

    def static(self, e):
        """The object a free name/attribute chain names, or MISSING."""
        return self.scope.static_value(e, self.shadowed)

    def simple(self, e, hint=None):
        """(statements, simple expression) computing ``e``."""
        method = getattr(self, f"expr_{type(e).__name__}", None)
        if method is None:
            raise unsupported(e, self.src, f"the expression {ast.unparse(e)!r} is not supported")
        return method(e, hint)

    def expr_Name(self, e, hint):
        if is_static(e):
            return [], e
        if e.id in self.shadowed:
            return [], name(e.id)
        value = self.scope.lookup(e.id)
        if value is MISSING:
            raise unsupported(e, self.src, f"name {e.id!r} is not defined")
        if is_data(value) and not self.scope.generated:
            return [], name(self.read_at_call(e.id))
        self.ns.bind_user(e.id, value)
        self.ns.guard(self.scope.home(e.id), value)
        return [], mark_static(name(e.id))

    def read_at_call(self, v: str) -> str:
        """A global or closure variable holding data: a local read when the derivative starts
        (``X = module.X``, ``scale = scale_cell.cell_contents``), so rebinding it is seen."""
        if v not in self.reads_at_call:
            holder, key = self.scope.home(v)
            if key is None:
                cell = self.ns.bind(f"{v}_cell", holder)
                read = ast.Attribute(value=static_name(cell), attr="cell_contents", ctx=ast.Load())
            else:
                module = _module_with_globals(holder, self.scope.fn)
                if module is not None:
                    base = self.ns.bind(
                        module.__name__.rpartition(".")[2].strip("_") or "module", module
                    )
                    read = ast.Attribute(value=static_name(base), attr=v, ctx=ast.Load())
                else:
                    base = self.ns.bind(f"{self.scope.fn.__name__}_globals", holder)
                    read = ast.Subscript(
                        value=static_name(base), slice=ast.Constant(v), ctx=ast.Load()
                    )
            self.reads_at_call[v] = read
            self.shadowed.add(v)
        return v

    def expr_Constant(self, e, hint):
        return [], e

    def expr_Attribute(self, e, hint):
        attr = self.receiver_attribute(e)
        if (
            isinstance(attr, property) and attr.fget is not None and self.is_receiver(e.value)
        ):  # self.prop: its getter, called
            getter = mark_static(self.ns.ref(attr.fget))
            self.owners.setdefault(id(attr.fget), self.scope.owner)
            return self.simple(
                loc(ast.Call(func=getter, args=[name(e.value.id)], keywords=[]), e), hint
            )
        value = self.static(e)
        if value is not MISSING:
            root = e
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name):
                root_value = self.scope.lookup(root.id)
                self.ns.bind_user(root.id, root_value)
                self.ns.guard(self.scope.home(root.id), root_value)
            node = ast.Attribute(value=self._static_copy(e.value), attr=e.attr, ctx=ast.Load())
            if is_data(value) and not self.scope.generated and not _library_constant(e, self.scope):
                return [], loc(node, e)  # a user module's or class's data: read when run
            return [], mark_static(loc(node, e))
        pre, obj = self.atom(e.value)
        if e.attr not in NONDIFF_ATTRS:
            method = registry.lookup_method(e.attr)
            if method is not None and method.attribute:
                out = self.adapt(method, obj, [], [], e)
                if out is not None:
                    p, simple = out
                    return pre + p, simple
        return pre, loc(ast.Attribute(value=obj, attr=e.attr, ctx=ast.Load()), e)

    def _static_copy(self, e):
        node = copy.deepcopy(e)
        return mark_static(node)

    def expr_BinOp(self, e, hint):
        pre, (a, b) = self.atoms([e.left, e.right])
        return pre, loc(ast.BinOp(left=a, op=e.op, right=b), e)

    def expr_UnaryOp(self, e, hint):
        if (
            isinstance(e.op, ast.USub)
            and isinstance(e.operand, ast.Constant)
            and isinstance(e.operand.value, (int, float))
        ):
            return [], loc(ast.Constant(-e.operand.value), e)
        if isinstance(e.op, ast.UAdd):
            return self.simple(e.operand, hint)
        pre, a = self.atom(e.operand)
        return pre, loc(ast.UnaryOp(op=e.op, operand=a), e)

    def expr_Compare(self, e, hint):
        if len(e.ops) == 1:
            pre, (a, b) = self.atoms([e.left, e.comparators[0]])
            return pre, loc(ast.Compare(left=a, ops=e.ops, comparators=[b]), e)
        # a < b < c: evaluate b once, stop early like Python
        var = self.namer.fresh(hint or "in_order")
        pre, left = self.atom(e.left)
        first = True
        stmts: list = []
        body_stack = stmts
        for op, right in zip(e.ops, e.comparators, strict=False):
            p, r = self.atom(right)
            body_stack.extend(p)
            body_stack.append(assign(var, ast.Compare(left=left, ops=[op], comparators=[r]), e))
            left = r
            if op is not e.ops[-1] or first:
                nxt: list = []
                body_stack.append(loc(ast.If(test=name(var), body=nxt, orelse=[]), e))
                body_stack = nxt
            first = False
        _prune_empty_ifs(stmts)
        return pre + stmts, name(var)

    def expr_BoolOp(self, e, hint):
        var = self.namer.fresh(hint or ("both" if isinstance(e.op, ast.And) else "either"))
        stmts: list = []
        holder = stmts
        for k, value in enumerate(e.values):
            p, s = self.simple(value, hint=var)
            holder.extend(p)
            holder.append(assign(var, s, e))
            if k < len(e.values) - 1:
                nxt: list = []
                if isinstance(e.op, ast.And):
                    holder.append(loc(ast.If(test=name(var), body=nxt, orelse=[]), e))
                else:
                    holder.append(
                        loc(ast.If(test=name(var), body=[loc(ast.Pass(), e)], orelse=nxt), e)
                    )
                holder = nxt
        return stmts, name(var)

    def expr_IfExp(self, e, hint):
        var = self.namer.fresh(hint or "chosen")
        pre, test = self.atom(e.test)
        p1, s1 = self.simple(e.body, hint=var)
        p2, s2 = self.simple(e.orelse, hint=var)
        node = ast.If(test=test, body=p1 + [assign(var, s1, e)], orelse=p2 + [assign(var, s2, e)])
        return pre + [loc(node, e)], name(var)

    def expr_Tuple(self, e, hint):
        pre, elts = self.atoms(e.elts)
        return pre, loc(ast.Tuple(elts=elts, ctx=ast.Load()), e)

    def expr_List(self, e, hint):
        pre, elts = self.atoms(e.elts)
        return pre, loc(ast.List(elts=elts, ctx=ast.Load()), e)

    def expr_Dict(self, e, hint):
        if any(k is None for k in e.keys):
            raise unsupported(e, self.src, "dict unpacking {**d} is not supported")
        pre, keys = self.atoms(e.keys)
        p2, values = self.atoms(e.values)
        return pre + p2, loc(ast.Dict(keys=keys, values=values), e)

    def concatenation(self, e: ast.Subscript) -> ast.expr | None:
        """``np.r_[a, b, ...]`` and ``np.c_[...]`` of arrays and numbers as the calls they stand
        for: ``np.concatenate`` of the parts (made 1-D, or columns), so the parts keep their
        derivatives. With ranges (``np.r_[0:3]``) or a string directive they are left as they
        are when every part is a constant (index arithmetic), and refused otherwise."""
        import numpy as np

        target = self.static(e.value)
        if target is MISSING or not isinstance(target, type(np.r_).__mro__[1]):  # AxisConcatenator
            return None
        kind = {id(np.r_): "r_", id(np.c_): "c_"}.get(id(target))
        parts = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
        special = [
            p
            for p in parts
            if isinstance(p, (ast.Slice, ast.Starred))
            or (isinstance(p, ast.Constant) and isinstance(p.value, str))
        ]
        if kind is not None and not special:
            shape = self.ns.ref(np.atleast_1d if kind == "r_" else runtime_arrays.as_column)
            pieces = [call(mark_static(copy.deepcopy(shape)), p) for p in parts]
            joined = ast.Call(
                func=mark_static(self.ns.ref(np.concatenate)),
                args=[ast.List(elts=pieces, ctx=ast.Load())],
                keywords=[ast.keyword(arg="axis", value=ast.Constant(0 if kind == "r_" else -1))],
            )
            return loc(joined, e)
        constant = (ast.Slice, ast.Constant, ast.UnaryOp)
        if all(isinstance(p, constant) for p in parts):
            return None
        raise unsupported(
            e,
            self.src,
            f"{ast.unparse(e.value)}[...] with ranges, a string directive or a computed value "
            "is not differentiated",
            hint="build the array with np.concatenate, np.stack or np.column_stack, whose "
            "derivatives are known",
        )

    def expr_JoinedStr(self, e, hint):
        """An f-string: each formatted expression computed first, as an atom, so the names it
        reads (``np`` in ``f"{np.tanh(x)}"``) resolve like any other; never differentiated."""
        pre, values = [], []
        for part in e.values:
            if isinstance(part, ast.FormattedValue):
                p, atom = self.atom(part.value)
                spec = part.format_spec
                if spec is not None:
                    p2, spec = self.expr_JoinedStr(spec, None)
                    p = p + p2
                pre += p
                part = ast.FormattedValue(value=atom, conversion=part.conversion, format_spec=spec)
            values.append(part)
        return pre, loc(ast.JoinedStr(values=values), e)

    def expr_Subscript(self, e, hint):
        joined = self.concatenation(e)
        if joined is not None:
            return self.simple(joined, hint)
        pre, value = self.atom(e.value)
        p2, index = self.index(e.slice)
        return pre + p2, loc(ast.Subscript(value=value, slice=index, ctx=ast.Load()), e)

    def index(self, sl):
        if isinstance(sl, ast.Slice):
            pre, parts = [], []
            for part in (sl.lower, sl.upper, sl.step):
                if part is None:
                    parts.append(None)
                else:
                    p, a = self.atom(part)
                    pre += p
                    parts.append(a)
            return pre, ast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(sl, ast.Tuple):
            pre, elts = [], []
            for x in sl.elts:
                p, a = self.index(x)
                pre += p
                elts.append(a)
            return pre, ast.Tuple(elts=elts, ctx=ast.Load())
        return self.atom(sl)

    def expr_Lambda(self, e, hint):
        raise unsupported(
            e,
            self.src,
            "a lambda can only be assigned to a name and called",
            "define it with def, or assign it: sq = lambda v: v * v",
        )

    def expr_ListComp(self, e, hint):
        var = self.namer.fresh(hint or "values")
        stmts = [assign(var, ast.List(elts=[], ctx=ast.Load()), e)]
        append = ast.Expr(
            value=call(ast.Attribute(value=name(var), attr="append", ctx=ast.Load()), e.elt)
        )
        stmts += self.comprehension_loops(e, [loc(append, e)])
        return self.block_in_place(stmts), name(var)

    expr_GeneratorExp = expr_ListComp

    def comprehension_loops(self, e, inner):
        renames = {}
        for gen in e.generators:
            for n in ast.walk(gen.target):
                if isinstance(n, ast.Name):
                    renames[n.id] = self.namer.fresh(n.id)
        body = inner
        for gen in reversed(e.generators):
            for cond in reversed(gen.ifs):
                body = [loc(ast.If(test=cond, body=body, orelse=[]), e)]
            body = [loc(ast.For(target=gen.target, iter=gen.iter, body=body, orelse=[]), e)]
        out = [_rename(s, renames) for s in body]
        # the first iterable is evaluated in the enclosing scope: undo its renaming
        out[0].iter = e.generators[0].iter
        for new in renames.values():
            self.shadowed.add(new)
        return out

    def block_in_place(self, stmts):
        saved = self.at
        lowered = self.d.block(stmts)
        bind_helpers(self.ns, self.d)
        self.shadowed |= {
            n.id
            for s in lowered
            for n in ast.walk(s)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        out = self.block(lowered)
        self.at = saved
        return out

    # -- calls -----------------------------------------------------------------------------
    def alias(self, target: str, simple) -> bool:
        """``g = make(3.0)``, ``h = g``, ``f = np.sin``: remember that ``target`` names a
        function (so that ``target(x)`` is inlined or called) instead of assigning it."""
        fn = self.function_named(simple)
        if fn is None:
            self.functions.pop(target, None)
            return False
        self.functions[target] = fn
        return True

    def function_named(self, e):
        """The nested function's name or the static reference that ``e`` names, or None."""
        if isinstance(e, ast.Name) and not is_static(e):
            if e.id in self.functions:
                return self.functions[e.id]
            if e.id in self.local_functions and e.id in self.shadowed:
                return e.id
            return None
        if is_static(e) and callable(value_of(self.ns, e)):
            return e
        return None

    def unpacked(self, e: ast.Call) -> ast.Call:
        """``f(*args, **kwargs)`` with ``args``/``kwargs`` a nested function's packed parameters
        (a tuple or dict of known size) as ``f(args[0], args[1], k=kwargs["k"])``."""
        if not any(isinstance(a, ast.Starred) for a in e.args) and all(
            k.arg is not None for k in e.keywords
        ):
            return e
        args, keywords = [], []
        for a in e.args:
            if isinstance(a, ast.Starred):
                n = self.packed.get(getattr(a.value, "id", None))
                if not isinstance(n, int):
                    raise unsupported(
                        a,
                        self.src,
                        "star-arguments f(*args) are supported only "
                        "for the *args of a nested function",
                        "pass the arguments one by one",
                    )
                args += [
                    ast.Subscript(value=name(a.value.id), slice=ast.Constant(i), ctx=ast.Load())
                    for i in range(n)
                ]
            else:
                args.append(a)
        for k in e.keywords:
            if k.arg is None:
                keys = self.packed.get(getattr(k.value, "id", None))
                if not isinstance(keys, list):
                    raise unsupported(
                        k.value,
                        self.src,
                        "keyword unpacking f(**kwargs) is "
                        "supported only for the **kwargs of a nested function",
                        "pass the keywords one by one",
                    )
                keywords += [
                    ast.keyword(
                        arg=key,
                        value=ast.Subscript(
                            value=name(k.value.id), slice=ast.Constant(key), ctx=ast.Load()
                        ),
                    )
                    for key in keys
                ]
            else:
                keywords.append(k)
        return loc(ast.Call(func=e.func, args=args, keywords=keywords), e)

    def expr_Call(self, e, hint):
        e = self.unpacked(e)
        func = e.func
        if isinstance(func, ast.Name) and func.id in self.functions:
            fn = self.functions[func.id]
            if isinstance(fn, str):
                return self.inline(self.local_functions[fn], e, hint)
            e = loc(ast.Call(func=copy.deepcopy(fn), args=e.args, keywords=e.keywords), e)
            func = e.func
        if (
            isinstance(func, ast.Name)
            and func.id in self.local_functions
            and func.id in self.shadowed
        ):
            return self.inline(self.local_functions[func.id], e, hint)
        as_function = self.method_call(e)
        if as_function is not None:
            return self.simple(as_function, hint)
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("values", "items")
            and not e.args
            and not e.keywords
            and self.static(func) is MISSING
        ):
            return self.dict_view(e, hint)
        target = value_of(self.ns, func) if is_static(func) else self.static(func)
        if target is not MISSING:
            special = self.builtin_call(target, e, hint)
            if special is not None:
                return special
            self.refuse_local_function_arguments(e)
            p_func, fnode = self.simple(func)
            pre, args = self.atoms(e.args)
            kws = []
            for k in e.keywords:
                p, a = self.atom(k.value)
                pre += p
                kws.append(ast.keyword(arg=k.arg, value=a))
            return p_func + pre, loc(ast.Call(func=fnode, args=args, keywords=kws), e)
        if isinstance(func, ast.Attribute):
            pre, obj = self.atom(func.value)
            p2, args = self.atoms(e.args)
            kws = []
            for k in e.keywords:
                p, a = self.atom(k.value)
                p2 += p
                kws.append(ast.keyword(arg=k.arg, value=a))
            if func.attr not in _PLAIN_METHODS:
                method = registry.lookup_method(func.attr)
                if method is not None and not method.attribute:
                    out = self.adapt(method, obj, args, kws, e)
                    if out is not None:
                        p3, simple = out
                        return pre + p2 + p3, simple
            node = ast.Call(
                func=ast.Attribute(value=obj, attr=func.attr, ctx=ast.Load()),
                args=args,
                keywords=kws,
            )
            return pre + p2, loc(node, e)
        code = getattr(self.scope.fn, "__code__", None)
        params = (
            set(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
            if code is not None
            else set()
        )
        if isinstance(func, ast.Name) and func.id in params:
            fname = getattr(self.scope.fn, "__name__", "f")
            error = unsupported(
                e,
                self.src,
                f"cannot tell what {func.id!r} calls before running: it is a "
                f"parameter of {fname}, and the function passed in is known only at the call",
                f"pass a module-level function (or NumPy's) for {func.id!r}, or fix it first: "
                f"pb.grad(lambda w: {fname}(my_function, w))",
            )
            error.function_parameter = func.id  # grad builds per function passed: see source
            raise error
        raise unsupported(
            e,
            self.src,
            f"cannot tell what {ast.unparse(func)!r} calls before running",
            "call a function by its name",
        )

    def refuse_local_function_value(self, simple, e) -> None:
        """A nested def used as a value (returned, put in a tuple or list): it is inlined where
        this function calls it, so the generated code holds no function to return."""
        named = self.function_named(simple) if isinstance(simple, ast.Name) else None
        if isinstance(named, str):
            shown = self.local_functions[named].name if named in self.local_functions else named
            raise unsupported(
                e,
                self.src,
                f"the nested function {shown!r} is used as a value (returned or stored): "
                "source mode inlines a nested function where it is called, so there is no "
                "function object to pass on",
                "call it in the function that defines it, or define it at module level with "
                "what it captures as parameters (a class with a __call__ method works too)",
            )

    def refuse_local_function_arguments(self, e: ast.Call) -> None:
        """A nested def or lambda passed to a module-level function: it is inlined where this
        function calls it, so it is no value the callee could call."""
        for a in [*e.args, *(k.value for k in e.keywords)]:
            named = self.function_named(a) if isinstance(a, ast.Name) else None
            if isinstance(named, str):
                raise unsupported(
                    a,
                    self.src,
                    f"the nested function {a.id!r} is passed to "
                    f"{ast.unparse(e.func)!r}: source mode passes module-level functions "
                    "(and NumPy's) to other functions, not nested ones",
                    f"define {a.id!r} at module level (its free values as extra parameters), "
                    f"or nest {ast.unparse(e.func)!r} in this function too",
                )

    def dict_view(self, e: ast.Call, hint):
        """``d.values()`` / ``d.items()`` as a list built by position over ``d``'s keys, so
        ``sum(d.values())``, ``max(...)`` and ``list(...)`` see a differentiable list."""
        pre, obj = self.atom(e.func.value)
        key = self.namer.fresh("key")
        keys = call(
            mark_static(self.builtin_ref("list")),
            call(ast.Attribute(value=copy.deepcopy(obj), attr="keys", ctx=ast.Load())),
        )
        value = ast.Subscript(value=copy.deepcopy(obj), slice=name(key), ctx=ast.Load())
        if e.func.attr == "items":
            value = ast.Tuple(elts=[name(key), value], ctx=ast.Load())
        comp = ast.ListComp(
            elt=value,
            generators=[
                ast.comprehension(target=name(key, ast.Store()), iter=keys, ifs=[], is_async=0)
            ],
        )
        p2, simple = self.simple(loc(comp, e), hint or "values")
        return pre + p2, simple

    def receiver_attribute(self, e):
        """What ``self.name`` names in the class of a method's receiver (a function, a
        property, a staticmethod ...), or None where it is not a class attribute."""
        if (
            self.receiver is None
            or not isinstance(e, ast.Attribute)
            or not (self.is_receiver(e.value) or self.is_receiver_class(e.value))
        ):
            return None
        return _class_attribute(self.scope.owner, e.attr)

    def is_receiver(self, e) -> bool:
        return isinstance(e, ast.Name) and e.id == self.receiver[0] and not is_static(e)

    def is_receiver_class(self, e) -> bool:
        """``type(self)`` in a method."""
        return (
            isinstance(e, ast.Call)
            and len(e.args) == 1
            and not e.keywords
            and self.receiver[1] == "instance"
            and self.is_receiver(e.args[0])
            and self.static(e.func) is builtins.type
        )

    def method_call(self, e):
        """``self.m(a)`` in a method, or ``obj.m(a)`` with ``obj.m`` a bound method known before
        running (``Model.create(a)``, a global ``model.predict(a)``), as a call of the function
        behind the method (``m(self, a)``), which is then differentiated like any other."""
        func = e.func
        if not isinstance(func, ast.Attribute):
            return self.bound_method_call(e)
        attr = self.receiver_attribute(func)
        if attr is not None:
            owner = self.scope.owner
            if isinstance(attr, staticmethod):
                fn, first = attr.__func__, []
            elif isinstance(attr, classmethod):
                fn, first = attr.__func__, [mark_static(self.ns.ref(owner))]
            elif isinstance(attr, types.FunctionType):
                fn = attr
                on_instance = self.receiver[1] == "instance" and self.is_receiver(func.value)
                first = [name(func.value.id)] if on_instance else []
            else:
                return None
        elif (
            isinstance(func.value, ast.Name)
            and not is_static(func.value)
            and func.value.id not in self.shadowed
            and not isinstance(self.scope.lookup(func.value.id), (type, types.ModuleType))
            and is_data(self.scope.lookup(func.value.id))
        ):
            # a method of a global or captured object (model.predict(x)), read when running
            owner = type(self.scope.lookup(func.value.id))
            attr = _class_attribute(owner, func.attr)
            if isinstance(attr, staticmethod):
                fn, first = attr.__func__, []
            elif isinstance(attr, classmethod):
                fn, first = attr.__func__, [mark_static(self.ns.ref(owner))]
            elif isinstance(attr, types.FunctionType):
                fn, first = attr, [copy.deepcopy(func.value)]
            else:
                return None
        else:
            bound = value_of(self.ns, func) if is_static(func) else self.static(func)
            if not isinstance(bound, types.MethodType) or not isinstance(
                bound.__func__, types.FunctionType
            ):
                return None
            fn = bound.__func__
            owner = bound.__self__ if isinstance(bound.__self__, type) else type(bound.__self__)
            first = [copy.deepcopy(func.value)]
        if not isinstance(fn, types.FunctionType):
            return None
        self.owners.setdefault(id(fn), owner)
        fnode = mark_static(self.ns.ref(fn))
        return loc(ast.Call(func=fnode, args=first + list(e.args), keywords=list(e.keywords)), e)

    def bound_method_call(self, e):
        """``m(a)`` where the name ``m`` holds a bound method (``m = model.loss``, or the
        derivative ``pb.grad(model.loss)``), as ``function(receiver, a)``."""
        bound = value_of(self.ns, e.func) if is_static(e.func) else self.static(e.func)
        bound = generated_target(bound)
        if not isinstance(bound, types.MethodType) or not isinstance(
            bound.__func__, types.FunctionType
        ):
            return None
        receiver = bound.__self__
        owner = receiver if isinstance(receiver, type) else type(receiver)
        self.owners.setdefault(id(bound.__func__), owner)
        first = [mark_static(self.ns.ref(receiver))]
        fnode = mark_static(self.ns.ref(bound.__func__))
        return loc(ast.Call(func=fnode, args=first + list(e.args), keywords=list(e.keywords)), e)

    def adapt(self, method, obj, args, kws, at):
        """Rewrite ``obj.method(args)`` with the rule table's adapter as a function call."""
        try:
            fn, new_args, new_kwargs = method.adapt(
                _Sym(obj), *[_Sym(a) for a in args], **{k.arg: _Sym(k.value) for k in kws}
            )
        except Exception:
            return None
        pre = []
        out_args = []
        for a in new_args:
            p, node = self._from_adapter(a)
            if node is None:
                return None
            pre += p
            out_args.append(node)
        out_kws = []
        for k, v in (new_kwargs or {}).items():
            p, node = self._from_adapter(v)
            if node is None:
                return None
            pre += p
            out_kws.append(ast.keyword(arg=k, value=node))
        fnode = mark_static(self.ns.ref(fn))
        return pre, loc(ast.Call(func=fnode, args=out_args, keywords=out_kws), at)

    def _from_adapter(self, v):
        if isinstance(v, _Sym):
            return [], v.node
        if v is None or isinstance(v, (bool, int, float, str)):
            return [], ast.Constant(v)
        if isinstance(v, (tuple, list)):
            pre, elts = [], []
            for x in v:
                p, node = self._from_adapter(x)
                if node is None:
                    return [], None
                pre += p
                elts.append(node)
            if all(isinstance(x, ast.Constant) for x in elts) and isinstance(v, tuple):
                return pre, ast.Tuple(elts=elts, ctx=ast.Load())
            kind = ast.Tuple if isinstance(v, tuple) else ast.List
            var = self.namer.fresh("shape" if isinstance(v, tuple) else "values")
            return pre + [assign(var, kind(elts=elts, ctx=ast.Load()), self.at)], name(var)
        return [], None

    def builtin_call(self, target, e, hint):
        """sum/max/min over generators and lists, two-argument max/min: lowered to loops."""
        if target not in (builtins.sum, builtins.max, builtins.min) or e.keywords:
            return None
        args = e.args
        if len(args) == 2 and target in (builtins.max, builtins.min):
            var = self.namer.fresh(hint or target.__name__)
            pre, (a, b) = self.atoms(args)
            better = ast.Gt() if target is builtins.max else ast.Lt()
            test = self.namer.fresh(describe(ast.Compare(left=b, ops=[better], comparators=[a])))
            stmts = pre + [
                assign(test, ast.Compare(left=b, ops=[better], comparators=[a]), e),
                loc(
                    ast.If(test=name(test), body=[assign(var, b, e)], orelse=[assign(var, a, e)]), e
                ),
            ]
            return stmts, name(var)
        if len(args) not in (1, 2) or (len(args) == 2 and target is not builtins.sum):
            return None
        source = args[0]
        if isinstance(source, (ast.GeneratorExp, ast.ListComp)):
            if target is builtins.sum:
                var = self.namer.fresh(hint or "total")
                start = args[1] if len(args) == 2 else ast.Constant(0)
                add = assign(var, ast.BinOp(left=name(var), op=ast.Add(), right=source.elt), e)
                stmts = [assign(var, start, e)] + self.comprehension_loops(source, [add])
                return self.block_in_place(stmts), name(var)
            pre, seq = self.atom(source, hint="values")
        else:
            pre, seq = self.atom(source, hint="values")
        return self.fold(target, seq, args[1] if len(args) == 2 else None, e, hint, pre)

    def fold(self, target, seq, start, e, hint, pre):
        var = self.namer.fresh(hint or target.__name__)
        i = self.namer.fresh("i")
        self.shadowed.update({var, i})
        seq_i = ast.Subscript(value=seq, slice=name(i), ctx=ast.Load())
        length = call(self.builtin_ref("len"), seq)
        if target is builtins.sum:
            init = assign(var, start or ast.Constant(0), e)
            body = [assign(var, ast.BinOp(left=name(var), op=ast.Add(), right=seq_i), e)]
            rng = call(self.builtin_ref("range"), length)
        else:
            init = assign(var, ast.Subscript(value=seq, slice=ast.Constant(0), ctx=ast.Load()), e)
            better = ast.Gt() if target is builtins.max else ast.Lt()
            body = [
                loc(
                    ast.If(
                        test=ast.Compare(
                            left=copy.deepcopy(seq_i), ops=[better], comparators=[name(var)]
                        ),
                        body=[assign(var, seq_i, e)],
                        orelse=[],
                    ),
                    e,
                )
            ]
            rng = call(self.builtin_ref("range"), ast.Constant(1), length)
        loop = loc(ast.For(target=name(i, ast.Store()), iter=rng, body=body, orelse=[]), e)
        return pre + self.block([init, loop]), name(var)

    def inline(self, fdef: ast.FunctionDef, e: ast.Call, hint):
        if fdef.name in self.inlining:
            raise unsupported(
                e,
                self.src,
                f"the nested function {fdef.name!r} calls itself; "
                "recursion is supported for module-level functions only",
                "define the function at module level",
            )
        params = [a.arg for a in [*fdef.args.posonlyargs, *fdef.args.args]]
        kwonly = [a.arg for a in fdef.args.kwonlyargs]
        vararg = fdef.args.vararg.arg if fdef.args.vararg else None
        kwarg = fdef.args.kwarg.arg if fdef.args.kwarg else None
        if len(e.args) > len(params) and vararg is None:
            raise unsupported(e, self.src, f"too many arguments for {fdef.name}()")
        given = dict(zip(params, e.args, strict=False))
        extra_keywords = []
        for k in e.keywords:
            if k.arg in params or k.arg in kwonly:
                given[k.arg] = k.value
            elif kwarg is not None:
                extra_keywords.append(k)
            else:
                raise unsupported(e, self.src, f"{fdef.name}() has no parameter {k.arg!r}")
        first_default = len(params) - len(fdef.args.defaults)
        defaults = dict(zip(params[first_default:], fdef.args.defaults, strict=True))
        defaults.update(
            {k: d for k, d in zip(kwonly, fdef.args.kw_defaults, strict=True) if d is not None}
        )
        renames = {n: self.namer.fresh(n) for n in local_names(fdef)}
        pre = []
        for p in params + kwonly:
            value = given.get(p, defaults.get(p))
            if value is None:
                raise unsupported(e, self.src, f"missing argument {p!r} for {fdef.name}()")
            p_stmts, simple = self.simple(value, hint=renames[p])
            pre += p_stmts
            if not self.alias(renames[p], simple):  # a function argument: its name
                pre.append(assign(renames[p], simple, e))
        if vararg is not None:  # *args: a tuple of known length
            p_stmts, extra = self.atoms(e.args[len(params) :])
            pre += p_stmts + [assign(renames[vararg], ast.Tuple(elts=extra, ctx=ast.Load()), e)]
            self.packed[renames[vararg]] = len(extra)
        if kwarg is not None:  # **kwargs: a dict of known keys
            p_stmts, values = self.atoms([k.value for k in extra_keywords])
            keys = [ast.Constant(k.arg) for k in extra_keywords]
            pre += p_stmts + [assign(renames[kwarg], ast.Dict(keys=keys, values=values), e)]
            self.packed[renames[kwarg]] = [k.arg for k in extra_keywords]
        body = [_rename(copy.deepcopy(s), renames) for s in fdef.body]
        for s in body:  # nested definitions get fresh names too, per call
            for n in ast.walk(s):
                if isinstance(n, ast.FunctionDef) and n.name in renames:
                    n.name = renames[n.name]
        inner = Desugarer(self.scope, self.src, self.namer)
        inner.local_functions = self.local_functions
        lowered_fn = ast.FunctionDef(
            name=fdef.name,
            args=fdef.args,
            body=inner.block(body),
            decorator_list=[],
            returns=None,
            type_comment=None,
        )
        self.shadowed |= set(self.local_functions)  # nested functions defined in the body
        self.d.needs_setitem |= inner.needs_setitem
        self.d.needs_loop_sequence |= inner.needs_loop_sequence
        self.d.builtins_used |= inner.builtins_used
        bind_helpers(self.ns, self.d)
        body = ExitLowering(inner).function_body(lowered_fn.body, e)
        self.shadowed |= {
            n.id
            for s in body
            for n in ast.walk(s)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        result = self.namer.fresh(hint or describe(e))
        final = body[-1]
        body = body[:-1] + [assign(result, final.value, final)]
        self.shadowed.update(renames.values())
        self.shadowed.add(result)
        self.inlining.append(fdef.name)
        try:
            out = self.block(body)
        finally:
            self.inlining.pop()
        return pre + out, name(result)


def _class_attribute(owner, attr: str):
    """``owner``'s own attribute ``attr`` (a function, a property, a staticmethod ...), looked
    up along its method resolution order without calling anything, or None."""
    for klass in owner.__mro__:
        if attr in klass.__dict__:
            return klass.__dict__[attr]
    return None


def _receiver(node: ast.FunctionDef, scope: Scope):
    """``(name, "instance" or "class")`` of a method's first parameter, when its class is known
    and the method never rebinds it; else None."""
    kind = receiver_kind(scope.owner, scope.fn)
    params = [*node.args.posonlyargs, *node.args.args]
    if kind is None or not params:
        return None
    first = params[0].arg
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id == first and not isinstance(n.ctx, ast.Load):
            return None
    return first, kind


def bind_helpers(ns: Namespace, d: Desugarer) -> None:
    """Bind the helpers and builtins that desugared code calls by name (``static_name``)."""
    if d.needs_setitem:
        ns.bind_user("setitem", indexing.setitem)
        ns.bind_user("additem", indexing.additem)
    if d.needs_loop_sequence:
        ns.bind_user("loop_sequence", indexing.loop_sequence)
    for b in d.builtins_used:
        ns.bind_user(b, getattr(builtins, b))


_LIBRARIES = {"numpy", "math", "cmath", "scipy"}


def _library_constant(e: ast.Attribute, scope: Scope) -> bool:
    """``np.pi``, ``math.e``: a library's constant, known before running (and folded)."""
    root = e
    while isinstance(root, ast.Attribute):
        root = root.value
    value = scope.lookup(root.id) if isinstance(root, ast.Name) else MISSING
    module = getattr(value, "__name__", "") if isinstance(value, types.ModuleType) else ""
    return module.split(".")[0] in _LIBRARIES


def _module_with_globals(globals_: dict, fn):
    """The imported module whose namespace is ``globals_``, or None."""
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    if module is not None and getattr(module, "__dict__", None) is globals_:
        return module
    return None


def _rename(node, renames: dict[str, str]):
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in renames:
            n.id = renames[n.id]
    return node


def _prune_empty_ifs(stmts):
    for s in list(stmts):
        if isinstance(s, ast.If):
            _prune_empty_ifs(s.body)
            if not s.body and not s.orelse:
                stmts.remove(s)
