"""Binding a call's arguments to the parameters of the user function it calls.

In: a user callee, the (ANF) call of it, a test for which argument expressions carry a
derivative, and where the call is (for errors).
Out: parameter name -> argument expression, for the callee's named parameters. A value that
carries a derivative and would reach the callee only through its ``*args`` or ``**kwargs``
(an extra positional argument, an unknown keyword, or ``g(*xs)``/``g(**kw)`` at the call) is
refused at the call: the callee's derivative is built per named parameter, so such a value
would otherwise get a zero gradient without a word.
"""

from __future__ import annotations

import ast
import inspect

from ..common.diagnostics import unsupported


def bind_arguments(fn, call: ast.Call, active, src, at) -> dict:
    """``{parameter: argument}`` of ``call`` (of ``fn``); see the module docstring."""
    code = fn.__code__
    positional = list(code.co_varnames[: code.co_argcount])
    params = positional + list(
        code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    )
    packed = code.co_varnames[len(params) : len(params) + 2]
    vararg = packed[0] if code.co_flags & inspect.CO_VARARGS else None
    kwarg = packed[1 if vararg else 0] if code.co_flags & inspect.CO_VARKEYWORDS else None
    bound = {}
    for k, a in enumerate(call.args):
        if isinstance(a, ast.Starred):
            if active(a.value):
                _refuse(fn, call, a, "is unpacked into its arguments (*)", src, at)
            continue
        if k < len(positional):
            bound[positional[k]] = a
        elif active(a):
            where = f"its *{vararg} parameter" if vararg else "no parameter"
            _refuse(fn, call, a, f"is its argument {k}, which goes to {where}", src, at)
    for kw in call.keywords:
        if kw.arg is None:
            if active(kw.value):
                _refuse(fn, call, kw.value, "is unpacked into its keywords (**)", src, at)
        elif kw.arg in params:
            bound[kw.arg] = kw.value
        elif active(kw.value):
            where = f"its **{kwarg} parameter" if kwarg else "no parameter"
            _refuse(fn, call, kw.value, f"is its keyword {kw.arg}=, which goes to {where}", src, at)
    return bound


def _refuse(fn, call, arg, how: str, src, at):
    name = getattr(fn, "__qualname__", "the function")
    raise unsupported(
        at,
        src,
        f"{ast.unparse(arg)!r} in the call {ast.unparse(call)!r} {how}: a differentiated "
        f"value passed to {name} through *args or **kwargs is not supported",
        "pass it to a named parameter: def g(x, y) called as g(x, y)",
    )
