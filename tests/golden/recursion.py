def grad_cube(x):
    """Gradient of cube (showcase.py:56) with respect to x."""
    power_x_3, power_saved = power_forward(x, 3)
    power_x_3_bar = seed(power_x_3)
    # grad of: return power(x, 3)  (showcase.py:57)
    power_adjoints = power_backward(power_saved, power_x_3_bar)
    x_bar = power_adjoints[0]
    return adjoint_or_zeros(x_bar, x)


def power_forward(x, n):
    """Forward sweep of power: its value and what its backward sweep needs."""
    power_saved_2 = None
    power_x_n_minus_1 = None
    n_eq_0 = n == 0
    if n_eq_0:
        result = 1.0
    else:
        n_minus_1 = n - 1
        power_x_n_minus_1, power_saved_2 = power_forward(x, n_minus_1)
        result = x * power_x_n_minus_1
    return (result, (n_eq_0, power_saved_2, power_x_n_minus_1, x))


def power_backward(saved, result_bar):
    """Backward sweep of power: the adjoints of x from the adjoint of its value."""
    n_eq_0, power_saved_2, power_x_n_minus_1, x = saved
    # grad of: if n == 0:  (showcase.py:51)
    if n_eq_0:
        x_bar_2 = None
    else:
        # grad of: return x * power(x, n - 1)  (showcase.py:53)
        x_bar_2 = unbroadcast(safe_mul(result_bar, power_x_n_minus_1), x)
        power_x_n_minus_1_bar = unbroadcast(safe_mul(result_bar, x), power_x_n_minus_1)
        power_adjoints_2 = power_backward(power_saved_2, power_x_n_minus_1_bar)
        x_bar_2 = add_adjoints(x_bar_2, power_adjoints_2[0])
    return (adjoint_or_zeros(x_bar_2, x),)
