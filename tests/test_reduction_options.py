"""NumPy's ``where=`` and ``initial=`` options of the reductions (sum, mean, prod, max, min), in
every mode, to second order, against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from fd import assert_first_and_second_order

MODES = ["source", "tape", "graph"]
KEEP = np.array([True, False, True, True, False, True])


def sum_where(x):
    return np.sum(x**3, where=KEEP)


def sum_where_initial_by_rows(x):
    rows = np.reshape(x**2, (2, 3))
    return np.sum(np.sin(np.sum(rows, axis=1, where=np.reshape(KEEP, (2, 3)), initial=1.0)))


def mean_where(x):
    return np.mean(np.exp(x), where=KEEP)


def mean_where_by_columns(x):
    return np.sum(np.mean(np.reshape(x, (2, 3)) ** 3, axis=0, where=np.reshape(KEEP, (3, 2)).T))


def max_initial(x):
    # rows whose max stays below 0.5 take no derivative: the initial value wins there
    return np.sum(np.max(np.reshape(x, (3, 2)) ** 2, axis=1, initial=0.5))


def min_where(x):
    return np.min(x**3, where=KEEP, initial=100.0)


def prod_initial_where(x):
    return np.prod(x, initial=1.5, where=KEEP) + np.sum(
        np.prod(np.reshape(x, (2, 3)), axis=0, initial=-2.0)
    )


CASES = [
    prod_initial_where,
    sum_where,
    sum_where_initial_by_rows,
    mean_where,
    mean_where_by_columns,
    max_initial,
    min_where,
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
@pytest.mark.parametrize("seed", [0, 1])
def test_reduction_options(f, mode, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, size=6)
    assert_first_and_second_order(f, x, mode, rng.normal(size=6))
