"""The globals of a generated module: which name refers to which object.

In: objects the generated code must reach (the user's ``np``, a helper function, a rule's
``unreduce``, a closure constant).
Out: ``Namespace.ref(obj)``, an expression that evaluates to ``obj`` in the generated code
(``np.sin``, ``unbroadcast``, ``helper``), binding a name when needed; ``Namespace.globals()``,
the dict the generated module runs in; ``Namespace.guards``, the user names bound to functions
and classes at transform time, with where they live, so that a derivative can notice that one
was rebound (see ``cache``).
"""

from __future__ import annotations

import ast
import builtins
import sys
import types

from ..common.naming import Namer

_ALIASES = {"numpy": "np", "math": "math", "scipy.special": "special"}


class Namespace:
    def __init__(self, namer: Namer):
        self.namer = namer
        self.bound: dict[str, object] = {}
        self._by_id: dict[int, str] = {}
        self.guards: list[tuple] = []  # (cell, None, obj) or (globals dict, name, obj)

    def bind(self, name: str, obj) -> str:
        """Bind ``obj`` under ``name`` if free, else under a fresh variant; returns the name."""
        current = self.bound.get(name, _UNSET)
        if current is obj:
            return name
        existing = self._by_id.get(id(obj))
        if existing is not None and self.bound.get(existing) is obj and name == existing:
            return existing
        if current is not _UNSET or (name in self.namer.taken and name not in self.bound):
            name = self.namer.fresh(name)
        else:
            self.namer.reserve(name)
        self.bound[name] = obj
        self._by_id.setdefault(id(obj), name)
        return name

    def bind_user(self, name: str, obj) -> None:
        """A free name of the user's function, kept under its own name."""
        self.bound[name] = obj
        self.namer.reserve(name)
        self._by_id.setdefault(id(obj), name)

    def guard(self, home, obj) -> None:
        """Remember that the user name at ``home`` (see ``Scope.home``) held ``obj``."""
        if home is None or isinstance(obj, types.ModuleType):
            return
        entry = (home[0], home[1], obj)
        if not any(g[0] is entry[0] and g[1] == entry[1] for g in self.guards):
            self.guards.append(entry)

    def ref(self, obj) -> ast.expr:
        existing = self._by_id.get(id(obj))
        if existing is not None and self.bound.get(existing) is obj:
            return ast.Name(id=existing, ctx=ast.Load())
        if isinstance(obj, types.ModuleType):
            parent, _, last = obj.__name__.rpartition(".")
            alias = _ALIASES.get(obj.__name__)
            if alias is None and parent and parent in sys.modules:
                if getattr(sys.modules[parent], last, None) is obj:
                    return ast.Attribute(
                        value=self.ref(sys.modules[parent]), attr=last, ctx=ast.Load()
                    )
            return ast.Name(id=self.bind(alias or last, obj), ctx=ast.Load())
        if getattr(builtins, getattr(obj, "__name__", ""), None) is obj:
            name = obj.__name__
            if self.bound.get(name, obj) is obj:
                self.bound[name] = obj
                self._by_id.setdefault(id(obj), name)
                return ast.Name(id=name, ctx=ast.Load())
        module_name = _module_of(obj)
        attr = getattr(obj, "__name__", None)
        if module_name and attr and module_name in sys.modules:
            module = sys.modules[module_name]
            if getattr(module, attr, None) is obj and module_name.split(".")[0] in (
                "numpy",
                "math",
                "scipy",
                "operator",
                "cmath",
            ):
                return ast.Attribute(value=self.ref(module), attr=attr, ctx=ast.Load())
        if attr == "<lambda>":
            attr = "lambda_fn"
        elif attr and not attr.isidentifier():
            attr = None
        return ast.Name(id=self.bind(attr or "value", obj), ctx=ast.Load())

    def globals(self) -> dict:
        out = dict(self.bound)
        out["__builtins__"] = builtins
        return out


_UNSET = object()


def _module_of(obj) -> str | None:
    import numpy as np

    if isinstance(obj, np.ufunc):
        return "numpy" if getattr(np, obj.__name__, None) is obj else None
    module = getattr(obj, "__module__", None)
    if module is None:
        return None
    if module.startswith("numpy") and getattr(np, getattr(obj, "__name__", ""), None) is obj:
        return "numpy"
    return module


def value_of(ns: Namespace, e: ast.expr):
    """The object a static reference (a bound name or an attribute chain on one) names.

    A derivative made by pullback (``g = pb.grad(f)``) stands for its generated function, so a
    function calling ``g`` is differentiated through the generated code, not through the thin
    entry wrapper around it.
    """
    return generated_target(_value_of(ns, e))


def generated_target(obj):
    """The generated function behind a derivative pullback made (``pb.grad(f)``), else obj."""
    if getattr(obj, "__pullback_generated__", None) is not None:
        return getattr(obj, "__pullback_target__", obj)
    return obj


def _value_of(ns: Namespace, e: ast.expr):
    from .resolve import MISSING

    if isinstance(e, ast.Name):
        if e.id in ns.bound:
            return ns.bound[e.id]
        return getattr(builtins, e.id, MISSING)
    if isinstance(e, ast.Attribute):
        base = value_of(ns, e.value)
        if base is MISSING:
            return MISSING
        try:
            return getattr(base, e.attr)
        except Exception:
            return MISSING
    return MISSING
