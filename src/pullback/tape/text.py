"""The text of a traced value: prints like the value, refuses to become a number again.

In: the string ``str``/``repr``/``format`` make of a Tensor or dual number that carries a
derivative (``f"{t}"``, ``str(t)``, ``"%s" % t``, ``"{:.3f}".format(t)``).
Out: a ``TracedText``, a ``str`` that reads exactly as the plain value's text (so
``print(f"loss {t}")`` keeps working) but raises ``NonDifferentiableError`` when
``float()``, ``int()``, ``np.float64()`` or ``np.array(..., dtype=float)`` reads a number back
from it: a string cannot carry a derivative, and the number read back would silently have none.
Slicing, concatenating and the common string methods keep the mark (``float(str(t)[:5])``
raises too). Text that Python builds itself, beyond the object's reach (an f-string with more
than one part, ``"%s!" % t``), is a plain ``str``: a number read back from it has no
derivative and no error, the one case the mark does not cover.
"""

from __future__ import annotations

from ..errors import NonDifferentiableError

_HINT = (
    "a string made of a traced value cannot carry its derivative, so the number read back "
    "from it would silently have none; compute with the value itself (printing or logging "
    'f"{x}" is fine)'
)


class TracedText(str):
    """A ``str`` formatted from a traced value (see the module's docstring)."""

    __slots__ = ()

    def __float__(self):
        raise NonDifferentiableError(f"float() of the text {str.__str__(self)!r}: {_HINT}")

    def __int__(self):
        raise NonDifferentiableError(f"int() of the text {str.__str__(self)!r}: {_HINT}")

    def __index__(self):
        raise NonDifferentiableError(f"an index from the text {str.__str__(self)!r}: {_HINT}")

    def __str__(self) -> str:
        return self

    def __format__(self, spec: str) -> str:
        return TracedText(str.__format__(self, spec))

    def __add__(self, other):
        return TracedText(str.__add__(self, other))

    def __radd__(self, other):
        return TracedText(str.__add__(other, self)) if isinstance(other, str) else NotImplemented

    def __mul__(self, n):
        return TracedText(str.__mul__(self, n))

    __rmul__ = __mul__

    def __mod__(self, args):
        return TracedText(str.__mod__(self, args))

    def __getitem__(self, index):
        return TracedText(str.__getitem__(self, index))


def _marked(method):
    def keep_mark(self, *args, **kwargs):
        return TracedText(method(self, *args, **kwargs))

    keep_mark.__name__ = method.__name__
    keep_mark.__doc__ = method.__doc__
    return keep_mark


for _name in (
    "strip",
    "lstrip",
    "rstrip",
    "replace",
    "lower",
    "upper",
    "format",
    "zfill",
    "ljust",
    "rjust",
    "center",
    "removeprefix",
    "removesuffix",
):
    setattr(TracedText, _name, _marked(getattr(str, _name)))


def traced_text(text: str) -> TracedText:
    """``text`` marked as made of a traced value."""
    return TracedText(text)


__all__ = ["TracedText", "traced_text"]
