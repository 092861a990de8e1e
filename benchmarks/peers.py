"""The benchmark workloads written for the peers: JAX (jit) and PyTorch (eager), when installed.

In: a workload name ("W1" ... "W5") and its NumPy arguments.
Out: ``gradient_callables(name, args, argnums) -> {"jax (jit)": fn, "torch": fn}``, each a
zero-argument callable computing the same gradient as pullback, for the peers importable here.
Each peer's version is checked against pullback's gradient before it is timed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _jax_function(name: str, jnp) -> Callable | None:
    if name == "W1":
        return lambda x: jnp.log(x * x)
    if name == "W2":

        def tanh_loop(x):
            for _ in range(10):
                x = jnp.tanh(x)
            return x

        return tanh_loop
    if name == "W3":

        def mlp(W1, b1, W2, b2, X, T):
            h = jnp.tanh(X @ W1 + b1)
            return jnp.mean((h @ W2 + b2 - T) ** 2)

        return mlp
    if name == "W5":

        def rnn(Wx, Wh, b, xs, h0):
            h = h0
            for t in range(xs.shape[0]):
                h = jnp.tanh(xs[t] @ Wx + h @ Wh + b)
            return jnp.sum(h**2)

        return rnn
    return None


def _jax(name: str, args: tuple, argnums) -> Callable | None:
    try:
        import jax
        import jax.numpy as jnp
    except Exception:
        return None
    jax.config.update("jax_enable_x64", True)
    fn = _jax_function(name, jnp)
    if fn is None:
        return None
    grad = jax.jit(jax.grad(fn, argnums))
    jargs = tuple(jnp.asarray(a) for a in args)

    def run():
        return jax.block_until_ready(grad(*jargs))

    return run


def _torch(name: str, args: tuple, argnums) -> Callable | None:
    try:
        import torch
    except Exception:
        return None
    torch.set_num_threads(1)
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if name == "W1":
        body = lambda x: torch.log(x * x)  # noqa: E731
    elif name == "W2":

        def body(x):
            for _ in range(10):
                x = torch.tanh(x)
            return x

    elif name == "W3":

        def body(W1, b1, W2, b2, X, T):
            h = torch.tanh(X @ W1 + b1)
            return torch.mean((h @ W2 + b2 - T) ** 2)

    elif name == "W5":

        def body(Wx, Wh, b, xs, h0):
            h = h0
            for t in range(xs.shape[0]):
                h = torch.tanh(xs[t] @ Wx + h @ Wh + b)
            return torch.sum(h**2)

    else:
        return None

    def run():
        targs = [
            torch.tensor(np.asarray(a, dtype=float), requires_grad=i in nums)
            for i, a in enumerate(args)
        ]
        out = body(*targs)
        return torch.autograd.grad(out, [targs[i] for i in nums])

    return run


def gradient_callables(name: str, args: tuple, argnums) -> dict[str, Callable]:
    """The peers' gradient callables for workload ``name``, for those importable here."""
    out = {}
    for label, make in (("jax (jit)", _jax), ("torch", _torch)):
        run = make(name, args, argnums)
        if run is not None:
            out[label] = run
    return out


def as_numpy(grads) -> list[np.ndarray]:
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    return [np.asarray(g.detach() if hasattr(g, "detach") else g, dtype=float) for g in grads]
