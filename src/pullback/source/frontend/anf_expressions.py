"""ANF of expressions: an expression flattened into statements on names and one simple result.

In: an expression of a desugared function (see ``desugar``), as the statement pass
(``anf.ANF``) meets it, with the pass's ``Scope``, ``Namespace`` and the names it has
made local so far.
Out: ``(statements, simple)``: the statements computing the parts, each into a fresh
temporary named after what it holds (``x_times_y``, ``sin_x``), and the simple expression
left (an atom, or one operation on atoms; see ``anf`` for the normalized form).

Here: names (static references, and globals or closure variables holding data, read when the
derivative starts), attributes (ndarray attributes of the rule table, ``self.prop``), operators,
chained comparisons, ``and``/``or``, ``a if c else b``, tuples, lists, dicts, subscripts and
their slices, ``np.r_``/``np.c_``, f-strings, lambdas (refused: ``desugar`` took those assigned
to a name), list comprehensions and generator expressions (lowered to loops in place). Calls
are ``anf_calls``'s. ``is_atom``, ``is_static`` and ``NONDIFF_ATTRS`` tell the later passes
what they may take as given.

``ExpressionANF`` is the base of ``anf_calls.CallANF`` and ``anf.ANF``: it reads the state
``ANF`` sets up (``scope``, ``ns``, ``namer``, ``d``, ``shadowed``, ``at``), lowers the loops
it builds with ``ANF.block``, and asks ``CallANF`` about methods (``receiver_attribute``,
``adapt``) and about nested functions used as values.
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
from ..common.naming import describe
from ..common.syntax import assign, call, loc, name, static_name
from .desugar import Desugarer
from .namespace import Namespace
from .resolve import MISSING, Scope, is_data

# attributes of an array that carry no derivative; any other attribute read (``p.w`` of a
# dataclass or namedtuple, ``r.logabsdet`` of NumPy's named results) carries its field's
NONDIFF_ATTRS = frozenset({"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"})


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


class ExpressionANF:
    """The expression half of the ANF pass: ``simple`` and ``atom`` of any expression but a
    call (see the module's docstring)."""

    # -- atoms -----------------------------------------------------------------------------
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

    def keyword_atoms(self, keywords):
        """(statements, keywords) of a call's keywords, each value flattened onto an atom."""
        pre, values = self.atoms([k.value for k in keywords])
        return pre, [ast.keyword(arg=k.arg, value=v) for k, v in zip(keywords, values, strict=True)]

    def static(self, e):
        """The object a free name/attribute chain names, or MISSING."""
        return self.scope.static_value(e, self.shadowed)

    def builtin_ref(self, fn_name):
        return self.ns.ref(getattr(builtins, fn_name))

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
            if e.id in getattr(self, "ever_frozen", ()):
                raise unsupported(
                    e,
                    self.src,
                    f"{e.id!r} holds a frozen distribution, which source mode takes apart into "
                    f"the calls of its methods ({e.id}.logpdf(x) is norm.logpdf(x, mu, sigma)): "
                    "it is no value to pass on or return",
                    "call its methods where it is frozen, or pass its parameters instead",
                )
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
        out = [rename(s, renames) for s in body]
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


def rename(node, renames: dict[str, str]):
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
