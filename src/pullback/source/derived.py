"""Derivatives as functions of the primals, written as source so they differentiate again.

In: a function, and a fixed cotangent (``vjp_of``) or fixed tangents (``jvp_of``).
Out: ``vjp_of_f(*primals) -> adjoints`` and ``jvp_of_f(*primals) -> tangent``: a few lines of
generated Python calling the generated derivative of ``f``, written to disk like every
generated function, so that ``pb.jvp`` (and ``check_grads(order=2)``) can transform them.
"""

from __future__ import annotations

from .common import files
from .forward_mode import _has_tangent, generated_jvp


def _names(n: int) -> list[str]:
    return [f"x{k}" for k in range(n)]


def vjp_of(f, primals: tuple, cotangent):
    """``vjp_of_f(*xs)``: the adjoints of ``xs`` for the fixed ``cotangent``.

    >>> def f(x):
    ...     return x * x
    >>> vjp_of(f, (3.0,), 1.0)(3.0)
    (6.0,)
    """
    from .cache import cached
    from .targets import _target

    target = _target(f)
    nums = tuple(range(len(primals)))
    forward, backward = cached(target, nums, False, "vjp", False, lambda module, gen: gen)
    xs = _names(len(primals))
    base = getattr(target, "__name__", "f").replace("<lambda>", "lambda")
    return files.define(
        f"vjp_of_{base}",
        xs,
        [
            f"value, saved = forward({', '.join(xs)})",
            "return backward(saved, cotangent)",
        ],
        {"forward": forward, "backward": backward, "cotangent": cotangent},
    )


def jvp_of(f, primals: tuple, tangents: tuple):
    """``jvp_of_f(*xs)``: the output tangent of ``f`` at ``xs`` along the fixed ``tangents``."""
    positions = tuple(
        i for i, (p, t) in enumerate(zip(primals, tangents, strict=True)) if _has_tangent(p, t)
    )
    gen, names = generated_jvp(f, positions)
    xs = _names(len(primals))
    env = {"jvp_function": gen}
    keywords = []
    for k, (i, key) in enumerate(zip(positions, names, strict=True)):
        env[f"tangent_{k}"] = tangents[i]
        keywords.append(f"{key}=tangent_{k}")
    base = getattr(f, "__name__", "f").replace("<lambda>", "lambda")
    return files.define(
        f"jvp_of_{base}",
        xs,
        [
            f"value, tangent = jvp_function({', '.join(xs + keywords)})",
            "return tangent",
        ],
        env,
    )


__all__ = ["vjp_of", "jvp_of"]
