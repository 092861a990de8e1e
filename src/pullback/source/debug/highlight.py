"""Syntax highlighting of Python text for the page, on the standard ``tokenize``.

In: Python source text.
Out: ``highlight(text) -> list[str]``: one HTML line per source line, every token escaped and
wrapped in a ``<span class=...>`` of its kind (keyword, builtin, string, number, comment).
"""

from __future__ import annotations

import builtins
import html
import io
import keyword
import tokenize

from .recording import adjoint_base

_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))
_STRINGS = {tokenize.STRING} | {
    getattr(tokenize, n)
    for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
    if hasattr(tokenize, n)
}


def _token_class(tok: tokenize.TokenInfo, previous: str) -> str | None:
    if tok.type == tokenize.NAME:
        if keyword.iskeyword(tok.string):
            return "kw"
        if previous in ("def", "class"):
            return "fn"
        if adjoint_base(tok.string) is not None:
            return "adj"
        return "bi" if tok.string in _BUILTINS else None
    if tok.type == tokenize.NUMBER:
        return "num"
    if tok.type in _STRINGS:
        return "str"
    if tok.type == tokenize.COMMENT:
        return "com"
    return None


def highlight(text: str) -> list[str]:
    """HTML for each line of Python ``text``, its tokens in ``<span class=...>`` (escaped);
    text that does not tokenize is kept, escaped, from where tokenizing stopped."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    out: list[list[str]] = [[] for _ in lines]

    def emit(start: tuple[int, int], end: tuple[int, int], css: str | None) -> None:
        (r0, c0), (r1, c1) = start, end
        for r in range(r0, min(r1, len(lines)) + 1):
            piece = lines[r - 1][c0 if r == r0 else 0 : c1 if r == r1 else None]
            if piece:
                piece = html.escape(piece)
                out[r - 1].append(f'<span class="{css}">{piece}</span>' if css else piece)

    position = (1, 0)
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            if tok.start < position:  # a multi-line string's lines come once
                continue
            emit(position, tok.start, None)
            emit(tok.start, tok.end, _token_class(tok, previous))
            position = tok.end
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT):
                previous = tok.string
    except (tokenize.TokenError, SyntaxError):
        pass
    if lines:
        emit(position, (len(lines), len(lines[-1])), None)
    return ["".join(parts) for parts in out]
