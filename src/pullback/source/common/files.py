"""Generated code on disk: each generated module is a real file, as any module is.

In: the text of a generated module and a title (``"grad of f"``).
Out: the filename it is compiled under. The text is written to a file in the cache directory
(so Python's traceback printer, pdb, ``warnings``, profilers and coverage read its lines from
disk) and registered in ``linecache`` as well (for consoles that read only that).

The directory is ``$PULLBACK_CACHE_DIR`` where that is set (kept after the process ends, so a
coverage or profile report can still read the files), or else a temporary directory made at the
first derivative and removed when the process exits. ``use_directory(path)`` changes it for the
derivatives generated from then on. Each process writes into a directory of its own, so two
processes sharing a cache directory never write the same file. Where no directory can be
written, the module is compiled under a ``<pullback ...>`` name that lives only in ``linecache``.
"""

from __future__ import annotations

import atexit
import itertools
import linecache
import os
import re
import shutil
import tempfile
import threading

_LOCK = threading.Lock()
_state: dict = {"base": None, "dir": None, "pid": None, "temporary": False}
_WRITTEN: set[str] = set()  # every filename generated code was compiled under


def use_directory(path: str | os.PathLike | None) -> None:
    """Write the derivatives generated from now on into ``path`` (a fresh subdirectory of it,
    per process); ``None`` goes back to the default (``$PULLBACK_CACHE_DIR`` or a temporary
    directory)."""
    with _LOCK:
        _state["base"] = os.fspath(path) if path is not None else None
        _state["dir"] = None


def directory() -> str | None:
    """The directory generated modules are written to now (made on first use); None where
    none can be written."""
    with _LOCK:
        return _directory()


def _directory() -> str | None:
    if _state["dir"] is not None and _state["pid"] == os.getpid():
        return _state["dir"]
    base = _state["base"] or os.environ.get("PULLBACK_CACHE_DIR") or None
    try:
        if base is not None:
            os.makedirs(base, exist_ok=True)
            made = tempfile.mkdtemp(prefix=f"pullback-{os.getpid()}-", dir=base)
            temporary = False
        else:
            made = tempfile.mkdtemp(prefix="pullback-")
            temporary = True
    except OSError:
        return None
    _state.update(dir=made, pid=os.getpid(), temporary=temporary)
    if temporary:
        atexit.register(_remove, made, os.getpid())
    return made


def _remove(path: str, pid: int) -> None:
    if os.getpid() == pid:  # not in a forked child, whose parent still uses the files
        shutil.rmtree(path, ignore_errors=True)


def _slug(title: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "_", title).strip("_")[:60] or "derivative"


def place(title: str, text: str, n: int) -> str:
    """Write ``text`` (generated module number ``n``) to the cache directory; its filename."""
    lines = text.splitlines(True)
    with _LOCK:
        where = _directory()
        filename = None
        if where is not None:
            stem = os.path.join(where, f"{_slug(title)}_{n}")
            path, again = f"{stem}.py", 1
            # two numberings can meet ("vjp of f" #1 and derived.py's "vjp_of_f" #1): a file
            # written once is never written over, so the functions compiled from it keep their
            # lines
            while path in _WRITTEN:
                again += 1
                path = f"{stem}_{again}.py"
            try:
                with open(path, "w", encoding="utf-8") as out:
                    out.write(text)
                filename = path
            except OSError:
                filename = None
        if filename is None:
            filename = f"<pullback {title} #{n}>"
        _WRITTEN.add(filename)
    linecache.cache[filename] = (len(text), None, lines, filename)
    return filename


def is_generated(filename: str) -> bool:
    """Whether ``filename`` holds code pullback generated (a derivative, a rule's wrapper)."""
    return filename.startswith("<pullback") or filename in _WRITTEN


_DEFINED = itertools.count(1)


def define(fname: str, params: list[str], body: list[str], env: dict):
    """A function ``def fname(params): body`` written to the cache directory and run in a
    namespace holding ``env``, so that source mode can read it back and transform it."""
    text = f"def {fname}({', '.join(params)}):\n" + "".join(f"    {b}\n" for b in body)
    filename = place(fname, text, next(_DEFINED))
    namespace = dict(env)
    exec(compile(text, filename, "exec"), namespace)
    fn = namespace[fname]
    fn.__pullback_text__ = text
    return fn
