"""The introductory example ``f(x) = log(x*x)`` differentiated in every mode, side by side.

In: nothing (``python -m pullback demo``). Out: text on stdout — the generated source, the tape
and graph results, the graph listing, the symbolic expression, the finite-difference estimate and
its error, and the ``pb.compare`` table. A mode that fails shows its error instead of stopping the
demo.
"""

from __future__ import annotations

import numpy as np

import pullback as pb


def f(x):
    a = x * x
    b = np.log(a)
    return b


X = 3.0
EXACT = 2.0 / X


def _section(title: str) -> None:
    print()
    print(f"── {title} " + "─" * max(0, 66 - len(title)))


def _attempt(title: str, body) -> None:
    _section(title)
    try:
        body()
    except Exception as error:  # the demo shows every mode; one failure must not hide the rest
        print(f"  (unavailable: {type(error).__name__}: {error})")


def _rules() -> None:
    from pullback.rules import lookup

    mul, log = lookup(np.multiply), lookup(np.log)
    a = X * X
    b = np.log(a)
    b_bar = 1.0
    a_bar = log.vjp_fn(0)(b_bar, b, a)
    x_bar = mul.vjp_fn(0)(a_bar, a, X, X) + mul.vjp_fn(1)(a_bar, a, X, X)
    print("the chain rule by hand, one rule-table entry per primitive:")
    print(f"  a_bar = vjp[np.log](b_bar=1.0)       = {a_bar!r}")
    print(f"  x_bar = vjp[x*x, both arguments](a_bar) = {x_bar!r}   exact 2/x = {EXACT!r}")


def _source() -> None:
    df = pb.grad(f)
    print(pb.source(df))
    print(f"df({X}) = {df(X)!r}   exact 2/x = {EXACT!r}")


def _tape() -> None:
    x = pb.tensor(X, requires_grad=True)
    y = f(x)
    y.backward()
    print(f"x = pb.tensor({X}, requires_grad=True); f(x).backward()")
    print(f"x.grad = {float(x.grad)!r}")
    print(f"pb.grad(f, mode='tape')({X}) = {pb.grad(f, mode='tape')(X)!r}")


def _graph() -> None:
    graph = pb.trace(f, X)
    print(graph)
    print()
    print(pb.gradients(graph))
    print(f"pb.grad(f, mode='graph')({X}) = {pb.grad(f, mode='graph')(X)!r}")


def _symbolic() -> None:
    print(f"f(x)  = {pb.symbolic.expression(f)}")
    print(f"f'(x) = {pb.symbolic.derivative(f)}")
    print(f"pb.grad(f, mode='symbolic')({X}) = {pb.grad(f, mode='symbolic')(X)!r}")


def _numeric() -> None:
    for method in pb.numeric.METHODS:
        estimate = pb.numeric.grad(f, method=method)(X)
        print(f"{method:>10}: {estimate!r:24}  error {abs(estimate - EXACT):.1e}")


def _compare() -> None:
    print(pb.compare(f, X))


def main() -> int:
    print("pullback demo: the derivative of f(x) = log(x*x) at x = 3.0, in every mode")
    print()
    print("def f(x):\n    a = x * x\n    b = np.log(a)\n    return b")
    _attempt("the rule table, by hand", _rules)
    _attempt("source mode (default): generated Python", _source)
    _attempt("tape mode: operator overloading", _tape)
    _attempt("graph mode: trace, then the gradient graph", _graph)
    _attempt("symbolic mode: SymPy", _symbolic)
    _attempt("numeric mode: finite differences", _numeric)
    _attempt("pb.compare: every mode at once", _compare)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
