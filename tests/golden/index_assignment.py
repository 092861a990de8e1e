def grad_running_sum(x):
    """Gradient of running_sum (showcase.py:32) with respect to x."""
    i_minus_1_stack = []
    y_i_minus_1_stack = []
    x_i_stack = []
    x_i_2_stack = []
    x_i_times_x_i_2_stack = []
    y_i_minus_1_plus_x_i_times_x_i_2_stack = []
    y_i_old_stack = []
    i_minus_1 = None
    x_i = None
    x_i_2 = None
    x_i_times_x_i_2 = None
    y_i_minus_1 = None
    y_i_minus_1_plus_x_i_times_x_i_2 = None
    y_i_old = None
    y = np.zeros(x.shape)
    x_0 = x[0]
    y_2 = setitem(y, 0, x_0)
    x_shape_2_0 = x.shape[0]
    for i in range(1, x_shape_2_0):
        i_minus_1_stack.append(i_minus_1)
        i_minus_1 = i - 1
        y_i_minus_1_stack.append(y_i_minus_1)
        y_i_minus_1 = y_2[i_minus_1]
        x_i_stack.append(x_i)
        x_i = x[i]
        x_i_2_stack.append(x_i_2)
        x_i_2 = x[i]
        x_i_times_x_i_2_stack.append(x_i_times_x_i_2)
        x_i_times_x_i_2 = x_i * x_i_2
        y_i_minus_1_plus_x_i_times_x_i_2_stack.append(y_i_minus_1_plus_x_i_times_x_i_2)
        y_i_minus_1_plus_x_i_times_x_i_2 = y_i_minus_1 + x_i_times_x_i_2
        y_i_old_stack.append(y_i_old)
        y_i_old = y_2[i].copy()
        y_2 = write_entry(y_2, i, y_i_minus_1_plus_x_i_times_x_i_2)
    sum_y = np.sum(y_2)
    sum_y_bar = seed(sum_y)
    # grad of: return np.sum(y)  (showcase.py:37)
    y_2_bar = unreduce(sum_y_bar, y_2, None, False)
    # grad of: for i in range(1, x.shape[0]):  (showcase.py:35)
    y_2_bar = owned_adjoint(y_2_bar, y_2)
    x_bar = zeros_like_value(x)
    for i in reversed(range(1, x_shape_2_0)):
        # grad of: y[i] = y[i - 1] + x[i] * x[i]  (showcase.py:36)
        y_i_minus_1_plus_x_i_times_x_i_2_bar = setitem_adjoint_v(y_2_bar, y_2, i, y_i_minus_1_plus_x_i_times_x_i_2)
        y_2_bar = write_entry(y_2_bar, i, 0.0)
        y_2 = write_entry(y_2, i, y_i_old)
        y_i_old = y_i_old_stack.pop()
        y_i_minus_1_bar = unbroadcast(y_i_minus_1_plus_x_i_times_x_i_2_bar, y_i_minus_1)
        x_i_times_x_i_2_bar = unbroadcast(y_i_minus_1_plus_x_i_times_x_i_2_bar, x_i_times_x_i_2)
        y_i_minus_1_plus_x_i_times_x_i_2 = y_i_minus_1_plus_x_i_times_x_i_2_stack.pop()
        x_i_bar = unbroadcast(safe_mul(x_i_times_x_i_2_bar, x_i_2), x_i)
        x_i_2_bar = unbroadcast(safe_mul(x_i_times_x_i_2_bar, x_i), x_i_2)
        x_i_times_x_i_2 = x_i_times_x_i_2_stack.pop()
        x_bar = scatter_add(x_bar, x, i, x_i_2_bar)
        x_i_2 = x_i_2_stack.pop()
        x_bar = scatter_add(x_bar, x, i, x_i_bar)
        x_i = x_i_stack.pop()
        y_2_bar = scatter_add(y_2_bar, y_2, i_minus_1, y_i_minus_1_bar)
        y_i_minus_1 = y_i_minus_1_stack.pop()
        i_minus_1 = i_minus_1_stack.pop()
    # grad of: y[0] = x[0]  (showcase.py:34)
    x_0_bar = setitem_adjoint_v(y_2_bar, y, 0, x_0)
    x_bar = add_adjoints(x_bar, getitem_adjoint(x_0_bar, x, 0))
    return x_bar
