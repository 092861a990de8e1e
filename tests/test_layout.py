"""The layout of source mode: stages in order, no import cycle, modules of a readable size.

Every import counts, function-level ones too (only ``if TYPE_CHECKING:`` blocks are skipped:
they never run). A stage of ``pullback.source`` imports only the stages before it; the entry
points at the package's top import any stage, and no stage imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "pullback.source"
STAGES = ["common", "frontend", "analysis", "transform", "backend", "debug"]
MAX_LINES = 700


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "pullback").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """The modules of the package that ``module`` imports anywhere in its text."""
    tree = ast.parse(path.read_text())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                start = ".".join(base + ([node.module] if node.module else []))
            else:
                start = node.module or ""
            targets = [f"{start}.{a.name}" for a in node.names] + [start]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                out.add(target)
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _cycles(scope: str) -> list[list[str]]:
    """Strongly connected components of more than one module among those under ``scope``."""
    nodes = [m for m in GRAPH if m == scope or m.startswith(scope + ".")]
    edges = {m: [d for d in GRAPH[m] if d in nodes] for m in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in nodes:
        if v not in index:
            visit(v)
    return found


def _stage(module: str) -> int:
    """A module's place in the pipeline: its stage's index, or len(STAGES) at the top."""
    parts = module.split(".")
    if len(parts) > 2 and parts[2] in STAGES:
        return STAGES.index(parts[2])
    return len(STAGES)


def test_the_walker_sees_imports():
    assert "pullback.source.common.diagnostics" in GRAPH["pullback.source.frontend.fence"]
    assert "pullback.source.pipeline" in GRAPH["pullback.source.cache"]


@pytest.mark.parametrize("scope", [PACKAGE, "pullback.tape"])
def test_no_import_cycle(scope):
    assert _cycles(scope) == []


def test_each_stage_imports_only_the_stages_before_it():
    wrong = [
        f"{m} imports {d}"
        for m, deps in GRAPH.items()
        if m.startswith(PACKAGE + ".") and _stage(m) < len(STAGES)
        for d in deps
        if d.startswith(PACKAGE) and _stage(d) >= _stage(m) and d.split(".")[:3] != m.split(".")[:3]
    ]
    assert wrong == []


def test_every_stage_says_what_goes_in_and_what_comes_out():
    for stage in STAGES:
        doc = ast.get_docstring(ast.parse(MODULES[f"{PACKAGE}.{stage}"].read_text())) or ""
        assert "In:" in doc and "Out:" in doc, stage
    for module, path in MODULES.items():
        assert ast.get_docstring(ast.parse(path.read_text())), module


def test_no_module_is_over_700_lines():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
