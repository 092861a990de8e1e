"""Source mode: derivatives as generated Python source (the default mode).

In: an ordinary Python/NumPy function.
Out: ``grad``, ``value_and_grad``, ``vjp`` and ``jvp`` whose derivative is a Python function
generated from the user's source, readable with ``source(df)``.

>>> import numpy as np
>>> def f(x):
...     return np.log(x * x)
>>> round(grad(f)(3.0), 6)
0.666667

The pipeline, one package per stage, each importing only the stages before it:
``common`` (what all share) -> ``frontend`` (lookup, parse, resolve, fence, desugar, ANF) ->
``analysis`` (activity, aliasing) -> ``transform`` (reverse or forward, rules spliced in) ->
``backend`` (optimize, release, lean specialization, codegen) -> ``debug`` (checked twin,
pdb, recorded runs, the page). At the top: ``pipeline`` strings the stages together for one
function and its callees, ``cache`` remembers results per function identity, ``entry`` and
``forward_mode`` are the functions users call, ``derived``, ``export`` and
``numba_compile`` build on them, ``targets`` says what a derivative is of.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Sequence
from typing import Any

from .. import checks
from .. import finite as _finite
from ..errors import UnsupportedSyntaxError
from .backend.tracebacks import annotate, raise_users_exception
from .cache import cached, on_clear
from .debug.checked import checked_function
from .entry import grad_entry, value_and_grad_entry
from .frontend.resolve import owner_class, receiver_kind  # noqa: F401
from .targets import (
    _copy_identity,
    _for_receiver,
    _method,
    _per_receiver_class,
    _receiver_class,
    _target,
)

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "source"]


def _positions(argnums) -> tuple[tuple[int, ...], bool]:
    from ..errors import PullbackTypeError

    if isinstance(argnums, int) and not isinstance(argnums, bool):
        return (argnums,), True
    try:
        nums = tuple(argnums)
    except TypeError:
        raise PullbackTypeError(
            f"argnums must be an int or a tuple of ints, got {argnums!r}"
        ) from None
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in nums):
        raise PullbackTypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
    if len(set(nums)) != len(nums):
        from ..errors import PullbackValueError

        raise PullbackValueError(f"argnums {argnums!r} names an argument twice; list each once")
    return nums, False


def _resolve_positions(f, nums):
    from ..errors import PullbackValueError

    code = getattr(f, "__code__", None)
    if code is None:
        return nums
    n = code.co_argcount
    out = []
    for a in nums:
        if not -n <= a < n and code.co_flags & inspect.CO_VARARGS:
            raise UnsupportedSyntaxError(
                f"argnums {a} of {f.__qualname__} names an argument of its "
                f"*{code.co_varnames[n + code.co_kwonlyargcount]} parameter, and *args "
                "parameters are not supported in source mode",
                hint="take a tuple instead (def f(xs): ..., pb.grad(f)((a, b))), or use "
                "mode='tape'",
                filename=code.co_filename,
                lineno=code.co_firstlineno,
            )
        if not -n <= a < n:
            raise PullbackValueError(
                f"argnums {a} is out of range for {f.__name__}, which takes {n} positional "
                "parameter(s)"
            )
        if a % n in out:
            raise PullbackValueError(
                f"argnums {tuple(nums)!r} names argument {a % n} twice; list each argument once"
            )
        out.append(a % n)
    return tuple(out)


_RECENT: dict = {}  # (f, argnums, has_aux) -> (code, closure, derivative): asking again is free
on_clear(_RECENT.clear)


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The gradient of scalar-valued ``f``, as a generated Python function."""
    try:
        hit = _RECENT.get((f, argnums, has_aux))
    except TypeError:  # unhashable argnums (a list)
        hit = None
    if (
        hit is not None
        and hit[0] is getattr(f, "__code__", None)
        and hit[1] is getattr(f, "__closure__", None)
    ):
        return hit[2]
    df = _grad(f, argnums, has_aux)
    try:
        _RECENT[(f, argnums, has_aux)] = (
            getattr(f, "__code__", None),
            getattr(f, "__closure__", None),
            df,
        )
    except TypeError:
        pass
    return df


def _grad(f, argnums, has_aux, owner=None):
    return _derivative("grad", grad_entry, f, argnums, has_aux, owner)


def value_and_grad(
    f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable:
    """``(f(*args), gradient)``, as a generated Python function."""
    return _value_and_grad(f, argnums, has_aux)


def _value_and_grad(f, argnums, has_aux, owner=None):
    return _derivative("value_and_grad", value_and_grad_entry, f, argnums, has_aux, owner)


def _derivative(flavor, entry, f, argnums, has_aux, owner=None):
    """The ``flavor`` ("grad" or "value_and_grad") derivative of ``f``, wrapped by ``entry``;
    for a method per receiver class, for a function taking functions per function passed."""
    method = _method(_target(f))
    if method is not None:
        again = _grad if flavor == "grad" else _value_and_grad
        return _on_receiver(again, method, argnums, has_aux)
    nums, single = _positions(argnums)
    target = _target(f)
    nums = _resolve_positions(target, nums)

    def make(module, gen):
        return entry(target, gen, module, nums, single, has_aux)

    try:
        df = cached(target, nums, single, flavor, has_aux, make, owner=owner)
    except UnsupportedSyntaxError as error:
        return _per_function_argument(error, target, nums, single, flavor, has_aux, make)
    if owner is None:
        return _per_receiver_class(
            df, target, nums, lambda cls: _derivative(flavor, entry, f, argnums, has_aux, cls)
        )
    return df


def _per_function_argument(error, fn, nums, single, flavor, has_aux, make):
    """A derivative of ``fn`` that calls a function it is given (``loss(model, w)`` calling
    ``model(w, x)``): built when called, once per function passed (module-level or NumPy's),
    as if ``fn`` named that function itself; ``error`` (from building without one) otherwise.
    """
    parameter = getattr(error, "function_parameter", None)
    code = getattr(fn, "__code__", None)
    if parameter is None or code is None:
        raise error
    params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    if parameter not in params or params.index(parameter) in nums:
        raise error
    position = params.index(parameter)

    def by_function(*args, **kwargs):
        given = args[position] if position < len(args) else kwargs.get(parameter)
        if not callable(given) or isinstance(given, type):
            raise error
        fixed = {parameter: given}
        for i, value in enumerate(args[: len(params)]):  # every function passed is fixed
            if i not in nums and callable(value) and not isinstance(value, type):
                fixed[params[i]] = value
        df = cached(fn, nums, single, flavor, has_aux, make, fixed=fixed)
        return df(*args, **kwargs)

    by_function.__name__ = f"{flavor}_{getattr(fn, '__name__', 'f')}"
    by_function.__wrapped__ = fn
    return by_function


# -- bound methods: model.loss is loss(model, ...) with argnums counting what follows model --


def _on_receiver(transform, method, argnums, has_aux):
    """``transform`` of the function behind a bound method, called with its receiver first;
    ``argnums`` count the method's visible parameters, as ``model.loss(w)`` is called."""
    fn, receiver = method
    nums, single = _positions(argnums)
    code = fn.__code__
    visible = code.co_argcount - 1
    for a in nums:
        if not -visible <= a < visible:
            from ..errors import PullbackValueError

            raise PullbackValueError(
                f"argnums {a} is out of range for {fn.__qualname__}, whose bound method takes "
                f"{visible} positional parameter(s)"
            )
    shifted = tuple(a % visible + 1 for a in nums)
    owner = receiver if isinstance(receiver, type) else type(receiver)
    df = transform(fn, shifted[0] if single else shifted, has_aux, owner)

    def method_derivative(*args, **kwargs):
        return df(receiver, *args, **kwargs)

    _copy_identity(method_derivative, df)
    generated = getattr(df, "__pullback_generated__", None)
    if generated is not None:  # grad(grad(model.loss)) differentiates the gradient again
        method_derivative.__pullback_target__ = types.MethodType(generated, receiver)
    return method_derivative


def vjp(f: Callable, primals: tuple, has_aux: bool = False):
    """``(f(*primals), vjp_fn[, aux])`` from the generated forward/backward pair of ``f``.

    ``f`` may be api's partial application (``__pullback_partial__``, as ``jacobian`` with
    ``argnums`` makes): the function it wraps is transformed, the other arguments constants.
    """
    method = _method(_target(f))
    partial = getattr(f, "__pullback_partial__", None)
    if method is not None:  # the receiver is a constant: a primal without a cotangent
        f, primals = method[0], (method[1], *primals)
        nums = tuple(range(1, len(primals)))
        owner = method[1] if isinstance(method[1], type) else type(method[1])
    elif partial is not None:  # api's f_of_diff: the function it wraps, some arguments fixed
        f, args, kwargs, nums = partial
        full = list(args)
        for i, p in zip(nums, primals, strict=True):
            full[i] = p
        primals, owner = tuple(full), None
        f = _for_receiver(f, primals)
        wrapped = _method(_target(f))
        if wrapped is not None:  # a bound method (or its gradient): the receiver goes first
            f, primals, nums = wrapped[0], (wrapped[1], *primals), tuple(i + 1 for i in nums)
            owner = wrapped[1] if isinstance(wrapped[1], type) else type(wrapped[1])
    else:
        f = _for_receiver(f, primals)
        nums, owner = tuple(range(len(primals))), None
    if owner is None and primals:
        owner = _receiver_class(_target(f), primals[0])
    kwargs = partial[2] if partial is not None and method is None else {}
    target = _target(f)
    pair = cached(target, nums, False, "vjp", has_aux, lambda module, gen: gen, owner=owner)
    forward, backward = pair
    restores = getattr(backward, "__pullback_restores__", False)
    if _finite.ON[0] and _finite.enabled():  # pb.debug_nans(), check_finite: the checked twins
        forward, backward = checked_function(forward), checked_function(backward)
    try:
        out, saved = forward(*primals, **kwargs)
    except BaseException as error:  # point the traceback at the user's lines
        annotate(error)
        raise_users_exception(error, target, primals, kwargs)
    if has_aux:
        value, aux = checks.check_aux_pair(out, checks._fname(target))
    else:
        value = out

    calls = [0]

    def vjp_fn(cotangent: Any) -> tuple:
        nonlocal saved
        try:
            if restores and calls[0]:  # the last backward call wrote back the forward's writes
                saved = forward(*primals, **kwargs)[1]
            calls[0] += 1
            # the backward sweep pops its stacks: give each call its own (jacobian calls it)
            fresh = tuple(list(r) if r.__class__ is list else r for r in saved)
            return tuple(backward(fresh, cotangent))
        except BaseException as error:
            annotate(error)
            raise

    if has_aux:
        return value, vjp_fn, aux
    return value, vjp_fn


def jvp(f: Callable, primals: tuple, tangents: tuple):
    """``(f(*primals), tangent_out)`` from a generated forward-mode function (see ``jvp``)."""
    from .forward_mode import jvp as forward_jvp

    try:
        return forward_jvp(f, primals, tangents)
    except BaseException as error:
        annotate(error)
        raise


def vjp_of(f: Callable, primals: tuple, cotangent: Any) -> Callable:
    """``xs -> adjoints`` for a fixed cotangent, as generated source (see ``derived``)."""
    from .derived import vjp_of as derived_vjp_of

    return derived_vjp_of(f, primals, cotangent)


def jvp_of(f: Callable, primals: tuple, tangents: tuple) -> Callable:
    """``xs -> output tangent`` for fixed tangents, as generated source (see ``derived``)."""
    from .derived import jvp_of as derived_jvp_of

    return derived_jvp_of(f, primals, tangents)


def source(df: Callable) -> str:
    """The generated source of a source-mode derivative: a ``str`` (``GeneratedSource``) that
    a notebook shows highlighted.

    >>> def f(x):
    ...     return x * x
    >>> print(source(grad(f)).splitlines()[0])
    def grad_f(x):
    """
    module = getattr(df, "__pullback_module__", None)
    if module is None:
        from ..errors import PullbackTypeError

        raise PullbackTypeError(
            f"{getattr(df, '__name__', df)!r} is not a source-mode derivative; pb.source "
            "takes what pb.grad(f) or pb.value_and_grad(f) returned"
        )
    from ..display import GeneratedSource

    return GeneratedSource(module.text)
