"""The checked twin of a generated module: the same code, each value checked as it is made.

In: a ``GeneratedModule`` (its text, source map and sweeps) and the namespace it runs in.
Out: ``checked_function(fn)``, the twin of generated function ``fn``: its module's text with,
at the end of each assignment's line, ``; finite(x) or nonfinite(K, locals())``, compiled
under the same filename, so every line keeps its number, its source map and its traceback.
The first NaN or Inf assigned raises ``pb.NonFiniteError`` naming the user's line, the sweep,
the primitive (or, in the backward sweep, the rule of the primitive the comment above names),
the inputs the statement read and the generated line. Built once per module, when asked.
"""

from __future__ import annotations

import ast
import threading

import numpy as np

from ... import finite as _finite
from ..common.sourcemap import entry_at

_LOCK = threading.Lock()
_CHECK = "__pullback_finite"
_FAIL = "__pullback_nonfinite"


def checked_function(fn):
    """The checked twin of generated function ``fn`` (``fn`` if it has no module)."""
    module = getattr(fn, "__pullback_module__", None)
    if module is None:
        return fn
    twins = getattr(module, "checked", None)
    if twins is None:
        with _LOCK:
            twins = getattr(module, "checked", None)
            if twins is None:
                twins = module.checked = _build(module, fn.__globals__)
    return twins.get(fn.__name__, fn)


def _targets(s) -> list[str] | None:
    targets = s.targets if isinstance(s, ast.Assign) else [s.target]
    names = []
    for t in targets:
        for n in ast.walk(t):
            if isinstance(n, ast.Name):
                names.append(n.id)
            elif isinstance(n, (ast.Subscript, ast.Attribute, ast.Starred)):
                return None  # a write into a container: its value is checked where it is read
    return names


def _primitive(e) -> str | None:
    if isinstance(e, ast.Call):
        return ast.unparse(e.func)
    if isinstance(e, ast.BinOp):
        return f"the operator {_OPS.get(type(e.op), type(e.op).__name__)}"
    if isinstance(e, ast.UnaryOp):
        return f"the unary operator {_OPS.get(type(e.op), type(e.op).__name__)}"
    if isinstance(e, ast.Subscript):
        return "indexing"
    return None


_OPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.USub: "-",
    ast.Mod: "%",
    ast.FloorDiv: "//",
}


def _rule_of(lines: list[str], line: int) -> str | None:
    """The primitive of the statement the nearest ``# grad of:`` comment above names."""
    for k in range(line - 2, -1, -1):
        text = lines[k].strip()
        if text.startswith("def "):
            return None
        if text.startswith("# grad of: "):
            statement = text[len("# grad of: ") :].rsplit("  (", 1)[0]
            try:
                s = ast.parse(statement).body[0]
            except (SyntaxError, IndexError):
                return None
            value = getattr(s, "value", None)
            return _primitive(value) if value is not None else None
    return None


def _build(module, namespace: dict) -> dict:
    lines = module.text.splitlines()
    tree = ast.parse(module.text)
    sites: list[tuple] = []
    extra: dict[int, str] = {}
    for s in ast.walk(tree):
        if not isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign)) or s.value is None:
            continue
        if isinstance(s.value, ast.Constant):
            continue
        names = _targets(s)
        if not names:
            continue
        end = s.end_lineno
        entry = entry_at(module, s.lineno)
        sweep = entry.sweep if entry is not None else module.sweeps.get(s.lineno, "forward")
        primitive = _primitive(s.value) or "an assignment"
        if sweep == "backward":
            rule = _rule_of(lines, s.lineno)
            if rule is not None:
                primitive = f"the derivative rule of {rule}"
        reads = sorted(
            {n.id for n in ast.walk(s.value) if isinstance(n, ast.Name)} - {"np", "math"}
        )
        k = len(sites)
        sites.append((s.lineno, tuple(names), sweep, primitive, tuple(reads), entry))
        test = " and ".join(f"{_CHECK}({n})" for n in names)
        extra[end] = extra.get(end, "") + f"; {test} or {_FAIL}({k}, locals())"
    text = "".join(line + extra.get(i, "") + "\n" for i, line in enumerate(lines, start=1))
    twin_ns = dict(namespace)
    twin_ns[_CHECK] = _finite.finite
    twin_ns[_FAIL] = _failing(module, sites, lines)
    exec(compile(text, module.filename, "exec"), twin_ns)
    return {name: twin_ns[name] for name in module.functions}


def _failing(module, sites, lines):
    def nonfinite(k: int, frame_locals: dict):
        line, names, sweep, primitive, reads, entry = sites[k]
        name = next(n for n in names if not _finite.finite(frame_locals.get(n)))
        inputs = {
            r: frame_locals[r]
            for r in reads
            if r in frame_locals
            and isinstance(frame_locals[r], (float, int, complex, np.ndarray, np.generic))
            and not isinstance(frame_locals[r], bool)
        }
        function = module.owners.get(line) or "the derivative"
        _finite.fail(
            value=frame_locals[name],
            name=name,
            sweep=sweep,
            filename=entry.filename if entry is not None else None,
            lineno=entry.lineno if entry is not None else None,
            primitive=primitive,
            inputs=inputs,
            generated=f"line {line} of {function}: {lines[line - 1].strip()}",
        )

    return nonfinite
