"""Failures inside a derivative, said in the user's terms: their file, line, text and sweep.

In: an exception or a warning raised while a derivative ran, in any mode.
Out: a note on the exception (``add_note``, Python 3.11+), and text appended to the warning as
Python prints it, naming the user's line and whether the forward or the backward sweep ran:

- source mode: the generated frame's line, mapped through the source map (``source.tracebacks``);
- tape and graph modes: the recorded node that failed, whose line the record keeps.

Warnings are found where Python formats them (``warnings.formatwarning``, wrapped once when the
first derivative is made): the warning's own line when it is generated code, otherwise the
frames running now, innermost first: a generated frame, or the backward sweep of tape mode
(its current node) or a graph's replay (likewise). Nothing runs unless a warning is printed.
"""

from __future__ import annotations

import linecache
import os
import sys
import threading
import warnings

import numpy as np

_LOCK = threading.Lock()
_installed = [False]
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_LIBRARIES = (_PACKAGE, os.path.dirname(os.path.abspath(np.__file__)) + os.sep)
_RECORDING = (os.path.join(_PACKAGE, "tape") + os.sep, os.path.join(_PACKAGE, "graph") + os.sep)


def _user_file(filename: str) -> bool:
    from .source.common.files import is_generated

    return not filename.startswith(_LIBRARIES) and not is_generated(filename)


def forward_note(filename: str, lineno: int, mode: str) -> str:
    return f"in the forward sweep ({mode} mode), at {where(filename, lineno)}"


def annotate_forward(error: BaseException, mode: str) -> None:
    """Note on ``error`` (raised while ``f`` ran on traced values) the innermost user line of
    its traceback, as the forward sweep of ``mode``."""
    if _skipped(error):
        return
    place = None
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if _user_file(code.co_filename) and code.co_filename != __file__:
            place = (code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    if place is None:
        return
    try:
        error._pullback_located = True
    except AttributeError:
        return
    error.add_note(forward_note(*place, mode))


def where(filename: str | None, lineno: int | None) -> str:
    """``file:line:`` and the line's text, indented on the next line."""
    if filename is None or lineno is None:
        return "an unknown line"
    text = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}:\n    {text}" if text else f"{filename}:{lineno}"


def node_note(node, sweep: str, mode: str) -> str:
    """What to say about a recorded ``node`` that failed in ``sweep`` (tape or graph mode)."""
    return (
        f"in the {sweep} sweep ({mode} mode), at {node.op} (node {node.label}) recorded at "
        f"{where(node.filename, node.lineno)}"
    )


def _skipped(error: BaseException) -> bool:
    """A note already given, or an error of pullback's own (which names its line itself)."""
    from .errors import PullbackError

    return (
        not hasattr(error, "add_note")
        or getattr(error, "_pullback_located", False)
        or isinstance(error, PullbackError)
    )


def annotate_node(error: BaseException, node, sweep: str, mode: str) -> None:
    """Add ``node_note`` to ``error`` once (the innermost failing node wins)."""
    if _skipped(error):
        return
    try:
        error._pullback_located = True
    except AttributeError:
        return
    error.add_note(node_note(node, sweep, mode))


def running_place(filename: str | None = None, lineno: int | None = None) -> str | None:
    """The user's place of what runs now: line ``lineno`` of ``filename`` when that is
    generated code, else the innermost generated frame or recorded node on the stack."""
    from .source.backend import tracebacks

    if filename is not None and lineno is not None:
        note = tracebacks.describe(filename, lineno)
        if note is not None:
            return note
    frame = sys._getframe(1)
    recording = False  # passed through the recording of a primitive: its mode once known
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        note = tracebacks.describe(filename, frame.f_lineno)
        if note is not None:
            return note
        if filename.startswith(_RECORDING):
            node = frame.f_locals.get("node") if code.co_name in ("sweep", "run") else None
            if node is not None and hasattr(node, "op") and hasattr(node, "lineno"):
                if code.co_name == "sweep":
                    mode = "tape" if frame.f_locals.get("trace") is None else "graph"
                    return node_note(node, "backward", mode)
                graph = frame.f_locals.get("self")
                name = getattr(graph, "name", "") or ""
                sweep = "backward" if name.startswith(("grad_", "vjp_")) else "forward"
                return node_note(node, sweep, "graph")
            if recording is False:
                trace = frame.f_locals.get("trace", frame.f_locals.get("self"))
                replayable = getattr(trace, "replayable", None)
                recording = "graph" if replayable else "tape" if replayable is False else None
        elif recording and _user_file(filename):
            return forward_note(filename, frame.f_lineno, recording)
        frame = frame.f_back
    return None


def install_warning_notes() -> None:
    """Wrap ``warnings.formatwarning`` (once) so a warning raised in a derivative names the
    user's line it comes from."""
    with _LOCK:
        if _installed[0]:
            return
        _installed[0] = True
        plain = warnings.formatwarning

        def formatwarning(message, category, filename, lineno, line=None):
            text = plain(message, category, filename, lineno, line)
            try:
                place = running_place(filename, lineno)
            except Exception:  # never let a warning fail because of the note
                place = None
            return text if place is None else text + "  " + place.replace("\n", "\n  ") + "\n"

        formatwarning.__wrapped__ = plain
        warnings.formatwarning = formatwarning
