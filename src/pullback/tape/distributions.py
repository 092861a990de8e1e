"""SciPy's distributions on traced values: ``norm.logpdf(x, mu, sigma)`` and the frozen
``norm(mu, sigma).logpdf(x)``, recorded through the rules of the unfrozen methods.

In: a distribution instance of ``scipy.stats`` (``norm``, ``multivariate_normal``) found among
the globals or captured values of a function that tape or graph mode runs.
Out: ``dispatching_distribution(value)``, a stand-in for it, or None for any other value.

Why: SciPy's methods convert their arguments with ``np.asarray``, which a traced value refuses
(it would drop the derivative), so a method is called through ``bind`` whenever a traced value
is among its arguments: a method with a rule is recorded as one primitive, and one without
(``cauchy.logpdf``, ``norm.ppf``) raises ``MissingRuleError`` at the user's line instead of
walking into SciPy. Calling the stand-in (``norm(mu, sigma)``) freezes it as SciPy does, but
into a ``FrozenDistribution`` that keeps the traced parameters: its ``logpdf(x)`` is the
unfrozen ``norm.logpdf(x, mu, sigma)``, and so for every method that takes its own arguments
before the distribution's (``rvs`` given keywords only: ``d.rvs(size=3)``; given positional
ones, the frozen SciPy object itself answers).
"""

from __future__ import annotations

import types

from .traced import bind, is_traced

__all__ = ["dispatching_distribution", "DispatchingDistribution", "FrozenDistribution"]

_PROXIES: dict = {}


def _has_traced(values) -> bool:
    for v in values:
        if is_traced(v) or (type(v) in (list, tuple) and _has_traced(v)):
            return True
    return False


def _dispatching_method(method: types.MethodType):
    """``method`` recorded through ``bind`` when a traced value is among its arguments."""

    def dispatch(*args, **kwargs):
        if _has_traced(args) or _has_traced(kwargs.values()):
            return bind(method, args, kwargs)
        return method(*args, **kwargs)

    dispatch.__name__ = method.__name__
    dispatch.__qualname__ = method.__name__
    dispatch.__wrapped__ = method
    dispatch.__doc__ = method.__doc__
    dispatch.dispatches = True
    return dispatch


class DispatchingDistribution:
    """A stand-in for a distribution of ``scipy.stats`` (``norm``): its public methods dispatch
    through ``bind`` on traced values, calling it freezes it (``FrozenDistribution``); every
    other attribute is the distribution's own."""

    def __init__(self, distribution):
        self.__wrapped__ = distribution

    def __getattr__(self, attr):
        if attr == "freeze":  # norm.freeze(mu, sigma): the same as norm(mu, sigma)
            return self.__call__
        value = getattr(self.__wrapped__, attr)
        if isinstance(value, types.MethodType) and not attr.startswith("_"):
            return _dispatching_method(value)
        return value

    def __call__(self, *args, **kwargs):  # norm(loc, scale): a frozen distribution
        return FrozenDistribution(self, args, kwargs)

    def __repr__(self) -> str:
        return repr(self.__wrapped__)


class FrozenDistribution:
    """``norm(mu, sigma)`` made inside a traced function: ``d.logpdf(x)`` is
    ``norm.logpdf(x, mu, sigma)`` (dispatching), and ``d.mean()`` is ``norm.mean(mu, sigma)``;
    ``d.rvs(3)`` and the attributes that are not methods (``d.dist``, ``d.args``) are those
    of the frozen SciPy object, made from the same arguments."""

    def __init__(
        self, distribution: DispatchingDistribution, args: tuple, kwargs: dict, original=None
    ):
        self.distribution = distribution
        self.frozen_args = args
        self.frozen_kwargs = kwargs
        self.original = original  # the SciPy object it stands for, made outside the function

    def _scipy(self):
        if self.original is not None:
            return self.original
        return self.distribution.__wrapped__(*self.frozen_args, **self.frozen_kwargs)

    def __getattr__(self, attr):
        if attr.startswith("_"):
            return getattr(self._scipy(), attr)
        method = getattr(self.distribution, attr)
        if not getattr(method, "dispatches", False):
            return getattr(self._scipy(), attr)
        frozen_args = self.frozen_args
        frozen_kwargs = {k: v for k, v in self.frozen_kwargs.items() if k != "seed"}

        def call(*args, **kwargs):
            if attr == "rvs" and args:  # d.rvs(3): SciPy puts its own arguments last
                return self._scipy().rvs(*args, **kwargs)
            return method(*args, *frozen_args, **frozen_kwargs, **kwargs)

        call.__name__ = attr
        return call

    def __repr__(self) -> str:
        return f"{self.distribution!r}(frozen)"


def dispatching_distribution(value) -> DispatchingDistribution | FrozenDistribution | None:
    """The stand-in for ``value`` when it is a distribution of ``scipy.stats``, or a frozen
    one made outside the function (``D = norm(0.0, 2.0)``, its methods then dispatching like
    those frozen inside); None for any other value."""
    from ..rules.frozen import frozen_parts
    from ..rules.registry import distribution_name

    name = distribution_name(value)
    if name is None:
        parts = frozen_parts(value)
        if parts is None:
            return None
        return FrozenDistribution(dispatching_distribution(parts[0]), parts[1], parts[2], value)
    proxy = _PROXIES.get(name)
    if proxy is not None and proxy.__wrapped__ is value:
        return proxy
    proxy = DispatchingDistribution(value)
    _PROXIES[name] = proxy
    return proxy
