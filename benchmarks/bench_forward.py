"""Source mode, forward and higher order: JVP, Hessian-vector product and Jacobians.

In: the workloads W1 and W3 (``workloads.py``) and a 10 -> 10 map.
Out: a table of ratios on stdout and ``results/forward.json``. Targets: the forward-mode JVP of
W1 (``log(x*x)`` at 3.0) within 3x of the primal; the HVP of the W3 MLP loss within 4x of its
gradient. JAX (``jax.jvp(jax.grad(...))`` under jit) and autograd (``make_hvp``) columns appear
where those are importable.
Run: ``PYTHONPATH=src python benchmarks/bench_forward.py`` (one process, BLAS on one thread).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import timing  # noqa: E402  (pins BLAS threads before NumPy loads)

# isort: split
import numpy as np  # noqa: E402
from workloads import w1_log, w3_mlp_loss, workloads  # noqa: E402

import pullback as pb  # noqa: E402
from pullback.source.forward_mode import generated_jvp  # noqa: E402

W3_ARGS = workloads()["W3"].args
X, T = W3_ARGS[4], W3_ARGS[5]


def best(fns: dict) -> dict:
    """Best time per call of each function, three rounds in turns."""
    return timing.interleaved(fns, rounds=3)


def mlp_params_loss(W1, b1, W2, b2):
    return w3_mlp_loss(W1, b1, W2, b2, X, T)


def ten_to_ten(x):
    y = np.tanh(x) * x[::-1]
    for _ in range(3):
        y = np.sin(y) + 0.1 * y * y
    return y


def jax_columns():
    try:
        import jax
        import jax.numpy as jnp
    except Exception:
        return {}
    jax.config.update("jax_enable_x64", True)

    def j_w1(x):
        return jnp.log(x * x)

    w1_jvp = jax.jit(lambda x, t: jax.jvp(j_w1, (x,), (t,)))

    def j_mlp(params):
        W1, b1, W2, b2 = params
        h = jnp.tanh(X @ W1 + b1)
        y = h @ W2 + b2
        return jnp.mean((y - T) ** 2)

    grad = jax.jit(jax.grad(j_mlp))
    hvp = jax.jit(lambda p, v: jax.jvp(jax.grad(j_mlp), (p,), (v,))[1])

    def run_w1():
        return w1_jvp(3.0, 1.0)[1].block_until_ready()

    def run(fn):
        def call(p, v=None):
            out = fn(p) if v is None else fn(p, v)
            jax.block_until_ready(out)
            return out

        return call

    return {"w1_jvp": run_w1, "grad": run(grad), "hvp": run(hvp)}


def autograd_hvp():
    try:
        import autograd.numpy as anp
        from autograd import grad, make_hvp
    except Exception:
        return None

    def a_mlp(params):
        W1, b1, W2, b2 = params
        h = anp.tanh(anp.dot(X, W1) + b1)
        y = anp.dot(h, W2) + b2
        return anp.mean((y - T) ** 2)

    return make_hvp(a_mlp), grad(a_mlp)


def main() -> None:
    """Pullback's own ratios first, then the peers': a peer loaded into the process (JAX's
    allocator, threads) slows NumPy's large allocations, which would charge pullback's ratios
    for the comparison itself. The cross ratios re-measure pullback beside each peer."""
    rows = []
    # -- W1: forward mode against the primal ------------------------------------------------
    jvp_w1, names = generated_jvp(w1_log, (0,))
    w1 = {
        "primal": lambda: w1_log(3.0),
        "generated jvp": lambda: jvp_w1(3.0, **{names[0]: 1.0}),
        "pb.jvp": lambda: pb.jvp(w1_log, (3.0,), (1.0,)),
    }
    times = best(w1)
    for k in ("generated jvp", "pb.jvp"):
        rows.append(
            {
                "workload": "W1 log(x*x)",
                "what": f"{k} / primal",
                "ratio": times[k] / times["primal"],
                "seconds": times[k],
                "target": 3.0,
            }
        )

    # -- W3: Hessian-vector product against the gradient -------------------------------------
    params = W3_ARGS[:4]
    rng = np.random.default_rng(1)
    vs = tuple(rng.standard_normal(np.shape(p)) for p in params)
    grad = pb.grad(mlp_params_loss, (0, 1, 2, 3))
    w3 = {
        "gradient": lambda: grad(*params),
        "pb.hvp": lambda: pb.hvp(mlp_params_loss, params, vs),
    }
    times = best(w3)
    rows.append(
        {
            "workload": "W3 MLP loss",
            "what": "pb.hvp / pb.grad",
            "ratio": times["pb.hvp"] / times["gradient"],
            "seconds": times["pb.hvp"],
            "target": 4.0,
        }
    )

    # -- Jacobian of a 10 -> 10 map in both directions ---------------------------------------
    x = np.linspace(-1.0, 1.0, 10)
    fwd = pb.jacobian(ten_to_ten, direction="fwd")
    rev = pb.jacobian(ten_to_ten, direction="rev")
    assert np.allclose(fwd(x), rev(x))
    times = best({"primal": lambda: ten_to_ten(x), "fwd": lambda: fwd(x), "rev": lambda: rev(x)})
    for k in ("fwd", "rev"):
        rows.append(
            {
                "workload": "10->10 map",
                "what": f"jacobian {k} / primal",
                "ratio": times[k] / times["primal"],
                "seconds": times[k],
            }
        )

    # -- peers, each beside a fresh measurement of pullback -----------------------------------
    jx = jax_columns()
    if jx:
        times = best({**w1, "jax jvp (jit)": jx["w1_jvp"]})
        rows.append(
            {
                "workload": "W1 log(x*x)",
                "what": "jax jvp (jit) / primal",
                "ratio": times["jax jvp (jit)"] / times["primal"],
                "seconds": times["jax jvp (jit)"],
            }
        )
        times = best(
            {
                **w3,
                "jax grad (jit)": lambda: jx["grad"](params),
                "jax hvp (jit)": lambda: jx["hvp"](params, vs),
            }
        )
        rows.append(
            {
                "workload": "W3 MLP loss",
                "what": "jax hvp / jax grad (jit)",
                "ratio": times["jax hvp (jit)"] / times["jax grad (jit)"],
                "seconds": times["jax hvp (jit)"],
            }
        )
        rows.append(
            {
                "workload": "W3 MLP loss",
                "what": "pb.hvp / jax hvp (jit)",
                "ratio": times["pb.hvp"] / times["jax hvp (jit)"],
            }
        )
    ag = autograd_hvp()
    if ag is not None:
        make_hvp, ag_grad = ag
        times = best(
            {
                **w3,
                "autograd grad": lambda: ag_grad(params),
                "autograd make_hvp": lambda: make_hvp(params)[0](vs),
            }
        )
        rows.append(
            {
                "workload": "W3 MLP loss",
                "what": "autograd make_hvp / autograd grad",
                "ratio": times["autograd make_hvp"] / times["autograd grad"],
                "seconds": times["autograd make_hvp"],
            }
        )
        rows.append(
            {
                "workload": "W3 MLP loss",
                "what": "pb.hvp / autograd make_hvp",
                "ratio": times["pb.hvp"] / times["autograd make_hvp"],
            }
        )

    timing.print_table(
        "source mode: forward and higher order",
        rows,
        ["workload", "what", "ratio", "seconds", "target"],
    )
    path = timing.save("forward", rows)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
