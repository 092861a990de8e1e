"""``compile="numba"``: a source-mode derivative specialized on its arguments' kinds at the
first call and compiled with ``numba.njit`` (nopython mode), once per kind signature.

In: a derivative ``pb.grad(f)`` / ``pb.value_and_grad(f)`` made by source mode (its generated
module and function), and later the arguments of each call.
Out: ``compiled(df, target)``, a function that on each call looks up (or builds) the compiled
specialization for the arguments' kinds and calls it; it is itself a Numba dispatcher's
caller, and ``.dispatcher(*args)`` gives the Numba dispatcher for those arguments (which
other ``njit`` code can call). ``pb.source`` of it shows the code last compiled
(``lean.specialize`` of the generated code: plain Python, no runtime helpers where the kinds
make them plain operations) and ``pb.source_map`` maps its lines to the user's. Numba is
imported here only, on first use.

Errors: an argument no compiled code can take (an object array, a list, a string ...) is a
``CompileError`` naming the argument at the first call; code that Numba cannot type is a
``CompileError`` naming the user's file and line (through the source map) with Numba's first
message line and the hint ``compile=None``. Nothing falls back to uncompiled code silently.
"""

from __future__ import annotations

import ast
import itertools
import re
import threading

import numpy as np

from ..errors import CompileError
from .backend import tracebacks
from .backend.codegen import GeneratedModule
from .backend.kinds import Kind, kind_of
from .backend.lean import specialize, with_modules
from .common import files

_LOCK = threading.Lock()
_HELPERS: dict = {}
_count = itertools.count(1)


def numba():
    """The ``numba`` module, or a CompileError saying how to get it."""
    try:
        import numba as nb
    except ImportError:  # pragma: no cover - depends on the environment
        raise CompileError(
            "compile='numba' needs Numba, which is not installed",
            hint="pip install numba; compile=None runs the same derivative uncompiled",
        ) from None
    return nb


def helpers() -> dict:
    """The runtime helpers specialized code may still call, as Numba functions of the same
    names and meanings (``pullback.runtime``)."""
    with _LOCK:
        if _HELPERS:
            return _HELPERS
        nb = numba()
        from numba import types as nt
        from numba.extending import overload

        def safe_mul(a, b):  # the name Numba's overload below stands for
            return a * b

        @overload(safe_mul)
        def _safe_mul(a, b):
            if isinstance(a, nt.Array) or isinstance(b, nt.Array):

                def arrays(a, b):  # 0 wherever a factor is 0, even against inf or nan
                    return np.where((a == 0) | (b == 0), 0.0, a * b)

                return arrays

            def numbers(a, b):
                if a == 0 or b == 0:
                    return 0.0 * 0.0
                return a * b

            return numbers

        @nb.njit
        def setitem(x, index, v):
            y = x.copy()
            y[index] = v
            return y

        @nb.njit
        def getitem_adjoint(g, x, index):
            out = np.zeros(x.shape)
            out[index] += g
            return out

        @nb.njit
        def zero_region(t, index):
            out = t.copy()
            out[index] = 0.0
            return out

        @nb.njit
        def setitem_tangent_v(v_dot, x, index, v):
            out = np.zeros(x.shape)
            out[index] = v_dot
            return out

        _HELPERS.update(
            safe_mul=safe_mul,
            setitem=setitem,
            getitem_adjoint=getitem_adjoint,
            zero_region=zero_region,
            setitem_tangent_v=setitem_tangent_v,
        )
        return _HELPERS


_REFUSED_KINDS = ("unknown", "none", "list")


def argument_kinds(params, args, fname) -> dict:
    """Name -> Kind of each argument; a CompileError for one no compiled code takes."""
    kinds = {}
    for p, a in zip(params, args, strict=False):
        k = kind_of(a)
        if k.tag in _REFUSED_KINDS or _has_refused(k):
            raise CompileError(
                f"compile='numba': argument {p!r} of {fname} is {_describe(a)}, which compiled "
                "code cannot take",
                hint="pass numbers or NumPy arrays of numbers (np.asarray(...) of a list); "
                "compile=None differentiates any argument",
            )
        kinds[p] = k
    return kinds


def _has_refused(k: Kind) -> bool:
    return k.tag == "tuple" and any(i.tag in _REFUSED_KINDS or _has_refused(i) for i in k.items)


def _describe(a) -> str:
    if isinstance(a, np.ndarray):
        return f"an array of dtype {a.dtype}"
    return f"a {type(a).__name__}"


class Compiled:
    """One specialization: the Numba dispatcher, its text and its generated module; ``safe``
    the zero-safe twin (``safe_mul`` kept), made the first time the plain one's result is not
    finite."""

    def __init__(self, dispatcher, module: GeneratedModule, make_safe):
        self.dispatcher = dispatcher
        self.module = module
        self._make_safe = make_safe
        self._safe = None

    @property
    def safe(self) -> Compiled:
        if self._safe is None:
            self._safe = self._make_safe()
        return self._safe


def specialize_module(module: GeneratedModule, gen, kinds: dict, zero_safe: bool):
    """The specialized text of ``gen`` (a function of ``module``) for ``kinds``, written to
    disk like any generated module, with its source map composed through the original."""
    tree = ast.parse(module.text)
    fdef = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == gen.__name__)
    new = specialize(fdef, kinds, gen.__globals__, zero_safe=zero_safe)
    a = new.args  # keyword-only parameters (a JVP's tangents) by position: Numba takes those
    a.args, a.kwonlyargs, a.kw_defaults = a.args + a.kwonlyargs, [], []
    text = ast.unparse(new) + "\n"
    title = f"compiled {gen.__name__}" + (" (zero-safe)" if zero_safe else "")
    filename = files.place(title, text, next(_count))
    again = ast.parse(text).body[0]
    out = GeneratedModule(text, filename, {})
    for old, now in zip(_statements(new), _statements(again), strict=False):
        line = getattr(old, "lineno", None)
        if line is None:
            continue
        for key, table in (
            ("source_map", module.source_map),
            ("sweeps", module.sweeps),
            ("owners", module.owners),
            ("via", module.via),
        ):
            if line in table:
                getattr(out, key).setdefault(now.lineno, table[line])
    return out


def _statements(fdef):
    return [n for n in ast.walk(fdef) if isinstance(n, ast.stmt)]


def build(module: GeneratedModule, gen, kinds: dict, fname: str, zero_safe=False) -> Compiled:
    """Specialize, compile (nopython) and return one specialization. The plain one multiplies
    adjoints by partials with ``*``; where its result is not finite the caller runs the
    zero-safe twin, which keeps a zero adjoint zero against an inf partial (``safe_mul``):
    a 0 * inf the twin would zero is a NaN in the plain result, so a finite plain result is
    the twin's result too."""
    nb = numba()
    out = specialize_module(module, gen, kinds, zero_safe)
    namespace = with_modules(gen.__globals__)  # np and math, which specialized code names
    namespace.update(helpers())
    code = compile(out.text, out.filename, "exec")
    exec(code, namespace)
    fn = namespace[gen.__name__]
    fn.__pullback_module__ = out
    out.functions = {gen.__name__: fn}
    tracebacks.register(out)
    dispatcher = nb.njit(fn)
    if zero_safe:
        return Compiled(dispatcher, out, None)
    return Compiled(dispatcher, out, lambda: build(module, gen, kinds, fname, zero_safe=True))


def compile_error(error, module: GeneratedModule, fname: str) -> CompileError:
    """Numba's typing error as a CompileError at the user's line."""
    message = str(error)
    first = next(
        (ln.strip() for ln in message.splitlines() if ln.strip() and "Failed in" not in ln),
        message.strip(),
    )
    lines = [int(m) for m in re.findall(r'File "[^"]*", line (\d+)', message)]
    found = [ln for ln in lines if ln in module.source_map] if module else []
    where = {}
    generated = ""
    if found:
        origin = module.source_map[found[-1]]
        where = {"filename": origin[0], "lineno": origin[1]}
        generated = f" (compiled line {found[-1]}: {_line(module.text, found[-1])})"
    return CompileError(
        f"compile='numba' cannot compile the derivative of {fname}: {first}{generated}",
        hint="compile=None runs the same derivative uncompiled; pb.source(df) shows the code "
        "Numba was given",
        **where,
    )


def _line(text: str, n: int) -> str:
    lines = text.splitlines()
    return lines[n - 1].strip() if 0 < n <= len(lines) else ""


def compiled(df, target):
    """``df`` (a source-mode derivative of ``target``) compiled on first call per kinds."""
    gen = df.__pullback_generated__
    module = df.__pullback_module__
    code = gen.__code__
    params = code.co_varnames[: code.co_argcount]
    fname = getattr(target, "__name__", "f")
    cache: dict = {}

    def specialization(args) -> Compiled:
        if len(args) != len(params):
            raise CompileError(
                f"compile='numba': {fname} takes {len(params)} positional arguments, got "
                f"{len(args)}",
                hint="pass every argument by position (compiled code takes no keywords)",
            )
        hit = _specialization(cache, module, gen, params, args, fname)
        wrapper.__pullback_module__ = hit.module
        return hit

    def wrapper(*args, **kwargs):
        if kwargs:
            raise CompileError(
                f"compile='numba': {fname} was called with keyword arguments {', '.join(kwargs)}",
                hint="pass every argument by position (compiled code takes no keywords)",
            )
        return _plain(_run_checked(specialization(args), args, fname))

    def dispatcher(*args):
        """The Numba dispatcher of the specialization for ``args`` (callable from njit)."""
        return specialization(args).dispatcher

    wrapper.__name__ = gen.__name__
    wrapper.__qualname__ = gen.__qualname__
    wrapper.__doc__ = gen.__doc__
    wrapper.__pullback_module__ = module
    wrapper.__pullback_generated__ = gen
    wrapper.__pullback_target__ = getattr(df, "__pullback_target__", gen)
    wrapper.__pullback_compiled__ = cache
    wrapper.dispatcher = dispatcher
    return wrapper


def _run(hit: Compiled, args, fname):
    first = not hit.dispatcher.signatures
    try:
        return hit.dispatcher(*args)
    except Exception as error:
        if first and _is_numba_error(error):
            raise compile_error(error, hit.module, fname) from None
        raise


def _finite(out) -> bool:
    if isinstance(out, tuple):
        return all(_finite(o) for o in out)
    if isinstance(out, (float, int, complex, np.generic, np.ndarray)):
        return bool(np.isfinite(np.add.reduce(np.ravel(out)) if np.ndim(out) else out))
    return True


def _is_numba_error(error) -> bool:
    return type(error).__module__.startswith("numba")


def _plain(out):
    """Python floats where the uncompiled derivative gives them (Numba returns floats as
    Python floats already; 0-d results are made numbers)."""
    if isinstance(out, np.ndarray) and out.ndim == 0:
        return out[()]
    return out


def compiled_jvp(f, primals: tuple, tangents: tuple):
    """``(f(*primals), tangent)`` from ``f``'s generated JVP, specialized on the kinds of the
    primals and tangents and compiled (``pb.jvp(..., compile="numba")``), kept per kinds on
    the generated function."""
    from .forward_mode import generated_jvp

    gen, names = generated_jvp(f, tuple(range(len(primals))))
    code = gen.__code__
    params = list(code.co_varnames[: code.co_argcount]) + list(names)
    fname = getattr(f, "__name__", "f")
    args = tuple(primals) + tuple(tangents)
    if len(args) != len(params):
        raise CompileError(
            f"compile='numba': the JVP of {fname} takes {len(params)} primals and tangents, "
            f"got {len(args)}",
            hint="pass one tangent per primal",
        )
    cache = gen.__dict__.setdefault("__pullback_compiled_jvp__", {})
    hit = _specialization(cache, gen.__pullback_module__, gen, params, args, fname)
    return _run_checked(hit, args, fname)


def specialized_python(df, args):
    """The specialized text of source-mode derivative ``df`` for the kinds of ``args`` as a
    plain Python function, not compiled (zero-safe, runtime helpers of Python): a loop
    kernel's gradient without tapes, which forward mode differentiates in linear time (a
    second order through a Numba kernel); made once per kinds."""
    gen = df.__pullback_generated__
    code = gen.__code__
    params = code.co_varnames[: code.co_argcount]
    kinds = argument_kinds(params, args, getattr(gen, "__name__", "f"))
    cache = gen.__dict__.setdefault("__pullback_specialized__", {})
    key = tuple(kinds.values())
    fn = cache.get(key)
    if fn is None:
        out = specialize_module(df.__pullback_module__, gen, kinds, zero_safe=True)
        namespace = with_modules(gen.__globals__)
        exec(compile(out.text, out.filename, "exec"), namespace)
        fn = cache[key] = namespace[gen.__name__]
        fn.__pullback_module__ = out
        out.functions = {gen.__name__: fn}
        tracebacks.register(out)
    return fn


def _specialization(cache: dict, module, gen, params, args, fname) -> Compiled:
    """The compiled specialization of ``gen`` for the kinds of ``args`` (made once)."""
    kinds = argument_kinds(params, args, fname)
    key = tuple(kinds.values())
    hit = cache.get(key)
    if hit is None:
        hit = cache[key] = build(module, gen, kinds, fname)
    return hit


def _run_checked(hit: Compiled, args, fname):
    """``hit`` run on ``args``; where its result is not finite (maybe a 0 * inf), the
    zero-safe twin's result."""
    out = _run(hit, args, fname)
    if not _finite(out):
        out = _run(hit.safe, args, fname)
    return out
