"""User-defined derivatives and gradient surgery, honoured by every mode.

In: a user function and its derivative, written by the user.
Out: entries in the one rule table (so source, tape and graph modes all use them), plus
``stop_gradient`` and ``grad_of``.

- ``@custom_vjp`` with ``f.defvjp(fwd, bwd)``: ``fwd(*args) -> (out, residuals)``,
  ``bwd(residuals, g) -> tuple of adjoints`` (JAX's convention).
- ``@custom_jvp`` with ``f.defjvp(jvp)``: ``jvp(primals, tangents) -> (out, tangent_out)``; its
  reverse mode transposes that linear map: the VJP of argument i is plain source calling the
  source-mode reverse sweep of the rule's JVP function with respect to its tangent (built on
  first use), so ``grad(grad(f))`` and Hessians differentiate it again; where the user's jvp
  cannot be transformed, the map is recorded on a tape and transposed at run time instead.
- A custom function differentiated itself (``pb.grad(f)`` of a ``@custom_vjp`` ``f``): source
  mode transforms a plain function calling it (``__pullback_target__``), so its rule is used.
- ``defvjp(fn, *vjps)`` / ``defjvp(fn, *jvps)`` for library functions, one function per
  argument: ``vjp(g, ans, *args)``, ``jvp(t, ans, *args)`` (autograd's convention).
- ``stop_gradient(x)``: ``x``, treated as a constant.
- ``with grad_of(x) as x_bar:``: in a source-mode derivative the block runs in the backward
  sweep on ``x``'s adjoint; in a plain call of the function the block is skipped.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any

from .errors import MissingRuleError, PullbackError, PullbackTypeError
from .rules import registry
from .runtime import zeros_like_value
from .runtime.adjoints import conform_adjoint

__all__ = ["custom_vjp", "custom_jvp", "defvjp", "defjvp", "stop_gradient", "grad_of"]


def _positional_params(fn: Callable, fallback: Callable | None = None, skip: int = 0):
    for source, drop in ((fn, 0), (fallback, skip)):
        if source is None:
            continue
        try:
            sig = inspect.signature(source)
        except (TypeError, ValueError):
            continue
        names = [
            p.name
            for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        return tuple(names[drop:])
    return ()


def _callable_rule(fn, name, params, diff_params, vjps: dict, jvps: dict) -> registry.Rule:
    """A rule whose per-argument derivatives are given as callables (never spliced)."""

    def _missing_vjp(*args, **kwargs):
        raise MissingRuleError(name, f"{name} has a JVP but no VJP registered")

    def _missing_jvp(*args, **kwargs):
        raise MissingRuleError(
            name,
            f"{name} has a VJP but no JVP registered",
            hint=f"add one with pb.defjvp({name.rsplit('.', 1)[-1]}, lambda t, ans, x: ...)",
        )

    rule = registry.Rule(
        name=name,
        fns=(fn,),
        vjp=_missing_vjp,
        jvp=_missing_jvp,
        diff_params=tuple(diff_params),
        params=tuple(params),
        kind="custom",
    )
    rule._split_vjp = dict(vjps)
    rule._split_jvp = dict(jvps)
    base_vjp_fn, base_jvp_fn = rule.vjp_fn, rule.jvp_fn

    def vjp_fn(i):
        fn = rule._split_vjp.get(i)
        if isinstance(fn, _Deferred):
            fn = rule._split_vjp[i] = fn.build()
        return fn or _missing_vjp

    def jvp_fn(i):
        return rule._split_jvp.get(i) or _missing_jvp

    del base_vjp_fn, base_jvp_fn
    rule.vjp_fn = vjp_fn  # type: ignore[method-assign]
    rule.jvp_fn = jvp_fn  # type: ignore[method-assign]
    return rule


class _Deferred:
    """A rule function built on first use (building it may transform the user's source)."""

    def __init__(self, build: Callable[[], Callable]):
        self.build = build


def _calling_function(custom) -> Callable:
    """A plain function with ``custom``'s parameters that calls it: what source mode transforms
    when a custom function is itself the function differentiated."""
    params = _positional_params(custom.fn)
    fname = custom.__name__ if custom.__name__.isidentifier() else "custom_function"
    names = [p if p != "custom" else "custom_arg" for p in params]
    return _source_function(
        fname, [], [f"return custom({', '.join(names)})"], {"custom": custom}, fixed=names
    )


class _Custom:
    """What custom_vjp and custom_jvp share: calling, binding as a method, and registering the
    rule that the user's derivative defines."""

    def __call__(self, *args, **kwargs):
        return _call_rule(self, args, kwargs)

    def __get__(self, obj, objtype=None):  # behave as a function when used as a method
        return self if obj is None else functools.partial(self, obj)

    def _register_rule(self, params: list, vjps: dict, jvps: dict) -> None:
        rule = _callable_rule(
            self, f"{self.__module__}.{self.__qualname__}", params, params, vjps, jvps
        )
        registry._register(rule)
        self._rule_defined = True

    @property
    def __pullback_target__(self) -> Callable:
        target = self.__dict__.get("_calling_function")
        if target is None:
            target = self.__dict__["_calling_function"] = _calling_function(self)
        return target


def defvjp(fn: Callable, *vjps: Callable | None, name: str | None = None) -> None:
    """Register reverse-mode rules for ``fn``: ``vjps[i](g, ans, *args)`` is argument i's adjoint.

    >>> import numpy as np, pullback as pb
    >>> def cube(x):
    ...     return x ** 3
    >>> pb.defvjp(cube, lambda g, ans, x: g * 3 * x ** 2)
    """
    _define(fn, name, vjps=vjps, jvps=None)


def defjvp(fn: Callable, *jvps: Callable | None, name: str | None = None) -> None:
    """Register forward-mode rules for ``fn``: ``jvps[i](t, ans, *args)`` is argument i's share."""
    _define(fn, name, vjps=None, jvps=jvps)


def _check_rule_callables(who: str, fn: Any, rules: tuple, allow_none: bool = True) -> None:
    if not callable(fn):
        raise PullbackTypeError(
            f"{who} takes the function to give a rule to first, got {type(fn).__name__} {fn!r:.40}"
        )
    for r in rules:
        if not (callable(r) or (allow_none and r is None)):
            raise PullbackTypeError(
                f"{who}: a rule must be a function (or None for no derivative), got "
                f"{type(r).__name__} {r!r:.40}"
            )


def _define(fn, name, vjps, jvps) -> None:
    who = "pb.defvjp" if vjps is not None else "pb.defjvp"
    given = vjps if vjps is not None else jvps
    _check_rule_callables(who, fn, tuple(given))
    if not any(g is not None for g in given):
        raise PullbackTypeError(f"{who}(fn, rule, ...) needs at least one rule, one per argument")
    name = name or registry.qualified_name(fn)
    existing = registry.lookup(fn)
    given = vjps or jvps
    if existing is not None and existing.kind == "custom":
        rule = existing
    else:
        sample = next((v for v in given if v is not None), None)
        params = _positional_params(fn, sample, skip=2)
        if not params:
            raise PullbackTypeError(f"cannot read the parameters of {name}; pass named functions")
        rule = _callable_rule(fn, name, params, params[: len(given)], {}, {})
    if len(given) > len(rule.diff_params):
        rule.diff_params = rule.params[: len(given)]
    for i, d in enumerate(given):
        if d is None:
            continue
        (rule._split_vjp if vjps else rule._split_jvp)[i] = d
    registry._register(rule)


class custom_vjp(_Custom):
    """A function whose reverse-mode derivative is given by the user (``f.defvjp(fwd, bwd)``).

    >>> import numpy as np, pullback as pb
    >>> @pb.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (np.clip(g, -1, 1),))
    """

    def __init__(self, fn: Callable):
        _check_rule_callables("pb.custom_vjp", fn, ())
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        _check_rule_callables(".defvjp", self.fn, (fwd, bwd), allow_none=False)
        self.fwd, self.bwd = fwd, bwd
        params = _positional_params(self.fn)
        n = len(params)

        def make_vjp(i):
            # plain source with the function's own parameters, so that source mode can
            # differentiate it again (grad of grad runs through the user's fwd and bwd)
            return _source_function(
                f"{self.__name__}_vjp_{i}",
                ["g", "ans", *params],
                [
                    "out_and_residuals = fwd({args})",
                    "check_adjoints(out_and_residuals, 2, {name!r}, 'fwd')",
                    "residuals = out_and_residuals[1]",
                    "adjoints = bwd(residuals, g)",
                    "check_adjoints(adjoints, {n}, {name!r})",
                    "return conform_adjoint(adjoints[{i}], ({args},)[{i}])",
                ],
                {
                    "fwd": fwd,
                    "bwd": bwd,
                    "check_adjoints": _check_adjoints,
                    "conform_adjoint": conform_adjoint,
                },
                n=n,
                i=i,
                name=self.__name__,
            )

        def make_jvp(i):
            def jvp(t, ans, *args, **kwargs):
                from . import api

                def of_arg(v):
                    full = list(args)
                    full[i] = v
                    return self.fn(*full, **kwargs)

                return api.jvp(of_arg, (args[i],), (t,), mode="tape")[1]

            return jvp

        self._register_rule(
            params, {i: make_vjp(i) for i in range(n)}, {i: make_jvp(i) for i in range(n)}
        )


class custom_jvp(_Custom):
    """A function whose forward-mode derivative is given by the user (``f.defjvp(jvp)``).

    Reverse mode transposes the user's (linear) tangent map by recording it on a tape.
    """

    def __init__(self, fn: Callable):
        _check_rule_callables("pb.custom_jvp", fn, ())
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.jvp: Callable | None = None

    def defjvp(self, jvp: Callable) -> None:
        _check_rule_callables(".defjvp", self.fn, (jvp,), allow_none=False)
        self.jvp = jvp
        params = _positional_params(self.fn)
        n = len(params)

        def tangent_map(i, args, kwargs):
            def linear(t):
                tangents = tuple(t if j == i else _zeros_like(a) for j, a in enumerate(args))
                out = jvp(tuple(args), tangents, **kwargs)
                _check_adjoints(out, 2, self.__name__, "jvp")
                return out[1]

            return linear

        def make_jvp(i):
            tangents = ", ".join(
                "t" if j == i else f"zeros_like_value({p})" for j, p in enumerate(params)
            )
            return _source_function(
                f"{self.__name__}_jvp_{i}",
                ["t", "ans", *params],
                [
                    f"out_and_tangent = jvp(({{args}},), ({tangents},))",
                    f"check_adjoints(out_and_tangent, 2, {self.__name__!r}, 'jvp')",
                    "return out_and_tangent[1]",
                ],
                {
                    "jvp": jvp,
                    "zeros_like_value": zeros_like_value,
                    "check_adjoints": _check_adjoints,
                },
            )

        def taped_vjp(i):
            def vjp_i(g, ans, *args, **kwargs):
                from . import api

                linear = tangent_map(i, args, kwargs)
                _, pullback_fn = api.vjp(linear, _zeros_like(args[i]), mode="tape")
                return pullback_fn(g)[0]

            return vjp_i

        jvps = {i: make_jvp(i) for i in range(n)}

        def make_vjp(i):
            def build():
                try:
                    return _transposed_jvp(self.__name__, i, params, jvps[i])
                except PullbackError:  # the user's jvp has no source form: transpose a tape
                    return taped_vjp(i)

            return _Deferred(build)

        self._register_rule(params, {i: make_vjp(i) for i in range(n)}, jvps)


def _transposed_jvp(name: str, i: int, params, jvp_i: Callable) -> Callable:
    """The VJP of argument ``i`` of a custom_jvp function as plain source: the reverse sweep,
    generated by source mode, of its (linear) JVP rule function ``jvp_i(t, ans, *params)``
    with respect to the tangent ``t``."""
    from .source.cache import cached

    forward, backward = cached(jvp_i, (0,), False, "vjp", False, lambda module, gen: gen)
    return _source_function(
        f"{name}_vjp_{i}",
        ["g", "ans", *params],
        [
            f"t = zeros_like_value(({{args}},)[{i}])",
            "residuals = forward(t, ans, {args})[1]",
            "return backward(residuals, g)[0]",
        ],
        {"forward": forward, "backward": backward, "zeros_like_value": zeros_like_value},
    )


_source_counter = iter(range(1, 1 << 62))


def _source_function(
    fname: str,
    params: list[str],
    lines: list[str],
    env: dict,
    fixed: list[str] | None = None,
    **fmt,
):
    """A function made from source text, written to disk as generated code is (so source
    mode can read it).

    ``{args}`` in ``lines`` stands for the user function's parameters, comma separated; the
    first two of ``params`` (``g``/``t`` and ``ans``) keep their names, or all of ``fixed``.
    """
    from .source.common import files

    if fixed is not None:
        params, renamed = list(fixed), []
    else:
        taken = set(env) | {
            "g",
            "ans",
            "t",
            "residuals",
            "adjoints",
            "out_and_residuals",
            "out_and_tangent",
        }
        renamed = [p if p not in taken else f"{p}_arg" for p in params[2:]]
        params = params[:2]
    args = ", ".join(renamed)
    body = "\n".join("    " + line.format(args=args, **fmt) for line in lines)
    text = f"def {fname}({', '.join([*params, *renamed])}):\n{body}\n"
    filename = files.place(f"custom rule {fname}", text, next(_source_counter))
    namespace = dict(env)
    exec(compile(text, filename, "exec"), namespace)
    return namespace[fname]


def _check_adjoints(adjoints, n: int, name: str, role: str = "bwd") -> None:
    """A custom rule's result has the agreed form: bwd's a tuple of ``n`` adjoints, fwd's and
    a custom_jvp rule's a pair."""
    if role != "bwd":
        if not isinstance(adjoints, (tuple, list)) or len(adjoints) != 2:
            got = (
                f"a {type(adjoints).__name__} of length {len(adjoints)}"
                if isinstance(adjoints, (tuple, list))
                else type(adjoints).__name__
            )
            pair = "(output, residuals)" if role == "fwd" else "(primal_out, tangent_out)"
            raise PullbackTypeError(
                f"the {role} rule of {name} must return a pair {pair}; got {got}"
            )
        return
    if not isinstance(adjoints, tuple) or len(adjoints) != n:
        raise PullbackTypeError(
            f"the bwd of {name} must return a tuple of {n} adjoint(s), one per argument; "
            f"got {type(adjoints).__name__}"
        )


def _zeros_like(x):
    import numpy as np

    return np.zeros(np.shape(x)) if isinstance(x, np.ndarray) else 0.0


def _traced(args: tuple, kwargs: dict) -> bool:
    """Whether a tape- or graph-mode traced value is among the arguments (pytrees included)."""
    tape = sys.modules.get("pullback.tape.traced")
    if tape is None:
        return False
    from .pytree import flatten

    leaves = flatten((args, kwargs))[0]
    return any(tape.is_traced(leaf) for leaf in leaves)


def _call_rule(custom, args: tuple, kwargs: dict):
    """Run a custom-rule function: through the tracer when traced values are passed, so tape
    and graph modes record one node that the user's rule differentiates."""
    if custom.__dict__.get("_rule_defined") and _traced(args, kwargs):
        from .tape.traced import bind

        return bind(custom, args, kwargs)
    return custom.fn(*args, **kwargs)


def stop_gradient(x: Any) -> Any:
    """``x`` itself, with a zero derivative in every mode."""
    if _traced((x,), {}):
        from .pytree import tree_map
        from .tape.traced import bind

        return tree_map(lambda leaf: bind(stop_gradient, (leaf,)), x)
    return x


registry.defnondiff(stop_gradient, _check_adjoints)


class _SkipBlock(Exception):
    pass


class grad_of:
    """``with pb.grad_of(x) as x_bar:`` — code that runs in the backward sweep on x's adjoint.

    Source mode moves the block into the derivative's backward sweep, where ``x_bar`` holds the
    adjoint of ``x`` at that point and may be reassigned (to clip it, say). Called plainly, the
    function skips the block, so it still runs unchanged without pullback. Tape and graph
    modes raise ``PullbackError`` rather than skip it (which would drop the surgery silently).
    """

    def __init__(self, x: Any):
        if _traced((x,), {}):
            raise PullbackError(
                "pb.grad_of moves its block into the backward sweep, which only source mode "
                "writes out; tape and graph modes run the function as it is and cannot. Use "
                "mode='source', or a @pb.custom_vjp function to change an adjoint in any mode"
            )
        self.x = x

    def __enter__(self):
        frame = sys._getframe(1)
        self._frame = frame
        self._global_trace = sys.gettrace()
        self._local_trace = frame.f_trace
        if self._global_trace is None:
            sys.settrace(_no_trace)
        frame.f_trace = self._skip
        return None

    def _skip(self, frame, event, arg):
        raise _SkipBlock

    def __exit__(self, exc_type, exc, tb):
        self._frame.f_trace = self._local_trace
        if self._global_trace is None:
            sys.settrace(None)
        self._frame = None
        return exc_type is _SkipBlock


def _no_trace(frame, event, arg):
    return None
