"""The rule table: one entry per primitive, its JVP and VJP written once, as plain Python.

In: rule definitions made at import time by the modules of ``pullback.rules``.
Out: ``Rule`` objects looked up by the primitive function (``lookup(np.sin)``), by qualified
name (``lookup_name("numpy.sin")``) or by ndarray method name (``lookup_method("sum")``).

How a rule is written
---------------------
Elementwise functions give their partial derivatives::

    @elementwise(np.sin, math.sin)
    def sin(x):
        return np.cos(x)

    @elementwise(np.multiply, operator.mul)
    def multiply(x, y):
        return y, x                     # one partial per argument, in order

A parameter named ``ans`` receives the primal output (``def exp(x, ans): return ans``).
From the partials: ``jvp = sum(x_dot * dx)``, ``vjp_x = unbroadcast(g * dx, x)``, where the
product is ``safe_mul(g, dx)`` unless ``dx`` is a constant: a zero adjoint stays zero where
``dx`` is nan or inf (in a branch ``np.where`` does not take).

Every other primitive gives a VJP and a JVP, side by side::

    def sum_vjp(g, ans, x, axis=None, keepdims=False):
        return unreduce(g, x, axis, keepdims)

    def sum_jvp(x_dot, ans, x, axis=None, keepdims=False):
        return np.sum(x_dot, axis=axis, keepdims=keepdims)

    defrule(np.sum, vjp=sum_vjp, jvp=sum_jvp)

- The VJP takes ``(g, ans, *primal_args, **primal_kwargs)`` and returns the adjoint of each
  differentiable argument: one expression, or a tuple literal with one entry per such argument.
- The JVP takes ``(<arg>_dot for each differentiable argument, ans, *primal_args, **kwargs)``
  and returns the output tangent's contribution from each argument: one expression, or a tuple
  literal with one entry per argument, entry ``i`` linear in the ``i``-th tangent only. The
  ``_dot`` parameter names say which primal parameters are differentiable.
- Both mirror the primal's own parameter names and defaults, so the primal call's arguments
  can be passed to them unchanged.

Rule bodies use only ``np``, ``math`` and the helpers of ``pullback.runtime``, because source
mode splices them into generated code: straight-line statements ending in the one ``return``,
assigning no parameter (``tests/test_rules.py`` checks this for every rule). Entry ``i`` of a
returned tuple is split out into a function of its own (``Rule.vjp_fn(i)``), so asking for one
argument's derivative never computes another's (no ``log(x)`` for the exponent's partial of
``x ** 2``).

``None`` stands for a symbolic zero everywhere: a missing tangent or adjoint.

A rule may be registered under a qualified name instead of a function object
(``elementwise("scipy.special.expit")``), so that a module that is slow to import (SciPy) is
not imported to build the table: ``lookup(fn)`` finds such a rule by ``qualified_name(fn)``.
A method of one of ``scipy.stats``'s distribution instances (``scipy.stats.norm.logpdf``) is
named after the instance it is bound to, when that instance is the one ``scipy.stats`` holds
under its name.
"""

from __future__ import annotations

import ast
import copy
import functools
import inspect
import sys
import textwrap
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import MissingRuleError

__all__ = [
    "Rule",
    "elementwise",
    "defrule",
    "defnondiff",
    "defmethod",
    "lookup",
    "lookup_name",
    "lookup_method",
    "is_nondiff",
    "supported_functions",
    "qualified_name",
    "all_rules",
]

# name -> Rule, id(fn) -> Rule ; filled at import of pullback.rules, read afterwards.
_BY_NAME: dict[str, Rule] = {}
_BY_ID: dict[int, Rule] = {}
_METHODS: dict[str, Method] = {}
_NONDIFF_BY_ID: dict[int, str] = {}
_NONDIFF_BY_NAME: dict[str, Any] = {}
_LOCK = threading.Lock()


def _wrapped_callable(fn: Any) -> str | None:
    """``functools.partial(base, ...)`` or ``numpy.vectorize(step)`` for a callable that wraps
    another function; None for any other."""
    import functools

    import numpy as np

    if isinstance(fn, functools.partial):
        return f"functools.partial({qualified_name(fn.func)}, ...)"
    if isinstance(fn, np.vectorize):
        return f"numpy.vectorize({qualified_name(fn.pyfunc)})"
    return None


def _distribution_method(fn: Any) -> str | None:
    """``scipy.stats.norm.logpdf`` for the method ``logpdf`` bound to ``scipy.stats.norm``
    (the very instance); None for any other callable, and while SciPy is not loaded."""
    if not isinstance(fn, types.MethodType):
        return None
    name = distribution_name(fn.__self__)
    return None if name is None else f"scipy.stats.{name}.{fn.__name__}"


def distribution_name(value: Any) -> str | None:
    """``norm`` for the distribution instance ``scipy.stats.norm``, ``multivariate_normal`` for
    ``scipy.stats.multivariate_normal``; None for any other value (a frozen distribution too)."""
    stats = sys.modules.get("scipy.stats")
    if stats is None or not (type(value).__module__ or "").startswith("scipy.stats"):
        return None
    try:
        name = getattr(value, "name", None)
        if isinstance(name, str) and getattr(stats, name, None) is value:
            return name
    except Exception:  # noqa: BLE001 - an object whose attributes raise: not a distribution
        return None
    # the multivariate ones have no name: found among scipy.stats's instances of their class
    if not type(value).__name__.endswith("_gen"):
        return None
    name = _MULTIVARIATE.get(id(value))
    if name is None:
        for key, member in vars(stats).items():
            if type(member) is type(value) and not key.startswith("_"):
                _MULTIVARIATE[id(member)] = key
        name = _MULTIVARIATE.get(id(value))
    return name if name is not None and getattr(stats, name, None) is value else None


_MULTIVARIATE: dict[int, str] = {}


def qualified_name(fn: Any) -> str:
    """``numpy.sin``, ``math.sin``, ``operator.mul``, ``numpy.linalg.inv``, ``builtins.abs``.

    A string is taken to be a qualified name already (rules registered by name, such as SciPy's,
    whose module is imported only if the user imports it). SciPy's ufuncs and the functions of
    its private modules are named by their public path: ``scipy.special.expit``; a method of a
    distribution of ``scipy.stats`` by the instance's: ``scipy.stats.norm.logpdf``.
    """
    if isinstance(fn, str):
        return fn
    wrapped = _wrapped_callable(fn) or _distribution_method(fn)
    if wrapped is not None:
        return wrapped
    module = getattr(fn, "__module__", None)
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    if module is None:  # ufuncs have no __module__
        import numpy as np

        if isinstance(fn, np.ufunc):
            module = "numpy"
            if getattr(np, name, None) is not fn:
                scipy_special = sys.modules.get("scipy.special")
                if scipy_special is not None and getattr(scipy_special, name, None) is fn:
                    module = "scipy.special"
    if module and module.startswith("scipy.") and "._" in module:
        # a function of SciPy's private modules, by its public path: scipy.integrate.odeint
        module = module[: module.index("._")]
    if module and module.startswith("pullback.runtime."):
        module = "pullback.runtime"
    if module in ("numpy._core.umath", "numpy.core.umath", "numpy._core.multiarray"):
        module = "numpy"
    if module and module.startswith("numpy") and not module.startswith("numpy.linalg"):
        if module.startswith(("numpy._core", "numpy.core", "numpy.lib")):
            module = "numpy"
    if module == "numpy.linalg._linalg" or module == "numpy.linalg.linalg":
        module = "numpy.linalg"
    if module == "_operator":
        module = "operator"
    return f"{module}.{name}" if module else name


@dataclass
class Rule:
    """The derivative of one primitive: per-argument VJPs and JVPs.

    ``diff_params`` are the primal parameter names that are differentiable, in order;
    ``params`` all primal parameter names (for binding a call's arguments to them).
    """

    name: str
    fns: tuple
    vjp: Callable
    jvp: Callable
    diff_params: tuple[str, ...]
    params: tuple[str, ...]
    broadcasts: bool = False
    kind: str = "general"  # "elementwise" or "general"
    linear: bool = False
    positional: int | None = None  # how many positional arguments the rule binds (None: any)
    _split_vjp: dict = field(default_factory=dict, repr=False)
    _split_jvp: dict = field(default_factory=dict, repr=False)

    @property
    def fn(self):
        return self.fns[0]

    # -- binding ---------------------------------------------------------------------------
    def check_arity(self, nargs: int, keywords=()) -> None:
        """Refuse a call with more positional arguments than the rule has parameters (the
        extra ones would get no derivative: a silent zero), or with a keyword the rule does not
        take (the derivative would not see what it changes)."""
        if self.positional is not None and nargs > self.positional:
            from ..errors import PullbackTypeError

            names = ", ".join(self.params[: self.positional])
            raise PullbackTypeError(
                f"the derivative rule of {self.name} takes at most {self.positional} positional "
                f"arguments ({names}), and this call passes {nargs}: the others would get no "
                "derivative; split the call into smaller ones"
            )
        if not keywords:  # the common call: nothing more to check
            return
        known = self.params if self.kind != "elementwise" else self.params + _UFUNC_OPTIONS
        unknown = [k for k in keywords if k is not None and k not in known]
        open_ended = self.kind != "elementwise" and (
            self.positional is None or _takes_any_keyword(self.vjp)
        )
        if unknown and not open_ended:
            from ..errors import PullbackTypeError

            raise PullbackTypeError(
                f"the derivative rule of {self.name} has no keyword {unknown[0]!r} (it takes "
                f"{', '.join(self.params)}): its derivative would not follow what the keyword "
                f"changes; call {self.name} without it, or register a rule that takes it "
                "(pb.rules.defrule)"
            )

    def writes_out(self, args, kwargs: dict | None = None) -> bool:
        """Whether a call with positional ``args`` (values, or their syntax trees) and
        ``kwargs`` passes an array for ``out`` (``np.dot(a, b, out)``): a write into an array
        that the derivative cannot see."""
        if "out" not in self.params:
            return False
        if kwargs and kwargs.get("out") is not None:
            return True
        position = self.params.index("out")
        if self.positional is None or position >= self.positional or len(args) <= position:
            return False
        given = args[position]
        return given is not None and getattr(given, "value", 0) is not None  # None, or ast None

    def diff_positions(self, args: tuple, kwargs: dict) -> dict[str, Any]:
        """Map each differentiable parameter name to the value passed for it (or absent)."""
        self.check_arity(len(args), kwargs)
        bound = {}
        for i, value in enumerate(args):
            if i < len(self.params):
                bound[self.params[i]] = value
        for key, value in kwargs.items():
            bound[key] = value
        return {p: bound[p] for p in self.diff_params if p in bound}

    # -- per-argument functions ----------------------------------------------------------
    def vjp_fn(self, i: int) -> Callable:
        """``(g, ans, *args, **kwargs) -> adjoint of diff_params[i]`` (unbroadcast applied)."""
        fn = self._split_vjp.get(i)
        if fn is None:
            with _LOCK:
                fn = self._split_vjp.get(i)
                if fn is None:
                    fn = _split(self.vjp, i, len(self.diff_params))
                    if self.broadcasts:
                        fn = _with_unbroadcast(fn, self.params.index(self.diff_params[i]))
                    self._split_vjp[i] = fn
        return fn

    def jvp_fn(self, i: int) -> Callable:
        """``(t, ans, *args, **kwargs) -> output tangent contributed by diff_params[i]``."""
        fn = self._split_jvp.get(i)
        if fn is None:
            with _LOCK:
                fn = self._split_jvp.get(i)
                if fn is None:
                    n = len(self.diff_params)
                    part = _split(self.jvp, i, n)
                    fn = _single_tangent(part, i, n)
                    self._split_jvp[i] = fn
        return fn

    def vjp_all(self, g, ans, *args, **kwargs) -> tuple:
        """Adjoints of every differentiable parameter (None where zero).

        A parameter the call leaves out or passes as None (``np.clip(x, None, 1)``, the missing
        operands of a two-operand ``einsum``) gets None without its VJP being run.
        """
        passed = self.diff_positions(args, kwargs)
        return tuple(
            self.vjp_fn(i)(g, ans, *args, **kwargs) if passed.get(p) is not None else None
            for i, p in enumerate(self.diff_params)
        )

    def jvp_all(self, tangents: tuple, ans, *args, **kwargs):
        """Output tangent from the tangents of the differentiable parameters (None = zero)."""
        out = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            term = self.jvp_fn(i)(t, ans, *args, **kwargs)
            out = term if out is None else add_tangents(out, term)
        return out


def add_tangents(a, b):
    """``a + b``; the tangents of a tuple output (``svd``'s, a named tuple) entry by entry."""
    if isinstance(a, (tuple, list)):
        from ..runtime.adjoints import add_adjoints

        return add_adjoints(a, b)
    return a + b


def _with_unbroadcast(fn: Callable, argnum: int) -> Callable:
    from ..runtime import unbroadcast

    @functools.wraps(fn)
    def vjp_unbroadcast(g, ans, *args, **kwargs):
        target = args[argnum] if argnum < len(args) else None
        return unbroadcast(fn(g, ans, *args, **kwargs), target)

    return vjp_unbroadcast


def _single_tangent(part: Callable, i: int, n: int) -> Callable:
    """Adapt a split JVP entry taking all n tangents to one taking only the i-th."""

    def jvp_one(t, ans, *args, **kwargs):
        tangents = [None] * n
        tangents[i] = t
        return part(*tangents, ans, *args, **kwargs)

    jvp_one.__name__ = getattr(part, "__name__", "jvp")
    jvp_one.__wrapped_part__ = part
    return jvp_one


# -- splitting a rule's tuple return into one function per entry ------------------------------


def rule_ast(fn: Callable) -> ast.FunctionDef:
    """The parsed ``def`` of a rule function (cached per function)."""
    return _rule_ast(fn)


@functools.cache
def _rule_ast(fn: Callable) -> ast.FunctionDef:
    source = textwrap.dedent(inspect.getsource(fn))
    tree = ast.parse(source)
    node = tree.body[0]
    while isinstance(node, ast.ClassDef):  # not expected, kept simple
        node = node.body[0]
    if not isinstance(node, ast.FunctionDef):
        raise TypeError(f"rule {fn!r} must be a def")
    return node


def return_entries(node: ast.FunctionDef, n: int) -> list[ast.expr]:
    """The n expressions the rule returns (a tuple literal when n > 1)."""
    ret = node.body[-1]
    if not isinstance(ret, ast.Return) or ret.value is None:
        raise TypeError(f"rule {node.name} must end with a return statement")
    if n == 1:
        if isinstance(ret.value, ast.Tuple) and len(ret.value.elts) == 1:
            return [ret.value.elts[0]]
        return [ret.value]
    if not isinstance(ret.value, ast.Tuple) or len(ret.value.elts) != n:
        raise TypeError(f"rule {node.name} must return a tuple literal of {n} entries")
    return list(ret.value.elts)


def _split(fn: Callable, i: int, n: int) -> Callable:
    """A function computing only the i-th returned entry of ``fn`` (fn itself when n == 1)."""
    if n == 1:
        node = rule_ast(fn)
        entries = return_entries(node, 1)
        if entries[0] is node.body[-1].value:
            return fn
    node = rule_ast(fn)
    entry = return_entries(node, n)[i]
    if isinstance(entry, ast.Constant) and entry.value is None:
        return _zero
    new = ast.FunctionDef(
        name=f"{node.name}_{i}",
        args=node.args,
        body=[*node.body[:-1], ast.Return(value=entry)],
        decorator_list=[],
        returns=None,
        type_comment=None,
        **({"type_params": []} if hasattr(ast.FunctionDef, "type_params") else {}),
    )
    module = ast.Module(body=[copy.deepcopy(new)], type_ignores=[])
    ast.fix_missing_locations(module)
    # the parsed source starts at line 1: a traceback through the entry names the rule's lines
    ast.increment_lineno(module, fn.__code__.co_firstlineno - 1)
    code = compile(module, inspect.getsourcefile(fn) or "<rule>", "exec")
    namespace: dict = {}
    exec(code, fn.__globals__, namespace)
    out = namespace[new.name]
    out.__defaults__ = fn.__defaults__
    out.__kwdefaults__ = fn.__kwdefaults__
    out.__pullback_split__ = True  # no text of its own: source mode takes it as a primitive
    return out


def _zero(*args, **kwargs):
    return None


# -- defining rules --------------------------------------------------------------------------


# keywords of a ufunc call that leave its values (and so its partials) as they are; ``out`` is
# refused elsewhere (a write in place) and ``where`` here (entries it leaves out are undefined)
_UFUNC_OPTIONS = ("out", "dtype", "casting", "order", "subok", "signature")


def _takes_any_keyword(fn: Callable) -> bool:
    """Whether ``fn`` has a ``**kwargs`` parameter."""
    if type(fn) is types.FunctionType:
        return bool(fn.__code__.co_flags & inspect.CO_VARKEYWORDS)
    kinds = [p.kind for p in inspect.signature(fn).parameters.values()]
    return inspect.Parameter.VAR_KEYWORD in kinds


def _positional_count(fn: Callable, skip: int) -> int | None:
    """How many positional parameters ``fn`` has from the ``skip``-th on (None with ``*args``)."""
    if type(fn) is types.FunctionType and not hasattr(fn, "__wrapped__"):
        code = fn.__code__
        return None if code.co_flags & inspect.CO_VARARGS else code.co_argcount - skip
    kinds = [p.kind for p in inspect.signature(fn).parameters.values()]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return None
    return (
        sum(
            k in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for k in kinds
        )
        - skip
    )


def _params_of(fn: Callable, skip: int) -> tuple[str, ...]:
    """``fn``'s parameter names from the ``skip``-th on, without ``*args`` and ``**kwargs``."""
    if type(fn) is types.FunctionType and not hasattr(fn, "__wrapped__"):
        # a plain def, as rules are: its code object lists them (inspect.signature would cost
        # more than the rest of building the table)
        code = fn.__code__
        return code.co_varnames[: code.co_argcount + code.co_kwonlyargcount][skip:]
    sig = inspect.signature(fn)
    names = [
        p.name
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    return tuple(names[skip:])


def _register(rule: Rule) -> Rule:
    with _LOCK:
        for fn in rule.fns:
            if isinstance(fn, str):
                _BY_NAME[fn] = rule
                continue
            _BY_ID[id(fn)] = rule
            _BY_NAME.setdefault(qualified_name(fn), rule)
        _BY_NAME.setdefault(rule.name, rule)
    return rule


def defrule(
    *fns: Any,
    vjp: Callable,
    jvp: Callable,
    broadcasts: bool = False,
    linear: bool = False,
    name: str | None = None,
) -> Rule:
    """Register a primitive's VJP and JVP (see the module docstring for their form)."""
    jvp_params = _params_of(jvp, 0)
    diff = tuple(p[: -len("_dot")] for p in jvp_params if p.endswith("_dot"))
    primal_params = tuple(p for p in jvp_params if not p.endswith("_dot"))[1:]  # drop ans
    vjp_params = _params_of(vjp, 2)
    if vjp_params != primal_params:
        raise TypeError(
            f"rule for {name or fns}: vjp params {vjp_params} != jvp primal params {primal_params}"
        )
    missing = [d for d in diff if d not in primal_params]
    if missing:
        raise TypeError(f"rule for {name or fns}: tangents {missing} name no primal parameter")
    rule = Rule(
        name=name or qualified_name(fns[0]),
        fns=tuple(fns),
        vjp=vjp,
        jvp=jvp,
        diff_params=diff,
        params=primal_params,
        broadcasts=broadcasts,
        linear=linear,
        positional=_positional_count(vjp, 2),
    )
    return _register(rule)


def elementwise(*fns: Any, nondiff: tuple[str, ...] = (), name: str | None = None):
    """Decorator: register an elementwise primitive by its partial derivatives."""

    def decorate(partials: Callable) -> Callable:
        all_params = _params_of(partials, 0)
        params = tuple(p for p in all_params if p != "ans")
        diff = tuple(p for p in params if p not in nondiff)
        rule = Rule(
            name=name or qualified_name(fns[0]),
            fns=tuple(fns),
            vjp=partials,
            jvp=partials,
            diff_params=diff,
            params=params,
            broadcasts=True,
            kind="elementwise",
        )
        _bind_elementwise(rule, partials, uses_ans="ans" in all_params)
        _register(rule)
        return partials

    return decorate


def _bind_elementwise(rule: Rule, partials: Callable, uses_ans: bool) -> None:
    """Make vjp_fn/jvp_fn of an elementwise rule multiply its partials by g / the tangent."""
    import numpy as np

    from ..runtime import times_partial, unbroadcast

    plain = (float, complex, np.float64, np.float32, np.complex128, np.ndarray)

    n = len(rule.diff_params)

    def partial_fn(i):
        """Entry i of the partials (one entry per differentiable parameter, in order)."""
        return partials if n == 1 else _split(partials, i, n)

    def call_partial(p, ans, args, kwargs):
        if kwargs and not all(k in rule.params for k in kwargs):  # ufunc options: see check_arity
            kwargs = {k: v for k, v in kwargs.items() if k in rule.params}
        if uses_ans:
            kwargs = dict(kwargs, ans=ans)
        return p(*args, **kwargs)

    def vjp_fn(i):
        fn = rule._split_vjp.get(i)
        if fn is None:
            p = partial_fn(i)
            argnum = rule.params.index(rule.diff_params[i])

            def fn(g, ans, *args, **kwargs):
                target = args[argnum] if argnum < len(args) else kwargs.get(rule.diff_params[i])
                return unbroadcast(times_partial(g, call_partial(p, ans, args, kwargs)), target)

            rule._split_vjp[i] = fn
        return fn

    def jvp_fn(i):
        fn = rule._split_jvp.get(i)
        if fn is None:
            p = partial_fn(i)

            def fn(t, ans, *args, **kwargs):
                partial = call_partial(p, ans, args, kwargs)
                tangent = t * partial
                if tangent.__class__ not in plain or not np.isfinite(
                    np.add.reduce(tangent, axis=None)
                ):
                    # a zero tangent stays zero where the partial is inf (0 ** y at 0)
                    tangent = times_partial(t, partial)
                if np.shape(tangent) != np.shape(ans):  # an argument broadcast into the output
                    tangent = np.broadcast_to(tangent, np.shape(ans)).copy()
                return tangent

            rule._split_jvp[i] = fn
        return fn

    rule.vjp_fn = vjp_fn  # type: ignore[method-assign]
    rule.jvp_fn = jvp_fn  # type: ignore[method-assign]
    rule.partial_fn = partial_fn  # type: ignore[attr-defined]
    rule.uses_ans = uses_ans  # type: ignore[attr-defined]


def defnondiff(*fns: Any, names: tuple[str, ...] = ()) -> None:
    """Register functions whose derivative is zero everywhere it exists (floor, len, argmax)."""
    with _LOCK:
        for fn in fns:
            _NONDIFF_BY_ID[id(fn)] = qualified_name(fn)
            _NONDIFF_BY_NAME[qualified_name(fn)] = fn
        for n in names:
            _NONDIFF_BY_NAME[n] = None


@dataclass(frozen=True)
class Method:
    """An ndarray method or attribute expressed as a call of a registered function.

    ``adapt(obj, *args, **kwargs) -> (fn, args, kwargs)`` rewrites ``obj.name(*args)`` as
    ``fn(*args)``; for attributes (``x.T``) it is called with ``obj`` alone.
    """

    name: str
    adapt: Callable
    attribute: bool = False


def defmethod(name: str, adapt: Callable, attribute: bool = False) -> None:
    """Register an ndarray method (``x.sum(...)``) or attribute (``x.T``) by its function form."""
    with _LOCK:
        _METHODS[name] = Method(name, adapt, attribute)


# -- lookup ----------------------------------------------------------------------------------


def lookup(fn: Any) -> Rule | None:
    """The rule for a primitive function object, or None."""
    rule = _BY_ID.get(id(fn))
    if rule is not None:
        return rule
    from ..callables import numba_function

    if numba_function(fn) is not None:
        from ..kernel_rules import kernel_rule  # a Numba kernel: its compiled gradient

        return kernel_rule(fn)
    try:
        return _BY_NAME.get(qualified_name(fn))
    except Exception:
        return None


def lookup_name(name: str) -> Rule | None:
    return _BY_NAME.get(name)


def lookup_method(name: str) -> Method | None:
    return _METHODS.get(name)


def is_nondiff(fn: Any) -> bool:
    if id(fn) in _NONDIFF_BY_ID:
        return True
    try:
        return qualified_name(fn) in _NONDIFF_BY_NAME
    except Exception:
        return False


def require(fn: Any, **where) -> Rule:
    """The rule for ``fn``; raises MissingRuleError naming it when there is none."""
    rule = lookup(fn)
    if rule is None:
        raise MissingRuleError(qualified_name(fn), **where)
    return rule


def all_rules() -> list[Rule]:
    """Every distinct registered rule."""
    seen: dict[int, Rule] = {}
    for rule in _BY_NAME.values():
        seen[id(rule)] = rule
    return list(seen.values())


def supported_functions() -> list[str]:
    """The qualified names of every function and method with a derivative rule."""
    names = set(_BY_NAME) | {f"numpy.ndarray.{m}" for m in _METHODS}
    from .substitutes import substituted_names

    return sorted(names | substituted_names())


def nondiff_functions() -> list[str]:
    return sorted(_NONDIFF_BY_NAME)
