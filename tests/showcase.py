"""Showcase functions whose generated derivatives are kept as golden snapshots (tests/golden)."""

import numpy as np


def intro(x):
    a = x * x
    b = np.log(a)
    return b


def tanh_loop(x):
    i = 0
    while i < 10:
        x = np.tanh(x)
        i += 1
    return x


def mlp_loss(W1, b1, W2, b2, X, T):
    h = np.tanh(X @ W1 + b1)
    y = h @ W2 + b2
    return np.mean((y - T) ** 2)


def rnn_loss(Wx, Wh, b, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h**2)


def running_sum(x):
    y = np.zeros(x.shape)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] + x[i] * x[i]
    return np.sum(y)


def make_model(scale):
    def model(x):
        return scale * np.sin(x) + x

    return model


scaled_model = make_model(2.0)


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def cube(x):
    return power(x, 3)


def first_big(x):
    total = 0.0
    for i in range(10):
        if i % 2 == 1:
            continue
        total = total + x * i
        if total > 5.0:
            break
    return total


SHOWCASE = {
    "intro": (intro, 0, (3.0,)),
    "tanh_loop": (tanh_loop, 0, (0.5,)),
    "mlp_loss": (mlp_loss, (0, 1, 2, 3), None),
    "rnn_loss": (rnn_loss, (0, 1, 2), None),
    "index_assignment": (running_sum, 0, (np.array([0.5, 1.0, 1.5]),)),
    "closure": (scaled_model, 0, (0.3,)),
    "recursion": (cube, 0, (1.2,)),
    "break_continue": (first_big, 0, (0.4,)),
}
