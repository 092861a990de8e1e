def grad_first_big(x):
    """Gradient of first_big (showcase.py:60) with respect to x."""
    i_mod_2_eq_1 = None
    x_times_i = None
    total = 0.0
    iterations = 0
    i_mod_2_eq_1_tape = [None] * 10
    total_tape = [None] * 10
    x_times_i_tape = [None] * 10
    for i in range(10):
        iterations = iterations + 1
        i_mod_2 = i % 2
        i_mod_2_eq_1_tape[i] = i_mod_2_eq_1
        i_mod_2_eq_1 = i_mod_2 == 1
        if i_mod_2_eq_1:
            continue
        x_times_i_tape[i] = x_times_i
        x_times_i = x * i
        total_tape[i] = total
        total = total + x_times_i
        total_gt_5_0 = total > 5.0
        if total_gt_5_0:
            break
    total_bar = seed(total)
    # grad of: for i in range(10):  (showcase.py:62)
    x_bar = None
    for i in reversed(range(iterations)):
        # grad of: if i % 2 == 1:  (showcase.py:63)
        if not i_mod_2_eq_1:
            # grad of: total = total + x * i  (showcase.py:65)
            total_plus_x_times_i_bar = total_bar
            total = total_tape[i]
            total_bar = unbroadcast(total_plus_x_times_i_bar, total)
            x_times_i_bar = unbroadcast(total_plus_x_times_i_bar, x_times_i)
            x_bar = add_adjoints(x_bar, unbroadcast(safe_mul(x_times_i_bar, i), x))
            x_times_i = x_times_i_tape[i]
        i_mod_2_eq_1 = i_mod_2_eq_1_tape[i]
    return adjoint_or_zeros(x_bar, x)
