"""One recorded run of a generated derivative: what each generated line made.

In: a source-mode derivative's ``GeneratedModule`` and a call to make (``df(*args)``).
Out: ``record(module, call) -> Recording``: what the call returned; for every generated line,
how often it ran, the dtype and shape of each value its forward-sweep assignment made, and the
norm of each adjoint (a ``*_bar`` name) its backward-sweep assignment made, or of the change it
made where it adds into one (``x_bar += ...``, ``x_bar = add_adjoints(x_bar, ...)``); and for
every user line, each time its backward code ran, the norm of what that code contributed to
each adjoint (the sum of its generated lines' changes).

The run is the derivative's own: a line tracer watches the frames of the generated module and
reads their locals between lines, so the code and its results are unchanged. Arrays are only
read; an adjoint a line adds into is copied before that line to measure the change.

>>> import numpy as np, pullback as pb
>>> def f(x):
...     return np.sum(x * x)
>>> df = pb.grad(f)
>>> run = record(df.__pullback_module__, lambda: df(np.ones(3)))
>>> run.result
array([2., 2., 2.])
>>> [round(norms["x_bar"][0], 3) for norms in run.contributions.values() if "x_bar" in norms]
[3.464]
"""

from __future__ import annotations

import ast
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

_ADJOINT = re.compile(r"^(?P<base>.+?)(?:_\d+)?_bar(?:_\d+)?$")  # x_bar, y_2_bar, x_bar_2


def adjoint_base(name: str) -> str | None:
    """``x`` for the adjoint names of ``x`` (``x_bar``, ``x_2_bar``, ``x_bar_2``), else None."""
    match = _ADJOINT.match(name)
    return match.group("base") if match else None


@dataclass(frozen=True)
class _Site:
    """An assignment on a generated line: the names it binds, and those it adds into."""

    names: tuple[str, ...]
    sweep: str
    accumulates: tuple[str, ...] = ()


@dataclass
class Recording:
    """What one call of a derivative did (see the module docstring). Generated lines are
    numbers; user lines are ``(filename, line)``."""

    result: object = None
    runs: dict[int, int] = field(default_factory=dict)  # generated line -> times it ran
    values: dict[int, dict[str, Seen]] = field(default_factory=dict)
    norms: dict[int, dict[str, list[float]]] = field(default_factory=dict)  # one per run
    added: dict[int, set[str]] = field(default_factory=dict)  # adjoints the line adds into
    contributions: dict[tuple, dict[str, list[float]]] = field(default_factory=dict)
    adds_into: dict[tuple, set[str]] = field(default_factory=dict)  # user line -> its += names


def _sites(module) -> dict[int, _Site]:
    sites: dict[int, _Site] = {}
    for s in ast.walk(ast.parse(module.text)):
        if isinstance(s, ast.AugAssign):
            targets, value = [s.target], s.value
        elif isinstance(s, (ast.Assign, ast.AnnAssign)) and s.value is not None:
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            value = s.value
        else:
            continue
        names = tuple(
            n.id
            for t in targets
            if isinstance(t, (ast.Name, ast.Tuple, ast.List))
            for n in ast.walk(t)
            if isinstance(n, ast.Name)
        )
        sweep = module.sweeps.get(s.lineno, "forward")
        if sweep == "backward":
            names = tuple(n for n in names if adjoint_base(n) is not None)
        if not names:
            continue
        reads = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        adds = tuple(n for n in names if isinstance(s, ast.AugAssign) or n in reads)
        sites[s.lineno] = _Site(names, sweep, adds if sweep == "backward" else ())
    return sites


def record(module, call: Callable[[], object]) -> Recording:
    """Run ``call()`` (which runs generated code of ``module``), recording each line."""
    sites = _sites(module)
    origins = module.source_map
    out = Recording()
    filename = module.filename

    def finish(line: int, frame_locals: dict, before: dict, block: _Block) -> None:
        site = sites[line]
        if site.sweep == "forward":
            seen = out.values.setdefault(line, {})
            for name in site.names:
                kind = kind_of(frame_locals.get(name, _MISSING))
                if kind is not None:
                    seen.setdefault(name, Seen()).add(*kind)
            return
        norms = out.norms.setdefault(line, {})
        for name in site.names:
            if name not in frame_locals:
                continue
            change = frame_locals[name]
            if name in before:
                out.added.setdefault(line, set()).add(name)
                change = _increment(before[name], change)
            measured = norm(change)
            if measured is not None:
                norms.setdefault(name, []).append(measured)
                block.add(name, change, name in before)

    def flush(block: _Block) -> None:
        if block.key is None or not block.sums:
            return
        contributions = out.contributions.setdefault(block.key, {})
        for name, total in block.sums.items():
            measured = norm(total)
            if measured is not None:
                contributions.setdefault(name, []).append(measured)
        out.adds_into.setdefault(block.key, set()).update(block.adds)

    def tracer(frame, event, arg):
        if event != "call" or frame.f_code.co_filename != filename:
            return None
        if frame.f_code.co_name.startswith("<"):  # a comprehension's own frame
            return None
        pending: list = [None, {}]  # the line running now, the adjoints it adds into, before
        block = [_Block(None)]  # the user line whose backward code runs now

        def local(frame, event, arg):
            if event == "exception":
                pending[0] = None
                return local
            if event not in ("line", "return"):
                return local
            if pending[0] is not None:
                finish(pending[0], frame.f_locals, pending[1], block[0])
                pending[0] = None
            line = frame.f_lineno if event == "line" else None
            key = origins.get(line) if line is not None else None
            if key != block[0].key:
                flush(block[0])
                block[0] = _Block(key)
            if line is not None:
                out.runs[line] = out.runs.get(line, 0) + 1
                site = sites.get(line)
                if site is not None:
                    pending[0] = line
                    names = frame.f_locals if site.accumulates else {}
                    pending[1] = {n: _snapshot(names[n]) for n in site.accumulates if n in names}
            return local

        return local

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        out.result = call()
    finally:
        sys.settrace(previous)
    return out


class _Block:
    """One run of a user line's backward code: the sum of what it changed in each adjoint."""

    def __init__(self, key):
        self.key = key
        self.sums: dict[str, object] = {}
        self.adds: set[str] = set()  # the names whose first change here added into them

    def add(self, name: str, change, accumulates: bool) -> None:
        if name not in self.sums:
            self.sums[name] = _snapshot(change)
            if accumulates:
                self.adds.add(name)
            return
        total = self.sums[name]
        if total is None:
            self.sums[name] = _snapshot(change)
        elif change is None:
            return
        elif np.shape(total) == np.shape(change) and _numeric(total) and _numeric(change):
            with np.errstate(all="ignore"):
                self.sums[name] = total + change
        else:  # shapes that do not add up: measured together, as parts
            self.sums[name] = [total, _snapshot(change)]


def _numeric(value) -> bool:
    return _is_number(value) or (isinstance(value, np.ndarray) and value.dtype.kind in "fciu")


_MISSING = object()


def _snapshot(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def _increment(before, after):
    """What a line added into an adjoint: ``after - before`` (``after`` where it was zero)."""
    if before is None or (_is_number(before) and before == 0):
        return after
    if isinstance(after, np.ndarray) or _is_number(after):
        try:
            with np.errstate(all="ignore"):
                return np.asarray(after) - np.asarray(before)
        except (TypeError, ValueError):
            return after
    return after


def _is_number(value) -> bool:
    return isinstance(value, (int, float, complex, np.number)) and not isinstance(
        value, (bool, np.bool_)
    )


def norm(value) -> float | None:
    """The 2-norm of an adjoint: a number, an array, or a list, tuple or dict of them; None
    (a zero adjoint) is 0.0; None for what is no adjoint at all (text, a boolean)."""
    if value is None:
        return 0.0
    if _is_number(value):
        if isinstance(value, (complex, np.complexfloating)):
            return abs(complex(value))
        return abs(float(value))
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fciu":
            return None
        magnitude = np.abs(value)
        if magnitude.size == 0:
            return 0.0
        with np.errstate(all="ignore"):
            biggest = float(np.max(magnitude))
            if biggest == 0.0 or not math.isfinite(biggest):
                return biggest  # 0, inf, or nan (max propagates nan)
            return biggest * float(np.sqrt(np.sum((magnitude / biggest) ** 2)))
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        parts = [norm(v) for v in value]
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        if any(map(math.isnan, parts)):
            return math.nan
        if any(map(math.isinf, parts)):
            return math.inf
        return math.hypot(*parts)
    return None


def kind_of(value) -> tuple[str, object] | None:
    """``("float64[3, 4]", None)``, ``("float", 0.25)``: a value's dtype and shape, and the
    number itself for a number; None for what is not a number or an array."""
    if value is _MISSING or value is None or isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, complex)):
        return type(value).__name__, value
    if isinstance(value, np.generic) and _is_number(value):
        return str(value.dtype), value
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return f"{value.dtype}[]", value[()]
        return f"{value.dtype}[{', '.join(map(str, value.shape))}]", None
    return None


def describe(value) -> str | None:
    """``float64[3, 4]``, ``float = 0.25``: a value's dtype and shape (its value, for a number);
    None for what is not a number or an array."""
    kind = kind_of(value)
    if kind is None:
        return None
    return kind[0] if kind[1] is None else f"{kind[0]} = {_number(kind[1])}"


@dataclass
class Seen:
    """The values one name took on one line, over its runs: their kinds (dtype and shape), and
    the smallest and largest number (the last, for complex numbers)."""

    kinds: list[str] = field(default_factory=list)
    low: object = None
    high: object = None
    nan: bool = False

    def add(self, kind: str, number) -> None:
        if kind not in self.kinds:
            self.kinds.append(kind)
        if number is None:
            return
        if isinstance(number, (complex, np.complexfloating)):
            self.low = self.high = number
        elif math.isnan(number):
            self.nan = True
        elif self.low is None:
            self.low = self.high = number
        else:
            self.low, self.high = min(self.low, number), max(self.high, number)

    def __str__(self) -> str:
        text = " / ".join(self.kinds[:2]) + (" …" if len(self.kinds) > 2 else "")
        numbers = []
        if self.low is not None:
            same = isinstance(self.low, (complex, np.complexfloating)) or self.low == self.high
            numbers.append(
                _number(self.high) if same else f"{_number(self.low)}…{_number(self.high)}"
            )
        if self.nan:
            numbers.append("nan")
        return f"{text} = {', '.join(numbers)}" if numbers else text


def _number(value) -> str:
    if isinstance(value, (complex, np.complexfloating)):
        return f"{complex(value):.4g}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.4g}"
