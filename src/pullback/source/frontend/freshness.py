"""Freshness: whether the text read for a function is the text its code was compiled from.

In: a function object and the lines of its file as ``linecache`` holds them now.
Out: nothing when compiling those lines again gives the function's code (same bytecode,
constants and names at the same place); otherwise ``SourceChangedError`` naming the file.

A module imported, then edited on disk and not reloaded, runs its old code while
``inspect``/``linecache`` read the new text: differentiating that text would give the
derivative of a function nobody is running. Compiling the whole file (not just the function)
keeps closures, class bodies and ``__future__`` flags as they were. Each file is compiled once
per text that ``linecache`` holds for it.
"""

from __future__ import annotations
import __future__

import importlib.machinery
import sys
import threading

from ...errors import SourceChangedError

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag

_COMPILED: dict = {}  # filename -> (lines object, flags, {(qualname, first line): fingerprints})
_LOCK = threading.Lock()


def check_current(fn, code, file_lines: list[str]) -> None:
    """Raise ``SourceChangedError`` when ``file_lines`` no longer compile to ``code``."""
    if not file_lines:
        return
    found = _code_at(code, file_lines)
    if found is not None and fingerprint(code) in found:
        return
    if not _loader_keeps_text(fn):  # a loader that rewrites source (pytest's asserts)
        return
    name = getattr(fn, "__qualname__", None) or code.co_name
    module = getattr(fn, "__module__", None)
    reload = (
        f"importlib.reload({module}) (then take the function from the reloaded module)"
        if module and module in sys.modules and module != "__main__"
        else "running the file again"
    )
    raise SourceChangedError(
        f"the source of {name} in {code.co_filename} changed since it was imported: line "
        f"{code.co_firstlineno} no longer holds the code that runs, so its derivative would be "
        f"that of other code; load the new version with {reload}, or undo the edit"
    )


def _code_at(code, file_lines):
    """The fingerprints of the functions named like ``code`` at its line, compiling
    ``file_lines``; None when they do not compile."""
    flags = code.co_flags & _FUTURE_FLAGS
    filename = code.co_filename
    with _LOCK:
        hit = _COMPILED.get(filename)
    if hit is None or hit[0] is not file_lines or hit[1] != flags:
        index = _index("".join(file_lines), filename, flags)
        with _LOCK:
            _COMPILED[filename] = (file_lines, flags, index)
    else:
        index = hit[2]
    if index is None:
        return None
    return index.get((_qualname(code), code.co_firstlineno), ())


def _index(text: str, filename: str, flags: int):
    try:
        module = compile(text, filename, "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    index: dict = {}
    stack = [module]
    while stack:
        c = stack.pop()
        for const in c.co_consts:
            if hasattr(const, "co_code"):
                key = (_qualname(const), const.co_firstlineno)
                index.setdefault(key, set()).add(fingerprint(const))
                stack.append(const)
    return index


def _qualname(code) -> str:
    return getattr(code, "co_qualname", code.co_name)


def fingerprint(code) -> tuple:
    """What two compilations of the same text agree on: bytecode, constants (nested code
    objects by their own fingerprint), names and variables."""
    consts = tuple(
        fingerprint(c) if hasattr(c, "co_code") else (type(c).__name__, repr(c))
        for c in code.co_consts
    )
    return (
        code.co_code,
        consts,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        code.co_argcount,
        code.co_kwonlyargcount,
    )


def _loader_keeps_text(fn) -> bool:
    """Whether ``fn``'s code was compiled from its file's text unchanged: a module loaded by
    the standard loaders (or no module: ``exec``, a notebook cell). Other loaders may rewrite
    the text before compiling it, so a difference proves nothing."""
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    spec = getattr(module, "__spec__", None)
    loader = getattr(spec, "loader", None) or getattr(module, "__loader__", None)
    if loader is None:
        return True
    standard = (
        importlib.machinery.SourceFileLoader,
        importlib.machinery.SourcelessFileLoader,
        importlib.machinery.BuiltinImporter,
        importlib.machinery.FrozenImporter,
    )
    return type(loader) in standard or loader in standard
