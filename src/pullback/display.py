"""How values and derivatives show to a person: in a listing, a table and a notebook.

In: dtypes and shapes, arrays, Python source text.
Out: ``type_text`` (``f64[3]``, ``f64[]``), ``summary`` (an array in one short cell:
``f64[3,4] mean=0.5 max|·|=2``, or the values themselves when there are few), ``highlight``
(Python source as HTML, coloured by a small tokenizer over the standard library's
``tokenize``), ``GeneratedSource``, the ``str`` ``pb.source(df)`` returns, which a notebook
shows highlighted (``_repr_html_``) and IPython's pretty printer as plain text
(``_repr_pretty_``), and ``value_html`` (a Tensor in a notebook). Every piece of text from the
user is HTML-escaped; the HTML needs no scripts, fonts or stylesheets from elsewhere.

>>> type_text("float64", (3, 4)), type_text("float64", ())
('f64[3,4]', 'f64[]')
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "type_text",
    "value_type_text",
    "summary",
    "highlight",
    "code_html",
    "GeneratedSource",
    "pretty_text",
    "preview",
    "value_html",
    "FONT",
]

FONT = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"

_KIND_LETTER = {"f": "f", "c": "c", "i": "i", "u": "u"}


def type_text(dtype: Any, shape: tuple) -> str:
    """``f64[3]`` for a float64 vector of 3, ``f64[]`` for a number, ``bool[2,2]`` ..."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        name = str(dtype)
    else:
        letter = _KIND_LETTER.get(dt.kind)
        name = f"{letter}{dt.itemsize * 8}" if letter else ("bool" if dt.kind == "b" else dt.name)
    return f"{name}[{','.join(str(d) for d in shape)}]"


def value_type_text(x: Any) -> str:
    """``type_text`` of a value (a Python float is ``f64[]``)."""
    return type_text(np.result_type(x), np.shape(x))


def _number(x: Any, digits: int = 4) -> str:
    if np.iscomplexobj(x):
        return f"{complex(x):.{digits}g}"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    return f"{float(x):.{digits}g}"


def summary(x: Any, *, preview: int = 4, digits: int = 4) -> str:
    """One short line for an array: its values when it is a vector of at most ``preview``
    entries (``[0.5, 2, -1]``), else its type, the mean and largest magnitude of its finite
    entries and how many are not finite. A number shows as itself.

    >>> summary(np.arange(12.0).reshape(3, 4))
    'f64[3,4] mean=5.5 max|·|=11'
    >>> summary(np.array([1.0, np.nan, 3.0, np.inf, 5.0]))
    'f64[5] mean=3 max|·|=5 nan=1 inf=1'
    """
    a = np.asarray(x)
    if a.dtype.kind not in "biufc":
        return repr(x) if a.ndim == 0 else type_text(a.dtype, a.shape)
    if a.ndim == 0:
        return _number(a[()], digits)
    if 0 < a.size <= preview and a.ndim == 1:
        return "[" + ", ".join(_number(v, digits) for v in a) + "]"
    text = type_text(a.dtype, a.shape)
    finite = a[np.isfinite(a)]
    if finite.size:
        text += (
            f" mean={_number(finite.mean(), digits)} max|·|={_number(np.abs(finite).max(), digits)}"
        )
    nans = int(np.isnan(a).sum())
    infs = a.size - finite.size - nans
    return text + (f" nan={nans}" if nans else "") + (f" inf={infs}" if infs else "")


# -- highlighted Python -------------------------------------------------------------------------

_CODE_CSS = (
    f".pb-code {{ font-family: {FONT}; font-size: 12.5px; line-height: 1.45; background: #f7f8fb;"
    " color: #1d2330; border: 1px solid #d8dce6; border-radius: 6px; padding: 8px 10px;"
    " margin: 0; overflow: auto; white-space: pre; }"
    " .pb-code .k { color: #7a2bb5; font-weight: bold; }"
    " .pb-code .c { color: #5f7a5f; font-style: italic; }"
    " .pb-code .s { color: #b24d12; }"
    " .pb-code .m { color: #1659a8; }"
    " .pb-code .nf { color: #1659a8; font-weight: bold; }"
    " .pb-code .adj { color: #a3122e; }"
)


def _token_class(kind: int, text: str, previous: str) -> str | None:
    import keyword
    import token

    if kind == token.COMMENT:
        return "c"
    if kind == token.STRING or token.tok_name.get(kind, "").startswith("FSTRING"):
        return "s"
    if kind == token.NUMBER:
        return "m"
    if kind == token.NAME:
        if keyword.iskeyword(text):
            return "k"
        if previous in ("def", "class"):
            return "nf"
        if text.endswith(("_bar", "_dot")):  # adjoints and tangents, by the naming convention
            return "adj"
    return None


def highlight(text: str) -> str:
    """Python source as escaped HTML with ``<span class=...>`` around keywords, comments,
    strings, numbers, defined names and adjoints (``x_bar``); text the tokenizer cannot read
    comes back escaped and plain."""
    import html
    import io
    import tokenize

    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(row: int, col: int) -> int:
        return min(starts[min(row, len(lines)) - 1] + col, len(text)) if lines else 0

    out, done, previous = [], 0, ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            css = _token_class(tok.type, tok.string, previous)
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                previous = tok.string
            if css is None:
                continue
            start, end = offset(*tok.start), offset(*tok.end)
            if start < done:
                continue
            out.append(html.escape(text[done:start]))
            out.append(f'<span class="{css}">{html.escape(text[start:end])}</span>')
            done = end
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return html.escape(text)
    out.append(html.escape(text[done:]))
    return "".join(out)


def code_html(text: str, title: str | None = None) -> str:
    """A self-contained HTML block showing ``text`` highlighted, under ``title`` if given."""
    import html

    head = (
        f'<div style="font-family: {FONT}; font-size: 12px; color: #5b6475; margin: 0 0 4px 0">'
        f"{html.escape(title)}</div>"
        if title
        else ""
    )
    return (
        f'<div class="pb-source"><style>{_CODE_CSS}</style>{head}'
        f'<pre class="pb-code">{highlight(text)}</pre></div>'
    )


class GeneratedSource(str):
    """The text of a generated derivative (what ``pb.source(df)`` returns): a ``str`` in
    every way, shown highlighted in a notebook and as plain text by IPython's printer."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        return code_html(str(self))

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        pretty_text(str(self), p)


def pretty_text(text: str, p: Any) -> None:
    """``text`` through IPython's pretty-printer protocol: line by line, each line break a
    ``p.break_()`` where the printer has one (IPython's does), else a newline."""
    for k, line in enumerate(text.split("\n")):
        if k:
            if hasattr(p, "break_"):
                p.break_()
            else:
                p.text("\n")
        p.text(line)


# -- a value (a Tensor) -------------------------------------------------------------------------

_VALUE_CSS = (
    ".pb-value { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; font-size: 13px;"
    " color: #1d2330; display: inline-block; border: 1px solid #d8dce6; border-radius: 6px;"
    " padding: 6px 10px; background: #fff; max-width: 100%; }"
    f" .pb-value code, .pb-value pre {{ font-family: {FONT}; }}"
    " .pb-value .pb-tag { font-size: 11.5px; background: #eef3fb; color: #2f4f86;"
    " border-radius: 4px; padding: 1px 6px; margin-left: 6px; }"
    " .pb-value pre { font-size: 12px; background: #f5f6f9; margin: 4px 0 0 0; padding: 5px 8px;"
    " overflow: auto; max-height: 40vh; }"
    " .pb-value .pb-label { color: #5b6475; font-size: 12px; margin-top: 6px; }"
)


def preview(x: Any) -> str:
    """An array's values as NumPy prints them, a few at each end of each axis."""
    a = np.asarray(x)
    if a.ndim == 0:
        return str(a.item())
    return np.array2string(a, precision=6, threshold=24, edgeitems=3, max_line_width=88)


def value_html(kind: str, value: Any, tags: list[str], parts: list[tuple[str, Any]]) -> str:
    """An HTML block for a value: ``kind`` and its type, ``tags`` beside them, its entries
    (a preview), then each ``(label, array)`` of ``parts`` (a gradient) likewise."""
    import html

    esc = html.escape
    head = f"<b>{esc(kind)}</b> <code>{esc(value_type_text(value))}</code>" + "".join(
        f'<span class="pb-tag">{esc(t)}</span>' for t in tags
    )
    body = [f"<pre>{esc(preview(value))}</pre>"]
    for label, part in parts:
        body.append(
            f'<div class="pb-label">{esc(label)} <code>{esc(value_type_text(part))}</code></div>'
            f"<pre>{esc(preview(part))}</pre>"
        )
    return (
        f'<div class="pb-value"><style>{_VALUE_CSS}</style><div>{head}</div>{"".join(body)}</div>'
    )
