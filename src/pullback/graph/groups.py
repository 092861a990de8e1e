"""Groups of a graph's nodes, for the viewer: the user function, the loop and its steps, and the
source line each node was recorded at.

In: a forward ``Graph`` (and, for a gradient graph, the forward graph it differentiates).
Out: ``grouping(graph, forward=None) -> Grouping``: nested ``Group``s (function > loop > step >
line) and each node's innermost group. The structure comes from the user's source file (its
``def``s and loops, read with ``ast``) and the recording order: a loop's step starts where the
recording goes back up to an earlier statement of the body, or, for a body of one statement,
where its primitives repeat. A gradient graph's own nodes go to the adjoint twin of the group
of the forward node whose VJP recorded them (``Node.forward``); nodes it shares with the forward
graph keep their forward groups. Nodes without a readable source line stay ungrouped.
"""

from __future__ import annotations

import ast
import itertools
import linecache
from dataclasses import dataclass, field

from .ir import Graph, Node

__all__ = ["Group", "Grouping", "grouping"]

_LABEL_CHARS = 48


@dataclass(eq=False)
class Group:
    key: tuple  # the path of scope keys from the root to this group
    kind: str  # "function", "loop", "step", "line"
    label: str
    parent: Group | None = None
    children: list[Group] = field(default_factory=list)
    members: list[int] = field(default_factory=list)  # node ids directly inside
    adjoint: bool = False  # the gradient sweep's twin of a forward group
    id: str = ""  # unique within its graph: "g0", "g1" ...
    steps: int = 0  # for a loop: how many steps it ran

    def all_members(self) -> list[int]:
        out = list(self.members)
        for child in self.children:
            out += child.all_members()
        return out

    def depth(self) -> int:
        return 0 if self.parent is None else 1 + self.parent.depth()


@dataclass
class Grouping:
    roots: list[Group]
    of_node: dict[int, Group]  # node id -> innermost group

    def all(self) -> list[Group]:
        out: list[Group] = []

        def walk(g: Group) -> None:
            out.append(g)
            for c in g.children:
                walk(c)

        for r in self.roots:
            walk(r)
        return out


# -- the user's source: defs and loops ---------------------------------------------------------

_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_scopes_cache: dict[tuple, list] = {}


def _scopes(filename: str) -> list[tuple[str, int, int, str]]:
    """``(kind, first line, last line, label)`` of every def and loop in ``filename``."""
    lines = linecache.getlines(filename)
    cache_key = (filename, len(lines), hash("".join(lines[:50])))
    if cache_key in _scopes_cache:
        return _scopes_cache[cache_key]
    found: list[tuple[str, int, int, str]] = []
    try:
        tree = ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        tree = None
    for node in ast.walk(tree) if tree is not None else ():
        end = getattr(node, "end_lineno", None) or getattr(node, "lineno", 0)
        if isinstance(node, ast.stmt):
            found.append(("statement", node.lineno, end, ""))
        if isinstance(node, _DEFS):
            name = "lambda" if isinstance(node, ast.Lambda) else f"def {node.name}"
            found.append(("function", node.lineno, end, name))
        elif isinstance(node, _LOOPS):
            header = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else "loop"
            if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
                header = header.rstrip(":")
            found.append(("loop", node.lineno, end, _cut(header)))
    _scopes_cache[cache_key] = found
    return found


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _scope_path(node: Node) -> tuple:
    """(function key, loop keys outermost first) of ``node``'s line; () when unknown."""
    if not node.filename or not node.lineno:
        return ()
    line = node.lineno
    around = [s for s in _scopes(node.filename) if s[1] <= line <= s[2]]
    defs = [s for s in around if s[0] == "function"]
    inner = max(defs, key=lambda s: s[1], default=None)
    start = inner[1] if inner else 0
    loops = sorted((s for s in around if s[0] == "loop" and s[1] >= start), key=lambda s: s[1])
    path = []
    if inner is not None:
        path.append(("function", node.filename, inner[1], inner[3]))
    path += [("loop", node.filename, s[1], s[3]) for s in loops]
    return tuple(path)


def _statement(filename: str, line: int) -> int:
    """The first line of the innermost statement holding ``line`` (``line`` when unknown)."""
    spans = [s for s in _scopes(filename) if s[0] == "statement" and s[1] <= line <= s[2]]
    if not spans:
        return line
    return min(spans, key=lambda s: (s[2] - s[1], -s[1]))[1]


def _steps_of(members: list[Node]) -> list[int]:
    """The step of each of a loop's nodes (in recording order).

    A body of several statements runs them in order, so a step starts where the statement
    goes back up (to the loop's header, or to the body's first line); a body of one statement
    repeats its primitives with a period, one period per step.
    """
    starts = [_statement(n.filename, n.lineno) for n in members]
    if any(b < a for a, b in itertools.pairwise(starts)):
        steps, step = [], 0
        for k, start in enumerate(starts):
            if k and start < starts[k - 1]:
                step += 1
            steps.append(step)
        return steps
    return _steps([(n.lineno, n.op) for n in members])


def _steps(keys: list[tuple]) -> list[int]:
    """The step of each of a loop's nodes, given their (line, op) in recording order."""
    n = len(keys)
    for period in range(1, n // 2 + 1):
        if all(keys[i] == keys[i - period] for i in range(period, n)):
            return [i // period for i in range(n)]
    steps, step = [], 0  # no exact period (a branch inside): a step starts at its first key
    for i, key in enumerate(keys):
        if i and key == keys[0]:
            step += 1
        steps.append(step)
    return steps


def _forward_paths(nodes: list[Node]) -> dict[int, tuple]:
    """Each node's full key path: its scopes, its loop step, its line."""
    scopes = {n.id: _scope_path(n) for n in nodes}
    by_loop: dict[tuple, list[Node]] = {}
    for n in nodes:
        path = scopes[n.id]
        if path and path[-1][0] == "loop":
            by_loop.setdefault(path, []).append(n)
    step_of: dict[int, int] = {}
    for members in by_loop.values():
        for n, step in zip(members, _steps_of(members), strict=True):
            step_of[n.id] = step
    paths = {}
    for n in nodes:
        path = scopes[n.id]
        if not path:
            continue
        if n.id in step_of:
            path += (("step", step_of[n.id]),)
        paths[n.id] = path + (("line", n.filename, n.lineno),)
    return paths


def grouping(graph: Graph, forward: Graph | None = None) -> Grouping:
    """The groups of ``graph``'s nodes; ``forward``: the graph that ``graph`` differentiates."""
    source = forward if forward is not None else graph
    paths = _forward_paths([n for n in source.nodes if n.op != "input"])
    own: dict[int, tuple] = {}
    for n in graph.nodes:
        if n.op == "input":
            continue
        if n.id in paths:
            own[n.id] = paths[n.id]
        elif forward is not None and n.forward in paths:
            own[n.id] = (("adjoint",),) + paths[n.forward]
    return _build(own, [n for n in graph.nodes if n.id in own])


def _label(key: tuple) -> str:
    kind = key[0]
    if kind == "function":
        return key[3]
    if kind == "loop":
        return f"L{key[2]}  {key[3]}"
    if kind == "step":
        return f"step {key[1] + 1}"
    text = linecache.getline(key[1], key[2]).strip()
    return f"L{key[2]}  {_cut(text)}" if text else f"line {key[2]}"


def _build(paths: dict[int, tuple], nodes: list[Node]) -> Grouping:
    groups: dict[tuple, Group] = {}
    roots: list[Group] = []

    def group(path: tuple) -> Group:
        found = groups.get(path)
        if found is not None:
            return found
        adjoint = path[0] == ("adjoint",)
        key = path[-1]
        parent = group(path[:-1]) if len(path) > 1 + adjoint else None
        found = Group(path, key[0], _label(key), parent, adjoint=adjoint)
        if adjoint:
            found.label = "adjoint of " + found.label
        (parent.children if parent else roots).append(found)
        groups[path] = found
        return found

    of_node: dict[int, Group] = {}
    for n in nodes:
        g = group(paths[n.id])
        g.members.append(n.id)
        of_node[n.id] = g
    for g in list(groups.values()):  # a loop's step count, for its label
        if g.kind == "loop":
            g.steps = sum(1 for c in g.children if c.kind == "step")
            if g.steps:
                g.label += f"  ({g.steps} steps)"
    for root in list(roots):
        _prune(root, of_node, roots)
    result = Grouping(roots, of_node)
    for k, g in enumerate(result.all()):
        g.id = f"g{k}"
    return result


def _prune(g: Group, of_node: dict[int, Group], roots: list[Group]) -> None:
    """Fold away a line group of one node, or one holding all of its parent's nodes."""
    for child in list(g.children):
        _prune(child, of_node, roots)
    if g.kind != "line":
        return
    parent = g.parent
    lone = len(g.members) < 2
    whole = parent is not None and len(parent.children) == 1 and not parent.members
    if not (lone or whole):
        return
    if parent is None:
        roots.remove(g)
        for m in g.members:
            del of_node[m]
        return
    parent.children.remove(g)
    parent.members += g.members
    for m in g.members:
        of_node[m] = parent
    if whole and parent.kind == "step":
        parent.label += "  " + g.label.removeprefix("adjoint of ")
