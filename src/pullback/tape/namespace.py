"""``math`` functions and ``np.array`` on traced values, recorded like other primitives.

In: a user function: plain, a closure, or one that pullback's API wrapped around it.
Out: the same function, or a clone of it whose global names ``math`` (and functions imported
from it) and ``np.array`` / ``np.asarray`` dispatch through ``bind`` on traced values.

Why: ``math.sin(t)`` takes ``float(t)``; Python gives no hook through which it could defer to a
Tensor, so its derivative would be lost (and ``float()`` of a Tensor that carries a derivative
is refused rather than dropped silently). Likewise ``np.array([t, u])`` is not overridable
through ``__array_function__``. So the function runs with a copy of its module's globals in
which those names dispatch. Functions of the same module that it calls get the same copy;
functions of other modules keep theirs, and ``math`` there refuses loudly.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable

import numpy as np

from .core import bind, is_traced

__all__ = [
    "with_dispatching_namespace",
    "dispatching_rule_fn",
    "DISPATCHING_MATH",
    "DISPATCHING_NUMPY",
]


def _dispatching(fn: Callable) -> Callable:
    def dispatch(*args, **kwargs):
        for a in args:
            if is_traced(a):
                return bind(fn, args, kwargs)
        return fn(*args, **kwargs)

    dispatch.__name__ = fn.__name__
    dispatch.__qualname__ = fn.__name__
    dispatch.__wrapped__ = fn
    dispatch.__doc__ = fn.__doc__
    return dispatch


def _make_math() -> types.ModuleType:
    module = types.ModuleType("math", math.__doc__)
    for name in dir(math):
        if name.startswith("__"):
            continue
        value = getattr(math, name)
        module.__dict__[name] = _dispatching(value) if callable(value) else value
    return module


DISPATCHING_MATH = _make_math()
_MATH_FUNCTIONS = {id(getattr(math, n)): n for n in dir(math) if callable(getattr(math, n))}


def _has_traced(x) -> bool:
    if is_traced(x):
        return True
    if isinstance(x, (list, tuple)):
        return any(_has_traced(v) for v in x)
    return False


def _stacked(x):
    if isinstance(x, (list, tuple)) and _has_traced(x):
        return bind(np.stack, ([_stacked(v) for v in x],))
    return x


def _fresh(obj):
    """A new traced value standing for the same value (``np.array`` copies: a later index
    assignment into the copy must not rebind the original)."""
    from .core import Tensor

    if type(obj) is Tensor:
        return Tensor(obj.value, obj.node, obj.trace)
    return type(obj)(obj.primal, obj.tangent, obj.trace)


def _array(obj, dtype=None, *args, **kwargs):
    if is_traced(obj):
        return _fresh(obj)
    if isinstance(obj, (list, tuple)) and _has_traced(obj):
        return _stacked(obj)
    return np.array(obj, dtype, *args, **kwargs)


def _asarray(obj, dtype=None, *args, **kwargs):
    if is_traced(obj):
        return obj
    if isinstance(obj, (list, tuple)) and _has_traced(obj):
        return _stacked(obj)
    return np.asarray(obj, dtype, *args, **kwargs)


def _writable(create: Callable) -> Callable:
    """An array-creation function whose result, inside a transformation, is a constant Tensor
    of it: ``y = np.zeros(3); y[0] = x`` then assigns functionally instead of writing a
    traced value into a plain array."""
    from .core import Tensor, current_trace

    def make(*args, **kwargs):
        result = create(*args, **kwargs)
        trace = current_trace()
        if trace is None or is_traced(result) or not isinstance(result, np.ndarray):
            return result
        if not getattr(trace, "process", None) or not hasattr(trace, "replayable"):
            return result
        return Tensor(result, None, trace)

    make.__name__ = create.__name__
    make.__wrapped__ = create
    return make


_CREATION = ("zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
             "full_like", "eye", "identity")  # fmt: skip


# NumPy functions that take a sequence of arrays themselves (their dispatch sees its items)
_TAKE_SEQUENCES = frozenset(
    ("concatenate", "stack", "hstack", "vstack", "dstack", "column_stack", "row_stack",
     "block", "array", "asarray", "asanyarray", "einsum", "broadcast_arrays", "meshgrid",
     "append", "where", "select", "piecewise", "choose")
)  # fmt: skip


def _stacking_lists(fn: Callable) -> Callable:
    """``fn`` that first stacks list or tuple arguments holding traced values, as NumPy would
    convert them to one array (``np.sum([x, y])``; its dispatch does not look inside lists)."""

    def call(*args, **kwargs):
        for a in args:
            if type(a) in (list, tuple) and _has_traced(a):
                args = tuple(
                    _stacked(v) if type(v) in (list, tuple) and _has_traced(v) else v for v in args
                )
                break
        return fn(*args, **kwargs)

    call.__name__ = fn.__name__
    call.__qualname__ = getattr(fn, "__qualname__", fn.__name__)
    call.__wrapped__ = fn
    call.__doc__ = fn.__doc__
    return call


class _StackingUfunc:
    """A ufunc called as ``_stacking_lists`` calls a function (``np.sin([x, y])`` on traced
    ``x`` and ``y``); its methods and attributes (``np.add.at``, ``.nin``) are the ufunc's."""

    __slots__ = ("ufunc", "call")

    def __init__(self, ufunc: np.ufunc):
        self.ufunc = ufunc
        self.call = _stacking_lists(ufunc)

    def __call__(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.ufunc, name)

    def __repr__(self) -> str:
        return repr(self.ufunc)


def _is_numpy_function(value) -> bool:
    """A NumPy function written in Python or dispatched by ``__array_function__``."""
    return type(value) is types.FunctionType or type(value).__name__ == "_ArrayFunctionDispatcher"


def _make_numpy() -> types.ModuleType:
    module = types.ModuleType("numpy", np.__doc__)
    module.__dict__.update({k: v for k, v in np.__dict__.items() if not k.startswith("__")})
    for name, value in list(module.__dict__.items()):
        if _is_numpy_function(value) and name not in _TAKE_SEQUENCES:
            module.__dict__[name] = _stacking_lists(value)
        elif isinstance(value, np.ufunc):
            module.__dict__[name] = _StackingUfunc(value)
    # NumPy loads some submodules (np.random, np.fft ...) on first access: forward to it
    module.__dict__["__getattr__"] = lambda name: getattr(np, name)
    module.__dict__["array"] = _array
    module.__dict__["asarray"] = _asarray
    module.__dict__["asanyarray"] = _asarray
    for name in _CREATION:
        module.__dict__[name] = _writable(getattr(np, name))
    return module


def _make_pullback() -> types.ModuleType | None:
    """``pullback`` with its registered plain-Python primitives (``stop_gradient``)
    dispatching, so tape and graph modes see them called on traced values."""
    import pullback

    module = types.ModuleType("pullback", pullback.__doc__)
    module.__dict__.update(
        {k: v for k, v in pullback.__dict__.items() if k not in ("__dict__", "__class__")}
    )
    for name, value in list(module.__dict__.items()):
        if _is_registered_python_function(value):
            module.__dict__[name] = _dispatching(value)
    return module


def _is_registered_python_function(value) -> bool:
    from ..rules.registry import is_nondiff, lookup

    if type(value) is not types.FunctionType:
        return False
    return lookup(value) is not None or is_nondiff(value)


_DISPATCHING_PULLBACK: list = []


def _dispatching_pullback() -> types.ModuleType:
    if not _DISPATCHING_PULLBACK:
        _DISPATCHING_PULLBACK.append(_make_pullback())
    return _DISPATCHING_PULLBACK[0]


DISPATCHING_NUMPY = _make_numpy()


def _replacement(value):
    """The dispatching stand-in for a global value, or None to keep it."""
    if value is math:
        return DISPATCHING_MATH
    if value is np:
        return DISPATCHING_NUMPY
    if isinstance(value, types.ModuleType) and value.__name__ == "pullback":
        return _dispatching_pullback()
    if type(value) is types.FunctionType and (value.__module__ or "").startswith("pullback."):
        if _is_registered_python_function(value):  # pb.stop_gradient imported by name
            return _dispatching(value)
        return None
    if isinstance(value, types.BuiltinFunctionType):
        name = _MATH_FUNCTIONS.get(id(value))
        if name is not None and getattr(math, name) is value:
            return DISPATCHING_MATH.__dict__[name]
        if value is np.array:
            return _array
        if value is np.asarray or value is np.asanyarray:
            return _asarray
    return None


def with_dispatching_namespace(f: Callable, _memo: dict | None = None) -> Callable:
    """``f``, or a clone of it that runs with dispatching ``math`` and ``np.array``."""
    memo: dict = {} if _memo is None else _memo
    if isinstance(f, types.MethodType):
        func = with_dispatching_namespace(f.__func__, memo)
        return f if func is f.__func__ else types.MethodType(func, f.__self__)
    if type(f) is not types.FunctionType:
        return f
    key = id(f)
    if key in memo:
        return memo[key]
    new_globals = _patched_globals(f.__globals__, memo)
    if key in memo:  # a module-level function: cloned along with its module's globals
        return memo[key]
    memo[key] = f  # a closure reaching this function again before its clone exists
    new_closure = _patched_closure(f.__closure__, memo)
    if new_globals is f.__globals__ and new_closure is f.__closure__:
        return f
    clone = _clone(f, new_globals, new_closure)
    memo[key] = clone
    return clone


def _clone(f: types.FunctionType, new_globals: dict, closure) -> types.FunctionType:
    clone = types.FunctionType(f.__code__, new_globals, f.__name__, f.__defaults__, closure)
    clone.__kwdefaults__ = f.__kwdefaults__
    clone.__qualname__ = f.__qualname__
    clone.__module__ = f.__module__
    clone.__doc__ = f.__doc__
    clone.__dict__.update(f.__dict__)
    return clone


def _patched_globals(g: dict, memo: dict) -> dict:
    key = ("globals", id(g))
    if key in memo:
        return memo[key]
    replacements = {}
    for name, value in g.items():
        new = _replacement(value)
        if new is not None:
            replacements[name] = new
    if not replacements:
        memo[key] = g
        return g
    new_globals = dict(g)
    new_globals.update(replacements)
    memo[key] = new_globals
    for name, value in g.items():
        if name in replacements:  # a registered helper: it dispatches to its own rule
            continue
        if type(value) is types.FunctionType and value.__globals__ is not g:
            if (value.__module__ or "").startswith("pullback."):
                # a rule helper from another pullback module: it runs on traced values too
                new_globals[name] = with_dispatching_namespace(value, memo)
            continue
        if type(value) is types.FunctionType:
            if id(value) in memo:
                continue
            memo[id(value)] = value  # (recursion guard while its closure is patched)
            closure = _patched_closure(value.__closure__, memo)
            memo[id(value)] = clone = _clone(value, new_globals, closure)
            new_globals[name] = clone
    return new_globals


def _patched_closure(closure, memo):
    if not closure:
        return closure
    cells = []
    changed = False
    for cell in closure:
        try:
            content = cell.cell_contents
        except ValueError:  # an empty cell
            cells.append(cell)
            continue
        new = _replacement(content)
        if new is None and callable(content):
            new = with_dispatching_namespace(content, memo)
            if new is content:
                new = None
        if new is None:
            cells.append(cell)
        else:
            cells.append(types.CellType(new))
            changed = True
    return tuple(cells) if changed else closure


_RULE_FUNCTIONS: dict = {}


def dispatching_rule_fn(fn: Callable) -> Callable:
    """A rule's VJP or JVP function made to run on traced values (cached: the rule modules'
    globals do not change after import). Rule helpers may inspect their arguments with
    ``np.asarray``; on a traced value that must give the traced value, not drop it."""
    patched = _RULE_FUNCTIONS.get(fn)
    if patched is None:
        patched = _RULE_FUNCTIONS.setdefault(fn, with_dispatching_namespace(fn))
    return patched
