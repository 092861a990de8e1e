"""Forward mode in source form: ``jvp`` from a generated ``jvp_f(x, *, x_dot)``.

In: a user function (or a generated derivative: the transformation is closed over its own
output), which positional parameters carry tangents.
Out: a generated module holding ``jvp_f`` returning ``(value, value_tangent)`` and one such
function per user function it calls with tangents (``g_jvp``), built by the same front end as
the reverse transform (``transform.Transformation.front_end``) and the ``forward`` pass. A
callee's JVP function is built when the caller's transform first meets the call, so the kind of
its output tangent (which entries are symbolic zeros, see ``forward``) informs the caller.

``jvp`` registers, per function, a ``fast_jvp`` caller in ``api.SOURCE_JVP``: ``pb.jvp`` of a
function seen before, with float or float-array primals and tangents, goes straight into the
generated function (the checks, the cache lookup and pytree matching cost more than a small
primal). The caller falls back to the checked path when the function's code object changed
or a helper it was built with was rebound.
"""

from __future__ import annotations

import ast
import numbers
import types

import numpy as np

from .. import api, finite, results
from ..errors import PullbackError, PullbackValueError
from .backend.codegen import Piece
from .backend.tracebacks import annotate, raise_users_exception
from .cache import on_clear
from .common.diagnostics import transformation_failure
from .common.syntax import function_def
from .dynamic import CALLS as DYNAMIC_CALLS
from .pipeline import Normalized, Transformation
from .transform.forward import Forward, ForwardContext
from .transform.forward_kinds import MAYBE
from .transform.splice import Splicer

on_clear(api.SOURCE_JVP.clear)  # pb.jvp's fast callers hold generated functions too


def dot_names(fn, params: tuple[str, ...]) -> dict[str, str]:
    """The keyword names of the tangent parameters: ``x_dot``, unless ``fn`` uses that name."""
    code = getattr(fn, "__code__", None)
    taken = set(code.co_varnames) | set(code.co_names) if code is not None else set()
    out = {}
    for p in params:
        candidate = f"{p}_dot"
        k = 2
        while candidate in taken:
            candidate = f"{p}_dot_{k}"
            k += 1
        taken.add(candidate)
        out[p] = candidate
    return out


class ForwardTransformation(Transformation):
    """A transformation whose derivatives are JVP functions (see ``forward``)."""

    def __init__(self, title: str):
        super().__init__(title)
        self.jvp_callees: dict = {}
        self.jvp_pieces: list = []  # callees' pieces, in the order they were first called
        self.fixed_alive: list = []  # functions passed to callees: their ids key jvp_callees

    def forward(self, norm: Normalized, wrt: list[str], dots: dict[str, str], kinds=()):
        for d in dots.values():
            norm.namer.reserve(d)
        ctx = ForwardContext(
            self.ns, norm.namer, norm.src, Splicer(self.ns, norm.namer), self.callee_jvp
        )
        ctx.dynamic = DYNAMIC_CALLS
        fwd = Forward(norm.fdef, wrt, ctx)
        fwd.dots.update(dots)
        for p, kind in zip(wrt, kinds, strict=False):
            fwd.widen(p, kind)
        return fwd.run()

    def callee_jvp(self, fn, active: tuple[str, ...], kinds: tuple = (), fixed=None):
        """``(name, tangent keyword names, kind of its output tangent)`` of the JVP function of
        callee ``fn``, built now (so its output's kind is known to the caller), once per
        callee, tangent parameters and their kinds and functions passed to it (``fixed``:
        parameter -> function, see ``specialize``); a recursive call sees the kind MAYBE."""
        fixed = fixed or {}
        key = (
            id(fn.__code__),
            id(fn),
            active,
            kinds,
            tuple((p, id(f)) for p, f in sorted(fixed.items())),
        )
        if key not in self.jvp_callees:
            base = fn.__name__ if fn.__name__ != "<lambda>" else "lambda"
            jvp_name = self.ns.bind(f"{base}_jvp", object())
            dots = dot_names(fn, active)
            self.jvp_callees[key] = (jvp_name, dots, MAYBE)
            slot = len(self.jvp_pieces)
            self.jvp_pieces.append(None)
            norm = self.front_end(fn, fixed, callee=True)
            self.fixed_alive.append(fixed)
            self.jvp_pieces[slot] = self.piece(norm, list(active), jvp_name, dots, kinds)
            self.jvp_callees[key] = (jvp_name, dots, self.last_output_kind)
        return self.jvp_callees[key]

    def piece(self, norm: Normalized, wrt: list[str], fname: str, dots: dict[str, str], kinds=()):
        result = self.forward(norm, wrt, dots, kinds)
        self.last_output_kind = result.output_kind  # what callee_jvp reports to the caller
        a = norm.fdef.args
        args = ast.arguments(
            posonlyargs=a.posonlyargs,
            args=a.args,
            vararg=None,
            kwonlyargs=a.kwonlyargs + [ast.arg(arg=dots[p]) for p in wrt],
            kw_defaults=a.kw_defaults + [None] * len(wrt),
            kwarg=None,
            defaults=a.defaults,
        )
        ret = ast.Return(
            value=ast.Tuple(elts=[result.output, result.output_tangent], ctx=ast.Load())
        )
        node = ast.copy_location(function_def(fname, args, result.body + [ret]), norm.fdef)
        base = norm.fn.__name__ if norm.fn.__name__ != "<lambda>" else "lambda"
        doc = (
            f"Value and tangent of {base} ({norm.src.short_filename}:{norm.fdef.lineno}) "
            f"along the tangents of {', '.join(wrt)}."
        )
        return Piece(node, norm.src, doc)

    def finish(self):
        self.pieces += self.jvp_pieces
        module = super().finish()
        for jvp_name, _, _ in self.jvp_callees.values():
            self.ns.bound[jvp_name] = module.functions.get(jvp_name)
        return module


def build_jvp(fn, positions: tuple[int, ...], single, flavor, has_aux, owner=None):
    """The generated ``jvp_f`` of ``fn`` with tangents for the parameters at ``positions``;
    ``owner``: the class its ``self.m(...)`` calls resolve in (the receiver's)."""
    t = ForwardTransformation(f"jvp of {getattr(fn, '__qualname__', 'function')}")
    if owner is not None:
        t.owners[id(fn)] = owner
    norm = None
    try:
        norm = t.front_end(fn)
        params = norm.params
        for i in positions:
            if i >= len(params):
                raise PullbackValueError(
                    f"jvp got {i + 1} primals or more, but {fn.__name__} takes {len(params)} "
                    "parameter(s)"
                )
        wrt = [params[i] for i in positions]
        dots = dot_names(fn, tuple(wrt))
        base = fn.__name__ if fn.__name__ != "<lambda>" else "lambda"
        fname = t.ns.bind(f"jvp_{base}", object())
        t.pieces.append(t.piece(norm, wrt, fname, dots))
        module = t.finish()
        return module, (module.functions[fname], [dots[p] for p in wrt])
    except PullbackError:
        raise
    except Exception as exc:  # an internal failure: point at the user's code
        error = transformation_failure(exc, norm)
        raise error from (None if isinstance(exc, RecursionError) else exc)


def _has_tangent(primal, tangent) -> bool:
    if tangent is None:
        return False
    leaves = api.pytree.flatten(primal)[0]
    integral = all(
        isinstance(x, (bool, np.bool_))
        or (isinstance(x, numbers.Integral) and not isinstance(x, np.ndarray))
        or (isinstance(x, np.ndarray) and x.dtype.kind in "biu")
        for x in leaves
    )
    if integral and leaves:
        return False
    return True


_FAST_TEMPLATE = """
def fast(primals, tangents):
    if f.__code__ is not code{stale}:
        return None
    try:
        {ps}, = primals
        {ts}, = tangents
    except (TypeError, ValueError):  # not {n} of each: the checked path says what is wrong
        return None
    if not ({plain}):
        return None
    try:
        out = jvp_f({ps}, {kw})
    except BaseException as error:
        annotate(error)
        raise_users_exception(error, f, primals)
    value, tangent = out
    tc = tangent.__class__
    if tc is float or tc is float64:  # the output's type; Python floats in, Python float out
        if {python_floats}:
            return out if tc is float else (value, float(tangent))
        if value.__class__ is tc:
            return out
    elif tc is ndarray:
        if (
            value.__class__ is ndarray
            and value.shape == tangent.shape
            and value.dtype == tangent.dtype
        ):
            return out
    elif tc is tuple and value.__class__ is tuple and len(value) == len(tangent):
        for v, t in zip(value, tangent):  # a gradient, in an hvp
            if v.__class__ is not ndarray or t.__class__ is not ndarray or v.shape != t.shape:
                break
        else:
            return out
    return value, match_tree(tangent, value)
"""


def fast_jvp(f, jvp_f, names):
    """``fast(primals, tangents)``: ``jvp_f`` called straight away where every primal and
    tangent is a float or a float array (what most calls pass), else ``None``. The tangents go
    in as keywords by name, so the call builds no dictionary."""
    from .cache import stale

    n = len(names)
    ps = ", ".join(f"p{i}" for i in range(n))
    ts = ", ".join(f"t{i}" for i in range(n))
    plain = " and ".join(
        f"({v}.__class__ is float or ({v}.__class__ is ndarray and {v}.dtype.kind == 'f'))"
        for v in [f"p{i}" for i in range(n)] + [f"t{i}" for i in range(n)]
    )
    kw = ", ".join(f"{k}=t{i}" for i, k in enumerate(names))
    namespace = {
        "f": f,
        "code": f.__code__,
        "jvp_f": jvp_f,
        "stale": stale,
        "guards": getattr(getattr(jvp_f, "__pullback_module__", None), "guards", ()),
        "float64": np.float64,
        "ndarray": np.ndarray,
        "match_tree": results.match_tree,
        "raise_users_exception": raise_users_exception,
        "annotate": annotate,
    }
    stale_check = " or stale(guards)" if namespace["guards"] else ""  # no names to watch: no call
    python_floats = " and ".join(f"p{i}.__class__ is float" for i in range(n))
    source = _FAST_TEMPLATE.format(
        n=n, ps=ps, ts=ts, plain=plain, kw=kw, stale=stale_check, python_floats=python_floats
    )
    exec(source, namespace)
    return namespace["fast"]


def generated_jvp(f, positions: tuple[int, ...], owner=None):
    """``(jvp_f, tangent keyword names)`` for ``f`` with tangents at ``positions``; ``owner``
    as in ``build_jvp``."""
    from .cache import cached
    from .targets import _target

    target = _target(f)
    return cached(
        target,
        positions,
        False,
        "jvp",
        False,
        lambda module, gen: gen,
        builder=build_jvp,
        owner=owner,
    )


def _receiver_first(f, primals: tuple, tangents: tuple):
    """``(function, primals, tangents, owner)``: a bound method (or a derivative of one) as its
    function with the receiver a first primal without a tangent; ``owner`` is the class its
    ``self.m(...)`` calls resolve in, the receiver's own class (also for an unbound method
    called with an instance of a subclass), or None for the default."""
    from .targets import _for_receiver, _method, _receiver_class, _target

    f = _for_receiver(f, primals)
    method = _method(_target(f))
    if method is not None:
        receiver = method[1]
        owner = receiver if isinstance(receiver, type) else type(receiver)
        return method[0], (receiver, *primals), (None, *tangents), owner
    owner = _receiver_class(_target(f), primals[0]) if primals else None
    return f, primals, tangents, owner


def jvp(f, primals: tuple, tangents: tuple):
    """``(f(*primals), tangent_out)`` by a generated forward-mode function.

    >>> import numpy as np
    >>> jvp(lambda x: np.log(x * x), (3.0,), (1.0,))[1]
    0.6666666666666666
    """
    fast = api.SOURCE_JVP.get(f) if isinstance(f, types.FunctionType) else None
    if fast is not None and not finite.ON[0]:
        out = fast(primals, tangents)
        if out is not None:
            return out
    partial = getattr(f, "__pullback_partial__", None)
    fixed: dict = {}  # keyword arguments of a partial application: constants
    if partial is not None:  # api's f_of_diff: transform the function it closes over
        f, args, fixed, nums = partial
        full = list(args)
        full_tangents: list = [None] * len(args)
        for i, p, t in zip(nums, primals, tangents, strict=False):
            full[i] = p
            full_tangents[i] = t
        primals, tangents = tuple(full), tuple(full_tangents)
    f, primals, tangents, owner = _receiver_first(f, primals, tangents)
    pairs = enumerate(zip(primals, tangents, strict=False))
    positions = tuple(i for i, (p, t) in pairs if _has_tangent(p, t))
    gen, names = generated_jvp(f, positions, owner)
    if (
        partial is None
        and owner is None
        and positions
        and positions == tuple(range(len(primals)))
        and isinstance(f, types.FunctionType)
    ):
        api.SOURCE_JVP[f] = fast_jvp(f, gen, names)
    kwargs = {k: tangents[i] for k, i in zip(names, positions, strict=False)}
    if finite.ON[0] and finite.enabled():  # pb.debug_nans(), check_finite: the checked twin
        from .debug.checked import checked_function

        gen = checked_function(gen)
    try:
        value, tangent = gen(*primals, **fixed, **kwargs)
    except BaseException as error:
        raise_users_exception(error, f, primals, fixed)
    return value, results.match_tree(tangent, value)


__all__ = ["jvp", "build_jvp", "generated_jvp", "ForwardTransformation", "dot_names"]
