"""Functions source mode must refuse, each with the line of the offending construct."""

import numpy as np

G = np.ones(3)
COUNTER = 0


def gen(x):
    yield x  # REJECT


def uses_global(x):
    global COUNTER  # REJECT
    COUNTER = 1
    return x


def uses_eval(x):
    return eval("x * 2")  # REJECT


def uses_try(x):
    try:  # REJECT
        return x * 2
    except ValueError:
        return x


def uses_del(x):
    y = x * 2
    del y  # REJECT
    return x


def uses_with(x):
    with open("f"):  # REJECT
        return x


def defines_class(x):
    class A:  # REJECT
        pass

    return x


def star_args(x):
    return np.add(*x)  # REJECT


def mutates_global(x):
    G[0] = x  # REJECT
    return np.sum(G)


def appends_argument(xs):
    xs.append(1.0)  # REJECT
    return xs[0]


def in_place_sort(x):
    y = x * 2
    y.sort()  # REJECT
    return y[0]


def walrus(x):
    if (y := x * 2) > 1:  # REJECT
        return y
    return x


def out_argument(x):
    y = np.zeros(3)
    np.sin(x, out=y)  # REJECT
    return y


def nested_recursion(x):
    def f(v):
        return f(v)  # REJECT

    return f(x)


def min_with_key_lambda(x):
    vals = [x, x * 2.0, x * x]
    return min(vals, key=lambda v: abs(v - 1.0))  # REJECT


def try_in_loop(x):
    total = 0.0
    for i in range(3):
        try:  # REJECT
            total = total + x / i
        except ZeroDivisionError:
            total = total + x
    return total


REJECTED = [min_with_key_lambda, try_in_loop, gen, uses_global, uses_eval, uses_try, uses_del, uses_with, defines_class,
            star_args, mutates_global, appends_argument, in_place_sort, walrus, out_argument,
            nested_recursion]
