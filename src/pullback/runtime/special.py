"""Special functions the derivatives of SciPy's special functions need.

In: arrays. Out: arrays. SciPy is imported on first use only: these are called only by the
derivatives of SciPy functions, so SciPy is already loaded by the user's own code.

Each helper has a rule of its own (``rules/scipy_special.py``), so that a derivative that calls
one can be differentiated again: ``digamma`` gives ``polygamma(1, x)``, ``polygamma(n, x)``
gives ``polygamma(n + 1, x)``, a Bessel function of order ``v`` gives those of orders
``v - 1`` and ``v + 1``. ``no_derivative`` is what a rule returns for an argument whose
derivative it does not have: it raises, naming the function and the argument.
"""

from __future__ import annotations

import importlib

from ..errors import MissingRuleError

__all__ = [
    "digamma",
    "polygamma",
    "gammaln",
    "betaln",
    "iv",
    "ive",
    "jv",
    "yv",
    "no_derivative",
]


def _special():
    """``scipy.special``, imported on first use."""
    return importlib.import_module("scipy.special")


def digamma(x):
    """ψ(x) = d/dx log Γ(x) (``scipy.special.digamma``)."""
    return _special().digamma(x)


def polygamma(n, x):
    """ψ⁽ⁿ⁾(x), the n-th derivative of the digamma function (``scipy.special.polygamma``)."""
    return _special().polygamma(n, x)


def gammaln(x):
    """log |Γ(x)| (``scipy.special.gammaln``)."""
    return _special().gammaln(x)


def betaln(a, b):
    """log |B(a, b)| (``scipy.special.betaln``)."""
    return _special().betaln(a, b)


def iv(v, x):
    """The modified Bessel function of the first kind of real order v."""
    return _special().iv(v, x)


def ive(v, x):
    """``iv(v, x) * exp(-|x|)``, exponentially scaled."""
    return _special().ive(v, x)


def jv(v, x):
    """The Bessel function of the first kind of real order v."""
    return _special().jv(v, x)


def yv(v, x):
    """The Bessel function of the second kind of real order v."""
    return _special().yv(v, x)


def no_derivative(function: str, argument: str, why: str):
    """Raise: ``function`` has no derivative rule with respect to ``argument``, because ``why``.

    A rule's entry for such an argument calls this, so asking for that derivative (and only
    that one) fails with a message naming both, instead of giving a zero."""
    raise MissingRuleError(
        function,
        message=f"no derivative of {function} with respect to its argument {argument!r}: {why}",
        hint=(
            f"keep {argument!r} a constant (a value that does not depend on the differentiated "
            f"inputs), or give {function} a rule of your own with pb.defvjp and pb.defjvp"
        ),
    )
