"""Export: a source-mode derivative as a standalone Python module.

In: a derivative returned by source mode (``pb.grad(f)``, ``pb.value_and_grad(f)``, a
generated JVP function) and a path.
Out: a ``.py`` file holding the generated functions, with their ``# grad of:`` comments, that
imports only NumPy, ``math`` and ``pullback.runtime`` — plus the user's own modules where the
derivative calls user code that was not transformed (a custom rule's ``fwd``/``bwd``, a
function called for its side effect); the header says which. Generated functions the
derivative calls from other generated modules (a callee's gradient, a custom rule's callable)
are copied in. Constants are written as literals; user globals and closure variables, which
generated code reads when it runs (``X = module.X``), are written as a class of literals named
like their module (or cell), holding the values they have at export time.

The exported file can be edited and loaded back, e.g. as a custom rule:
``pb.defvjp(f, lambda g, ans, x: g * exported.grad_f(x))``.
"""

from __future__ import annotations

import builtins
import linecache
import sys
import types
from pathlib import Path

import numpy as np

from ..errors import PullbackTypeError, PullbackValueError
from .common.files import is_generated

_MODULE_ALIASES = {"numpy": "np", "math": "math"}


def _generated(obj) -> bool:
    code = getattr(obj, "__code__", None)
    return (
        isinstance(obj, types.FunctionType) and code is not None and is_generated(code.co_filename)
    )


def _text_of(fn) -> str:
    module = getattr(fn, "__pullback_module__", None)
    if module is not None:
        return module.text
    lines = linecache.getlines(fn.__code__.co_filename)
    if not lines:
        raise PullbackValueError(f"the source of generated {fn.__name__} is no longer known")
    return "".join(lines)


def _defined_names(text: str) -> set[str]:
    import ast

    return {n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)}


def _used_names(text: str) -> set[str]:
    import ast

    return {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)}


class _Exporter:
    def __init__(self):
        self.imports: dict[str, str] = {}  # line -> kind ("numpy", "runtime", "user")
        self.assignments: list[str] = []
        self.bodies: list[str] = []
        self.bound: dict[str, object] = {}
        self.user_modules: set[str] = set()
        self.seen_texts: set[str] = set()
        self.snapshots: dict[str, tuple] = {}  # name -> (module or cell, attributes read)

    def bind(self, name: str, obj) -> None:
        if name in self.bound:
            if self.bound[name] is not obj and not _same_constant(self.bound[name], obj):
                raise PullbackValueError(
                    f"cannot export: the name {name!r} means two different things in the "
                    "generated modules being combined"
                )
            return
        self.bound[name] = obj
        line = self.statement(name, obj)
        if line is None:
            return
        if line.startswith(("import ", "from ")):
            self.imports.setdefault(line, name)
        else:
            self.assignments.append(line)

    def add_text(self, fn) -> None:
        text = _text_of(fn)
        if text in self.seen_texts:
            return
        self.seen_texts.add(text)
        namespace = fn.__globals__
        self.bodies.append(text.rstrip("\n"))
        defined = _defined_names(text)
        for name in sorted(_used_names(text) - defined):
            if name in namespace:
                obj = namespace[name]
                if _generated(obj):
                    if obj.__name__ != name:
                        self.assignments.append(f"{name} = {obj.__name__}")
                    self.add_text(obj)
                    continue
                attrs = _data_reads(text, name, obj)
                if attrs is not None:
                    holder, seen = self.snapshots.setdefault(name, (obj, set()))
                    seen |= attrs
                    continue
                self.bind(name, obj)
            elif not hasattr(builtins, name):
                pass  # a local variable of a generated function

    def statement(self, name: str, obj) -> str | None:
        if isinstance(obj, types.ModuleType):
            if obj.__name__ in _MODULE_ALIASES or obj.__name__.startswith(("numpy", "math")):
                alias = f" as {name}" if name != obj.__name__ else ""
                return f"import {obj.__name__}{alias}"
            if obj.__name__.startswith("pullback"):
                raise PullbackValueError(f"cannot export a reference to {obj.__name__}")
            self.user_modules.add(obj.__name__)
            return f"import {obj.__name__} as {name}" if name != obj.__name__ else f"import {name}"
        if obj is None or isinstance(obj, (bool, int, float, complex, str)):
            return f"{name} = {obj!r}"
        if isinstance(obj, np.generic):
            return f"{name} = np.{type(obj).__name__}({obj.item()!r})"
        if isinstance(obj, np.ndarray) and obj.dtype.kind in "biufc" and obj.size <= 100_000:
            return f"{name} = np.array({obj.tolist()!r}, dtype=np.{obj.dtype.name})"
        if isinstance(obj, (tuple, list)) and all(
            isinstance(v, (bool, int, float, str, type(None))) for v in obj
        ):
            return f"{name} = {obj!r}"
        if getattr(builtins, getattr(obj, "__name__", ""), None) is obj:
            return None if name == obj.__name__ else f"{name} = {obj.__name__}"
        if isinstance(obj, np.ufunc) and getattr(np, obj.__name__, None) is obj:
            self.bind("np", np)
            return f"{name} = np.{obj.__name__}"
        from ..custom import _check_adjoints

        if obj is _check_adjoints:
            return None  # replaced by a no-op (see _STUBS)
        module_name = getattr(obj, "__module__", None)
        attr = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
        if module_name and attr and "<" not in attr and module_name in sys.modules:
            target = sys.modules[module_name]
            found = target
            for part in attr.split("."):
                found = getattr(found, part, None)
            if found is obj:
                if module_name.startswith("pullback.runtime"):
                    return _from_import(module_name, attr, name)
                if module_name.startswith(("numpy", "math", "scipy")):
                    return _from_import(module_name, attr, name)
                if module_name.startswith("pullback"):
                    raise PullbackValueError(
                        f"cannot export: the derivative calls {module_name}.{attr}, which is "
                        "not part of pullback.runtime (a rule written as a closure?)"
                    )
                if module_name == "__main__":
                    raise PullbackValueError(
                        f"cannot export: the derivative calls {attr} from the __main__ script; "
                        "move it into an importable module"
                    )
                self.user_modules.add(module_name.split(".")[0])
                return _from_import(module_name, attr, name)
        raise PullbackTypeError(
            f"cannot export {name!r} = {type(obj).__name__} object: it is neither a constant "
            "nor a function importable by name"
        )


def _data_reads(text: str, name: str, obj) -> set[str] | None:
    """The attributes a generated text reads of ``name`` when ``obj`` is a user module or a
    closure cell used only for its data (read when the derivative runs; exported as the
    values they hold now), else None."""
    import ast

    from .frontend.resolve import is_data

    user_module = isinstance(obj, types.ModuleType) and not obj.__name__.startswith(
        ("numpy", "math", "scipy", "pullback")
    )
    if not (user_module or isinstance(obj, types.CellType)):
        return None
    attrs = set()
    bases = set()
    for node in ast.walk(ast.parse(text)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == name
        ):
            attrs.add(node.attr)
            bases.add(id(node.value))
        elif isinstance(node, ast.Name) and node.id == name and id(node) not in bases:
            attrs.add(None)
    try:
        if None in attrs or not all(is_data(getattr(obj, a)) for a in attrs):
            return None
    except (AttributeError, ValueError):
        return None
    return attrs


def _from_import(module_name: str, attr: str, name: str) -> str:
    if "." in attr:
        head = attr.split(".")[0]
        return f"from {module_name} import {head} as _{head}; {name} = _{attr}"
    alias = f" as {name}" if name != attr else ""
    return f"from {module_name} import {attr}{alias}"


def _same_constant(a, b) -> bool:
    try:
        return type(a) is type(b) and bool(np.all(a == b))
    except Exception:
        return False


_STUBS = {
    "check_adjoints": "def check_adjoints(adjoints, n, name, role='bwd'):\n"
    '    """(pullback checks a custom rule\'s bwd result here.)"""\n',
}


def export_text(df) -> str:
    """The text of the standalone module for the derivative ``df`` (see module doc)."""
    gen = getattr(df, "__pullback_generated__", None) or df
    if not _generated(gen):
        raise PullbackTypeError(
            f"{getattr(df, '__name__', df)!r} is not a source-mode derivative; pb.export takes "
            "what pb.grad(f) (mode='source') returned"
        )
    ex = _Exporter()
    ex.add_text(gen)
    module = getattr(gen, "__pullback_module__", None)
    title = module.filename if module is not None else gen.__code__.co_filename
    from ..custom import _check_adjoints

    stubs = [
        text
        for name, text in _STUBS.items()
        if any(name in _used_names(b) for b in ex.bodies)
        and ex.bound.get(name, _check_adjoints) is _check_adjoints
    ]
    lines = [
        f'"""Exported by pullback: {title.strip("<>")}.',
        "",
        f"Entry point: {gen.__name__}. Edit freely; load back with importlib and plug into",
        "pb.defvjp / pb.custom_vjp to use an edited derivative as a rule.",
        '"""',
        "",
        "# Imports: numpy, math and pullback.runtime"
        + (
            f"; user modules whose code the derivative calls: {', '.join(sorted(ex.user_modules))}"
            if ex.user_modules
            else " only."
        ),
    ]
    snapshots = []
    for name, (holder, attrs) in sorted(ex.snapshots.items()):
        what = (
            f"{holder.__name__}'s globals"
            if isinstance(holder, types.ModuleType)
            else "the closure variable"
        )
        body = [f'    """The values of {what} the derivative reads, as they were when exported."""']
        for attr in sorted(attrs):
            value = getattr(holder, attr)
            line = ex.statement(attr, value)
            if line is None or line.startswith(("import ", "from ")):
                raise PullbackTypeError(f"cannot export the value of {attr!r}")
            if isinstance(value, (np.ndarray, np.generic)):
                ex.bind("np", np)
            body.append("    " + line)
        snapshots.append("\n".join([f"class {name}:", *body]))
    lines += sorted(ex.imports, key=lambda line: (not line.startswith("import "), line))
    if snapshots:
        lines += ["", ""] + ["\n\n\n".join(snapshots)]
    lines += [""] + ex.assignments if ex.assignments else []
    lines += ["", ""]
    lines += [s + "\n\n" for s in stubs]
    lines += ["\n\n\n".join(ex.bodies)]
    return "\n".join(lines).rstrip("\n") + "\n"


def export(df, path) -> Path:
    """Write the derivative ``df`` as a standalone module at ``path``; returns the path.

    >>> import pullback as pb, tempfile, os
    >>> def f(x):
    ...     return x * x
    >>> p = export(pb.grad(f), os.path.join(tempfile.mkdtemp(), "grad_f.py"))
    >>> "def grad_f(x):" in p.read_text()
    True
    """
    if not isinstance(path, (str, bytes)) and not hasattr(path, "__fspath__"):
        raise PullbackTypeError(
            f"pb.export takes a file path (str or pathlib.Path) to write, got "
            f"{type(path).__name__} {path!r:.40}"
        )
    path = Path(path)
    text = export_text(df)
    compile(text, str(path), "exec")  # never write a module that does not parse
    path.write_text(text)
    return path


__all__ = ["export", "export_text"]
