"""``pb.vjp(f, *primals, compile="numba")``: the forward and backward sweeps of ``f`` as two
Numba functions, specialized on the primals' kinds at the first call, once per kinds.

In: a plain function ``f`` (or a Numba kernel's Python function), its primals, the positions
to differentiate; later the cotangents its pullback is called with.
Out: ``compiled_vjp(f, primals, nums)``, ``(value, pullback)`` where ``pullback(cotangent)``
is the tuple of adjoints of the primals at ``nums``, computed by compiled code. It is made
from source mode's value-and-gradient of ``f``: its ``seed`` becomes a ``cotangent``
parameter, ``lean.specialize`` specializes it (the cotangent of the value's kind), and the
result is cut where the seed was:

- ``f_forward(primals) -> (value, saved)`` (what the backward sweep reads, never a Python
  list: tapes are typed arrays there) and ``f_backward(*saved, cotangent) -> adjoints``, when
  the backward sweep writes into nothing the forward one made (each pullback call reads the
  same saved state);
- otherwise (it restores entries of an array updated in place, or pops a stack)
  ``f_forward`` gives the value only and ``vjp_f(primals, cotangent)`` runs both sweeps on
  each pullback call.

``pb.source`` of the pullback shows the compiled text, ``pb.source_map`` maps it to the
user's lines. Errors are ``numba_compile``'s: a ``CompileError`` naming the argument or the
user's line; nothing falls back to uncompiled code.
"""

from __future__ import annotations

import ast
import copy

import numpy as np

from ..errors import CompileError
from . import numba_compile as nc
from .backend import tracebacks
from .backend.codegen import GeneratedModule
from .backend.kinds import UNKNOWN, arr, infer, num
from .backend.lean import specialize, with_modules
from .backend.lean_liveness import eliminate_dead
from .common import files

COTANGENT = "cotangent"


def _seed_index(body) -> int | None:
    """The position of the top-level ``y_bar = seed(y)`` (where the backward sweep starts)."""
    for k, s in enumerate(body):
        if (
            isinstance(s, (ast.Assign, ast.Expr))
            and (not isinstance(s, ast.Assign) or len(s.targets) == 1)
            and isinstance(s.value, ast.Call)
            and isinstance(s.value.func, ast.Name)
            and s.value.func.id == "seed"
            and len(s.value.args) == 1
            and isinstance(s.value.args[0], ast.Name)
        ):
            return k
    return None


def _cut_index(body) -> int | None:
    for k, s in enumerate(body):
        if (
            isinstance(s, ast.Assign)
            and isinstance(s.value, ast.Name)
            and s.value.id == COTANGENT
            and len(s.targets) == 1
        ):
            return k
    return None


def _cotangent_kind(value_kind, fname):
    if value_kind.scalar and value_kind.dtype.startswith(("float", "int", "uint", "bool")):
        return num(np.float64)
    if value_kind.scalar and value_kind.dtype.startswith("complex"):
        return num(np.complex128)
    if value_kind.array and value_kind.dtype.startswith("complex"):
        return arr(np.complex128, value_kind.ndim)
    if value_kind.array:
        return arr(np.float64, value_kind.ndim)
    raise CompileError(
        f"compile='numba' cannot compile the VJP of {fname}: its value is {value_kind}, not "
        "a number or an array of numbers its code shows (a value a call of another function "
        "returns is not known)",
        hint="return a number or a NumPy array computed in the kernel itself; compile=None "
        "differentiates any output",
    )


class VJP:
    """One specialization: ``forward`` and ``backward`` dispatchers, whether the backward
    takes the saved state (``split``) or the primals again, and the cotangent's kind."""

    def __init__(self, forward, backward, split, module, cotangent, value_name, make_safe):
        self.forward = forward
        self.backward = backward
        self.split = split
        self.module = module
        self.cotangent = cotangent
        self.value_name = value_name
        self._make_safe = make_safe
        self._safe = None

    @property
    def safe(self) -> VJP:
        if self._safe is None:
            self._safe = self._make_safe()
        return self._safe


def _assigned(body) -> set[str]:
    out = set()
    for n in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
    return out


def _loads_in_order(body) -> list[str]:
    seen: dict[str, None] = {}
    for s in body:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                seen.setdefault(n.id, None)
    return list(seen)


def _root(t):
    while isinstance(t, ast.Subscript):
        t = t.value
    return t.id if isinstance(t, ast.Name) else None


def _written(body, saved) -> set[str]:
    """The names among ``saved``, and the names that may share memory with one (``a = b``,
    ``a = b[i]``, ``a = b.reshape(...)``), whose array or list the statements change in place
    (``a[i] = v``, ``a[i] += v``, ``a += v``, ``a.pop()``)."""
    written, aliases = set(), []
    for n in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Subscript):
                    written.add(_root(t))
            v = n.value
            if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute):
                if v.func.attr != "copy" and _root(v.func.value) not in ("np", "math"):
                    v = v.func.value
            if isinstance(v, (ast.Name, ast.Subscript, ast.Attribute)):
                while isinstance(v, ast.Attribute):
                    v = v.value
                source = _root(v)
                aliases.extend((t.id, source) for t in n.targets if isinstance(t, ast.Name))
        elif isinstance(n, ast.AugAssign):
            written.add(_root(n.target))
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            if isinstance(n.func.value, ast.Name) and n.func.attr in _IN_PLACE:
                written.add(n.func.value.id)
    shared = set(saved)
    while True:
        more = {a for a, source in aliases if source in shared} - shared
        if not more:
            return written & shared
        shared |= more


_IN_PLACE = ("append", "pop", "fill", "sort", "extend", "clear", "insert", "remove")


def _docstring(body) -> str:
    """`` of f (file:line) with respect to x`` from the generated function's docstring."""
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and first.value.value.startswith("Value and gradient")
    ):
        return first.value.value.removeprefix("Value and gradient").rstrip(".")
    return ""


def _doc(text: str) -> ast.Expr:
    return ast.Expr(value=ast.Constant(text))


def _undocumented(body) -> list:
    if body and _docstring(body):
        return body[1:]
    return body


def _plain_kind(k) -> bool:
    """A number, an array, or a tuple of those: what crosses from the forward sweep to the
    backward one cheaply (not a list, which Numba would copy into a Python list)."""
    if k is None:
        return False
    if k.tag == "tuple":
        return all(_plain_kind(i) for i in k.items)
    return k.tag in ("num", "array")


def _function(name, params, body) -> ast.FunctionDef:
    from .common.syntax import function_def

    args = ast.arguments(
        posonlyargs=[],
        args=[ast.arg(arg=p) for p in params],
        vararg=None,
        kwonlyargs=[],
        kw_defaults=[],
        kwarg=None,
        defaults=[],
    )
    return function_def(name, args, body)


def _split(fdef, params, cotangent_kind, globals_):
    """``(forward, backward, split)`` from the specialized ``fdef`` (see the module
    docstring)."""
    body = fdef.body
    k = _cut_index(body)
    if k is None and COTANGENT not in _loads_in_order(body):
        k = len(body) - 1  # adjoints that do not depend on the cotangent (zeros): all forward
    ret = body[-1]
    if k is None or not (
        isinstance(ret, ast.Return)
        and isinstance(ret.value, ast.Tuple)
        and len(ret.value.elts) == 2
        and isinstance(ret.value.elts[0], ast.Name)
    ):
        return None
    value_name = ret.value.elts[0].id
    adjoints = ast.Return(value=ret.value.elts[1])
    before, after = body[:k], body[k:-1] + [ast.copy_location(adjoints, ret)]
    bound = _assigned(before) | set(params)
    saved = [n for n in _loads_in_order(after) if n in bound and n != COTANGENT]
    kinds = infer(fdef, {**params, COTANGENT: cotangent_kind}, globals_)
    plain = all(_plain_kind(kinds.get(n)) for n in saved)
    split = plain and not _written(after, saved)
    name = fdef.name.removeprefix("vjp_")
    out_value = ast.Name(id=value_name, ctx=ast.Load())
    if split:
        state = ast.Tuple(elts=[ast.Name(id=n, ctx=ast.Load()) for n in saved], ctx=ast.Load())
        back_params = [*saved, COTANGENT]
        back_name = f"{name}_backward"
    else:
        state = ast.Tuple(elts=[], ctx=ast.Load())
        back_params = [*params, COTANGENT]
        after = copy.deepcopy(body[:-1]) + [ast.copy_location(copy.deepcopy(adjoints), ret)]
        back_name = fdef.name
    give = ast.Return(value=ast.Tuple(elts=[out_value, state], ctx=ast.Load()))
    doc = _docstring(before)
    head = doc.split(" with respect to")[0]
    what = "its value and what the backward sweep reads" if split else "its value"
    forward = _function(f"{name}_forward", list(params), [_doc(f"Forward sweep{head}: {what}.")])
    forward.body += _undocumented(before) + [give]
    sweeps = "Backward sweep" if split else "Both sweeps"
    done = f"{sweeps}{doc}: the adjoints from the cotangent of its value."
    backward = _function(back_name, back_params, [_doc(done)])
    backward.body += _undocumented(after)
    for f, keep in ((forward, set(params)), (backward, set(back_params))):
        f.body = eliminate_dead(f.body, keep, globals_) or [ast.Pass()]
        ast.fix_missing_locations(f)
    return forward, backward, split, value_name


def vjp_module(module: GeneratedModule, gen, kinds: dict, fname: str, zero_safe: bool):
    """The specialized forward and backward text of value-and-gradient ``gen`` (a function
    of ``module``) for primals of ``kinds``, written to disk with its source map composed
    through the original; and the cotangent's kind, whether it is split, the value's name."""
    tree = ast.parse(module.text)
    fdef = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == gen.__name__)
    fdef = copy.deepcopy(fdef)
    k = _seed_index(fdef.body)
    globals_ = with_modules(gen.__globals__)
    if k is None:
        raise CompileError(
            f"compile='numba' cannot compile the VJP of {fname}: its backward sweep does not "
            "start at the top level of the generated code (a return inside a loop or a branch)",
            hint="return once, at the end; compile=None runs the same VJP uncompiled",
        )
    seed = fdef.body[k]
    value_kind = infer(fdef, kinds, globals_).get(seed.value.args[0].id)
    ck = _cotangent_kind(value_kind or UNKNOWN, fname)
    if isinstance(seed, ast.Assign):
        seed.value = ast.Name(id=COTANGENT, ctx=ast.Load())
    else:  # seed(s) checks the value only: the adjoints do not depend on it
        del fdef.body[k]
    fdef.name = "vjp_" + gen.__name__.removeprefix("value_and_grad_")
    fdef.args.args = fdef.args.args + [ast.arg(arg=COTANGENT)]
    new = specialize(fdef, {**kinds, COTANGENT: ck}, gen.__globals__, zero_safe=zero_safe)
    parts = _split(new, kinds, ck, globals_)
    if parts is None:
        raise CompileError(
            f"compile='numba' cannot compile the VJP of {fname}: the specialized code has no "
            "place where the backward sweep starts",
            hint="compile=None runs the same VJP uncompiled",
        )
    forward, backward, split, value_name = parts
    text = ast.unparse(forward) + "\n\n\n" + ast.unparse(backward) + "\n"
    title = f"compiled vjp of {fname}" + (" (zero-safe)" if zero_safe else "")
    filename = files.place(title, text, next(nc._count))
    again = ast.parse(text).body
    out = GeneratedModule(text, filename, {})
    olds = nc._statements(forward) + nc._statements(backward)
    nows = nc._statements(again[0]) + nc._statements(again[1])
    for old, now in zip(olds, nows, strict=False):
        line = getattr(old, "lineno", None)
        if line is None:
            continue
        for key in ("source_map", "sweeps", "owners", "via"):
            table = getattr(module, key)
            if line in table:
                getattr(out, key).setdefault(now.lineno, table[line])
    return out, (forward.name, backward.name), ck, split, value_name


def build(module, gen, kinds, fname, zero_safe=False) -> VJP:
    """Specialize, split, compile (nopython) and return one specialization."""
    nb = nc.numba()
    out, names, ck, split, value_name = vjp_module(module, gen, kinds, fname, zero_safe)
    namespace = with_modules(gen.__globals__)
    namespace.update(nc.helpers())
    exec(compile(out.text, out.filename, "exec"), namespace)
    fns = [namespace[n] for n in names]
    for fn in fns:
        fn.__pullback_module__ = out
    out.functions = dict(zip(names, fns, strict=True))
    tracebacks.register(out)
    forward, backward = (nb.njit(fn) for fn in fns)
    remake = None if zero_safe else (lambda: build(module, gen, kinds, fname, zero_safe=True))
    return VJP(forward, backward, split, out, ck, value_name, remake)


def _cotangent(ct, kind, fname):
    """``ct`` as the kind the backward sweep was compiled for (the value's)."""
    dtype = np.dtype(kind.dtype)
    if kind.scalar:
        return dtype.type(ct).item() if np.ndim(ct) == 0 else ct
    return np.ascontiguousarray(ct, dtype=dtype)


def compiled_vjp(f, primals: tuple, nums: tuple):
    """``(f(*primals), pullback)`` with both sweeps compiled (see the module docstring);
    ``pullback(cotangent)`` gives the adjoints of the primals at ``nums``."""
    from . import value_and_grad

    fname = getattr(f, "__name__", "f")
    df = value_and_grad(f, tuple(nums))
    gen = getattr(df, "__pullback_generated__", None)
    if gen is None:
        raise CompileError(
            f"compile='numba' compiles the VJP of a plain function; {fname} is not one "
            "(a method or a function of functions)",
            hint="wrap it in a plain def, or use compile=None",
        )
    code = gen.__code__
    params = code.co_varnames[: code.co_argcount]
    if len(primals) != len(params):
        raise CompileError(
            f"compile='numba': {fname} takes {len(params)} positional arguments, got "
            f"{len(primals)}",
            hint="pass every argument by position (compiled code takes no keywords)",
        )
    kinds = nc.argument_kinds(params, primals, fname)
    cache = gen.__dict__.setdefault("__pullback_compiled_vjp__", {})
    key = tuple(kinds.values())
    hit = cache.get(key)
    if hit is None:
        hit = cache[key] = build(df.__pullback_module__, gen, kinds, fname)
    value, saved = _run(hit.forward, primals, hit.module, fname)
    if hit.split and isinstance(value, np.ndarray):
        value = value.copy()  # the saved state may hold it: the caller's to change

    def pullback(cotangent):
        return _backward(hit, primals, saved, _cotangent(cotangent, hit.cotangent, fname), fname)

    pullback.__name__ = f"vjp_{fname}"
    pullback.__pullback_module__ = hit.module
    pullback.__pullback_compiled__ = cache
    pullback.dispatchers = (hit.forward, hit.backward)
    return nc._plain(value), pullback


def _run(dispatcher, args, module, fname):
    first = not dispatcher.signatures
    try:
        return dispatcher(*args)
    except Exception as error:
        if first and nc._is_numba_error(error):
            raise nc.compile_error(error, module, fname) from None
        raise


def _backward(hit: VJP, primals, saved, ct, fname):
    args = (*saved, ct) if hit.split else (*primals, ct)
    out = _run(hit.backward, args, hit.module, fname)
    if not nc._finite(out):  # maybe a 0 * inf: the zero-safe twin, both sweeps again
        safe = hit.safe
        again = _run(safe.forward, primals, safe.module, fname)[1]
        args = (*again, ct) if safe.split else (*primals, ct)
        out = _run(safe.backward, args, safe.module, fname)
    return tuple(nc._plain(o) for o in out)
