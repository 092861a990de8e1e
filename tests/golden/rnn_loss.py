def grad_rnn_loss(Wx, Wh, b, xs, h):
    """Gradient of rnn_loss (showcase.py:26) with respect to Wx, Wh, b."""
    h_matmul_Wh = None
    h_matmul_Wh_shape = None
    xs_t = None
    xs_t_matmul_Wx = None
    xs_t_matmul_Wx_shape = None
    xs_shape_0 = xs.shape[0]
    h_tape = [None] * xs_shape_0
    h_matmul_Wh_shape_tape = [None] * xs_shape_0
    xs_t_tape = [None] * xs_shape_0
    xs_t_matmul_Wx_shape_tape = [None] * xs_shape_0
    for t in range(xs_shape_0):
        xs_t_tape[t] = xs_t
        xs_t = xs[t]
        xs_t_matmul_Wx_shape_tape[t] = xs_t_matmul_Wx_shape
        xs_t_matmul_Wx = xs_t @ Wx
        xs_t_matmul_Wx_shape = np.shape(xs_t_matmul_Wx)
        h_matmul_Wh_shape_tape[t] = h_matmul_Wh_shape
        h_matmul_Wh = h @ Wh
        h_matmul_Wh_shape = np.shape(h_matmul_Wh)
        h_tape[t] = h
        h = np.tanh(xs_t_matmul_Wx + h_matmul_Wh + b)
    h_pow_2 = h ** 2
    sum_h_pow_2 = np.sum(h_pow_2)
    sum_h_pow_2_bar = seed(sum_h_pow_2)
    # grad of: return np.sum(h**2)  (showcase.py:29)
    h_bar = safe_mul(unreduce(sum_h_pow_2_bar, h_pow_2, None, False), 2 * h)
    # grad of: for t in range(xs.shape[0]):  (showcase.py:27)
    Wh_bar = zeros_like_value(Wh)
    Wx_bar = zeros_like_value(Wx)
    b_bar = zeros_like_value(b)
    for t in reversed(range(xs_shape_0)):
        # grad of: h = np.tanh(xs[t] @ Wx + h @ Wh + b)  (showcase.py:28)
        total_bar = safe_mul(h_bar, 1.0 - h * h)
        h = h_tape[t]
        b_bar += unbroadcast(total_bar, b)
        h_matmul_Wh_bar = unbroadcast_to(total_bar, h_matmul_Wh_shape)
        h_bar = matmul_adjoint_a(h_matmul_Wh_bar, h, Wh)
        Wh_bar += matmul_adjoint_b(h_matmul_Wh_bar, h, Wh)
        h_matmul_Wh_shape = h_matmul_Wh_shape_tape[t]
        Wx_bar += matmul_adjoint_b(unbroadcast_to(total_bar, xs_t_matmul_Wx_shape), xs_t, Wx)
        xs_t_matmul_Wx_shape = xs_t_matmul_Wx_shape_tape[t]
        xs_t = xs_t_tape[t]
    return (Wx_bar, Wh_bar, b_bar)
