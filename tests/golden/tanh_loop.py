def grad_tanh_loop(x):
    """Gradient of tanh_loop (showcase.py:12) with respect to x."""
    x_stack = []
    i = 0
    i_lt_10 = i < 10
    iterations = 0
    while i_lt_10:
        x_stack.append(x)
        x = np.tanh(x)
        i = i + 1
        i_lt_10 = i < 10
        iterations = iterations + 1
    x_bar = seed(x)
    # grad of: while i < 10:  (showcase.py:14)
    for iteration in range(iterations):
        # grad of: x = np.tanh(x)  (showcase.py:15)
        x_bar = safe_mul(x_bar, 1.0 - x * x)
        x = x_stack.pop()
    return x_bar
