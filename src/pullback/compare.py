"""Every mode on one function: values, gradients, disagreement, time and derivative size.

In: a function and the point to differentiate it at (every positional argument).
Out: a ``Comparison``, one row per mode, that prints as an aligned table, shows as a styled
HTML table in a notebook (``_repr_html_``; ``_repr_pretty_`` for IPython's printer) and holds
its data in ``.rows`` (a list of dicts). An array in a cell is a summary
(``f64[3,4] mean=0.12 max|·|=0.9``), or its values when it has four or fewer.

Each mode runs ``pb.value_and_grad(f, argnums=<all>, mode=m)``. A mode that fails has its error
in its row; ``compare`` itself does not raise. The gradients are measured against source mode's
(or, when source mode failed, against the first mode that ran), and the size of each
derivative is counted in that mode's own unit:

========  ==========================================================================
source    lines of generated Python (``pb.source``)
tape      operations in the gradient graph (``pb.gradients(pb.trace(f, ...))``)
graph     operations in the gradient graph
symbolic  ``sympy.count_ops`` of the derivatives (expression swell shows against the graph)
numeric   evaluations of ``f``
========  ==========================================================================

>>> import numpy as np, pullback as pb
>>> print(pb.compare(lambda x: np.log(x * x), 3.0))     # doctest: +SKIP
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import pytree
from .api import MODES, value_and_grad
from .checks import _fname, check_callable, parameter_names
from .display import FONT, pretty_text, summary, value_type_text

__all__ = ["compare", "Comparison"]

_COLUMNS = [
    ("mode", "mode"),
    ("value", "value"),
    ("gradient", "gradient"),
    ("disagreement", "max |Δgrad| vs {reference}"),
    ("seconds", "time/call"),
    ("size", "derivative size"),
    ("note", "note"),
]


@dataclass
class Comparison:
    """The result of ``pb.compare``: one row (a dict) per mode, printable as a table.

    Each row has ``mode``, ``ok`` (it ran), ``value``, ``gradient`` (a tuple, one entry per
    argument), ``disagreement`` (largest absolute difference from the reference gradient),
    ``seconds`` (per call), ``size`` and ``size_unit``, ``note`` and ``error``.
    """

    function: str
    args: tuple
    reference: str | None
    rows: list[dict]
    names: tuple = ()  # the parameters' names, which label the gradients of arrays

    def __getitem__(self, mode: str) -> dict:
        for row in self.rows:
            if row["mode"] == mode:
                return row
        raise KeyError(mode)

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        reference = self.reference or "reference"
        header = [title.format(reference=reference) for _, title in _COLUMNS]
        body = []
        for row in self.rows:
            if row["ok"]:
                cells = [
                    row["mode"],
                    _number(row["value"]),
                    self._gradient_cell(row["gradient"]),
                    _number(row["disagreement"], digits=2),
                    _duration(row["seconds"]),
                    _size_text(row),
                    row["note"] or "",
                ]
            else:
                why = row["error"] if row["error"] else row["note"]
                cells = [row["mode"], "—", "—", "—", "—", "—", why or ""]
            body.append(cells)
        return header, body

    def _gradient_cell(self, gradient: Any) -> str:
        """The gradient inline, ``(0.479, 1.76)``; where that is long, one line per argument
        named by its parameter (``w: f64[30,4] mean=-0.177 max|·|=6.46``)."""
        inline = _gradient_text(_single(gradient))
        if len(inline) <= _INLINE or not isinstance(gradient, tuple) or len(gradient) < 2:
            return inline
        names = list(self.names) + [None] * len(gradient)
        lines = [
            f"{names[i] or f'argument {i}'}: {_gradient_text(g)}"
            for i, g in enumerate(gradient[:_SHOWN_ARGUMENTS])
        ]
        if len(gradient) > _SHOWN_ARGUMENTS:
            lines.append(f"… and {len(gradient) - _SHOWN_ARGUMENTS} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        header, body = self._cells()
        widths = [
            max(len(part) for r in [header, *body] for part in r[i].split("\n"))
            for i in range(len(header) - 1)
        ]

        def line(cells: list[str]) -> str:
            padded = [c.ljust(w) for c, w in zip(cells, widths, strict=False)]
            return "  ".join([*padded, cells[-1]]).rstrip()

        def lines(cells: list[str]) -> list[str]:  # a cell of several lines makes the row taller
            parts = [c.split("\n") for c in cells]
            height = max(len(p) for p in parts)
            return [line([p[k] if k < len(p) else "" for p in parts]) for k in range(height)]

        rule = "  ".join("-" * w for w in widths) + "  " + "-" * len(header[-1])
        rows = [text for r in body for text in lines(r)]
        return "\n".join([self._title(), line(header), rule, *rows])

    __repr__ = __str__

    def _title(self) -> str:
        return f"pb.compare({self.function} at {_args_text(self.args)})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        pretty_text(str(self), p)

    def _repr_html_(self) -> str:
        """A styled table: numbers right-aligned in a monospace font, a mode that failed (or
        disagrees with the reference) marked, arrays summarized; hovering a gradient shows a
        few more of its entries."""
        import html  # only notebooks ask (importing it costs more than this module)

        header, body = self._cells()
        esc = html.escape
        numeric = {1, 3, 4, 5}  # value, disagreement, time, size
        head = "".join(
            f'<th class="{"num" if i in numeric else ""}">{esc(h)}</th>'
            for i, h in enumerate(header)
        )
        rows = []
        for row, cells in zip(self.rows, body, strict=True):
            tds = []
            for i, c in enumerate(cells):
                css = ["num"] if i in numeric else []
                if i == 3 and _disagrees(row, self):
                    css.append("bad")
                title = ""
                if i == 2 and row["ok"]:
                    title = f' title="{esc(_gradient_detail(_single(row["gradient"])))}"'
                text = "<br/>".join(esc(part) for part in c.split("\n"))
                tds.append(f'<td class="{" ".join(css)}"{title}>{text}</td>')
            state = "ok" if row["ok"] else ("failed" if row["error"] else "skipped")
            rows.append(f'<tr class="{state}">{"".join(tds)}</tr>')
        return (
            f'<div class="pb-compare"><style>{_TABLE_CSS}</style><table>'
            f"<caption>{esc(self._title())}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )


_TABLE_CSS = f"""
.pb-compare table {{ border-collapse: collapse; font-size: 12.5px; color: #1d2330;
                    font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; }}
.pb-compare caption {{ text-align: left; font-family: {FONT}; font-size: 12.5px;
                      padding: 0 0 6px 2px; color: #4a5263; }}
.pb-compare th {{ background: #eef1f7; text-align: left; font-weight: 600; padding: 4px 10px;
                 border-bottom: 1.5px solid #c9cfdc; white-space: nowrap; }}
.pb-compare td {{ padding: 3px 10px; border-bottom: 1px solid #e6e9f0; vertical-align: top;
                 font-family: {FONT}; white-space: nowrap; max-width: 36em; overflow: hidden;
                 text-overflow: ellipsis; }}
.pb-compare td:first-child {{ font-weight: 600; font-family: inherit; }}
.pb-compare td:last-child {{ font-family: inherit; color: #5b6475; white-space: normal; }}
.pb-compare .num {{ text-align: right; }}
.pb-compare tr.failed td {{ color: #9b1c1c; background: #fdf3f3; }}
.pb-compare tr.skipped td {{ color: #8a8f9c; }}
.pb-compare td.bad {{ color: #9b1c1c; font-weight: 600; }}
"""


def compare(
    f: Callable, *args: Any, modes: Sequence[str] = MODES, budget: float = 0.2
) -> Comparison:
    """Run every mode on ``f`` at ``args``; a table of values, gradients, disagreement, time.

    ``budget`` is about how many seconds each mode's timing may take.

    >>> import numpy as np, pullback as pb
    >>> table = pb.compare(lambda x: np.log(x * x), 3.0)      # doctest: +SKIP
    >>> table["tape"]["disagreement"] < 1e-12                  # doctest: +SKIP
    True
    """
    from .errors import PullbackTypeError

    check_callable(f, "pb.compare")
    if not args:
        raise PullbackTypeError("pb.compare needs the point to compare at: pb.compare(f, *args)")
    argnums = tuple(range(len(args)))
    rows = [_run_mode(f, args, argnums, mode, budget) for mode in modes]
    ran = {row["mode"]: row for row in rows if row["ok"]}
    reference = next((m for m in ("source", *MODES) if m in ran), None)
    for row in rows:
        if row["ok"] and reference is not None:
            row["disagreement"] = _largest_difference(row["gradient"], ran[reference]["gradient"])
    names = tuple(parameter_names(f, len(args)))
    return Comparison(_fname(f), tuple(args), reference, rows, names)


# -- one mode ---------------------------------------------------------------------------------


def _run_mode(f: Callable, args: tuple, argnums: tuple, mode: str, budget: float) -> dict:
    row = {
        "mode": mode,
        "ok": False,
        "value": None,
        "gradient": None,
        "disagreement": None,
        "seconds": None,
        "size": None,
        "size_unit": None,
        "note": None,
        "error": None,
    }
    if mode == "symbolic" and not all(_is_scalar(a) for a in args):
        row["note"] = "not applicable: symbolic mode handles scalar arguments only"
        return row
    try:
        value_and_gradient = value_and_grad(f, argnums, mode=mode)
        row["value"], row["gradient"] = value_and_gradient(*args)
    except Exception as err:
        row["error"] = _error_text(err)
        return row
    row["ok"] = True
    row["seconds"] = _time_per_call(lambda: value_and_gradient(*args), budget)
    try:
        row["size"], row["size_unit"], row["note"] = _SIZES[mode](f, args, argnums)
    except Exception as err:
        row["note"] = f"size unknown: {_error_text(err)}"
    return row


def _error_text(err: BaseException) -> str:
    first = str(err).strip().splitlines()
    return f"{type(err).__name__}: {first[0]}" if first else type(err).__name__


def _time_per_call(call: Callable[[], Any], budget: float) -> float:
    """Seconds per call: the best of a few repeats, each a batch sized to the budget."""
    import timeit

    start = time.perf_counter()
    call()
    once = time.perf_counter() - start
    if once >= budget / 2:
        return once
    repeats = 3
    number = max(1, min(1_000_000, int(budget / repeats / max(once, 1e-7))))
    timer = timeit.Timer(call)
    return min(timer.repeat(repeat=repeats, number=number)) / number


# -- derivative size, in each mode's unit -------------------------------------------------------


def _source_size(f, args, argnums):
    import pullback

    show = getattr(pullback, "source", None)
    if isinstance(show, types.ModuleType):  # the pullback.source package shadowing pb.source
        show = getattr(show, "source", None)
    if not callable(show):
        raise RuntimeError("pb.source is not available")
    text = show(pullback.grad(f, argnums))
    lines = [ln for ln in str(text).splitlines() if ln.strip()]
    return len(lines), "lines", None


def _operations(graph) -> int:
    return sum(1 for n in graph.nodes if n.op != "input")


def _gradient_graph_size(f, args, argnums):
    import pullback

    forward = pullback.trace(f, *args)
    backward = pullback.gradients(forward)
    return _operations(backward), "nodes", f"forward graph: {_operations(forward)} nodes"


def _symbolic_size(f, args, argnums):
    import sympy

    from .symbolic.expressions import _trace_function, _traced_expression

    expr, symbols = _traced_expression(f, args, {}, argnums)
    partials = [sympy.diff(expr, s) for s in symbols]
    size = sum(sympy.count_ops(d) for d in partials)
    graph = _trace_function()(f, *args)
    note = (
        f"expression {sympy.count_ops(expr)} ops → derivative {size} ops "
        f"(forward graph: {_operations(graph)} nodes)"
    )
    return size, "ops", note


def _numeric_size(f, args, argnums):
    calls = 0

    def counted(*a, **k):
        nonlocal calls
        calls += 1
        return f(*a, **k)

    counted.__name__ = _fname(f)
    value_and_grad(counted, argnums, mode="numeric")(*args)
    return calls, "evaluations", None


_SIZES = {
    "source": _source_size,
    "tape": _gradient_graph_size,
    "graph": _gradient_graph_size,
    "symbolic": _symbolic_size,
    "numeric": _numeric_size,
}


# -- comparing and printing ---------------------------------------------------------------------


def _is_scalar(x: Any) -> bool:
    from .symbolic.scalars import _is_scalar as scalar

    return scalar(x)


def _largest_difference(a: Any, b: Any) -> float:
    leaves_a, tree_a = pytree.flatten(a)
    leaves_b, tree_b = pytree.flatten(b)
    if tree_a != tree_b or len(leaves_a) != len(leaves_b):
        return float("inf")
    largest = 0.0
    for x, y in zip(leaves_a, leaves_b, strict=True):
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if x.shape != y.shape:
            return float("inf")
        if x.size:
            diff = np.abs(x - y)
            if np.isnan(diff).any():
                return float("nan")
            largest = max(largest, float(diff.max()))
    return largest


def _number(x: Any, digits: int = 10) -> str:
    if x is None:
        return ""
    if isinstance(x, np.ndarray) and x.ndim > 0:
        return summary(x)
    if np.iscomplexobj(x):
        return str(x)
    return f"{float(x):.{digits}g}"


def _disagrees(row: dict, table: Comparison) -> bool:
    """Whether a row's gradient is off the reference's by more than rounding would explain."""
    d = row["disagreement"]
    if not row["ok"] or d is None or table.reference is None:
        return False
    leaves = pytree.flatten(table[table.reference]["gradient"])[0]
    scale = max([1.0] + [float(np.max(np.abs(g))) for g in leaves if np.size(g)])
    return not d <= 1e-6 * scale


def _gradient_detail(g: Any) -> str:
    """A few more entries of a gradient than its cell shows, for a tooltip."""
    if isinstance(g, tuple):
        return "; ".join(_gradient_detail(x) for x in g[:_SHOWN_ARGUMENTS])
    leaves = pytree.flatten(g)[0]
    if len(leaves) == 1 and leaves[0] is g and isinstance(g, np.ndarray) and g.ndim:
        text = np.array2string(g, precision=4, threshold=12, edgeitems=3, max_line_width=10**6)
        return f"{value_type_text(g)} {' '.join(text.split())}"
    return _gradient_text(g)


def _is_integer(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) or (isinstance(x, np.ndarray) and x.dtype.kind in "biu")


def _single(g: Any) -> Any:
    return g[0] if isinstance(g, tuple) and len(g) == 1 else g


_SHOWN_ARGUMENTS = 3  # a gradient cell shows this many arguments' gradients, then a count
_INLINE = 60  # a longer gradient cell shows one argument per line


def _gradient_text(g: Any) -> str:
    if isinstance(g, tuple):
        parts = [_gradient_text(x) for x in g[:_SHOWN_ARGUMENTS]]
        if len(g) > _SHOWN_ARGUMENTS:
            parts.append(f"… {len(g) - _SHOWN_ARGUMENTS} more")
        return "(" + ", ".join(parts) + ("," if len(g) == 1 else "") + ")"
    leaves, _ = pytree.flatten(g)
    if len(leaves) == 1 and leaves[0] is g:
        return _number(g)
    return f"{type(g).__name__} of {len(leaves)} leaves"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _size_text(row: dict) -> str:
    return "" if row["size"] is None else f"{row['size']} {row['size_unit']}"


def _args_text(args: tuple) -> str:
    def shown(a: Any) -> str:
        if _is_scalar(a):
            text = _number(a, 6)
            return text + ".0" if text.lstrip("-").isdigit() and not _is_integer(a) else text
        if isinstance(a, np.ndarray):
            return value_type_text(a)
        return type(a).__name__

    text = ", ".join(shown(a) for a in args)
    return f"({text})"
