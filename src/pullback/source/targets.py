"""What a derivative is of: the plain function behind a derivative or a bound method, and the
class a method's ``self.m(...)`` calls resolve in.

In: what the user passed to ``pb.grad`` and friends (a function, a derivative, a method).
Out: the function to transform, its receiver, and per-receiver-class derivatives.
"""

from __future__ import annotations

import types

from .frontend.resolve import owner_class, receiver_kind


def _target(f):
    """The plain function behind ``f`` (a generated derivative is itself a target; a clone
    that tape mode runs with dispatching globals stands for the function it copies)."""
    target = getattr(f, "__pullback_target__", f)
    target = getattr(target, "__pullback_unpatched__", target)
    if type(target) is types.FunctionType or isinstance(target, types.MethodType):
        return target
    return _primitive_function(target) or target


_PRIMITIVES: dict = {}  # id of a primitive -> (the primitive, its one-line function)


def _primitive_function(fn):
    """A primitive of the rule table that is no Python function (``np.sqrt``, ``math.exp``)
    as one, written to disk like generated code: ``def sqrt(x): return sqrt_fn(x)``, so that
    ``pb.grad(np.sqrt)`` is transformed like any function. None for anything else."""
    import importlib
    import inspect

    from ..rules import registry
    from .common.files import define

    known = _PRIMITIVES.get(id(fn))
    if known is not None and known[0] is fn:
        return known[1]
    rule = registry.lookup(fn) if callable(fn) else None
    if rule is None:
        return None
    skip = 1 if rule.kind == "elementwise" else 2  # (ans) or (g, ans) before the primals
    defaults = {
        p.name: p.default
        for p in list(inspect.signature(rule.vjp).parameters.values())[skip:]
        if p.default is not inspect.Parameter.empty
    }
    if not all(v is None or isinstance(v, (bool, int, float, str)) for v in defaults.values()):
        return None
    params = [p for p in rule.params if p not in ("ans", "out")]  # out= writes in place
    head = [p if p not in defaults else f"{p}={defaults[p]!r}" for p in params]
    first = params.index(next(p for p in params if p in defaults)) if defaults else len(params)
    passed = params[:first] + [f"{p}={p}" for p in params[first:]]
    short = getattr(fn, "__name__", "primitive").replace(".", "_")
    home = registry.qualified_name(fn).rpartition(".")[0]
    if home in ("numpy", "math"):  # read as the user would write it: np.sqrt(x)
        alias = "np" if home == "numpy" else "math"
        env = {alias: importlib.import_module(home)}
        called = f"{alias}.{short}"
    else:
        env, called = {f"{short}_fn": fn}, f"{short}_fn"
    made = define(short, head, [f"return {called}({', '.join(passed)})"], env)
    _PRIMITIVES[id(fn)] = (fn, made)
    return made


def _method(f):
    """``(function, receiver)`` of a bound method of a Python function, else None."""
    if (
        isinstance(f, types.MethodType)
        and isinstance(f.__func__, types.FunctionType)
        and not hasattr(f.__func__, "__pullback_target__")
    ):
        return f.__func__, f.__self__
    return None


def _copy_identity(wrapper, df):
    wrapper.__dict__.update(df.__dict__)
    wrapper.__name__ = df.__name__
    wrapper.__qualname__ = df.__qualname__
    wrapper.__doc__ = df.__doc__
    return wrapper


def _per_receiver_class(df, fn, nums, derivative_for):
    """``df`` for a method differentiated unbound (``pb.grad(Model.loss, 1)(model, w)``): its
    ``self.m(...)`` calls were resolved in the class that defines it; a receiver of a subclass
    gets the derivative built for its own class, which may override them."""
    default = owner_class(fn)
    if 0 in nums or receiver_kind(default, fn) != "instance":
        return df

    def method_derivative(*args, **kwargs):
        if not args or args[0].__class__ is default:
            return df(*args, **kwargs)
        return derivative_for(args[0].__class__)(*args, **kwargs)

    _copy_identity(method_derivative, df)
    method_derivative.__pullback_for_class__ = (default, derivative_for)  # see _for_receiver
    return method_derivative


def _for_receiver(f, primals):
    """A derivative of an unbound method (``pb.grad(Model.loss, 1)``) built for the class of
    the receiver in ``primals``, where that is a subclass (transforming ``f`` again, as a
    Hessian does, must see the subclass's overrides); ``f`` otherwise."""
    per_class = getattr(f, "__pullback_for_class__", None)
    if (
        per_class is not None
        and primals
        and isinstance(primals[0], per_class[0])
        and primals[0].__class__ is not per_class[0]
    ):
        return per_class[1](primals[0].__class__)
    return f


def _receiver_class(fn, receiver):
    """The class an unbound method's ``self.m(...)`` calls resolve in when called with
    ``receiver`` first: the receiver's own class where it is a subclass of the defining one
    (which may override them), else None (the defining class, the default)."""
    if not isinstance(fn, types.FunctionType):
        return None
    default = owner_class(fn)
    if (
        default is None
        or receiver.__class__ is default
        or receiver_kind(default, fn) != "instance"
        or not isinstance(receiver, default)
    ):
        return None
    return receiver.__class__
