"""The check generated code runs before an in-place update that may be seen through another name.

In: the value about to be updated (``y`` in ``y += v``, the element in ``ys[i] += v``), the other
name that may share it, and where the update is in the user's file.
Out: nothing for immutable values (floats, tuples: ``+=`` makes a new value, as the derivative
assumes); an ``UnsupportedSyntaxError`` at the user's line for arrays, lists and dicts, whose
in-place update Python would make visible through the other name.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_unshared"]

_MUTABLE = (np.ndarray, list, dict)


def check_unshared(value, other: str, filename: str, lineno: int, col_offset: int) -> None:
    """Refuse an in-place update of a mutable ``value`` that ``other`` may share.

    >>> check_unshared(1.0, "x", "f.py", 3, 4)  # a float: += rebinds, nothing is shared
    """
    if not isinstance(value, _MUTABLE):
        return
    import linecache

    from ..errors import UnsupportedSyntaxError

    line = linecache.getline(filename, lineno).rstrip("\n")
    kind = "an array" if isinstance(value, np.ndarray) else f"a {type(value).__name__}"
    raise UnsupportedSyntaxError(
        f"this in-place update changes {kind} that {other!r} shares: in "
        f"Python {other!r} would change too, and source mode's derivative would not see that",
        hint=f"copy first (y = {other}.copy()) or write the update as a new value: y = y + v",
        filename=filename,
        lineno=lineno,
        col_offset=col_offset,
        line=line,
    )
