"""Resolve names: what each free name of a user function refers to.

In: the user function object and its parsed ``FunctionDef``.
Out: a ``Scope``: the function's local names (parameters, assigned names, nested defs) and,
for every other name, the object it refers to now, looked up in the closure cells, the
function's globals and the builtins, in Python's order. ``Scope.static_value(expr)`` evaluates
``np.sin``, ``math.exp``, ``np.linalg.norm`` or a helper function to the object it names,
without running any user code. ``Scope.home(name)`` says where a free name lives (its closure
cell, or its globals dict), so that generated code can read user *data* (arrays, numbers, lists:
see ``is_data``) when it runs rather than when it was generated: rebinding a global between
calls must change the derivative, as it changes the function.
"""

from __future__ import annotations

import ast
import builtins
import types
from dataclasses import dataclass, field

from ..common.files import is_generated

_MISSING = object()


def local_names(node: ast.FunctionDef) -> set[str]:
    """Parameters and every name the body binds (not descending into nested scopes)."""
    names = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]}
    if node.args.vararg:
        names.add(node.args.vararg.arg)
    if node.args.kwarg:
        names.add(node.args.kwarg.arg)

    def visit(n):
        for child in ast.iter_child_nodes(n):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(child.name)
                continue
            if isinstance(child, ast.Lambda):
                continue
            if isinstance(child, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                visit_comprehension(child)
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
                names.add(child.id)
            visit(child)

    def visit_comprehension(comp):
        # comprehension targets are their own scope; only walrus targets leak (fenced anyway)
        for gen in comp.generators:
            visit(gen.iter)

    for stmt in node.body:
        visit(ast.Module(body=[stmt], type_ignores=[]))
    return names


@dataclass
class Scope:
    fn: object
    locals: set[str]
    closure: dict = field(default_factory=dict)
    globals: dict = field(default_factory=dict)
    cells: dict = field(default_factory=dict)
    generated: bool = False  # a function pullback generated: its globals are never rebound
    owner: object = None  # for a method: the class its ``self.m(...)`` calls resolve in
    # names standing for functions fixed by the caller (a function passed as an argument; see
    # ``specialize.fix_function_arguments``): name -> the function
    fixed: dict = field(default_factory=dict)

    @classmethod
    def of(cls, fn, node: ast.FunctionDef) -> Scope:
        code = fn.__code__
        cells = fn.__closure__ or ()
        closure = {}
        for name, cell in zip(code.co_freevars, cells, strict=False):
            try:
                closure[name] = cell.cell_contents
            except ValueError:  # an empty cell: a name assigned later in the outer function
                pass
        return cls(
            fn,
            local_names(node),
            closure,
            fn.__globals__,
            dict(zip(code.co_freevars, cells, strict=False)),
            is_generated(code.co_filename),
        )

    def home(self, name: str):
        """``(cell, None)`` for a closure variable, ``(globals dict, name)`` for a global, or
        ``None`` for a builtin or a local: where the current value of ``name`` is read."""
        if name in self.locals or name in self.fixed:
            return None
        if name in self.closure:
            return self.cells[name], None
        if name in self.globals:
            return self.globals, name
        return None

    def lookup(self, name: str):
        """The object a free name refers to, or ``_MISSING``; locals are never looked up."""
        if name in self.fixed:
            return self.fixed[name]
        if name in self.locals:
            return _MISSING
        if name in self.closure:
            return self.closure[name]
        if name in self.globals:
            return self.globals[name]
        return getattr(builtins, name, _MISSING)

    def is_free(self, name: str) -> bool:
        return name not in self.locals and self.lookup(name) is not _MISSING

    def static_value(self, expr: ast.expr, shadowed: set[str] = frozenset()):
        """The object ``expr`` names (a Name or a chain of attributes on a module/class), or
        ``_MISSING`` when it cannot be known before running."""
        if isinstance(expr, ast.Name):
            if expr.id in shadowed:
                return _MISSING
            return self.lookup(expr.id)
        if isinstance(expr, ast.Attribute):
            base = self.static_value(expr.value, shadowed)
            if base is _MISSING:
                return _MISSING
            if isinstance(base, (types.ModuleType, type)) or callable(base):
                try:
                    return getattr(base, expr.attr)
                except Exception:
                    return _MISSING
        return _MISSING


def owner_class(fn):
    """The class ``fn`` is defined in, found from its qualified name, or None.

    >>> class Model:
    ...     def loss(self, w):
    ...         return w
    >>> owner_class(Model.loss) is None  # defined in a function: not reachable by name
    True
    """
    parts = getattr(fn, "__qualname__", "").split(".")
    if len(parts) < 2 or "<locals>" in parts:
        return None
    obj = getattr(fn, "__globals__", {}).get(parts[0])
    for part in parts[1:-1]:
        obj = getattr(obj, part, None)
    return obj if isinstance(obj, type) else None


def receiver_kind(owner, fn) -> str | None:
    """How ``fn`` is reached from ``owner``: ``"instance"`` (its first parameter is ``self``),
    ``"class"`` (a classmethod: ``cls``) or None (a staticmethod, or not found)."""
    if owner is None:
        return None
    for klass in owner.__mro__:
        attr = klass.__dict__.get(fn.__name__)
        if isinstance(attr, classmethod) and attr.__func__ is fn:
            return "class"
        if isinstance(attr, staticmethod):
            return None
        if attr is fn:
            return "instance"
    return None


def is_data(value) -> bool:
    """Whether a free name's value is user data, read when the derivative runs: everything but
    modules, classes and callables (which the transformation must see to differentiate calls;
    a redefined function is caught by the derivative's guards, see ``cache``)."""
    return not (isinstance(value, (types.ModuleType, type, types.CellType)) or callable(value))


def missing(value) -> bool:
    return value is _MISSING


MISSING = _MISSING
