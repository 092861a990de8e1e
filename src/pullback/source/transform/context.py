"""What both derivative transforms share: their surroundings, and how they read a statement.

In: the namespace, namer, user source, rule splicer and callee-pair maker of one
transformation; ANF statements and right-hand sides.
Out: ``Context`` (static references to runtime helpers and builtins in generated code);
``primitive_call``: the rule, arguments and keywords of a call of a primitive with a rule;
``registry_bind``: those arguments by the rule's parameter names; ``assigned_names``: the
names statements assign.
"""

from __future__ import annotations

import ast
import copy

from ... import runtime
from ...errors import PullbackTypeError, UnsupportedSyntaxError
from ...rules import registry
from ...runtime import adjoints as adjoint_helpers
from ..analysis.activity import BINOPS, UNARYOPS
from ..common.diagnostics import where
from ..frontend.anf_expressions import is_static
from ..frontend.resolve import MISSING


class Context:
    """What a derivative transform needs from its surroundings."""

    def __init__(self, ns, namer, src, splicer, callee_pair):
        self.ns = ns
        self.namer = namer
        self.src = src
        self.splicer = splicer
        self.callee_pair = callee_pair
        # call_forward/call_backward/call_tangent for callees known only when running (the
        # pipeline's ``source.dynamic``; None: such calls are refused)
        self.dynamic = None

    def refuse_dynamic_again(self, fn, at) -> None:
        """A derivative of generated code that calls a callee known only when running
        (``call_forward`` ...): not differentiated again, with a clear error."""
        dynamic = self.dynamic
        if dynamic is None or fn not in (
            dynamic.call_forward,
            dynamic.call_backward,
            dynamic.call_tangent,
        ):
            return
        from ...errors import UnsupportedSyntaxError
        from ..common.diagnostics import where

        raise UnsupportedSyntaxError(
            "a derivative of a derivative through a call whose function is known only when "
            "running (a method of an object from a list, a function from a dict, pb.grad(g) "
            "inside the function) is not supported in source mode",
            hint="use mode='tape' for the higher derivative, or call the function by its name",
            **where(at, self.src),
        )

    def helper(self, fn_name: str) -> ast.expr:
        """A reference to the runtime helper ``fn_name`` (``unbroadcast``, ``seed`` ...)."""
        return self.ref(getattr(adjoint_helpers, fn_name, None) or getattr(runtime, fn_name))

    def builtin(self, fn_name: str) -> ast.expr:
        import builtins

        return self.ref(getattr(builtins, fn_name))

    def ref(self, obj) -> ast.expr:
        """A static reference to ``obj`` in the generated code."""
        ref = self.ns.ref(obj)
        ref._static = True
        return ref


def primitive_call(value, value_of, src=None):
    """(rule, args, keywords) when the ANF right-hand side ``value`` calls a primitive with a
    rule (an operator or a static reference to a function); else None. A call passing more
    positional arguments than its rule has parameters is refused (``src`` locates it)."""
    if isinstance(value, ast.BinOp):
        fn = BINOPS.get(type(value.op))
        rule = registry.lookup(fn) if fn else None
        return (rule, [value.left, value.right], []) if rule else None
    if isinstance(value, ast.UnaryOp) and type(value.op) in UNARYOPS:
        rule = registry.lookup(UNARYOPS[type(value.op)])
        return (rule, [value.operand], []) if rule else None
    if isinstance(value, ast.Call) and is_static(value.func):
        fn = value_of(value.func)
        if fn is MISSING:
            return None
        rule = registry.lookup(fn)
        if rule is None:
            return None
        if not any(isinstance(a, ast.Starred) for a in value.args):
            try:
                rule.check_arity(len(value.args), [k.arg for k in value.keywords])
            except PullbackTypeError as error:
                raise UnsupportedSyntaxError(error.args[0], **where(value, src)) from None
            if rule.writes_out(value.args):  # the keyword form is refused by the fence
                raise UnsupportedSyntaxError(
                    "out= arguments write into arrays in place",
                    hint="assign the result instead",
                    **where(value, src),
                )
        return rule, value.args, value.keywords
    return None


def registry_bind(rule, args, keywords) -> dict:
    """The arguments of a call of ``rule`` by its parameter names."""
    bound = dict(zip(rule.params, args, strict=False))
    for k in keywords:
        bound[k.arg] = k.value
    return bound


def assigned_names(stmts) -> set[str]:
    """The names ``stmts`` assign, anywhere inside them."""
    out = set()
    for s in stmts:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                out.add(n.id)
    return out


def is_operator(rule) -> bool:
    """Whether the rule is a Python operator's (``+``, ``*`` ...), perhaps shared with a ufunc."""
    return any(getattr(fn, "__module__", None) in ("_operator", "operator") for fn in rule.fns)


def lists_as_arrays(rule, operands: dict, args: list, sequences, helper) -> tuple[dict, list]:
    """``(operands, args)`` of an operator's rule as its derivative reads them: an operand
    that may be a list or tuple (``[0.5, a] / x``) is NumPy's array there, as the operator
    read it (``-x / (y * y)`` of a list ``y`` would be Python's list arithmetic), through the
    ``array_operand`` helper; any other rule's as they are."""
    if not is_operator(rule):
        return operands, args

    def read(e):
        if isinstance(e, ast.Name) and e.id in sequences:
            return ast.Call(func=helper("array_operand"), args=[copy.deepcopy(e)], keywords=[])
        return e

    return {p: read(e) for p, e in operands.items()}, [read(e) for e in args]
