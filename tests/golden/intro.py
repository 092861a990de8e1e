def grad_intro(x):
    """Gradient of intro (showcase.py:6) with respect to x."""
    a = x * x
    b = np.log(a)
    b_bar = seed(b)
    # grad of: b = np.log(a)  (showcase.py:8)
    a_bar = b_bar / a
    # grad of: a = x * x  (showcase.py:7)
    x_bar = a_bar * x + a_bar * x
    return x_bar
