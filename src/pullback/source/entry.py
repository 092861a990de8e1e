"""The thin functions users call: argument checks around the generated derivative.

In: the generated function and what was asked (argnums, has_aux).
Out: a function that calls the generated code directly when every differentiated argument
is a float or a float array (the fast path), and otherwise checks the arguments (integers
are refused) and gives structured gradients their argument's structure.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import checks, results
from ..finite import ON as _CHECKS
from ..finite import enabled as _checking
from .backend.tracebacks import annotate, raise_users_exception

_FLOATS = (float, np.float64)
_FLOAT64 = np.dtype(np.float64)
_float64 = np.float64


def _fast(x) -> bool:
    """A float or a float64 array (not 0-d): what the generated code's gradient already is,
    or becomes through ``_as_float``; anything else goes through ``results.match_tree``."""
    c = x.__class__
    return c is float or (c is np.ndarray and x.dtype == _FLOAT64 and x.ndim != 0)


def _as_float(g, x):
    """The gradient of a Python float ``x`` as a Python float (NumPy gives ``np.float64``);
    of a float64 array, the real part of a complex gradient (from complex intermediates)."""
    if x.__class__ is float and g.__class__ is not float:
        return results.match_leaf(g, x)
    if g.__class__ is np.ndarray and g.dtype.kind == "c":
        return results.match_leaf(g, x)
    return g


def _slow_grads(target, args, nums, grads, single):
    for i in nums:
        checks.check_differentiable(args[i], f"argument {i} of {checks._fname(target)}")
    return grads


def _checked_twin(entry, remake, gen):
    """The entry over ``gen``'s checked twin (see ``checked``), made once per entry."""
    twin = entry.__dict__.get("__pullback_checked__")
    if twin is None:
        from .debug.checked import checked_function

        twin = entry.__pullback_checked__ = remake(checked_function(gen))
    return twin


def grad_entry(target, gen, module, nums, single, has_aux, checked=False):
    fname = checks._fname(target)
    unchecked = not checked

    def remake(twin_gen):
        return grad_entry(target, twin_gen, module, nums, single, has_aux, checked=True)

    def check(args):
        for i in nums:
            checks.check_differentiable(args[i], f"argument {i} of {fname}")

    def match(args, g):
        if single:
            return results.match_tree(g, args[nums[0]])
        return tuple(results.match_tree(gi, args[i]) for gi, i in zip(g, nums, strict=False))

    code = getattr(target, "__code__", None)
    one_param = (
        code is not None
        and code.co_argcount == 1
        and not code.co_kwonlyargcount
        and not (code.co_flags & 0x0C)
    )
    if single and nums == (0,) and one_param and not has_aux:
        float_ = float

        def gradient(x):
            if _CHECKS[0] and unchecked and _checking():  # pb.debug_nans(), check_finite
                return _checked_twin(gradient, remake, gen)(x)
            try:
                if x.__class__ is float_:
                    g = gen(x)
                    return g if g.__class__ is float_ else _as_float(g, x)
                if _fast(x):
                    return _as_float(gen(x), x)
                check((x,))
                return match((x,), gen(x))
            except BaseException as error:  # point the traceback at the user's lines
                annotate(error)
                raise_users_exception(error, target, (x,))

    elif single and nums == (0,):
        i0 = nums[0]

        def gradient(x, *args, **kwargs):
            if _CHECKS[0] and unchecked and _checking():
                return _checked_twin(gradient, remake, gen)(x, *args, **kwargs)
            try:
                if _fast(x):
                    out = gen(x, *args, **kwargs)
                    if has_aux:
                        return _as_float(out[0], x), out[1]
                    return _as_float(out, x)
                full = (x, *args)
                check(full)
                out = gen(x, *args, **kwargs)
                if has_aux:
                    return match(full, out[0]), out[1]
                return match(full, out)
            except BaseException as error:  # point the traceback at the user's lines
                annotate(error)
                raise_users_exception(error, target, (x, *args), kwargs)

        del i0
    else:

        def gradient(*args, **kwargs):
            if _CHECKS[0] and unchecked and _checking():
                return _checked_twin(gradient, remake, gen)(*args, **kwargs)
            try:
                for i in nums:
                    if not _fast(args[i]):
                        break
                else:
                    out = gen(*args, **kwargs)
                    g = out[0] if has_aux else out
                    if single:
                        g = _as_float(g, args[nums[0]])
                    else:
                        g = tuple(_as_float(gi, args[i]) for gi, i in zip(g, nums, strict=False))
                    return (g, out[1]) if has_aux else g
                check(args)
                out = gen(*args, **kwargs)
                if has_aux:
                    return match(args, out[0]), out[1]
                return match(args, out)
            except BaseException as error:  # point the traceback at the user's lines
                annotate(error)
                raise_users_exception(error, target, args, kwargs)

    return _decorate(gradient, gen, module, target, "grad")


def value_and_grad_entry(target, gen, module, nums, single, has_aux, checked=False):
    fname = checks._fname(target)
    unchecked = not checked

    def remake(twin_gen):
        return value_and_grad_entry(target, twin_gen, module, nums, single, has_aux, True)

    def value_and_gradient(*args, **kwargs):
        if _CHECKS[0] and unchecked and _checking():  # pb.debug_nans(), check_finite
            return _checked_twin(value_and_gradient, remake, gen)(*args, **kwargs)
        try:
            fast = True
            for i in nums:
                if not _fast(args[i]):
                    fast = False
                    checks.check_differentiable(args[i], f"argument {i} of {fname}")
            value, g = gen(*args, **kwargs)
            if fast:
                if single:
                    g = _as_float(g, args[nums[0]])
                else:
                    g = tuple(_as_float(gi, args[i]) for gi, i in zip(g, nums, strict=False))
                if not has_aux and value.__class__ in _FLOATS:  # a float loss: no checks
                    return value, g
            if not fast:
                if single:
                    g = results.match_tree(g, args[nums[0]])
                else:
                    g = tuple(
                        results.match_tree(gi, args[i]) for gi, i in zip(g, nums, strict=False)
                    )
            if not has_aux:
                checks.check_scalar_output(value, fname)
                value = results._scalar(value)
            else:
                checks.check_scalar_output(value[0], fname)
            return value, g
        except BaseException as error:  # point the traceback at the user's lines
            annotate(error)
            raise_users_exception(error, target, args, kwargs)

    return _decorate(value_and_gradient, gen, module, target, "value_and_grad")


def _decorate(entry, gen, module, target, kind):
    """Give ``entry`` the generated function's identity: its name and docstring, and (through
    ``__wrapped__``, which ``inspect`` follows) its signature and source, so that
    ``inspect.getsource(df)`` shows the generated derivative, as ``pb.source(df)`` does.

    ``entry`` stays a plain function; a notebook finds its ``_repr_html_`` on the function
    itself (IPython looks the method up on the object), and shows the source highlighted."""
    entry.__name__ = gen.__name__
    entry.__qualname__ = gen.__qualname__
    entry.__doc__ = gen.__doc__
    entry.__pullback_module__ = module
    entry.__pullback_generated__ = gen
    entry.__pullback_target__ = gen
    entry.__wrapped__ = gen
    entry._repr_html_ = functools.partial(_source_html, module)
    return entry


def _source_html(module) -> str:
    from ..display import code_html

    return code_html(module.text)
