"""What a traced call did besides computing its outputs, which a replay of its graph cannot do.

In: the objects a function can draw random numbers from (NumPy's global generator, Python's
``random``, and the generators among the values it reads or is given), before and after a trace.
Out: ``random_draws(before, after)``: whether the trace drew from any of them.

A graph holds the numbers drawn while it was traced as constants, so a replay would return
the first sample's values and gradients every time; a call that wrote a global would not write
it again. Graph mode traces such a function afresh on every call (as a plain call runs it),
and ``Graph.evaluate`` refuses to replay such a graph.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

__all__ = ["random_states", "random_draws", "is_generator"]

_GENERATORS = (np.random.Generator, np.random.RandomState, np.random.BitGenerator)


def is_generator(value: Any) -> bool:
    return isinstance(value, _GENERATORS) or value is random or isinstance(value, random.Random)


def _state(generator) -> Any:
    if isinstance(generator, np.random.RandomState):
        return generator.get_state(legacy=False)
    if isinstance(generator, np.random.Generator):
        return generator.bit_generator.state
    if isinstance(generator, np.random.BitGenerator):
        return generator.state
    return generator.getstate()


def random_states(values: list) -> list:
    """The state of NumPy's and Python's global generators and of each generator in ``values``."""
    generators = [np.random.mtrand._rand, random, *(v for v in values if is_generator(v))]
    return [(id(g), _state(g)) for g in generators]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b


def random_draws(before: list, after: list) -> bool:
    """Whether a generator's state changed between two ``random_states`` snapshots."""
    return not _same(before, after)
