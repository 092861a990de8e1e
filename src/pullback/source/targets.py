"""What a derivative is of: the plain function behind a derivative or a bound method, and the
class a method's ``self.m(...)`` calls resolve in.

In: what the user passed to ``pb.grad`` and friends (a function, a derivative, a method).
Out: the function to transform, its receiver, and per-receiver-class derivatives.
"""

from __future__ import annotations

import types

from .frontend.resolve import owner_class, receiver_kind


def _target(f):
    """The plain function behind ``f`` (a generated derivative is itself a target)."""
    return getattr(f, "__pullback_target__", f)


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
