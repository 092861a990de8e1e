def grad_model(x):
    """Gradient of model (showcase.py:41) with respect to x."""
    scale = scale_cell.cell_contents
    sin_x = np.sin(x)
    scale_times_sin_x = scale * sin_x
    scale_times_sin_x_plus_x = scale_times_sin_x + x
    scale_times_sin_x_plus_x_bar = seed(scale_times_sin_x_plus_x)
    # grad of: return scale * np.sin(x) + x  (showcase.py:42)
    scale_times_sin_x_bar = unbroadcast(scale_times_sin_x_plus_x_bar, scale_times_sin_x)
    x_bar = unbroadcast(scale_times_sin_x_plus_x_bar, x)
    sin_x_bar = unbroadcast(safe_mul(scale_times_sin_x_bar, scale), sin_x)
    x_bar = x_bar + safe_mul(sin_x_bar, np.cos(x))
    return x_bar
