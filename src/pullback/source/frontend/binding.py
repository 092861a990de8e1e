"""Binding a call's arguments to the parameters of the user function it calls.

In: a user callee, the (ANF) call of it, a test for which argument expressions carry a
derivative, and where the call is (for errors).
Out: parameter name -> argument expression, for the callee's named parameters. A callee's
``*args`` and ``**kwargs`` are specialized per call: ``def g(w, *args, **kw)`` called as
``g(a, b, c, k=d)`` is differentiated as ``def g(w, args_0, args_1, *, k)`` whose body starts
with ``args = (args_0, args_1)`` and ``kw = {"k": k}`` (``packed_arity`` says what a call
passes, ``specialize_packed`` rewrites the callee), so the extra arguments bind by those
names. A value that carries a derivative and is unpacked at the call (``g(*xs)``,
``g(**kw)``), whose count is not known before running, is refused at the call: it would
otherwise get a zero gradient without a word.
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
    unpacks = any(isinstance(a, ast.Starred) for a in call.args)
    for k, a in enumerate(call.args):
        if isinstance(a, ast.Starred):
            if active(a.value):
                _refuse(fn, call, a, "is unpacked into its arguments (*)", src, at)
            continue
        if k < len(positional):
            bound[positional[k]] = a
        elif vararg and not unpacks:
            bound[f"{vararg}_{k - len(positional)}"] = a  # see specialize_packed
        elif active(a):
            where = f"its *{vararg} parameter" if vararg else "no parameter"
            _refuse(fn, call, a, f"is its argument {k}, which goes to {where}", src, at)
    unpacks_keywords = any(kw.arg is None for kw in call.keywords)
    for kw in call.keywords:
        if kw.arg is None:
            if active(kw.value):
                _refuse(fn, call, kw.value, "is unpacked into its keywords (**)", src, at)
        elif kw.arg in params:
            bound[kw.arg] = kw.value
        elif kwarg and not unpacks_keywords:
            bound[kw.arg] = kw.value  # a keyword-only parameter of its own: specialize_packed
        elif active(kw.value):
            where = f"its **{kwarg} parameter" if kwarg else "no parameter"
            _refuse(fn, call, kw.value, f"is its keyword {kw.arg}=, which goes to {where}", src, at)
    return bound


PACKED = "*"  # the key of an arity among the functions passed to a callee (``fixed``)
_ARITIES: dict = {}  # one object per arity, so that a callee's cache key (by id) matches


def packed_arity(fn, call: ast.Call):
    """``(count of extra positional arguments, extra keyword names)`` that ``call`` passes to
    ``fn``'s ``*args``/``**kwargs`` (one shared object per value), or None where ``fn`` has
    neither or the call unpacks (``g(*xs)``: the count is known only when running)."""
    code = fn.__code__
    has_var = bool(code.co_flags & inspect.CO_VARARGS)
    has_kw = bool(code.co_flags & inspect.CO_VARKEYWORDS)
    if not (has_var or has_kw):
        return None
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return None
    params = set(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    extra = max(0, len(call.args) - code.co_argcount) if has_var else 0
    keys = tuple(k.arg for k in call.keywords if k.arg not in params) if has_kw else ()
    arity = (extra, keys)
    return _ARITIES.setdefault(arity, arity)


def callee_parameters(fn, call: ast.Call) -> tuple[list[str], tuple | None]:
    """``fn``'s parameter names as ``call`` binds them (with the names ``specialize_packed``
    gives its ``*args`` and ``**kwargs`` entries), and the call's arity (``packed_arity``)."""
    code = fn.__code__
    params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    arity = packed_arity(fn, call)
    if arity is not None:
        vararg = code.co_varnames[len(params)] if code.co_flags & inspect.CO_VARARGS else None
        params += [f"{vararg}_{i}" for i in range(arity[0])] + list(arity[1])
    return params, arity


def specialize_packed(node: ast.FunctionDef, arity) -> None:
    """Rewrite ``node`` (parsed, not yet resolved) for calls passing ``arity`` (see
    ``packed_arity``): its ``*args`` become named parameters ``args_0 ...`` and its
    ``**kwargs`` keyword-only parameters named by their keys, the body starting with the
    tuple and the dict rebuilt from them."""
    a = node.args
    front = []
    taken = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        x.arg for x in ast.walk(a) if isinstance(x, ast.arg)
    }
    extra, keys = arity
    if a.vararg is not None:
        names = [f"{a.vararg.arg}_{i}" for i in range(extra)]
        if any(n in taken for n in names):
            return  # a name of its own: left as it is (and refused as before)
        default = [ast.Constant(None)] * len(names) if a.defaults else []
        a.args = [*a.args, *(ast.arg(arg=n) for n in names)]
        a.defaults = [*a.defaults, *default]
        packed = ast.Tuple(elts=[ast.Name(id=n, ctx=ast.Load()) for n in names], ctx=ast.Load())
        front.append(ast.Assign(targets=[ast.Name(id=a.vararg.arg, ctx=ast.Store())], value=packed))
        a.vararg = None
    if a.kwarg is not None:
        if any(k in taken for k in keys):
            return
        a.kwonlyargs = [*a.kwonlyargs, *(ast.arg(arg=k) for k in keys)]
        a.kw_defaults = [*a.kw_defaults, *([None] * len(keys))]
        packed = ast.Dict(
            keys=[ast.Constant(k) for k in keys],
            values=[ast.Name(id=k, ctx=ast.Load()) for k in keys],
        )
        front.append(ast.Assign(targets=[ast.Name(id=a.kwarg.arg, ctx=ast.Store())], value=packed))
        a.kwarg = None
    at = node.body[0]
    for s in front:
        ast.copy_location(s, at)
        ast.fix_missing_locations(s)
    node.body = front + node.body


def _refuse(fn, call, arg, how: str, src, at):
    name = getattr(fn, "__qualname__", "the function")
    raise unsupported(
        at,
        src,
        f"{ast.unparse(arg)!r} in the call {ast.unparse(call)!r} {how}: a differentiated "
        f"value passed to {name} through *args or **kwargs is not supported",
        "pass it to a named parameter: def g(x, y) called as g(x, y)",
    )
