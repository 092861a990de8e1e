"""pdb straight into a generated derivative: ``pb.debug(df, *args)``.

In: a source-mode derivative (what ``pb.grad(f)`` or ``pb.value_and_grad(f)`` returned) and
the arguments to call it with.
Out: what ``df(*args)`` returns, run under pdb, which stops first on the first line of the
generated derivative, not in the library's wrapper code. The generated functions' names are
in the frame's globals, so ``break grad_f`` works; every stop in generated code also prints
the user's line the current generated line comes from, and its sweep.

>>> import io, numpy as np, pullback as pb
>>> def f(x):
...     return x * x
>>> out = io.StringIO()
>>> pb.debug(pb.grad(f), 3.0, stdin=io.StringIO("continue\\n"), stdout=out)
6.0
"""

from __future__ import annotations

import bdb
import inspect
import pdb
import sys

from ...errors import PullbackTypeError
from ..backend.tracebacks import module_of as generated_module
from ..common.sourcemap import entry_at, module_of


class DerivativeDebugger(pdb.Pdb):
    """pdb that names, at each stop in generated code, the user's line it comes from."""

    def format_stack_entry(self, frame_lineno, lprefix=": "):
        text = super().format_stack_entry(frame_lineno, lprefix)
        frame, lineno = frame_lineno
        module = generated_module(frame.f_code.co_filename)
        entry = entry_at(module, lineno) if module is not None else None
        if entry is None:
            return text
        return f"{text}\n   [{entry.sweep} sweep of {entry.filename}:{entry.lineno}: {entry.text}]"


def debug(df, *args, stdin=None, stdout=None, **kwargs):
    """Run ``df(*args, **kwargs)`` under pdb, stopping first on the generated derivative's
    first line; returns what it returns (None if the user quits)."""
    module = module_of(df, "pb.debug")
    generated = getattr(df, "__pullback_generated__", None)
    target = generated if callable(generated) else next(iter(module.functions.values()))
    try:
        inspect.signature(target).bind(*args, **kwargs)
    except TypeError as error:
        raise PullbackTypeError(
            f"pb.debug(df, *args) calls {target.__name__}{inspect.signature(target)} with the "
            f"arguments given after df: {error}; pass them as you would call df"
        ) from None
    codes = {fn.__code__ for fn in module.functions.values()}
    debugger = DerivativeDebugger(stdin=stdin, stdout=stdout)
    if stdin is not None:
        debugger.use_rawinput = False

    def waiting(frame, event, arg):  # until a generated function starts
        if event == "call" and frame.f_code in codes:
            sys.settrace(None)
            debugger.set_trace(frame)  # stops at the next line event: the first line
            return debugger.trace_dispatch
        return None

    previous = sys.gettrace()
    sys.settrace(waiting)
    try:
        return df(*args, **kwargs)
    except bdb.BdbQuit:  # the user quit the debugger
        return None
    finally:
        sys.settrace(previous)
        debugger.quitting = False
