"""The library boundary: whose code source mode transforms, and whose calls are primitives.

In: a Python function that differentiated code calls.
Out: ``is_library(fn) -> bool``. Library code is the standard library and installed packages
(the interpreter's and the environment's site-packages, the user's site directory); a call
of it is a primitive: it has a rule, or it is a ``MissingRuleError`` at the user's call, and
source mode never transforms or reports errors inside it. The user's code is everything
else: their scripts and modules, packages installed in editable mode (their files stay in
the project), notebook cells. Pullback's own code is transformed wherever it is installed:
its rules and runtime helpers are written to be differentiated again (higher orders), except
a rule's entry split out of a multi-entry rule, which has no text of its own (a primitive).
"""

from __future__ import annotations

import functools
import os
import site
import sysconfig

from ..common.files import is_generated

_OWN = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))


@functools.cache
def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    found = [paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    try:
        found += site.getsitepackages()
    except AttributeError:  # some virtual environments' site module
        pass
    found.append(site.getusersitepackages())
    return tuple(sorted({os.path.realpath(d) for d in found if d}))


@functools.cache
def _is_library_file(filename: str) -> bool:
    if is_generated(filename) or filename.startswith("<"):
        return False
    path = os.path.realpath(filename)
    if path.startswith(_OWN + os.sep):
        return False
    return any(path.startswith(d + os.sep) for d in _library_dirs())


def is_library(fn) -> bool:
    """Whether ``fn`` is library code (see the module docstring)."""
    if getattr(fn, "__pullback_split__", False):
        return True
    code = getattr(fn, "__code__", None)
    return code is not None and _is_library_file(code.co_filename)
