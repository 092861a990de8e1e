"""Fence: reject what cannot be differentiated, before anything runs.

In: the parsed ``FunctionDef``, its ``Scope`` and ``FunctionSource``.
Out: nothing when the function is inside the supported subset; otherwise an
``UnsupportedSyntaxError`` at the offending node (file, line, column, the line, a caret and a
hint saying what to write instead).
"""

from __future__ import annotations

import ast
import builtins
import types

import numpy as np

from ..common.diagnostics import unsupported
from .resolve import MISSING, Scope, local_names

_REJECT = {
    ast.Yield: ("a generator (yield) cannot be differentiated", "return a list or an array"),
    ast.YieldFrom: ("a generator (yield from) cannot be differentiated", "return a list"),
    ast.Await: ("async code cannot be differentiated", "write a plain function"),
    ast.AsyncFunctionDef: ("async functions cannot be differentiated", "write a plain def"),
    ast.AsyncFor: ("async for cannot be differentiated", "use a plain for loop"),
    ast.AsyncWith: ("async with cannot be differentiated", "move it out of the function"),
    ast.Global: (
        "'global' declarations are not supported: writes to globals escape the derivative",
        "return the value instead of assigning a global",
    ),
    ast.Nonlocal: (
        "'nonlocal' declarations are not supported: writes to enclosing scopes escape the "
        "derivative",
        "return the value instead of assigning an outer variable",
    ),
    ast.Try: (
        "try/except is not supported in source mode",
        "move the try block out of the differentiated function, or use mode='tape'",
    ),
    ast.Delete: ("'del' is not supported in source mode", "drop the del or rebind the name"),
    ast.ClassDef: (
        "class definitions inside a differentiated function are not supported",
        "define the class outside the function",
    ),
    ast.Import: (
        "imports inside a differentiated function are not supported",
        "import at module level",
    ),
    ast.ImportFrom: (
        "imports inside a differentiated function are not supported",
        "import at module level",
    ),
    ast.NamedExpr: ("the walrus operator ':=' is not supported", "assign on a line of its own"),
    ast.SetComp: ("set comprehensions are not supported", "use a list comprehension"),
    ast.DictComp: (
        "dict comprehensions are not supported",
        "build the dict in a for loop: d[k] = v",
    ),
    ast.Set: ("sets are not supported (their order is not defined)", "use a list or tuple"),
}
if hasattr(ast, "TryStar"):
    _REJECT[ast.TryStar] = _REJECT[ast.Try]
if hasattr(ast, "Match"):
    _REJECT[ast.Match] = ("match statements are not supported", "use if/elif/else")

_FORBIDDEN_CALLS = {
    "eval": "eval runs code that cannot be seen before it runs",
    "exec": "exec runs code that cannot be seen before it runs",
    "globals": "globals() exposes state the derivative cannot track",
    "locals": "locals() exposes state the derivative cannot track",
    "vars": "vars() exposes state the derivative cannot track",
    "setattr": "setattr mutates objects the derivative cannot track",
    "delattr": "delattr mutates objects the derivative cannot track",
    "iter": "explicit iterators are not supported",
    "next": "explicit iterators are not supported",
    "map": "map with a function argument is not supported",
    "filter": "filter with a function argument is not supported",
}

_MUTATING_METHODS = {
    "sort",
    "fill",
    "resize",
    "itemset",
    "put",
    "partition",
    "setfield",
    "setflags",
    "append",
    "extend",
    "insert",
    "pop",
    "remove",
    "clear",
    "update",
    "popitem",
    "setdefault",
    "reverse",
    "__setitem__",
    "__iadd__",
}

# the methods above that no array supports in source mode, even on the function's own arrays
_ARRAY_IN_PLACE = ("sort", "fill", "resize", "itemset", "put", "partition")

# NumPy functions that write into their first argument (the rest return new arrays)
_MUTATING_FUNCTIONS = {
    getattr(np, fname): fname
    for fname in ("copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis")
    if hasattr(np, fname)
}
_MUTATING_FUNCTIONS[np.random.shuffle] = "random.shuffle"


def check(node: ast.FunctionDef, scope: Scope, src) -> None:
    """Raise UnsupportedSyntaxError at the first unsupported construct in ``node``."""
    _Fence(scope, src, node).run()


class _Fence(ast.NodeVisitor):
    def __init__(self, scope: Scope, src, top: ast.FunctionDef):
        self.scope = scope
        self.src = src
        self.top = top
        self.depth = 0
        self.params = {a.arg for a in [*top.args.posonlyargs, *top.args.args, *top.args.kwonlyargs]}
        self.loop_depth = 0
        self.packed: list[set[str]] = []  # the *args/**kwargs names of enclosing nested defs
        self.nested: list[set[str]] = []  # the names enclosing nested defs bind themselves

    def fail(self, node, message, hint=None):
        raise unsupported(node, self.src, message, hint)

    def run(self):
        if isinstance(self.top, ast.AsyncFunctionDef):  # a callee: the top one is refused earlier
            self.fail(self.top, *_REJECT[ast.AsyncFunctionDef])
        args = self.top.args
        if args.vararg is not None:
            self.fail(
                args.vararg,
                f"*{args.vararg.arg} parameters are not supported",
                "take a tuple or list argument instead",
            )
        if args.kwarg is not None:
            self.fail(
                args.kwarg,
                f"**{args.kwarg.arg} parameters are not supported",
                "take a dict argument instead",
            )
        for stmt in self.top.body:
            self.visit(stmt)

    def generic_visit(self, node):
        rejected = _REJECT.get(type(node))
        if rejected:
            self.fail(node, *rejected)
        super().generic_visit(node)

    def visit_FunctionDef(self, node):
        if node.decorator_list:
            self.fail(
                node,
                "decorated nested functions are not supported",
                "define the decorated function at module level",
            )
        a = node.args
        # a nested function is inlined where it is called: its *args and **kwargs have a
        # known size there, and may be passed on (g(*args, **kwargs))
        packed = {p.arg for p in (a.vararg, a.kwarg) if p is not None}
        self.depth += 1
        self.packed.append(packed)
        # the names it binds itself (not its parameters: those may be the caller's values)
        params = {p.arg for p in ast.walk(a) if isinstance(p, ast.arg)}
        self.nested.append(local_names(node) - params)
        for default in [*a.defaults, *a.kw_defaults]:
            if default is not None:
                self.visit(default)
        for stmt in node.body:
            self.visit(stmt)
        self.nested.pop()
        self.packed.pop()
        self.depth -= 1

    def visit_Lambda(self, node):
        a = node.args
        if a.vararg or a.kwarg:
            self.fail(node, "lambdas with *args/**kwargs are not supported")
        self.visit(node.body)

    def visit_With(self, node):
        from . import surgery  # the one accepted form: with pb.grad_of(x) as x_bar

        surgery.fence(self, node)

    def visit_While(self, node):
        if node.orelse:
            self.fail(node, "while ... else is not supported", "use a flag variable")
        self.loop_depth += 1
        self.generic_visit(node)
        self.loop_depth -= 1

    def visit_For(self, node):
        if node.orelse:
            self.fail(node, "for ... else is not supported", "use a flag variable")
        self._check_target(node.target, node)
        self.loop_depth += 1
        self.generic_visit(node)
        self.loop_depth -= 1

    def visit_Call(self, node):
        for a in node.args:
            if isinstance(a, ast.Starred) and not self._packed(a.value):
                self.fail(
                    a, "star-arguments f(*args) are not supported", "pass the arguments one by one"
                )
        for k in node.keywords:
            if k.arg is None and not self._packed(k.value):
                self.fail(
                    k.value,
                    "keyword unpacking f(**kwargs) is not supported",
                    "pass the keywords one by one",
                )
            elif k.arg == "out":
                self.fail(
                    k.value,
                    "out= arguments write into arrays in place",
                    "assign the result instead: y = np.f(x)",
                )
        func = node.func
        if isinstance(func, ast.Name) and not self._local(func.id):
            value = self.scope.lookup(func.id)
            if func.id in _FORBIDDEN_CALLS and value is getattr(builtins, func.id, None):
                self.fail(
                    node,
                    f"{func.id}() is not supported: {_FORBIDDEN_CALLS[func.id]}",
                    "write the computation out in plain code",
                )
        written = self._written_by(node)
        if written is not None:
            target, how = written
            if isinstance(target, ast.Name) and (
                target.id in self.params or not self._local(target.id)
            ):
                self.fail(
                    node,
                    f"'{ast.unparse(node)}' mutates a value passed in or captured "
                    "from outside the function, which would make gradients silently wrong",
                    "work on a copy: y = list(x) or y = x.copy()",
                )
            if how in _ARRAY_IN_PLACE:
                self.fail(
                    node,
                    f"the in-place method .{how}() is not supported",
                    f"use the functional form, e.g. np.{how}(x)"
                    if how in ("sort", "partition", "resize", "put")
                    else "build a new array",
                )
            if how in _MUTATING_FUNCTIONS.values():
                self.fail(
                    node,
                    f"np.{how}() writes into its first argument in place",
                    "build a new array: y = np.where(mask, values, x)",
                )
        if isinstance(func, ast.Attribute) and func.attr == "at":
            self.fail(
                node,
                "ufunc.at writes into an array in place",
                "use pb.runtime.additem or build a new array",
            )
        self.generic_visit(node)

    def visit_Assign(self, node):
        for t in node.targets:
            self._check_target(t, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._check_target(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        if node.value is None:
            return
        self._check_target(node.target, node)
        self.generic_visit(node)

    def _written_by(self, call: ast.Call):
        """``(the expression the call writes into, the method or function name)`` for a call
        that changes an argument in place, else None. ``x.sort()`` sorts ``x``; ``np.sort(x)``
        returns a sorted copy: a call on a module is a function, which writes into its first
        argument only if it is one of ``_MUTATING_FUNCTIONS`` (``np.copyto``); a call on a
        class (``list.append(x, v)``) is a method with its receiver passed first."""
        func = call.func
        callee = self.scope.static_value(func) if not self._shadowed(func) else MISSING
        if callee is not MISSING:
            for fn, fname in _MUTATING_FUNCTIONS.items():
                if callee is fn:
                    return (call.args[0] if call.args else None), fname
        if not isinstance(func, ast.Attribute) or func.attr not in _MUTATING_METHODS:
            return None
        receiver = (
            self.scope.static_value(func.value) if not self._shadowed(func.value) else MISSING
        )
        if isinstance(receiver, types.ModuleType):
            return None
        if isinstance(receiver, type):
            return (call.args[0] if call.args else None), func.attr
        return func.value, func.attr

    def _shadowed(self, e) -> bool:
        """Whether the name at the root of an attribute chain is the function's own."""
        while isinstance(e, ast.Attribute):
            e = e.value
        return isinstance(e, ast.Name) and self._local(e.id)

    def _packed(self, e) -> bool:
        """Whether ``e`` is the *args or **kwargs of an enclosing nested function."""
        return isinstance(e, ast.Name) and any(e.id in names for names in self.packed)

    def _local(self, name: str) -> bool:
        return name in self.scope.locals or any(name in names for names in self.nested)

    def _check_target(self, t, stmt):
        if isinstance(t, ast.Starred):
            self.fail(
                t,
                "a starred name is only allowed inside a tuple target: a, *b = s",
                "index the sequence: b = s[1:]",
            )
        if isinstance(t, (ast.Tuple, ast.List)):
            starred = [e for e in t.elts if isinstance(e, ast.Starred)]
            if len(starred) > 1:
                self.fail(starred[1], "two starred names in one assignment", "keep one: a, *b = s")
            for e in t.elts:
                self._check_target(e.value if isinstance(e, ast.Starred) else e, stmt)
            return
        if isinstance(t, ast.Attribute):
            self.fail(
                t,
                "assigning an attribute mutates an object the derivative cannot track",
                "keep the value in a local variable",
            )
        if isinstance(t, ast.Subscript):
            base = t.value
            while isinstance(base, ast.Subscript):
                base = base.value
            if not isinstance(base, ast.Name):
                self.fail(
                    t,
                    "index assignment into an expression is not supported",
                    "assign the container to a name first",
                )
            if not self._local(base.id) and self.scope.lookup(base.id) is not MISSING:
                self.fail(
                    t,
                    f"'{ast.unparse(t)} = ...' writes into {base.id!r}, which is "
                    "captured from outside the function; its gradient would be silently "
                    "wrong",
                    f"copy it first: {base.id}_copy = {base.id}.copy()",
                )
            if isinstance(t.value, ast.Subscript):
                self.fail(
                    t,
                    "chained index assignment x[i][j] = v is not supported",
                    "use one index: x[i, j] = v",
                )
