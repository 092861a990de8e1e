def grad_mlp_loss(W1, b1, W2, b2, X, T):
    """Gradient of mlp_loss (showcase.py:20) with respect to W1, b1, W2, b2."""
    h = np.tanh(X @ W1 + b1)
    y = h @ W2 + b2
    y_minus_T = y - T
    y_minus_T_pow_2 = y_minus_T ** 2
    mean_y_minus_T_pow_2 = np.mean(y_minus_T_pow_2)
    mean_y_minus_T_pow_2_bar = seed(mean_y_minus_T_pow_2)
    # grad of: return np.mean((y - T) ** 2)  (showcase.py:23)
    y_minus_T_pow_2_bar = unreduce(mean_y_minus_T_pow_2_bar * (np.size(mean_y_minus_T_pow_2) / np.size(y_minus_T_pow_2)), y_minus_T_pow_2, None, False)
    y_bar = unbroadcast(safe_mul(y_minus_T_pow_2_bar, 2 * y_minus_T), y)
    # grad of: y = h @ W2 + b2  (showcase.py:22)
    h_matmul_W2_bar = unbroadcast_to(y_bar, matmul_shape(h, W2))
    b2_bar = unbroadcast(y_bar, b2)
    h_bar = matmul_adjoint_a(h_matmul_W2_bar, h, W2)
    W2_bar = matmul_adjoint_b(h_matmul_W2_bar, h, W2)
    # grad of: h = np.tanh(X @ W1 + b1)  (showcase.py:21)
    X_matmul_W1_plus_b1_bar = safe_mul(h_bar, 1.0 - h * h)
    b1_bar = unbroadcast(X_matmul_W1_plus_b1_bar, b1)
    W1_bar = matmul_adjoint_b(unbroadcast_to(X_matmul_W1_plus_b1_bar, matmul_shape(X, W1)), X, W1)
    return (W1_bar, b1_bar, W2_bar, b2_bar)
