"""The benchmark workloads W1-W5, their inputs, and hand-written NumPy adjoints.

In: nothing. Out: ``WORKLOADS``, a dict of name -> Workload (function, inputs, argnums, and a
hand-written gradient to compare against), shared by every benchmark script.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Workload:
    name: str
    fn: Callable
    args: tuple
    argnums: int | tuple
    by_hand: Callable | None = None  # a hand-written gradient: same signature, same output


def w1_log(x):
    return np.log(x * x)


def w1_by_hand(x):
    return 2.0 / x


def w2_tanh_loop(x):
    i = 0
    while i < 10:
        x = np.tanh(x)
        i += 1
    return x


def w2_by_hand(x):
    ys = []
    for _ in range(10):
        ys.append(x)
        x = np.tanh(x)
    g = 1.0
    for y in reversed(ys):
        t = np.tanh(y)
        g = g * (1.0 - t * t)
    return g


def w3_mlp_loss(W1, b1, W2, b2, X, T):
    h = np.tanh(X @ W1 + b1)
    y = h @ W2 + b2
    return np.mean((y - T) ** 2)


def w3_by_hand(W1, b1, W2, b2, X, T):
    h = np.tanh(X @ W1 + b1)
    y = h @ W2 + b2
    y_bar = 2.0 * (y - T) / y.size
    W2_bar = h.T @ y_bar
    b2_bar = y_bar.sum(axis=0)
    h_bar = y_bar @ W2.T
    a_bar = h_bar * (1.0 - h * h)
    W1_bar = X.T @ a_bar
    b1_bar = a_bar.sum(axis=0)
    return W1_bar, b1_bar, W2_bar, b2_bar


def w5_rnn_loss(Wx, Wh, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h**2)


def w5_by_hand(Wx, Wh, b, xs, h0):
    hs = [h0]
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        hs.append(h)
    Wx_bar = np.zeros_like(Wx)
    Wh_bar = np.zeros_like(Wh)
    b_bar = np.zeros_like(b)
    h_bar = 2.0 * h
    for t in range(xs.shape[0] - 1, -1, -1):
        a_bar = h_bar * (1.0 - hs[t + 1] ** 2)
        Wx_bar += xs[t].T @ a_bar
        Wh_bar += hs[t].T @ a_bar
        b_bar += a_bar.sum(axis=0)
        h_bar = a_bar @ Wh.T
    return Wx_bar, Wh_bar, b_bar


def _mlp_inputs(rng):
    X = rng.standard_normal((128, 64))
    W1 = rng.standard_normal((64, 128)) * 0.1
    b1 = np.zeros(128)
    W2 = rng.standard_normal((128, 10)) * 0.1
    b2 = np.zeros(10)
    T = rng.standard_normal((128, 10))
    return (W1, b1, W2, b2, X, T)


def _rnn_inputs(rng):
    xs = rng.standard_normal((50, 8, 16))
    Wx = rng.standard_normal((16, 32)) * 0.2
    Wh = rng.standard_normal((32, 32)) * 0.2
    b = np.zeros(32)
    h0 = np.zeros((8, 32))
    return (Wx, Wh, b, xs, h0)


def workloads(seed: int = 0) -> dict[str, Workload]:
    rng = np.random.default_rng(seed)
    return {
        "W1": Workload("W1 log(x*x)", w1_log, (3.0,), 0, w1_by_hand),
        "W2": Workload("W2 tanh while loop", w2_tanh_loop, (0.5,), 0, w2_by_hand),
        "W3": Workload("W3 MLP loss", w3_mlp_loss, _mlp_inputs(rng), (0, 1, 2, 3), w3_by_hand),
        "W5": Workload("W5 RNN loss", w5_rnn_loss, _rnn_inputs(rng), (0, 1, 2), w5_by_hand),
    }
