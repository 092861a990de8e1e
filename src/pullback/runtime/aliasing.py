"""The check generated code runs before an in-place update that may be seen through another name.

In: the value about to be updated (``y`` in ``y += v``, the element in ``ys[i] += v``), the other
name that may share it, and where the update is in the user's file.
``check_entry`` runs after an entry read (``left = u[i - 1]``) that an in-place update of ``u``
was accepted on: right where the entry is a number, refused where it is a view (``u`` has more
axes than indices) or another mutable value that the update would change too.

Out: nothing for immutable values (floats, tuples: ``+=`` makes a new value, as the derivative
assumes); an ``UnsupportedSyntaxError`` at the user's line for arrays, lists and dicts, whose
in-place update Python would make visible through the other name.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_entry", "check_stored_entry", "check_unshared"]

_MUTABLE = (np.ndarray, list, dict)


def check_unshared(value, other: str, filename: str, lineno: int, col_offset: int) -> None:
    """Refuse an in-place update of a mutable ``value`` that ``other`` may share.

    >>> check_unshared(1.0, "x", "f.py", 3, 4)  # a float: += rebinds, nothing is shared
    """
    if not isinstance(value, _MUTABLE):
        return
    _refuse(
        f"this in-place update changes {_kind(value)} that {other!r} shares: in "
        f"Python {other!r} would change too, and source mode's derivative would not see that",
        f"copy first (y = {other}.copy()) or write the update as a new value: y = y + v",
        filename,
        lineno,
        col_offset,
    )


def check_entry(value, read: str, written: str, filename: str, lineno: int, col_offset: int):
    """Refuse a mutable ``value`` that ``read`` (``left = u[i - 1]``) gave, where ``written``
    (``u``) is later updated in place.

    >>> check_entry(0.5, "left = u[i - 1]", "u", "f.py", 3, 4)  # a number: nothing is shared
    """
    if not isinstance(value, _MUTABLE):
        return
    target, _, entry = read.partition(" = ")
    _refuse(
        f"in '{read}', {entry} is {_kind(value)}, not a number: {target!r} may share memory "
        f"with {written!r}, which is then changed in place; in Python {target!r} would change "
        "too, and source mode's derivative would not see that",
        f"index every axis to read a number, or copy: {target} = {entry}.copy()",
        filename,
        lineno,
        col_offset,
    )


def check_stored_entry(container, index, read, written, filename, lineno, col_offset):
    """``check_entry`` for a value just stored at ``container[index]``: an array copies what
    it stores, a list or dict keeps the value itself."""
    if isinstance(container, np.ndarray):
        return
    check_entry(container[index], read, written, filename, lineno, col_offset)


def _kind(value) -> str:
    return "an array" if isinstance(value, np.ndarray) else f"a {type(value).__name__}"


def _refuse(message, hint, filename, lineno, col_offset):
    import linecache

    from ..errors import UnsupportedSyntaxError

    line = linecache.getline(filename, lineno).rstrip("\n")
    raise UnsupportedSyntaxError(
        message, hint=hint, filename=filename, lineno=lineno, col_offset=col_offset, line=line
    )
