"""Symbolic mode's translation table: what each traced primitive means in SymPy.

In: the qualified name of a primitive as a graph node records it (``numpy.sin``,
``operator.mul``, ``math.log``) and its arguments, already SymPy expressions.
Out: ``SYMPY_FUNCTIONS`` (numeric primitives) and ``SYMPY_CONDITIONS`` (comparisons, logic and
``np.where``, whose arguments and results may be SymPy conditions), each a dict from name to
``translate(sp, *args, **kwargs) -> sympy expression``; ``condition_of`` and ``_number``, which
turn a value into a condition and back; ``_STEP_NUMERIC``, the NumPy meaning of the
piecewise-constant functions defined here, for lambdify.

The translations receive the sympy module as ``sp``; importing this module never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["SYMPY_FUNCTIONS", "SYMPY_CONDITIONS", "condition_of"]

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
