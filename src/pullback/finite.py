"""The first non-finite value of a derivative, named: ``check_finite=True``, ``debug_nans()``.

In: a derivative run with checks on: ``pb.grad(f, check_finite=True)`` (every transform), or
any derivative called inside ``with pb.debug_nans():``.
Out: ``pb.NonFiniteError`` at the first NaN or Inf produced in the forward or the backward
sweep, naming the sweep, the user's file:line and text, the primitive or rule, the inputs it
read (a summary and their values at the first bad index) and, in source mode, the generated
line.

- source mode runs a checked twin of the generated code (``source.checked``): the same lines,
  each assignment followed, on the same line, by a check of what it assigned;
- tape and graph modes check each recorded primitive's value and each rule's adjoint.

When off, nothing is checked and the generated code is the plain one: the only cost is one
list read per call (``ON[0]``), which counts the checks in force in any thread.
"""

from __future__ import annotations

import contextlib
import contextvars
import linecache
import threading

import numpy as np

from .errors import NonFiniteError

ON = [0]  # checks in force, any thread: zero means every check is skipped at once
_LOCK = threading.Lock()
_ENABLED = contextvars.ContextVar("pullback_debug_nans", default=False)
_ndarray = np.ndarray
_isfinite = np.isfinite


def enabled() -> bool:
    """Whether checks are on here (inside ``debug_nans`` or a ``check_finite`` call)."""
    return ON[0] > 0 and _ENABLED.get()


@contextlib.contextmanager
def debug_nans(enable: bool = True):
    """Raise ``pb.NonFiniteError`` at the first NaN or Inf of any derivative run inside.

    >>> import numpy as np, pullback as pb
    >>> with pb.debug_nans():
    ...     pb.grad(lambda x: np.sqrt(x))(4.0)
    0.25
    """
    token = _ENABLED.set(bool(enable))
    with _LOCK:
        ON[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            ON[0] -= 1
        _ENABLED.reset(token)


def finite(v) -> bool:
    """Whether ``v`` holds no NaN or Inf (what is not a float or array always does)."""
    c = v.__class__
    if c is float:
        return v - v == 0.0
    if c is _ndarray:
        return v.dtype.kind not in "fc" or bool(_isfinite(v).all())
    if c is np.float64 or c is np.float32 or c is complex:
        return bool(_isfinite(v))
    if isinstance(v, np.ndarray):
        return v.dtype.kind not in "fc" or bool(_isfinite(np.asarray(v)).all())
    return True


def _kind(v) -> str:
    a = np.asarray(v)
    return "nan" if np.isnan(a).any() else "inf"


def first_bad(v):
    """The first index of ``v`` holding a NaN or Inf (``()`` for a scalar)."""
    a = np.asarray(v)
    if a.ndim == 0:
        return ()
    return tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])


def summary(v, at=None) -> str:
    """``f64[3] in [0, 4]`` (and the value at index ``at``) for an array; the number itself."""
    if isinstance(v, np.generic):
        return repr(v.item())
    if isinstance(v, (bool, int, float, complex)):
        return repr(v)
    if not isinstance(v, np.ndarray):
        return type(v).__name__
    short = {"float64": "f64", "float32": "f32", "int64": "i64", "bool": "bool"}
    kind = short.get(str(v.dtype), str(v.dtype))
    shape = ",".join(map(str, v.shape))
    text = f"{kind}[{shape}]"
    if v.size and v.dtype.kind in "fiu":
        good = v[np.isfinite(v)] if v.dtype.kind == "f" else v
        if good.size:
            text += f" in [{good.min():.4g}, {good.max():.4g}]"
        bad = v.size - good.size
        if bad:
            text += f", {bad} not finite"
    if at is not None and v.ndim:
        try:
            index = tuple(i if n > 1 else 0 for i, n in zip(at[-v.ndim :], v.shape, strict=False))
            text += f" (at {index}: {v[index].item()!r})"
        except (IndexError, TypeError, ValueError):
            pass
    return text


def fail(
    *,
    value,
    name: str,
    sweep: str,
    filename,
    lineno,
    primitive: str,
    inputs: dict,
    generated: str | None = None,
):
    """Raise the ``NonFiniteError`` for ``value`` (assigned to ``name``) with what it read."""
    at = first_bad(value)
    text = linecache.getline(filename, lineno).strip() if filename and lineno else ""
    where = f"{filename}:{lineno}" if filename else "an unknown line"
    lines = [
        f"{_kind(value)} in the {sweep} sweep, first at index {at} of {name}, "
        f"produced by {primitive}",
        f"  at {where}:" + (f"\n      {text}" if text else ""),
    ]
    if generated:
        lines.append(f"  generated {generated}")
    if inputs:
        lines.append("  inputs:")
        for k, v in inputs.items():
            lines.append(f"      {k} = {summary(v, at)}")
    raise NonFiniteError(
        "\n".join(lines),
        sweep=sweep,
        filename=filename,
        lineno=lineno,
        text=text,
        primitive=primitive,
        generated_line=generated,
    )


def check_node(value, node, sweep: str, inputs: dict, primitive: str | None = None):
    """Tape and graph modes: raise if the value a recorded ``node`` produced is not finite."""
    if finite(value):
        return
    leaves = value if isinstance(value, (tuple, list)) else None
    if leaves is not None and all(finite(v) for v in leaves):
        return
    fail(
        value=value if leaves is None else next(v for v in leaves if not finite(v)),
        name=f"node {node.label}" if sweep == "forward" else f"the adjoint of node {node.label}",
        sweep=sweep,
        filename=node.filename,
        lineno=node.lineno,
        primitive=primitive or node.op,
        inputs=inputs,
    )


def _values_of(args) -> dict:
    """The inputs of a recorded call, by node label (constants by position)."""
    out = {}
    for k, a in enumerate(args):
        value = getattr(a, "value", a) if hasattr(a, "op") else a
        if isinstance(value, (float, int, np.ndarray, np.generic)) and not isinstance(value, bool):
            out[a.label if hasattr(a, "op") else f"argument {k}"] = value
    return out


def check_recorded(node, value=None, sweep: str = "forward") -> None:
    """Tape and graph modes: a recorded (or replayed) primitive's value, when checks are on."""
    if not enabled():
        return
    value = node.value if value is None else value
    if finite(getattr(value, "value", value)):
        return
    check_node(getattr(value, "value", value), node, sweep, _values_of(node.args))


def check_adjoint(adjoint, node, position: int, cotangent, args) -> None:
    """Tape mode's backward sweep: the adjoint that ``node``'s rule gave its argument."""
    if finite(adjoint):
        return
    if isinstance(adjoint, (tuple, list)) and all(finite(a) for a in adjoint):
        return
    inputs = {"the cotangent": cotangent}
    for k, (record, value) in enumerate(zip(node.args, args, strict=False)):
        if isinstance(value, (float, int, np.ndarray, np.generic)) and not isinstance(value, bool):
            inputs[getattr(record, "label", f"argument {k}")] = value
    target = node.args[position] if position < len(node.args) else None
    label = getattr(target, "label", f"argument {position}")
    fail(
        value=adjoint,
        name=f"the adjoint of {label}",
        sweep="backward",
        filename=node.filename,
        lineno=node.lineno,
        primitive=f"the derivative rule of {node.op}",
        inputs=inputs,
    )


def checking(df, kind: str):
    """``df`` with checks on: run inside ``debug_nans()`` (where a source-mode derivative runs
    its checked twin)."""

    def checked(*args, **kwargs):
        with debug_nans():
            return df(*args, **kwargs)

    checked.__name__ = getattr(df, "__name__", kind)
    checked.__qualname__ = getattr(df, "__qualname__", kind)
    checked.__doc__ = getattr(df, "__doc__", None)
    checked.__wrapped__ = df
    return checked
