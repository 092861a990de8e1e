"""Desugar: rewrite a function's statements into a small core.

In: a fenced ``FunctionDef``, its ``Scope`` and a ``Namer``.
Out: a ``FunctionDef`` whose statements are only

- ``name = expr`` (one target; tuple unpacking becomes indexing, ``x[i] = v`` becomes
  ``x = setitem(x, i, v)``, ``x[i] += v`` becomes ``x = additem(x, i, v)``, ``a += b`` becomes
  ``a = a + b``),
- ``if``, ``while`` (no ``else``), ``for name in range(...)`` (every other ``for`` — over
  lists, arrays, ``zip``, ``enumerate``, ``reversed``, ``dict.items()`` — becomes a ``for``
  over indices),
- expression statements (calls made for their side effects), ``raise``,
- and one ``return`` at the very end.

``break``, ``continue`` and early ``return`` become flags (``broke``, ``skip``, ``returned``)
that guard the rest of the block, or, where a branch always returns, structured ``if``/``else``.
Nested ``def``s and ``name = lambda ...`` are removed and recorded in ``local_functions``, to be
inlined at their call sites by ``anf``. Expressions are left nested; ``anf`` flattens them.
"""

from __future__ import annotations

import ast
import builtins
import copy

from ..common.diagnostics import unsupported
from ..common.naming import Namer
from ..common.syntax import assign, call, function_def, loc, name, static_name
from .exits import ExitLowering
from .resolve import Scope

SETITEM = "setitem"
ADDITEM = "additem"
LOOP_SEQUENCE = "loop_sequence"


class Desugarer:
    def __init__(self, scope: Scope, src, namer: Namer):
        self.scope = scope
        self.src = src
        self.namer = namer
        self.local_functions: dict[str, ast.FunctionDef] = {}
        self.needs_setitem = False
        self.needs_loop_sequence = False
        self.builtins_used: set[str] = set()
        self.kinds: dict[str, str] = {}  # local name -> "dict" / "sequence" (see kind_of)

    # -- helpers ---------------------------------------------------------------------------
    def unequal_lengths_raise(self, lengths, at):
        """``if min(lengths) != max(lengths): raise ValueError(...)``, as zip(strict=True)."""
        shortest = call(self.builtin("min"), *[copy.deepcopy(n) for n in lengths])
        longest = call(self.builtin("max"), *[copy.deepcopy(n) for n in lengths])
        message = ast.Constant("zip() arguments have different lengths")
        error = call(self.builtin("ValueError"), message)
        check = ast.If(
            test=ast.Compare(left=shortest, ops=[ast.NotEq()], comparators=[longest]),
            body=[ast.Raise(exc=error, cause=None)],
            orelse=[],
        )
        return loc(check, at)

    def is_builtin(self, expr: ast.expr, fn_name: str) -> bool:
        return (
            isinstance(expr, ast.Name)
            and expr.id not in self.scope.locals
            and self.scope.lookup(expr.id) is getattr(builtins, fn_name)
        )

    def builtin(self, fn_name: str) -> ast.Name:
        """A reference to a builtin, bound in the generated module under its own name."""
        self.builtins_used.add(fn_name)
        return static_name(fn_name)

    # -- entry -----------------------------------------------------------------------------
    def function(self, node: ast.FunctionDef) -> ast.FunctionDef:
        self.kinds = _kinds(node, self)
        body = self.block(node.body)
        body = ExitLowering(self).function_body(body, node)
        return ast.copy_location(function_def(node.name, node.args, body), node)

    def block(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out

    def stmt(self, s: ast.stmt) -> list[ast.stmt]:
        method = getattr(self, f"stmt_{type(s).__name__}", None)
        if method is None:
            raise unsupported(s, self.src, f"{type(s).__name__} statements are not supported")
        return method(s)

    # -- simple statements -------------------------------------------------------------------
    def stmt_Pass(self, s):
        return []

    def stmt_Expr(self, s):
        if isinstance(s.value, ast.Constant):  # docstrings and bare constants
            return []
        return [s]

    def stmt_Raise(self, s):
        return [s]

    def stmt_With(self, s):
        from . import surgery  # with pb.grad_of(x) as x_bar: kept, marked, body desugared

        return surgery.desugar(self, s)

    def stmt_Assert(self, s):
        exc = call(self.builtin("AssertionError"), *([s.msg] if s.msg else []))
        test = ast.UnaryOp(op=ast.Not(), operand=s.test)
        return [loc(ast.If(test=test, body=[ast.Raise(exc=exc, cause=None)], orelse=[]), s)]

    def stmt_Return(self, s):
        if isinstance(s.value, ast.Lambda):  # return lambda v: ...: a nested function
            fn_name = self.namer.fresh("lambda_fn")
            self.assign_to(name(fn_name, ast.Store()), s.value, s)
            return [loc(ast.Return(value=name(fn_name)), s)]
        return [s]

    def stmt_Break(self, s):
        return [s]

    def stmt_Continue(self, s):
        return [s]

    def stmt_AnnAssign(self, s):
        return self.assign_to(s.target, s.value, s)

    def stmt_Assign(self, s):
        if len(s.targets) == 1:
            return self.assign_to(s.targets[0], s.value, s)
        # a = b = value: evaluate once
        tmp = self.namer.fresh("value")
        out = [assign(tmp, s.value, s)]
        for t in s.targets:
            out.extend(self.assign_to(t, name(tmp), s))
        return out

    def stmt_AugAssign(self, s):
        t = s.target
        if isinstance(t, ast.Name):
            value = ast.BinOp(left=name(t.id), op=s.op, right=s.value)
            return [assign(t.id, loc(value, s), s)]
        if isinstance(t, ast.Subscript):
            if isinstance(s.op, ast.Add):
                self.needs_setitem = True
                base = t.value.id
                value = call(static_name(ADDITEM), name(base), _index_expr(t.slice), s.value)
                return [assign(base, loc(value, s), s)]
            current = ast.Subscript(
                value=copy.deepcopy(t.value), slice=copy.deepcopy(t.slice), ctx=ast.Load()
            )
            value = ast.BinOp(left=current, op=s.op, right=s.value)
            return self.assign_to(t, loc(value, s), s)
        raise unsupported(t, self.src, "this augmented assignment target is not supported")

    def assign_to(self, target: ast.expr, value: ast.expr, at) -> list[ast.stmt]:
        if isinstance(target, ast.Name):
            if isinstance(value, ast.Lambda):
                fn = function_def(target.id, value.args, [loc(ast.Return(value=value.body), value)])
                self.local_functions[target.id] = loc(fn, at)
                return []
            return [assign(target.id, value, at)]
        if isinstance(target, ast.Subscript):
            self.needs_setitem = True
            base = target.value.id
            new = call(static_name(SETITEM), name(base), _index_expr(target.slice), value)
            return [assign(base, loc(new, at), at)]
        if isinstance(target, (ast.Tuple, ast.List)):
            elts = target.elts
            star = next((k for k, e in enumerate(elts) if isinstance(e, ast.Starred)), None)
            if star is not None:
                return self.assign_starred(elts, star, value, at)
            stored = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
            if (
                isinstance(value, (ast.Tuple, ast.List))
                and len(value.elts) == len(elts)
                and all(isinstance(e, (ast.Name, ast.Tuple, ast.List)) for e in elts)
                and not any(isinstance(v, ast.Starred) for v in value.elts)
                and not (stored & _names_in(value))
            ):
                out = []
                for e, v in zip(elts, value.elts, strict=False):
                    out.extend(self.assign_to(e, v, at))
                return out
            base = "_".join(e.id for e in elts if isinstance(e, ast.Name)) or "unpacked"
            tmp = self.namer.fresh(base if len(base) <= 24 else "unpacked")
            out = [assign(tmp, value, at)]
            for k, e in enumerate(elts):
                item = ast.Subscript(value=name(tmp), slice=ast.Constant(k), ctx=ast.Load())
                out.extend(self.assign_to(e, loc(item, at), at))
            return out
        raise unsupported(target, self.src, "this assignment target is not supported")

    def assign_starred(self, elts, star: int, value, at) -> list[ast.stmt]:
        """``a, *rest, b = value``: ``rest`` gets the middle, as a list for a literal, as a
        slice (``value[1:-1]``) otherwise."""
        after = len(elts) - star - 1
        if (
            isinstance(value, (ast.Tuple, ast.List))
            and len(value.elts) >= len(elts) - 1
            and not any(isinstance(v, ast.Starred) for v in value.elts)
        ):
            n = len(value.elts)
            rest = ast.List(elts=value.elts[star : n - after], ctx=ast.Load())
            target = ast.Tuple(
                elts=[*elts[:star], elts[star].value, *elts[star + 1 :]], ctx=ast.Store()
            )
            items = ast.Tuple(
                elts=[*value.elts[:star], rest, *value.elts[n - after :]], ctx=ast.Load()
            )
            return self.assign_to(target, loc(items, at), at)
        tmp = self.namer.fresh("unpacked")
        out = [assign(tmp, value, at)]

        def part(index):
            return loc(ast.Subscript(value=name(tmp), slice=index, ctx=ast.Load()), at)

        for k in range(star):
            out.extend(self.assign_to(elts[k], part(ast.Constant(k)), at))
        upper = ast.Constant(-after) if after else None
        out.extend(
            self.assign_to(
                elts[star].value, part(ast.Slice(lower=ast.Constant(star), upper=upper)), at
            )
        )
        for j in range(after):
            out.extend(self.assign_to(elts[star + 1 + j], part(ast.Constant(j - after)), at))
        return out

    # -- definitions -----------------------------------------------------------------------
    def stmt_FunctionDef(self, s):
        if s.name in self.local_functions:
            raise unsupported(
                s,
                self.src,
                f"the nested function {s.name!r} is defined twice",
                "give each nested function its own name",
            )
        self.local_functions[s.name] = s
        return []

    # -- compound statements ---------------------------------------------------------------
    def stmt_If(self, s):
        return [loc(ast.If(test=s.test, body=self.block(s.body), orelse=self.block(s.orelse)), s)]

    def stmt_While(self, s):
        return [loc(ast.While(test=s.test, body=self.block(s.body), orelse=[]), s)]

    def stmt_For(self, s):
        it, target = s.iter, s.target
        if (
            isinstance(it, ast.Call)
            and not it.keywords
            and self.is_builtin(it.func, "range")
            and isinstance(target, ast.Name)
        ):
            return [loc(ast.For(target=target, iter=it, body=self.block(s.body), orelse=[]), s)]
        setup: list[ast.stmt] = []
        head = []
        index_var = None
        if (
            isinstance(it, ast.Call)
            and self.is_builtin(it.func, "enumerate")
            and len(it.args) == 1
            and not it.keywords
            and isinstance(target, ast.Tuple)
            and len(target.elts) == 2
            and isinstance(target.elts[0], ast.Name)
        ):
            # for i, v in enumerate(vs): i is the loop's own counter
            index_var = target.elts[0].id
            length, item = self.walk(it.args[0], setup, s)
            target = target.elts[1]
        else:
            length, item = self.walk(it, setup, s)
            index_var = self.namer.fresh("i")
        head = [loc(ast.Assign(targets=[target], value=item(name(index_var))), s)]
        rng = loc(call(self.builtin("range"), length), s)
        loop = ast.For(
            target=name(index_var, ast.Store()), iter=rng, body=self.block(head + s.body), orelse=[]
        )
        return setup + [loc(loop, s)]

    def walk(self, it, setup: list, at):
        """How a for loop walks ``it`` by position: ``(length, index -> item)``; what must be
        computed once (the sequences, their lengths) is appended to ``setup``.

        ``enumerate``, ``zip``, ``reversed``, ``range`` and ``dict.items()/keys()/values()``
        nest freely; anything else is indexed, a dict by its keys (``loop_sequence``)."""

        def bind(expr, base):
            if isinstance(expr, ast.Name):
                return expr.id
            var = self.namer.fresh(base)
            setup.append(assign(var, expr, at))
            return var

        def length_of(seq):
            return call(self.builtin("len"), name(seq))

        def indexed(seq):
            return lambda i: loc(
                ast.Subscript(value=name(seq), slice=copy.deepcopy(i), ctx=ast.Load()), at
            )

        strict_zip = (
            isinstance(it, ast.Call)
            and self.is_builtin(it.func, "zip")
            and [k.arg for k in it.keywords] == ["strict"]
            and isinstance(it.keywords[0].value, ast.Constant)
        )
        if isinstance(it, ast.Call) and (not it.keywords or strict_zip):
            args = it.args
            if self.is_builtin(it.func, "enumerate") and len(args) in (1, 2):
                length, item = self.walk(args[0], setup, at)
                start = args[1] if len(args) == 2 else None
                if start is not None and not isinstance(start, ast.Constant):
                    start = name(bind(start, "start"))

                def counted(i):
                    count = (
                        copy.deepcopy(i)
                        if start is None
                        else ast.BinOp(
                            left=copy.deepcopy(i), op=ast.Add(), right=copy.deepcopy(start)
                        )
                    )
                    return loc(ast.Tuple(elts=[count, item(i)], ctx=ast.Load()), at)

                return length, counted
            if self.is_builtin(it.func, "zip") and args:
                parts = [self.walk(a, setup, at) for a in args]
                lengths = [p[0] for p in parts]
                length = lengths[0] if len(lengths) == 1 else call(self.builtin("min"), *lengths)
                if strict_zip and it.keywords[0].value.value and len(lengths) > 1:
                    setup.append(self.unequal_lengths_raise(lengths, at))
                return length, lambda i: loc(
                    ast.Tuple(elts=[get(i) for _, get in parts], ctx=ast.Load()), at
                )
            if self.is_builtin(it.func, "reversed") and len(args) == 1:
                length, item = self.walk(args[0], setup, at)
                count = bind(length, "count")
                last = ast.BinOp(left=name(count), op=ast.Sub(), right=ast.Constant(1))
                return name(count), lambda i: item(
                    ast.BinOp(left=copy.deepcopy(last), op=ast.Sub(), right=copy.deepcopy(i))
                )
            if self.is_builtin(it.func, "range"):
                seq = bind(it, "positions")
                return length_of(seq), indexed(seq)
        if (
            isinstance(it, ast.Call)
            and isinstance(it.func, ast.Attribute)
            and not it.args
            and not it.keywords
            and it.func.attr in ("items", "keys", "values")
        ):
            container = bind(it.func.value, "mapping")
            keys = self.namer.fresh("keys")
            keys_call = call(
                self.builtin("list"),
                call(ast.Attribute(value=name(container), attr="keys", ctx=ast.Load())),
            )
            setup.append(assign(keys, loc(keys_call, at), at))
            key = indexed(keys)
            value = indexed(container)
            if it.func.attr == "keys":
                return length_of(keys), key
            if it.func.attr == "values":
                return length_of(keys), lambda i: value(key(i))
            return length_of(keys), lambda i: loc(
                ast.Tuple(elts=[key(i), value(key(i))], ctx=ast.Load()), at
            )
        kind = self.kind_of(it)
        if kind == "dict":
            keys = self.namer.fresh("keys")
            keys_call = call(
                self.builtin("list"),
                call(ast.Attribute(value=name(bind(it, "mapping")), attr="keys", ctx=ast.Load())),
            )
            setup.append(assign(keys, loc(keys_call, at), at))
            return length_of(keys), indexed(keys)
        if kind == "sequence":
            seq = bind(it, "sequence")
        else:  # a parameter or captured value: a dict is walked by its keys
            base = f"{it.id}_items" if isinstance(it, ast.Name) else "sequence"
            seq = self.namer.fresh(base)
            walker = static_name(LOOP_SEQUENCE)
            self.needs_loop_sequence = True
            setup.append(assign(seq, loc(call(walker, it), at), at))
        return length_of(seq), indexed(seq)

    def kind_of(self, e) -> str:
        """``"dict"``, ``"sequence"`` (a list, tuple or array) or ``"unknown"`` for what a
        loop walks, from how the function builds it."""
        if isinstance(e, ast.Name):
            return self.kinds.get(e.id, "unknown")
        return _kind_of_value(e, self)


def _kind_of_value(e, d: Desugarer) -> str:
    if isinstance(e, (ast.List, ast.Tuple, ast.ListComp, ast.GeneratorExp)):
        return "sequence"
    if isinstance(e, ast.Dict):
        return "dict"
    if isinstance(e, ast.Call):
        for fn_name, kind in (
            ("dict", "dict"),
            ("list", "sequence"),
            ("tuple", "sequence"),
            ("sorted", "sequence"),
            ("range", "sequence"),
        ):
            if d.is_builtin(e.func, fn_name):
                return kind
        module = getattr(d.scope.static_value(e.func, d.scope.locals), "__module__", None)
        if isinstance(module, str) and module.split(".")[0] == "numpy":
            return "sequence"
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Mult)):
        kinds = {_kind_of_value(e.left, d), _kind_of_value(e.right, d)}
        if "sequence" in kinds:
            return "sequence"
    return "unknown"


def _kinds(node: ast.FunctionDef, d: Desugarer) -> dict[str, str]:
    """The kind of each local name that every binding of it in ``node`` agrees on."""
    found: dict[str, set[str]] = {}
    plain: set[int] = set()  # the targets of plain ``name = value`` assignments
    for n in ast.walk(node):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            found.setdefault(n.targets[0].id, set()).add(_kind_of_value(n.value, d))
            plain.add(id(n.targets[0]))
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and id(n) not in plain:
            found.setdefault(n.id, set()).add("unknown")
        elif isinstance(n, ast.arg):
            found.setdefault(n.arg, set()).add("unknown")
    return {k: v.pop() for k, v in found.items() if len(v) == 1 and "unknown" not in v}


def _index_expr(sl: ast.expr) -> ast.expr:
    """An index as an ordinary expression: ``x[a:b]`` -> ``slice(a, b)``, tuples kept."""
    if isinstance(sl, ast.Slice):
        parts = [sl.lower or ast.Constant(None), sl.upper or ast.Constant(None)]
        if sl.step is not None:
            parts.append(sl.step)
        return ast.Call(func=name("slice"), args=parts, keywords=[])
    if isinstance(sl, ast.Tuple):
        return ast.Tuple(elts=[_index_expr(e) for e in sl.elts], ctx=ast.Load())
    return sl


def _names_in(e: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(e) if isinstance(n, ast.Name)}
