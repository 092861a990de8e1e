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

A function's code must be able to write its globals (``global n; n += 1``) as a plain call
does, but a function's globals must be a real dict (no overlay is possible), so
``call_in_dispatching_namespace`` copies the names the call wrote (or deleted) in a copy back
into the module's own globals when the call ends, and says whether there were any.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable

import numpy as np

from ..callables import numba_function
from ..errors import NonDifferentiableError, PullbackError, watching
from .distributions import dispatching_distribution
from .traced import _plain, bind, is_traced

__all__ = [
    "with_dispatching_namespace",
    "call_in_dispatching_namespace",
    "dispatching_rule_fn",
    "DISPATCHING_MATH",
    "DISPATCHING_NUMPY",
]


def _dispatching(fn: Callable, keywords: bool = False) -> Callable:
    """``fn`` recorded through ``bind`` when a positional argument is traced (or, with
    ``keywords``, a keyword argument: ``norm.logpdf(x, loc=mu)``)."""

    def dispatch(*args, **kwargs):
        for a in args:
            if is_traced(a):
                return bind(fn, args, kwargs)
        if keywords:
            for a in kwargs.values():
                if is_traced(a):
                    return bind(fn, args, kwargs)
        return fn(*args, **kwargs)

    dispatch.__name__ = fn.__name__
    dispatch.__qualname__ = fn.__name__
    dispatch.__module__ = getattr(fn, "__module__", None)  # finds fn's rule by its name
    dispatch.__wrapped__ = fn
    dispatch.__doc__ = fn.__doc__
    dispatch.dispatches = True  # already a stand-in: not to be wrapped or cloned again
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
    from .trace import ReverseTrace

    trace = obj.traced_by
    if type(trace) is ReverseTrace:
        return trace.tensor_type(obj.value, obj.node, trace)
    return type(obj)(obj.primal, obj.tangent, trace)


def _array(obj, dtype=None, *args, **kwargs):
    if is_traced(obj):
        return _fresh(obj)
    if isinstance(obj, (list, tuple)) and _has_traced(obj):
        return _stacked(obj)
    return _constant_of_trace(np.array(obj, dtype, *args, **kwargs), every_dtype=False)


def _asarray(obj, dtype=None, *args, **kwargs):
    if is_traced(obj):
        return obj
    if isinstance(obj, (list, tuple)) and _has_traced(obj):
        return _stacked(obj)
    return np.asarray(obj, dtype, *args, **kwargs)


def _constant_of_trace(result, every_dtype: bool = True):
    """``result``, a new plain array, as a constant traced value of the innermost trace:
    ``y = np.zeros(3); y[0] = x`` then assigns functionally. (NumPy's own ``y[0] = x`` takes
    a traced ``x`` for a sequence and fails; Python gives it no hook to defer to ``x``.)"""
    from .context import current_trace

    trace = current_trace()
    if trace is None or type(result) is not np.ndarray:
        return result
    constant = getattr(trace, "constant", None)  # a tape's or a forward trace's
    return result if constant is None else constant(result, every_dtype)


def _writable(create: Callable, every_dtype: bool = True) -> Callable:
    """An array-creation function whose result, inside a transformation, is a constant traced
    value of it (``_constant_of_trace``); given traced values (``np.full(n, x)``,
    ``np.linspace(x, y)``), the call is recorded through its rule."""

    from ..rules.registry import lookup

    has_rule = lookup(create) is not None  # np.full's value is an argument; np.zeros_like's not

    def make(*args, **kwargs):
        if has_rule and (_has_traced(args) or _has_traced(tuple(kwargs.values()))):
            return bind(create, args, kwargs)
        return _constant_of_trace(create(*args, **kwargs), every_dtype)

    make.__name__ = create.__name__
    make.__wrapped__ = create
    return make


_CREATION = ("zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
             "full_like", "eye", "identity", "copy")  # fmt: skip
# (float arrays from these: an integer range or grid is an index more often than a target)
_FLOAT_CREATION = ("linspace", "logspace", "geomspace", "arange")


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
    call.__pullback_unpatched__ = fn  # what source mode transforms, met inside a traced run
    return call


class _StackingUfunc:
    """A ufunc that first stacks list or tuple arguments holding traced values
    (``np.sin([x, 1.0])``: NumPy's ufunc dispatch does not look inside lists). Its methods
    (``np.add.reduce``) and attributes are the ufunc's own."""

    __slots__ = ("ufunc", "call")

    def __init__(self, ufunc: np.ufunc):
        self.ufunc = ufunc
        self.call = _stacking_lists(ufunc)

    def __call__(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.ufunc, name)

    @property
    def __pullback_unpatched__(self) -> np.ufunc:  # what source mode differentiates
        return self.ufunc

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
    for name in _FLOAT_CREATION:
        module.__dict__[name] = _writable(getattr(np, name), every_dtype=False)
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
    from ..rules.substitutes import variadic

    if type(value) is not types.FunctionType:
        return False
    return lookup(value) is not None or is_nondiff(value) or variadic(value) is not None


_DISPATCHING_PULLBACK: list = []


def _dispatching_pullback() -> types.ModuleType:
    if not _DISPATCHING_PULLBACK:
        _DISPATCHING_PULLBACK.append(_make_pullback())
    return _DISPATCHING_PULLBACK[0]


DISPATCHING_NUMPY = _make_numpy()


def _holds_python_rules(module: types.ModuleType) -> bool:
    """Whether a rule is registered for a plain-Python function under ``module``'s name
    (``scipy.special`` for ``scipy.special.logsumexp``, and ``scipy`` above it)."""
    from ..rules.registry import supported_functions

    prefix = module.__name__ + "."
    return any(name.startswith(prefix) for name in supported_functions())


_DISPATCHING_MODULES: dict = {}


def _dispatching_module(module: types.ModuleType) -> types.ModuleType:
    """A stand-in for ``module`` (SciPy's, say) whose plain-Python functions with a rule
    dispatch through ``bind`` on traced values: ``scipy.special.logsumexp`` converts its
    argument with ``np.asarray`` inside, so without this only its rule can see a Tensor."""
    proxy = _DISPATCHING_MODULES.get(module.__name__)
    if proxy is not None and proxy.__wrapped__ is module:
        return proxy
    proxy = types.ModuleType(module.__name__, module.__doc__)
    proxy.__wrapped__ = module
    for name, value in module.__dict__.items():
        if name.startswith("__") or isinstance(value, types.ModuleType):
            continue  # submodules: replaced on first access, below
        if type(value) is types.FunctionType and _is_registered_python_function(value):
            value = _dispatching(value)
        elif module.__name__ == "scipy.stats":
            value = dispatching_distribution(value) or value
        proxy.__dict__[name] = value

    def submodule(name):  # also those SciPy loads on first access (scipy.special)
        value = getattr(module, name)
        if isinstance(value, types.ModuleType):
            value = _replacement(value) or value
            proxy.__dict__[name] = value
        return value

    proxy.__dict__["__getattr__"] = submodule
    return _DISPATCHING_MODULES.setdefault(module.__name__, proxy)


def _replacement(value):
    """The dispatching stand-in for a global value, or None to keep it."""
    if value is math:
        return DISPATCHING_MATH
    if value is np:
        return DISPATCHING_NUMPY
    if isinstance(value, types.ModuleType):
        if value.__name__ == "pullback":
            return _dispatching_pullback()
        if value.__name__ == "builtins":  # __builtins__: import statements need its __import__
            return None
        if not value.__name__.startswith(("numpy", "pullback")) and _holds_python_rules(value):
            return _dispatching_module(value)
        return None
    if type(value) is types.FunctionType and not (value.__module__ or "").startswith("numpy"):
        if getattr(value, "dispatches", False):
            return None
        if _is_registered_python_function(value):  # pb.stop_gradient, scipy's logsumexp
            return _dispatching(value)
        return None
    if numba_function(value) is not None:
        return _dispatching(value)  # a Numba kernel: one primitive, its rule its gradient
    distribution = dispatching_distribution(value)  # scipy.stats.norm: its norm.logpdf
    if distribution is not None:
        return distribution
    if isinstance(value, types.BuiltinFunctionType):
        name = _MATH_FUNCTIONS.get(id(value))
        if name is not None and getattr(math, name) is value:
            return DISPATCHING_MATH.__dict__[name]
        if value is np.array:
            return _array
        if value is np.asarray or value is np.asanyarray:
            return _asarray
    return None


_COPIES = "copies"  # memo key: [(module globals, its copy, the copy's values when made)]
_ALWAYS_COPY = "always copy"  # memo key: copy the user's globals even with nothing to replace


def _comes_from(exc: BaseException, refused: list) -> bool:
    """Whether ``exc`` is one of the ``refused`` errors or was raised while handling one."""
    seen = 0
    while exc is not None and seen < 20:
        if any(exc is r for r in refused):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def call_in_dispatching_namespace(f: Callable, args: tuple, always_copy: bool = False):
    """``(f(*args), wrote)``: ``f`` run by ``with_dispatching_namespace``; the globals it wrote
    in a copied namespace are written back into their modules, and ``wrote`` says whether it
    wrote any. ``always_copy`` copies a module's globals even where no name needs replacing,
    so that ``wrote`` sees every write to them (graph mode cannot replay one)."""
    memo: dict = {_COPIES: []}
    if always_copy:
        memo[_ALWAYS_COPY] = True
    clone = with_dispatching_namespace(f, memo)
    refused: list = []
    try:
        with watching() as refused:
            out = clone(*args)
        if refused:  # the user's try/except swallowed a refusal: the value is not f's
            raise refused[0]
        return out, _write_back(memo[_COPIES])
    except Exception as exc:
        _write_back(memo[_COPIES])
        if refused and not _comes_from(exc, refused):
            # the user's try/except swallowed a refusal, and what failed later followed from it
            raise refused[0] from None
        if not isinstance(exc, ValueError):
            raise _users_exception(exc, f, args) from None
        if isinstance(exc.__cause__, NonDifferentiableError):
            raise _into_plain_array(exc) from exc
        raise
    except BaseException:
        _write_back(memo[_COPIES])
        raise


def _users_exception(error: Exception, f: Callable, args: tuple) -> BaseException:
    """What the user should see for ``error``, raised while ``f`` ran on traced values: where
    the plain call ``f(*plain args)`` raises too, its own exception (``x.sum(v)`` of a float:
    Python's AttributeError, not what a Tensor's ``sum`` met); else ``error`` itself."""
    from .. import pytree
    from ..source.backend.tracebacks import users_exception

    if isinstance(error, PullbackError):
        return error
    try:
        plain = tuple(pytree.tree_map(_plain, a) for a in args)
    except Exception:  # noqa: BLE001 - an argument pytree cannot rebuild: keep the error
        return error
    own = users_exception(error, f, plain)
    if own is not error:
        own.__suppress_context__ = True
    return own


def _into_plain_array(exc: ValueError) -> NonDifferentiableError:
    """The error for NumPy's "setting an array element with a sequence": ``y[i] = t`` into a
    plain ndarray ``y``, which read the traced ``t`` as a number (refused, see ``__float__``).
    Python gives ``ndarray.__setitem__`` no hook to defer to ``t``, so ``y`` must be an array
    the trace made: one from ``np.zeros``, ``np.array``, ``np.copy`` ... called inside the
    function (those are traced), not ``C.copy()`` or ``C + 0`` of a plain array ``C``."""
    tb, where = exc.__traceback__, {}
    while tb is not None:  # the innermost frame: the line that wrote into the array
        where = {"filename": tb.tb_frame.f_code.co_filename, "lineno": tb.tb_lineno}
        tb = tb.tb_next
    return NonDifferentiableError(
        "writing a traced value into a plain NumPy array (y[i] = x) would drop its derivative",
        hint="make the array inside the function with np.zeros, np.ones, np.full, "
        "np.array(C) or np.copy(C), which are traced; C.copy() or arithmetic on a plain "
        "array C gives a plain array. Or collect the entries and np.stack them",
        **where,
    )


def _write_back(copies: list) -> bool:
    """Copy the names written or deleted in each copied globals dict back to the original."""
    wrote = False
    for original, copy, installed in copies:
        for name, value in list(copy.items()):
            if installed.get(name, _MISSING) is not value:
                original[name] = value
                installed[name] = value  # (a second write-back of the same memo is a no-op)
                wrote = True
        for name in [n for n in installed if n not in copy]:
            original.pop(name, None)
            del installed[name]
            wrote = True
    return wrote


_MISSING = object()


def with_dispatching_namespace(f: Callable, _memo: dict | None = None) -> Callable:
    """``f``, or a clone of it that runs with dispatching ``math`` and ``np.array``.

    Writes to globals land in the copy; run it with ``call_in_dispatching_namespace`` to have
    them reach the module."""
    memo: dict = {} if _memo is None else _memo
    if isinstance(f, types.MethodType):
        func = with_dispatching_namespace(f.__func__, memo)
        return f if func is f.__func__ else types.MethodType(func, f.__self__)
    if type(f) is not types.FunctionType or getattr(f, "dispatches", False):
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
    # source mode, asked for a derivative of the clone inside the run (pb.grad(g)(t) in f),
    # transforms the function itself: the clone's globals dispatch for tracing only
    clone.__pullback_unpatched__ = getattr(f, "__pullback_unpatched__", f)
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
    if not replacements and not (memo.get(_ALWAYS_COPY) and _is_user_module(g)):
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
    copies = memo.get(_COPIES)
    if copies is not None:
        copies.append((g, new_globals, dict(new_globals)))
    return new_globals


def _is_user_module(g: dict) -> bool:
    name = g.get("__name__") or ""
    return not (name == "pullback" or name.startswith(("pullback.", "numpy")))


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
