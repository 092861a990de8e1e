def grad_first_big(x):
    """Gradient of first_big (showcase.py:60) with respect to x."""
    i_stack = []
    not_skip_stack = []
    x_times_i_stack = []
    total_stack = []
    i = None
    not_skip = None
    x_times_i = None
    total = 0.0
    loop_range = range(10)
    i_position = 0
    broke = False
    more_2 = not broke
    if more_2:
        len_loop_range = len(loop_range)
        more_2 = i_position < len_loop_range
    more = more_2
    iterations = 0
    while more:
        i_stack.append(i)
        i = loop_range[i_position]
        i_position = i_position + 1
        skip = False
        i_mod_2 = i % 2
        i_mod_2_eq_1 = i_mod_2 == 1
        if i_mod_2_eq_1:
            skip = True
        not_skip_stack.append(not_skip)
        not_skip = not skip
        if not_skip:
            x_times_i_stack.append(x_times_i)
            x_times_i = x * i
            total_plus_x_times_i = total + x_times_i
            total_stack.append(total)
            total = total_plus_x_times_i
            total_gt_5_0 = total > 5.0
            if total_gt_5_0:
                broke = True
        more_2 = not broke
        if more_2:
            len_loop_range = len(loop_range)
            more_2 = i_position < len_loop_range
        more = more_2
        iterations = iterations + 1
    total_bar = seed(total)
    # grad of: for i in range(10):  (showcase.py:62)
    x_bar = None
    for iteration in range(iterations):
        # grad of: total = total + x * i  (showcase.py:65)
        if not_skip:
            total_plus_x_times_i_bar = total_bar
            total = total_stack.pop()
            total_bar = unbroadcast(total_plus_x_times_i_bar, total)
            x_times_i_bar = unbroadcast(total_plus_x_times_i_bar, x_times_i)
            x_bar = add_adjoints(x_bar, unbroadcast(x_times_i_bar * i, x))
            x_times_i = x_times_i_stack.pop()
        not_skip = not_skip_stack.pop()
        i = i_stack.pop()
    return adjoint_or_zeros(x_bar, x)
