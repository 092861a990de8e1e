def grad_intro(x):
    """Gradient of intro (showcase.py:6) with respect to x."""
    a = x * x
    b = np.log(a)
    b_bar = seed(b)
    # grad of: b = np.log(a)  (showcase.py:8)
    a_bar = safe_mul(b_bar, np.divide(1.0, a))
    # grad of: a = x * x  (showcase.py:7)
    x_bar = safe_mul(a_bar, x) + safe_mul(a_bar, x)
    return x_bar
