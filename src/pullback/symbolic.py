"""Symbolic mode: a traced graph turned into a SymPy expression and differentiated by algebra.

In: a scalar function of scalar arguments written with plain ``np`` / ``math`` (or a ``Graph``).
Out: SymPy expressions (``expression``, ``derivative``), and the mode primitives ``vjp`` and
``jvp`` (with ``grad`` and ``value_and_grad``) that evaluate the derivative, lambdified to NumPy.

How: ``pb.trace`` runs the function once and records each primitive call as a graph node named
by its qualified name (``numpy.sin``, ``operator.mul``, ``math.log``); ``SYMPY_FUNCTIONS`` says
which SymPy function means the same; the output node's expression goes to ``sympy.diff``.

Control flow: a trace follows the branches and loop counts taken at the point it runs on, so an
expression (and its derivative) is exact on that path only. ``derivative(f, at=...)`` says
which point to trace at. The mode primitives check the path on every call: when the function's
value disagrees with the cached expression's, they trace the function again at the new point.

SymPy is imported inside the functions that need it; importing pullback never imports it.

>>> import numpy as np
>>> derivative(lambda x: np.log(x * x))      # doctest: +SKIP
2/x
"""

from __future__ import annotations

import inspect
import math
import numbers
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .api import (
    _fname,
    _normalize_argnums,
    check_differentiable,
    check_scalar_output,
    grad_from_value_and_grad,
    match_leaf,
    value_and_grad_result,
)
from .errors import MissingRuleError, NonDifferentiableError, PullbackError, PullbackTypeError
from .graph.ir import Graph, Node, node_inputs
from .rules.registry import nondiff_functions
from .symbolic_paths import explore, follow
from .tape.guards import GUARDS

__all__ = [
    "expression",
    "derivative",
    "graph_expression",
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "SYMPY_FUNCTIONS",
]

# -- the translation table: qualified primitive name -> SymPy meaning -------------------------
#
# Each entry is ``translate(sp, *args, **kwargs) -> sympy expression``, where ``sp`` is the
# sympy module and the arguments are already SymPy expressions. To teach symbolic mode a new
# primitive, add an entry: ``SYMPY_FUNCTIONS["numpy.foo"] = lambda sp, x: ...``.

SYMPY_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def _define(names: str, translate: Callable[..., Any]) -> None:
    for name in names.split():
        SYMPY_FUNCTIONS[name] = translate


def _same(sp, x, *_, **__):
    return x


def _log(sp, x, base=None):
    return sp.log(x) if base is None else sp.log(x, base)


_define("operator.add operator.iadd numpy.add", lambda sp, x, y: x + y)
_define("operator.sub operator.isub numpy.subtract", lambda sp, x, y: x - y)
_define("operator.mul operator.imul numpy.multiply", lambda sp, x, y: x * y)
_define("operator.truediv operator.itruediv numpy.divide numpy.true_divide", lambda sp, x, y: x / y)
_define(
    "operator.pow operator.ipow numpy.power numpy.float_power math.pow builtins.pow",
    lambda sp, x, y: x**y,
)
_define("operator.neg numpy.negative", lambda sp, x: -x)
# On a scalar these are the identity.
_define(
    "operator.pos numpy.positive builtins.float numpy.float64 numpy.asarray numpy.array "
    "numpy.sum numpy.mean numpy.prod numpy.squeeze numpy.copy numpy.real",
    _same,
)
for _numpy, _math, _sympy in [
    ("sin", "sin", "sin"),
    ("cos", "cos", "cos"),
    ("tan", "tan", "tan"),
    ("arcsin", "asin", "asin"),
    ("arccos", "acos", "acos"),
    ("arctan", "atan", "atan"),
    ("sinh", "sinh", "sinh"),
    ("cosh", "cosh", "cosh"),
    ("tanh", "tanh", "tanh"),
    ("arcsinh", "asinh", "asinh"),
    ("arccosh", "acosh", "acosh"),
    ("arctanh", "atanh", "atanh"),
    ("exp", "exp", "exp"),
    ("sqrt", "sqrt", "sqrt"),
    ("cbrt", "cbrt", "cbrt"),
]:
    _define(
        f"numpy.{_numpy} math.{_math}",
        lambda sp, x, _name=_sympy: getattr(sp, _name)(x),
    )
_define(
    "numpy.abs numpy.fabs builtins.abs operator.abs numpy.absolute math.fabs",
    lambda sp, x: sp.Piecewise((x, x >= 0), (-x, True)),
)
_define("numpy.log math.log", _log)
_define("numpy.log2 math.log2", lambda sp, x: sp.log(x, 2))
_define("numpy.log10 math.log10", lambda sp, x: sp.log(x, 10))
_define("numpy.log1p math.log1p", lambda sp, x: sp.log(1 + x))
_define("numpy.expm1 math.expm1", lambda sp, x: sp.exp(x) - 1)
_define("numpy.exp2", lambda sp, x: 2**x)
_define("numpy.square", lambda sp, x: x**2)
_define("numpy.reciprocal", lambda sp, x: 1 / x)
_define("numpy.hypot math.hypot", lambda sp, x, y: sp.sqrt(x**2 + y**2))
_define("numpy.arctan2 math.atan2", lambda sp, y, x: sp.atan2(y, x))
_define(
    "numpy.maximum numpy.fmax builtins.max",
    lambda sp, x, y: sp.Piecewise((x, x >= y), (y, True)),
)
_define(
    "numpy.minimum numpy.fmin builtins.min",
    lambda sp, x, y: sp.Piecewise((x, x <= y), (y, True)),
)
_define("numpy.logaddexp", lambda sp, x, y: sp.log(sp.exp(x) + sp.exp(y)))
_define("numpy.deg2rad numpy.radians math.radians", lambda sp, x: x * sp.pi / 180)
_define("numpy.rad2deg numpy.degrees math.degrees", lambda sp, x: x * 180 / sp.pi)
_define("math.erf scipy.special.erf", lambda sp, x: sp.erf(x))
_define("math.erfc scipy.special.erfc", lambda sp, x: sp.erfc(x))
_define("math.gamma scipy.special.gamma", lambda sp, x: sp.gamma(x))
_define("math.lgamma scipy.special.gammaln", lambda sp, x: sp.loggamma(x))
_define("scipy.special.expit", lambda sp, x: 1 / (1 + sp.exp(-x)))


# Piecewise-constant functions: SymPy functions of one argument whose derivative is zero
# (SymPy's own floor and sign differentiate to unevaluated Derivatives and DiracDeltas).
_STEP_NUMERIC: dict[str, Callable] = {
    "floor": np.floor,
    "ceiling": np.ceil,
    "trunc": np.trunc,
    "rint": np.rint,
    "sign": np.sign,
}
_STEP_CLASSES: dict[str, Any] = {}


def _step(name: str) -> Callable[..., Any]:
    def translate(sp, x, *options, **kw_options):
        if any(o not in (None, 0) for o in (*options, *kw_options.values())):
            raise TypeError(f"{name} with options {options or kw_options}")
        cls = _STEP_CLASSES.get(name)
        if cls is None:
            numeric = _STEP_NUMERIC[name]

            def eval_(cls, arg):
                if arg.is_Number:
                    return sp.sympify(float(numeric(float(arg))))
                return None

            cls = _STEP_CLASSES.setdefault(
                name,
                type(
                    name,
                    (sp.Function,),
                    {
                        "eval": classmethod(eval_),
                        "fdiff": lambda self, argindex=1: sp.S.Zero,
                        "_eval_is_real": lambda self: True,
                    },
                ),
            )
        return cls(x)

    return translate


_define("numpy.floor math.floor", _step("floor"))
_define("numpy.ceil math.ceil", _step("ceiling"))
_define("numpy.trunc numpy.fix math.trunc", _step("trunc"))
_define("numpy.rint numpy.round numpy.around builtins.round", _step("rint"))
_define("numpy.sign", _step("sign"))
_define("pullback.custom.stop_gradient", lambda sp, x: _stopped(sp, x))
_define(
    "numpy.heaviside",
    lambda sp, x, h: sp.Piecewise((0, x < 0), (h, sp.Eq(x, 0)), (1, True)),
)


def _stopped(sp, x):
    """``stop_gradient(x)``: the value of ``x``, a derivative of zero."""
    cls = _STEP_CLASSES.get("stop_gradient")
    if cls is None:
        _STEP_NUMERIC.setdefault("stop_gradient", lambda v: v)
        cls = _STEP_CLASSES.setdefault(
            "stop_gradient",
            type(
                "stop_gradient",
                (sp.Function,),
                {
                    "eval": classmethod(lambda cls, arg: arg if arg.is_Number else None),
                    "fdiff": lambda self, argindex=1: sp.S.Zero,
                    "_eval_is_real": lambda self: True,
                },
            ),
        )
    return cls(x)


# Comparisons, logic and selection: their arguments and results may be SymPy conditions.
SYMPY_CONDITIONS: dict[str, Callable[..., Any]] = {}


def _define_condition(names: str, translate: Callable[..., Any]) -> None:
    for name in names.split():
        SYMPY_CONDITIONS[name] = translate


for _sympy_name, _names in (
    ("Lt", "operator.lt numpy.less"),
    ("Le", "operator.le numpy.less_equal"),
    ("Gt", "operator.gt numpy.greater"),
    ("Ge", "operator.ge numpy.greater_equal"),
    ("Eq", "operator.eq numpy.equal"),
    ("Ne", "operator.ne numpy.not_equal"),
):
    _define_condition(
        _names,
        lambda sp, x, y, _c=_sympy_name: getattr(sp, _c)(_number(sp, x), _number(sp, y)),
    )
for _sympy_name, _names in (
    ("And", "numpy.logical_and"),
    ("Or", "numpy.logical_or"),
    ("Xor", "numpy.logical_xor"),
):
    _define_condition(
        _names,
        lambda sp, x, y, _c=_sympy_name: getattr(sp, _c)(condition_of(sp, x), condition_of(sp, y)),
    )
_define_condition("operator.not_ numpy.logical_not", lambda sp, x: sp.Not(condition_of(sp, x)))
_define_condition("operator.truth builtins.bool", lambda sp, x: condition_of(sp, x))
_define_condition(
    "numpy.where",
    lambda sp, c, x, y: sp.Piecewise((_number(sp, x), condition_of(sp, c)), (_number(sp, y), True)),
)


def _is_condition(sp, e) -> bool:
    boolalg = sp.logic.boolalg
    return isinstance(
        e, (sp.core.relational.Relational, boolalg.BooleanAtom, boolalg.BooleanFunction)
    )


def condition_of(sp, e):
    """``e`` as a SymPy condition: itself if it is one, else ``e != 0`` (Python's truth)."""
    return e if _is_condition(sp, e) else sp.Ne(e, 0)


def _number(sp, e):
    """``e`` as a SymPy number: a condition becomes 1 where it holds and 0 elsewhere."""
    if not _is_condition(sp, e):
        return e
    if e == sp.true:
        return sp.Integer(1)
    if e == sp.false:
        return sp.Integer(0)
    return sp.Piecewise((1, e), (0, True))


def _sympy():
    try:
        import sympy
    except ImportError as err:  # pragma: no cover - sympy is in the "symbolic" extra
        raise PullbackError(
            "symbolic mode needs SymPy: pip install 'pullback[symbolic]' (or pip install sympy)"
        ) from err
    return sympy


_GUARD_KINDS = {fn: kind for kind, fn in GUARDS.items()}

_SCALARS_ONLY = (
    "symbolic mode handles scalar functions of scalars; use mode='source' (or 'tape', 'graph') "
    "for arrays and structured values"
)


# -- graph -> expression ------------------------------------------------------------------------


def _constant(sp, value: Any, where: str):
    """A numeric constant as an exact SymPy number where that is exact (2.0 -> 2, 0.5 -> 1/2)."""
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            raise PullbackTypeError(
                f"{_SCALARS_ONLY}; {where} uses an array of shape {value.shape}"
            )
        value = value[()]
    if isinstance(value, (bool, np.bool_)):
        return sp.Integer(int(value))
    if isinstance(value, numbers.Integral):
        return sp.Integer(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if value == math.pi:
            return sp.pi
        if value == math.e:
            return sp.E
        if math.isfinite(value):
            numerator, denominator = value.as_integer_ratio()
            if denominator <= 1024:
                return sp.Rational(numerator, denominator)
        return sp.Float(value)
    raise PullbackTypeError(f"{_SCALARS_ONLY}; {where} uses the constant {value!r}")


def _node_place(node: Node) -> dict:
    return {"filename": node.filename, "lineno": node.lineno}


def graph_expression(graph: Graph, symbols: Sequence | None = None, output: Any = None) -> Any:
    """The SymPy expression a scalar graph computes, in ``symbols`` (one per graph input).

    Without ``symbols``, each input becomes a real symbol named after it; ``output`` (a node
    of the graph or a constant) defaults to the graph's output. A traced graph holds only on
    the path its guards check (``if x > 0`` taken when it was traced): its expression is then
    a ``Piecewise`` that is NaN where the guards fail, never the traced path's formula there.
    """
    sp = _sympy()
    if symbols is None:
        symbols = _symbols([n.label for n in graph.inputs])
    if len(symbols) != len(graph.inputs):
        raise PullbackError(
            f"graph {graph.name} has {len(graph.inputs)} input(s) but {len(symbols)} symbol(s) "
            "were given"
        )
    translator = Translator(graph.inputs, symbols)
    translator.advance(graph.nodes)
    expr = translator.of(graph.outputs if output is None else output, "the output")
    if translator.conditions:
        return sp.Piecewise((expr, sp.And(*translator.conditions)), (sp.nan, True))
    return expr


class Translator:
    """Graph nodes to SymPy expressions, one node at a time in recorded order.

    ``advance(nodes)`` translates the nodes not seen yet (a tracer calls it at each branch
    decision, so the condition's expression is known while the function runs); ``of(x)`` is
    the expression of a node or constant. Guard nodes of a traced graph add the condition they
    check to ``conditions``.
    """

    def __init__(self, inputs: Sequence[Node], symbols: Sequence):
        self.sp = _sympy()
        self.env: dict[int, Any] = {id(n): s for n, s in zip(inputs, symbols, strict=True)}
        self.held = set(nondiff_functions())
        self.conditions: list = []
        self.done = 0

    def advance(self, nodes: Sequence[Node]) -> None:
        for node in nodes[self.done :]:
            if id(node) not in self.env:
                self._translate(node)
        self.done = len(nodes)

    def of(self, value: Any, where: str):
        """The expression of ``value`` (a node translated already, or a constant)."""
        sp = self.sp
        if isinstance(value, Node):
            try:
                found = self.env[id(value)]
            except KeyError:
                raise PullbackError(
                    f"{where} reads {value.label}, which is not computed inside the graph"
                ) from None
            if isinstance(found, _Held):
                if found.depends:
                    node = found.node
                    raise NonDifferentiableError(
                        f"symbolic mode has no SymPy translation for {node.op}, and its value "
                        "depends on the arguments: a formula would freeze it at the traced point",
                        hint=(
                            f"add one: pullback.symbolic.SYMPY_FUNCTIONS[{node.op!r}] = "
                            "lambda sp, x: ...; or use mode='source'"
                        ),
                        **_node_place(node),
                    )
                found = self.env[id(value)] = _constant(sp, found.node.value, where)
            return found
        if isinstance(value, (np.ndarray, numbers.Number)):
            return _constant(sp, value, where)
        if isinstance(value, (list, tuple, dict)) and node_inputs(Node(0, "", args=(value,))):
            raise PullbackTypeError(f"{_SCALARS_ONLY}; {where} takes a {type(value).__name__}")
        return value  # an option such as dtype=float or axis=(): the translation may ignore it

    def condition(self, node: Node):
        """The condition ``bool(node)`` tests, as a SymPy boolean."""
        return condition_of(self.sp, self.of(node, "a branch condition"))

    def guard_condition(self, what: str, node: Node, result: Any):
        """What must hold for ``what(node)`` (``int``, ``round`` ...) to give ``result`` again."""
        sp = self.sp
        if what == "bool":
            c = self.condition(node)
            return c if result else sp.Not(c)
        e = _number(sp, self.of(node, f"{what}()"))
        r = sp.Integer(int(result)) if what != "float" else _constant(sp, result, "float()")
        if what in ("index", "float"):
            return sp.Eq(e, r)
        if what == "round":
            return sp.And(e > r - sp.Rational(1, 2), e < r + sp.Rational(1, 2))
        if r > 0:  # int() truncates towards zero
            return sp.And(e >= r, e < r + 1)
        if r < 0:
            return sp.And(e > r - 1, e <= r)
        return sp.And(e > -1, e < 1)

    def _translate(self, node: Node) -> None:
        sp = self.sp
        if node.op == "input":
            raise PullbackError(f"input {node.label} is not among the graph's inputs")
        where = f"{node.label} = {node.op}(...)"
        if node.op == "pullback.guard":
            self.env[id(node)] = _Held(node, False)
            kind = _GUARD_KINDS.get(node.fn)
            watched = node.args[0] if node.args else None
            if kind is None or not isinstance(watched, Node):
                return  # a guard on a non-numeric argument: no formula involved
            if kind != "bool" and _integral_input(watched):
                return  # range(n) of an integer argument: held at its value
            self.conditions.append(self.guard_condition(kind, watched, node.args[1]))
            return
        translate = SYMPY_CONDITIONS.get(node.op) or SYMPY_FUNCTIONS.get(node.op)
        numeric = node.op not in SYMPY_CONDITIONS
        if translate is None and (getattr(node, "nondiff", False) or node.op in self.held):
            depends = any(self._depends(n) for n in node_inputs(node))
            self.env[id(node)] = _Held(node, depends)  # a guard, argmax, an integer size ...
            return
        if tuple(node.shape) != ():
            raise PullbackTypeError(
                f"{_SCALARS_ONLY}; {where} has shape {tuple(node.shape)}"
                + (f" (line {node.lineno})" if node.lineno else "")
            )
        if translate is None:
            raise MissingRuleError(
                node.op,
                f"symbolic mode has no SymPy translation for {node.op}",
                hint=(
                    f"add one: pullback.symbolic.SYMPY_FUNCTIONS[{node.op!r}] = "
                    "lambda sp, x: ...; or use mode='source'"
                ),
                **_node_place(node),
            )
        args = [self.of(a, where) for a in node.args]
        kwargs = {k: self.of(v, where) for k, v in node.kwargs.items() if v is not None}
        if numeric:
            args = [_number(sp, a) for a in args]
            kwargs = {k: _number(sp, v) for k, v in kwargs.items()}
        try:
            self.env[id(node)] = translate(sp, *args, **kwargs)
        except TypeError as err:
            raise MissingRuleError(
                node.op,
                f"symbolic mode cannot translate this call of {node.op} ({err})",
                hint="use mode='source' for this function",
                **_node_place(node),
            ) from None

    def _depends(self, node: Node) -> bool:
        found = self.env.get(id(node))
        if isinstance(found, _Held):
            return found.depends
        return bool(getattr(found, "free_symbols", None))


def _integral_input(node: Node) -> bool:
    value = node.value
    return (
        node.op == "input"
        and isinstance(value, (numbers.Integral, np.integer))
        and not isinstance(value, (bool, np.bool_))
    )


@dataclass
class _Held:
    """A node no derivative flows through: it enters expressions as its traced value."""

    node: Node
    depends: bool  # its value depends on the graph's inputs


def _symbols(names: Sequence[str]) -> list:
    sp = _sympy()
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        name = name if name and name not in seen else f"x{i}"
        seen.add(name)
        out.append(sp.Symbol(name, real=True))
    return out


# -- tracing a function --------------------------------------------------------------------------


def _trace_function() -> Callable:
    """``pb.trace`` (graph mode), or tape mode's recorder, which builds the same ``Graph``."""
    import pullback

    trace = getattr(pullback, "trace", None)
    if not callable(trace):
        from .tape import record as trace
    return trace


def _parameter_names(f: Callable) -> list[str] | None:
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return None
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _sample_point(f: Callable) -> tuple[float, ...]:
    """Where to trace when the caller gives no point: 0.7, 0.9, 1.1, ... per parameter."""
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        params = None
    if params is None or any(p.kind == p.VAR_POSITIONAL for p in params):
        raise PullbackError(
            f"cannot tell how many arguments {_fname(f)} takes; pass the point to trace at, "
            "e.g. derivative(f, at=(1.0, 2.0))"
        )
    required = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return tuple(0.7 + 0.2 * i for i in range(len(required)))


def _point_function(
    f: Callable, args: Sequence, kwargs: dict, positions: Sequence[int], has_aux: bool
) -> tuple[Callable, list, list]:
    """``f`` as a function of the arguments at ``positions`` only; their names and symbols."""
    args = list(args)

    def traced(*scalars):
        full = list(args)
        for i, s in zip(positions, scalars, strict=True):
            full[i] = s
        out = f(*full, **kwargs)
        return out[0] if has_aux else out

    names = _parameter_names(f) or []
    symbols = _symbols([names[i] if i < len(names) else f"x{i}" for i in positions])
    traced.__name__ = _fname(f)
    traced.__qualname__ = getattr(f, "__qualname__", traced.__name__)
    return traced, [s.name for s in symbols], symbols


def _translator_for(symbols: list) -> Callable:
    return lambda inputs: Translator(inputs, symbols)


def _traced_path(
    f: Callable, args: Sequence, kwargs: dict, positions: Sequence[int], has_aux: bool = False
) -> tuple[Any, list, list]:
    """``(expression, symbols, conditions)`` of the path ``f`` takes at ``args``."""
    traced, names, symbols = _point_function(f, args, kwargs, positions, has_aux)
    point = [args[i] for i in positions]
    path = follow(traced, point, names, _translator_for(symbols))
    return path.expression, symbols, path.conditions


def _traced_expression(
    f: Callable, args: Sequence, kwargs: dict, positions: Sequence[int], has_aux: bool = False
) -> tuple[Any, list]:
    """Trace ``f`` at ``args``; the expression of the path taken there, one symbol a position."""
    expr, symbols, _ = _traced_path(f, args, kwargs, positions, has_aux)
    return expr, symbols


def _every_path(f: Callable, point: Sequence) -> tuple[Any, list]:
    """The expression of ``f`` on every path: a ``Piecewise`` where it branches."""
    sp = _sympy()
    positions = range(len(point))
    traced, names, symbols = _point_function(f, point, {}, positions, False)
    pieces = explore(traced, point, names, symbols, _translator_for(symbols))
    if len(pieces) == 1:
        return pieces[0][0], symbols
    *first, (last, _) = pieces  # the pieces cover every case: the last holds where none else
    return sp.Piecewise(*first, (last, True)), symbols


def _diff(expr, *symbols):
    """``sympy.diff``; where a derivative is a ``Piecewise``, cases that agree are merged."""
    sp = _sympy()
    d = sp.diff(expr, *symbols)
    if d.has(sp.Piecewise):
        d = sp.piecewise_fold(d)
    return d


# -- public expressions ---------------------------------------------------------------------------


def _expression_and_symbols(f: Callable | Graph, at: Sequence | None) -> tuple[Any, list]:
    if isinstance(f, Graph):
        symbols = _symbols([n.label for n in f.inputs])
        return graph_expression(f, symbols), symbols
    point = tuple(at) if at is not None else _sample_point(f)
    for i, value in enumerate(point):
        _require_scalar(value, f"argument {i} of {_fname(f)}")
    return _every_path(f, point)


def expression(f: Callable | Graph, *, at: Sequence | None = None) -> Any:
    """The SymPy expression of scalar function ``f`` (or of a scalar ``Graph``).

    ``f`` is traced at ``at`` (default 0.7, 0.9, 1.1, ... for its parameters), then along
    every other branch it can take: where it branches on a comparison of symbolic values
    (``if``, conditional expressions, ``np.where``, ``min``/``max``), the expression is a
    ``Piecewise``. A loop whose number of iterations depends on the arguments, or an integer
    made of them (``range(int(x))``), has no finite formula and is refused with a
    ``PullbackError``. Integer arguments used as counts (``range(n)``) are held at their value.

    >>> import numpy as np
    >>> expression(lambda x: np.sin(x) * x)   # doctest: +SKIP
    x*sin(x)
    """
    return _expression_and_symbols(f, at)[0]


def derivative(
    f: Callable | Graph, wrt: int | str | Sequence[int | str] = 0, *, at: Sequence | None = None
) -> Any:
    """The derivative of scalar function ``f`` as a SymPy expression, by ``sympy.diff``.

    ``wrt`` picks the argument by position or name; a sequence differentiates repeatedly
    (``wrt=(0, 0)`` is the second derivative). The expression is ``expression(f, at=at)``:
    a ``Piecewise`` where ``f`` branches, refused where no finite formula describes ``f``.

    >>> import numpy as np, pullback as pb
    >>> pb.symbolic.derivative(lambda x: np.log(x * x))   # doctest: +SKIP
    2/x
    """
    expr, symbols = _expression_and_symbols(f, at)
    wrts = [wrt] if isinstance(wrt, (int, str)) else list(wrt)
    chosen = []
    for w in wrts:
        if isinstance(w, str):
            matches = [s for s in symbols if s.name == w]
            if not matches:
                names = ", ".join(s.name for s in symbols)
                raise PullbackError(f"wrt={w!r} names no argument; the arguments are {names}")
            chosen.append(matches[0])
        elif -len(symbols) <= w < len(symbols):
            chosen.append(symbols[w])
        else:
            raise PullbackError(f"wrt={w} is out of range for {len(symbols)} argument(s)")
    return _diff(expr, *chosen)


# -- compiled derivatives, cached per function -------------------------------------------------


@dataclass
class _Path:
    """The expression of one traced path, its partial derivatives, lambdified to NumPy.

    ``holds`` tests the path's conditions (the branch decisions it took) at a point.
    """

    expression: Any
    symbols: list
    value_fn: Callable
    partial_fns: list[Callable]
    holds: Callable | None = None

    def agrees(self, point: Sequence, value: Any) -> bool:
        try:
            with np.errstate(all="ignore"):
                if self.holds is not None and not bool(self.holds(*point)):
                    return False
                mine = self.value_fn(*point)
            return bool(np.isclose(mine, value, rtol=1e-9, atol=1e-12, equal_nan=True))
        except Exception:
            return False

    def partials(self, point: Sequence) -> list:
        return [fn(*point) for fn in self.partial_fns]


_PATHS_PER_KEY = 8
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _lambdify(symbols: list, expr) -> Callable:
    sp = _sympy()
    return sp.lambdify(symbols, expr, modules=[dict(_STEP_NUMERIC), "numpy", "math"], dummify=True)


def _compile(expr, symbols: list, conditions: Sequence = ()) -> _Path:
    sp = _sympy()
    holds = _lambdify(symbols, sp.And(*conditions)) if conditions else None
    partials = [_lambdify(symbols, _diff(expr, s)) for s in symbols]
    return _Path(expr, symbols, _lambdify(symbols, expr), partials, holds)


def _cache_key(args: Sequence, kwargs: dict, positions: Sequence[int], has_aux: bool):
    """What besides the differentiated values the trace depends on; None when unhashable."""
    constants = tuple((i, type(a).__name__, a) for i, a in enumerate(args) if i not in positions)
    key = (len(args), tuple(positions), constants, tuple(sorted(kwargs.items())), has_aux)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _path_for(
    f: Callable, args: Sequence, kwargs: dict, positions: Sequence[int], value, has_aux: bool
) -> _Path:
    """The cached path whose expression gives ``value`` at ``args``, or a new trace there."""
    point = [args[i] for i in positions]
    key = _cache_key(args, kwargs, positions, has_aux)
    if key is not None:
        with _LOCK:
            try:
                paths = list(_CACHE.get(f, {}).get(key, ()))
            except TypeError:  # f cannot be weakly referenced
                paths = []
        for path in paths:
            if path.agrees(point, value):
                return path
    path = _compile(*_traced_path(f, args, kwargs, positions, has_aux))
    if key is not None:
        with _LOCK:
            try:
                per_key = _CACHE.setdefault(f, {})
            except TypeError:
                return path
            paths = per_key.setdefault(key, [])
            paths.insert(0, path)
            del paths[_PATHS_PER_KEY:]
    return path


def _is_scalar(x: Any) -> bool:
    if isinstance(x, np.ndarray):
        return x.ndim == 0
    return isinstance(x, numbers.Number) and not isinstance(x, complex)


def _require_scalar(x: Any, what: str) -> None:
    if isinstance(x, complex) or np.iscomplexobj(x):
        raise PullbackTypeError(
            f"symbolic mode differentiates real scalars only, and {what} is complex; use "
            "mode='source' (or 'tape', 'graph') for complex arguments"
        )
    if not _is_scalar(x):
        shape = np.shape(x) if isinstance(x, np.ndarray) else type(x).__name__
        raise PullbackTypeError(f"{_SCALARS_ONLY}; {what} is {shape!r}, not a scalar")


def _call(f: Callable, args: Sequence, kwargs: dict, has_aux: bool):
    out = f(*args, **kwargs)
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise PullbackTypeError(
                f"with has_aux=True, {_fname(f)} must return a pair (value, aux)"
            )
        return out
    return out, None


# -- the mode primitives ------------------------------------------------------------------------


def vjp(f: Callable, primals: tuple, has_aux: bool = False):
    """``(value, vjp_fn[, aux])`` for scalar ``f`` of scalar primals (see ``pullback.api``)."""
    for i, p in enumerate(primals):
        _require_scalar(p, f"primal {i} of {_fname(f)}")
    value, aux = _call(f, primals, {}, has_aux)
    _require_scalar(value, f"the value of {_fname(f)}")
    path = _path_for(f, primals, {}, range(len(primals)), value, has_aux)

    def vjp_fn(cotangent):
        return tuple(cotangent * d for d in path.partials(primals))

    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def jvp(f: Callable, primals: tuple, tangents: tuple):
    """``(value, tangent_out)`` for scalar ``f`` of scalar primals (see ``pullback.api``).

    Integer primals, and those whose tangent is None, are held constant.
    """
    for i, p in enumerate(primals):
        _require_scalar(p, f"primal {i} of {_fname(f)}")
    positions = [
        i
        for i, (p, t) in enumerate(zip(primals, tangents, strict=True))
        if t is not None and not isinstance(p, (numbers.Integral, np.integer))
    ]
    value, _ = _call(f, primals, {}, False)
    _require_scalar(value, f"the value of {_fname(f)}")
    if not positions:
        return value, 0.0
    path = _path_for(f, primals, {}, positions, value, False)
    point = [primals[i] for i in positions]
    tangent_out = sum(tangents[i] * d for i, d in zip(positions, path.partials(point), strict=True))
    return value, tangent_out


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False):
    """``(value, gradient)`` by the lambdified symbolic derivative, cached per function."""

    def value_and_gradient(*args, **kwargs):
        nums = _scalar_arguments(f, argnums, args)
        value, aux = _call(f, args, kwargs, has_aux)
        check_scalar_output(value, _fname(f))
        path = _path_for(f, args, kwargs, nums, value, has_aux)
        partials = path.partials([args[i] for i in nums])
        grads = tuple(match_leaf(d, args[i]) for i, d in zip(nums, partials, strict=True))
        return value_and_grad_result(value, aux, grads, argnums, has_aux)

    value_and_gradient.__name__ = f"value_and_grad_{_fname(f)}"
    value_and_gradient.__wrapped__ = f
    return value_and_gradient


def _scalar_arguments(f, argnums, args) -> tuple[int, ...]:
    """The positions ``argnums`` names in ``args``, each checked to be a differentiable scalar."""
    nums = _normalize_argnums(argnums, len(args))
    for i in nums:
        check_differentiable(args[i], f"argument {i} of {_fname(f)}")
        _require_scalar(args[i], f"argument {i} of {_fname(f)}")
    return nums


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False):
    """The gradient by the lambdified symbolic derivative; see ``value_and_grad``."""
    return grad_from_value_and_grad(value_and_grad(f, argnums, has_aux), f, has_aux)


def hessian(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Hessian of scalar ``f`` of scalar arguments, by differentiating its expression twice.

    With one argument the result is a float, with several (``argnums`` a tuple) a square array.
    The expression is traced at each call's arguments, so branches take the path of the call.
    """

    def hessian_fn(*args, **kwargs):
        nums = _scalar_arguments(f, argnums, args)
        value, _ = _call(f, args, kwargs, False)
        check_scalar_output(value, _fname(f))
        expr, symbols = _traced_expression(f, args, kwargs, nums, False)
        chosen = list(symbols)
        second = [[_diff(expr, a, b) for b in chosen] for a in chosen]
        point = [args[i] for i in nums]
        table = np.array([[float(_lambdify(chosen, e)(*point)) for e in row] for row in second])
        return float(table[0, 0]) if isinstance(argnums, int) else table

    hessian_fn.__name__ = f"hessian_{_fname(f)}"
    return hessian_fn
