"""Calls whose callee is known only when running, as generated code makes them.

In: a callee (any callable: ``layer.forward`` of an object taken from a list, a function
taken from a dict or returned by a call, ``pb.grad(g)``, a ``functools.partial``), the
arguments that carry a derivative (``active``: positions, and names of keyword arguments),
and the call's arguments.
Out: ``call_forward(...) -> (value, saved)`` and ``call_backward(saved, g) -> adjoints`` of
the active arguments in the order of ``active`` (``None`` for a zero); ``call_tangent(...) ->
(value, tangent)`` from the tangents of the active arguments (``None`` for a zero).

The callee is resolved at the call: a bound method is its function with the receiver first, a
``functools.partial`` its function after its fixed arguments, an object with a ``__call__``
method that method; then a primitive of the rule table uses its rule, a function without a
derivative (``is_nondiff``) gives none, and any other Python function (a derivative pullback
made included) is differentiated by source mode itself (``pb.vjp``/``pb.jvp``, cached per
function and active arguments as every derivative is). A callee with neither a rule nor source
raises ``MissingRuleError`` naming it.
"""

from __future__ import annotations

import functools
import inspect
import types

from ..errors import MissingRuleError, PullbackTypeError
from ..rules import registry

__all__ = ["call_forward", "call_backward", "call_tangent"]


def _resolve(fn, args: tuple, kwargs: dict, active: tuple):
    """``(function, args, kwargs, positions)``: what the call runs, its arguments all passed
    by position where they can be, and the positions of the active ones."""
    for _ in range(16):  # a partial of a bound method of ...: unwrap a few layers
        if isinstance(fn, types.MethodType):
            args, active = (fn.__self__, *args), tuple(_shift(a, 1) for a in active)
            fn = fn.__func__
        elif isinstance(fn, functools.partial):
            shift = len(fn.args)
            args, kwargs = (*fn.args, *args), {**fn.keywords, **kwargs}
            active = tuple(_shift(a, shift) for a in active)
            fn = fn.func
        elif (
            not isinstance(fn, (types.FunctionType, types.BuiltinFunctionType, type))
            and registry.lookup(fn) is None
            and isinstance(vars(type(fn)).get("__call__"), types.FunctionType)
        ):
            fn = types.MethodType(type(fn).__call__, fn)
        else:
            break
    if any(a == -1 for a in active) and isinstance(
        fn, (types.BuiltinMethodType, types.MethodWrapperType)
    ):  # x.compress(...) of an array with a derivative: a method with no rule
        owner = type(getattr(fn, "__self__", None))
        where = "numpy.ndarray" if owner.__module__ == "numpy" else owner.__qualname__
        raise MissingRuleError(f"{where}.{getattr(fn, '__name__', 'method')}")
    if any(a == -1 for a in active):  # an active receiver of a callee that is no method
        raise PullbackTypeError(
            f"{_name(fn)} is read from a differentiated value and is not one of its methods: "
            "its derivative with respect to that value is not followed"
        )
    if not any(isinstance(a, str) for a in active):
        return fn, args, kwargs, active
    try:  # an active keyword argument: pass it by position
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return fn, args, kwargs, active
    names = list(bound.signature.parameters)
    positions = tuple(a if isinstance(a, int) else names.index(a) for a in active)
    return fn, tuple(bound.args), dict(bound.kwargs), positions


def _shift(a, k: int):
    return a + k if isinstance(a, int) else a


def _primitive_without_rule(target) -> bool:
    """Neither a Python function of the user's (``frontend.boundary``) nor a derivative."""
    from .frontend.boundary import is_library

    if hasattr(target, "__pullback_module__") or hasattr(target, "__pullback_target__"):
        return False
    return not isinstance(target, types.FunctionType) or is_library(target)


def _name(fn) -> str:
    return registry.qualified_name(fn) if callable(fn) else repr(fn)


def call_forward(fn, active: tuple, *args, **kwargs):
    """``(fn(*args, **kwargs), saved)``; ``saved`` is what ``call_backward`` needs."""
    target, args, kwargs, positions = _resolve(fn, args, kwargs, active)
    rule = registry.lookup(target)
    if rule is not None:
        ans = target(*args, **kwargs)
        return ans, ("rule", rule, args, kwargs, ans, positions)
    if registry.is_nondiff(target):
        return target(*args, **kwargs), ("none", len(positions))
    if _primitive_without_rule(target):
        raise MissingRuleError(_name(target))
    from .. import api
    from ..generic import _partial

    for p in positions:
        if isinstance(p, str):
            raise PullbackTypeError(
                f"{_name(target)} receives a differentiated value through **{p}: pass it by "
                "position or by the name of a parameter"
            )
    primals = tuple(args[p] for p in positions)
    value, pullback = api.vjp(_partial(target, args, kwargs, positions), *primals)
    return value, ("vjp", pullback, len(positions))


def call_backward(saved, g) -> tuple:
    """The adjoints of the active arguments of the call ``saved`` came from, given ``g``."""
    kind = saved[0]
    if kind == "none" or (kind == "vjp" and g is None):
        return (None,) * saved[-1]
    if kind == "vjp":
        return tuple(saved[1](g))
    _, rule, args, kwargs, ans, positions = saved
    out = []
    for p in positions:
        param = _param(rule, p)
        if g is None or param not in rule.diff_params:
            out.append(None)
        else:
            out.append(rule.vjp_fn(rule.diff_params.index(param))(g, ans, *args, **kwargs))
    return tuple(out)


def _param(rule, p):
    if isinstance(p, str):
        return p
    return rule.params[p] if p < len(rule.params) else None


def call_tangent(fn, active: tuple, tangents: tuple, *args, **kwargs):
    """``(fn(*args, **kwargs), tangent)`` from the ``tangents`` of the active arguments."""
    from ..runtime import accumulate, zeros_like_value

    target, args, kwargs, positions = _resolve(fn, args, kwargs, active)
    rule = registry.lookup(target)
    if rule is not None:
        ans = target(*args, **kwargs)
        total = None
        for p, t in zip(positions, tangents, strict=True):
            param = _param(rule, p)
            if t is None or param not in rule.diff_params:
                continue
            part = rule.jvp_fn(rule.diff_params.index(param))(t, ans, *args, **kwargs)
            total = accumulate(total, part)
        return ans, total
    if registry.is_nondiff(target):
        return target(*args, **kwargs), None
    if _primitive_without_rule(target):
        raise MissingRuleError(_name(target))
    from .. import api
    from ..generic import _partial

    primals = tuple(args[p] for p in positions)
    if not primals or all(t is None for t in tangents):
        return target(*args, **kwargs), None
    full = tuple(
        zeros_like_value(x) if t is None else t for x, t in zip(primals, tangents, strict=True)
    )
    return api.jvp(_partial(target, args, kwargs, positions), primals, full)


# what the transforms' Context holds (``ctx.dynamic``): the three entry points, as one value
CALLS = types.SimpleNamespace(
    call_forward=call_forward, call_backward=call_backward, call_tangent=call_tangent
)
