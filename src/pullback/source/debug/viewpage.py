"""The side-by-side page of a source-mode derivative: the user's code beside the generated code.

In: a ``GeneratedModule`` (its text and source map), and optionally a ``Recording`` of one run
(see ``recording``) with the arguments it was called with.
Out: ``page(module, ...) -> str``, one self-contained HTML page (inline style and a small
inline script, nothing fetched): on the left the user's functions with their real file line
numbers, on the right the generated derivative, both highlighted (``highlight``, built on
``tokenize``). Every line row carries ``data-links``: the ids of its counterparts through the
source map (a user line's generated lines, a generated line's user line); hovering a row
highlights them, clicking pins the highlight and scrolls to them. Generated rows are styled by
sweep (forward, backward). With a recording, each user line also shows the shapes of the values
it makes and the norms of the adjoints its backward code makes, with a bar on a log scale, and
lines whose adjoint is zero, vanishing, huge or not finite stand out.

The page's script also reads ``#hover=ID`` or ``#click=ID`` from the address, and hovers or
clicks that row once loaded, so a headless browser can check the highlighting. Every piece of
text from the user (code, names, file names, values) is escaped.
"""

from __future__ import annotations

import ast
import html
import io
import keyword
import linecache
import math
import os
import textwrap
import tokenize
from dataclasses import dataclass, field

from ..common.sourcemap import SourceLine, lines_of
from .highlight import highlight
from .page_style import CSS, FLAGS_LEGEND, LEGEND, SCRIPT
from .recording import Recording, adjoint_base, describe, norm

__all__ = ["page"]

_TINY = 1e-8  # a largest adjoint norm below this: the gradient vanishes here
_HUGE = 1e6  # above this: it explodes
_DECADES = 6  # the magnitude bar spans this many powers of ten below the page's largest norm
_SHOWN_RUNS = 6  # a tooltip lists this many of a loop line's norms

# -- the user's functions ----------------------------------------------------------------------


@dataclass
class _Block:
    """Lines ``first``..``last`` of ``filename`` (a function, or one line outside any)."""

    filename: str
    key: int  # the file's number in row ids
    first: int
    last: int
    lines: list[str] = field(default_factory=list)


def _function_ranges(text: str) -> list[tuple[int, int, int]]:
    """``(first line with decorators, def line, last line)`` of every function in ``text``."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            out.append((first, node.lineno, node.end_lineno or node.lineno))
    return out


def _blocks(entries: list[SourceLine]) -> tuple[list[_Block], dict[str, int], list[str]]:
    """The user's functions the generated lines come from, in the order they are first met;
    the number of each file; the files whose text cannot be read."""
    files: dict[str, int] = {}
    wanted: dict[str, set[int]] = {}
    for e in entries:
        files.setdefault(e.filename, len(files))
        wanted.setdefault(e.filename, set()).add(e.lineno)
    blocks: list[_Block] = []
    unreadable = []
    for filename, key in files.items():
        text_lines = linecache.getlines(filename)
        if not text_lines:
            unreadable.append(filename)
            continue
        functions = _function_ranges("".join(text_lines))
        lines = wanted[filename]
        ranges = [(a, c) for a, b, c in functions if b in lines]
        for line in sorted(lines):
            if any(a <= line <= c for a, c in ranges) or line > len(text_lines):
                continue
            around = [(a, c) for a, _, c in functions if a <= line <= c]
            ranges.append(max(around) if around else (line, line))  # the innermost function
        merged: list[list[int]] = []
        for a, c in sorted(ranges):
            if merged and a <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], c)
            else:
                merged.append([a, c])
        for a, c in merged:
            text = textwrap.dedent("".join(text_lines[a - 1 : c]))
            blocks.append(_Block(filename, key, a, c, highlight(text)))
    if entries:  # the function differentiated first, then those it calls
        first = entries[0]
        blocks.sort(
            key=lambda b: not (b.filename == first.filename and b.first <= first.lineno <= b.last)
        )
    return blocks, files, unreadable


def _shown_path(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


# -- what a recorded run says about each user line ---------------------------------------------


@dataclass
class _Notes:
    """What one run did on a user line: its values, its adjoints' norms, whether it ran.
    ``names``: every name the line reads or writes; ``assigned``: those it assigns, None for a
    compound statement's header (``for``, ``if``, ``def`` ...)."""

    names: frozenset[str]
    assigned: frozenset[str] | None
    values: dict[str, str] = field(default_factory=dict)
    norms: dict[str, list[float]] = field(default_factory=dict)
    added: set[str] = field(default_factory=set)
    details: list[str] = field(default_factory=list)
    returned: str | None = None
    statements: int = 0
    ran: bool = False


def _assigned_in(statement: str) -> frozenset[str] | None:
    """The names a simple statement assigns (``y`` for ``y[i] = ...``); None for a header."""
    try:
        body = ast.parse(statement).body
    except SyntaxError:
        return None
    if len(body) != 1 or isinstance(body[0], _COMPOUND):
        return None
    s = body[0]
    targets = s.targets if isinstance(s, ast.Assign) else [getattr(s, "target", None)]
    names = set()
    while targets:
        t = targets.pop()
        if isinstance(t, ast.Name):
            names.add(t.id)
        elif isinstance(t, (ast.Subscript, ast.Attribute, ast.Starred)):
            targets.append(t.value)
        elif isinstance(t, (ast.Tuple, ast.List)):
            targets.extend(t.elts)
    return frozenset(names)


_COMPOUND = (
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.If,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
)


def _names_in(statement: str) -> frozenset[str]:
    names = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(statement + "\n").readline):
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
                names.add(tok.string)
    except (tokenize.TokenError, SyntaxError):
        pass
    return frozenset(names)


def _user_name(name: str, names: frozenset[str]) -> bool:
    if name in names:
        return True
    base = name.rstrip("0123456789")
    return base.endswith("_") and base[:-1] in names  # y_2, the renamed y


def _names_adjoint(name: str, names: frozenset[str]) -> bool:
    """Whether ``name`` is the adjoint of one of the user's ``names`` (not of a temporary)."""
    base = adjoint_base(name)
    return base is not None and _user_name(base, names)


def _statement_lines(text: str) -> set[int]:
    """Generated lines a statement starts on (not a ``def``: those never run as a line)."""
    return {
        s.lineno
        for s in ast.walk(ast.parse(text))
        if isinstance(s, ast.stmt) and not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def _notes(entries: list[SourceLine], run: Recording, text: str) -> dict[tuple, _Notes]:
    statements = _statement_lines(text)
    notes: dict[tuple, _Notes] = {}
    for e in entries:
        key = (e.filename, e.lineno)
        note = notes.get(key)
        if note is None:
            note = notes[key] = _Notes(_names_in(e.statement), _assigned_in(e.statement))
        g = e.line
        if g in statements:
            note.statements += 1
        if run.runs.get(g):
            note.ran = True
        for name, seen in run.values.get(g, {}).items():
            if note.assigned is not None and _user_name(name, note.assigned):
                note.values[name] = str(seen)
            elif e.statement.startswith("return"):
                note.returned = str(seen)
        for name, norms in run.norms.get(g, {}).items():
            shown = ", ".join(_fmt(n) for n in norms[:_SHOWN_RUNS])
            more = f" … ({len(norms)} runs)" if len(norms) > _SHOWN_RUNS else ""
            verb = "+=" if name in run.added.get(g, ()) else "="
            note.details.append(f"generated line {g}: ‖{name} {verb} ·‖ {shown}{more}")
    for key, note in notes.items():
        note.norms = run.contributions.get(key, {})
        note.added = run.adds_into.get(key, set())
    return notes


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    return f"{x:.3g}"


def _span(norms: list[float]) -> str:
    low, high = min(norms), max(norms)
    if any(map(math.isnan, norms)):
        return "nan"
    text = _fmt(high) if _fmt(low) == _fmt(high) else f"{_fmt(low)}…{_fmt(high)}"
    return text + (f" ×{len(norms)}" if len(norms) > 1 else "")


def _flag(adjoints: dict[str, list[float]]) -> tuple[str, str] | None:
    """``(css class, words)`` where a line's adjoints (name -> a norm per run) stand out."""
    norms = [n for runs in adjoints.values() for n in runs]
    if not norms:
        return None
    if any(not math.isfinite(n) for n in norms):
        return "nonfinite", "not finite: nan or inf in the gradient"
    high = max(norms)
    if high > _HUGE:
        return "huge", f"huge: the gradient explodes here (norm {_fmt(high)})"
    if high == 0:
        return "zero", "zero: no gradient flows back through this line"
    if high < _TINY:
        return "tiny", f"vanishing: the gradient is tiny here (norm {_fmt(high)})"
    for name, runs in adjoints.items():  # a loop's line: the runs drift apart
        nonzero = [(n, k) for k, n in enumerate(runs) if n > 0]
        if len(nonzero) < 2:
            continue
        (low, at_low), (top, at_top) = min(nonzero), max(nonzero)
        if low >= _TINY * top:
            continue
        if at_low > at_top:  # later in the backward sweep: earlier in the loop
            return "tiny", (
                f"vanishing: {name} shrinks from {_fmt(top)} to {_fmt(low)} as the backward "
                f"sweep runs through the loop ({len(runs)} runs)"
            )
        return "huge", (
            f"huge: {name} grows from {_fmt(low)} to {_fmt(top)} as the backward sweep runs "
            f"through the loop ({len(runs)} runs)"
        )
    return None


_NO_NOTE = '<td class="bar"></td><td class="note"></td>'


def _note_html(note: _Notes | None, top: float) -> tuple[str, str]:
    """The bar and note cells of a user line, and the row's extra css classes."""
    esc = html.escape
    if note is None:
        return _NO_NOTE, ""
    if not note.ran:
        if note.statements:
            return (
                '<td class="bar"></td><td class="note"><span class="flag notrun" '
                'title="no generated line of this line ran with these arguments">not run'
                "</span></td>",
                " notrun",
            )
        return _NO_NOTE, ""
    mine = {n: r for n, r in note.norms.items() if _names_adjoint(n, note.names)}
    if note.assigned is None:  # a header's backward code starts adjoints at zero: not news
        mine = {n: r for n, r in mine.items() if any(r)}
    norms = [n for runs in mine.values() for n in runs]
    flag = _flag(mine)
    finite = [n for n in norms if math.isfinite(n)]
    width = 0.0
    if flag is not None and flag[0] == "nonfinite":
        width = 100.0
    elif finite and max(finite) > 0 and top > 0:
        width = max(4.0, 100.0 * (1.0 + math.log10(max(finite) / top) / _DECADES))
    bar = '<td class="bar"></td>'
    if norms:
        fill = f'<i style="width:{min(width, 100.0):.0f}%"></i>' if width > 0 else ""
        bar = (
            '<td class="bar" title="the largest adjoint norm on this line, on a log scale">'
            f'<span class="mag">{fill}</span></td>'
        )
    parts = []
    classes = ""
    if flag is not None:
        parts.append(f'<span class="flag {flag[0]}">{esc(flag[1].split(":")[0])}</span>')
        classes = f" flag-{flag[0]}"
    for name, shown in note.values.items():
        parts.append(f'<span class="val"><b>{esc(name)}</b> {esc(shown)}</span>')
    if note.returned is not None and not note.values:
        parts.append(f'<span class="val"><b>returns</b> {esc(note.returned)}</span>')
    for name, runs in mine.items():
        verb = " +=" if name in note.added else ""
        parts.append(f'<span class="adj"><b>‖{esc(name)}{verb}‖</b> {esc(_span(runs))}</span>')
    title = "\n".join(([flag[1]] if flag else []) + note.details)
    return f'{bar}<td class="note" title="{esc(title)}">{"".join(parts)}</td>', classes


# -- the page ----------------------------------------------------------------------------------


def _user_id(key: int, line: int) -> str:
    return f"u{key}-{line}"


def _shown_value(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_shown_value(v) for v in value) + ")"
    text = describe(value)
    return text if text is not None else type(value).__name__


_NOT_TRACED = (
    "No line of the generated code ran as Python (a compiled derivative runs as machine code), "
    "so no line has values or norms to show."
)


def _called_html(args: dict, result, traced: bool) -> str:
    """What the recorded run was given and gave back, and how to read the notes."""
    esc = html.escape
    given = ", ".join(f"<b>{esc(k)}</b> {esc(_shown_value(v))}" for k, v in args.items())
    measured = None if isinstance(result, tuple) else norm(result)
    size = f", norm {_fmt(measured)}" if measured is not None else ""
    how = (
        "Beside each line: the values it makes, and ‖x_bar‖, the norm of what its backward code "
        "adds to each adjoint (‖x_bar +=‖: added into what x_bar held); a loop's line gives the "
        "smallest…largest over its runs (×runs). Hover a note for each generated line's numbers."
        if traced
        else _NOT_TRACED
    )
    return (
        f'<p class="called">Run with {given or "no arguments"}, it returned '
        f"{esc(_shown_value(result))}{esc(size)}. {how}</p>"
    )


def _user_panel(blocks, unreadable, generated_of, notes, top) -> str:
    """The user's functions, a table each; each line row links to its generated lines."""
    esc = html.escape
    parts = []
    for block in blocks:
        rows = []
        for offset, code in enumerate(block.lines):
            line = block.first + offset
            key = (block.filename, line)
            links = generated_of.get(key, [])
            note, extra = _note_html(notes.get(key), top) if notes is not None else ("", "")
            if links:
                data = " ".join(f"g{g}" for g in links)
                rows.append(
                    f'<tr class="user linkable{extra}" id="{_user_id(block.key, line)}" '
                    f'data-line="{line}" data-links="{data}"><td class="no">{line}</td>'
                    f'<td class="src">{code}</td>{note}</tr>'
                )
            else:
                empty = _NO_NOTE if notes is not None else ""
                rows.append(
                    f'<tr class="user"><td class="no">{line}</td><td class="src">{code}</td>'
                    f"{empty}</tr>"
                )
        parts.append(
            f'<div class="file" title="{esc(block.filename)}">{esc(_shown_path(block.filename))}'
            f'</div><table class="code">{"".join(rows)}</table>'
        )
    for filename in unreadable:
        parts.append(
            f'<p class="note-missing">The text of {esc(filename)} cannot be read: its lines are '
            "not shown.</p>"
        )
    return "".join(parts)


def _generated_panel(module, entries, files, shown) -> str:
    """The generated module, one table; each line row mapped to a shown user line links to it."""
    esc = html.escape
    origin = {e.line: e for e in entries}
    rows = []
    for line, code in enumerate(highlight(module.text), start=1):
        sweep = "bwd" if module.sweeps.get(line) == "backward" else "fwd"
        e = origin.get(line)
        if e is None or (e.filename, e.lineno) not in shown:
            title = f' title="{esc(e.where)}"' if e is not None else ""
            rows.append(
                f'<tr class="gen {sweep}"{title}><td class="no">{line}</td>'
                f'<td class="src">{code}</td></tr>'
            )
            continue
        target = _user_id(files[e.filename], e.lineno)
        rows.append(
            f'<tr class="gen linkable {sweep}" id="g{line}" data-links="{target}" '
            f'title="{esc(e.sweep)} sweep of line {e.lineno}: {esc(e.text)}">'
            f'<td class="no">{line}</td><td class="src">{code}</td></tr>'
        )
    return f'<table class="code">{"".join(rows)}</table>'


def page(
    module,
    *,
    name: str,
    summary: str = "",
    run: Recording | None = None,
    args: dict | None = None,
) -> str:
    """The page (see the module docstring) of generated ``module``, whose derivative is
    called ``name``; ``summary`` is its one-line description; ``run`` a recording of it called
    with ``args`` (parameter name -> value)."""
    esc = html.escape
    entries = lines_of(module)
    blocks, files, unreadable = _blocks(entries)
    generated_of: dict[tuple[str, int], list[int]] = {}
    for e in entries:
        generated_of.setdefault((e.filename, e.lineno), []).append(e.line)
    shown = {(b.filename, line) for b in blocks for line in range(b.first, b.last + 1)}
    traced = run is not None and bool(run.runs)  # a compiled derivative runs no Python line
    notes = _notes(entries, run, module.text) if traced else None
    top = max(
        (
            n
            for note in (notes or {}).values()
            for adjoint, runs in note.norms.items()
            if _names_adjoint(adjoint, note.names)
            for n in runs
            if math.isfinite(n)
        ),
        default=0.0,
    )
    called = _called_html(args or {}, run.result, traced) if run is not None else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>pullback view: {esc(name)}</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n<header>\n"
        f"<h1>pullback view of <code>{esc(name)}</code>"
        f'<span class="summary">{esc(summary)}</span></h1>\n'
        f"{LEGEND.format(flags=FLAGS_LEGEND if traced else '')}\n{called}\n</header>\n"
        f'<div class="panels{" with-notes" if traced else ""}">\n'
        '<section class="panel" id="user"><h2>your code</h2>'
        f"{_user_panel(blocks, unreadable, generated_of, notes, top)}</section>\n"
        '<section class="panel" id="generated"><h2>generated derivative '
        f'<span class="count">{esc(os.path.basename(module.filename))}</span></h2>'
        f"{_generated_panel(module, entries, files, shown)}</section>\n"
        f"</div>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
