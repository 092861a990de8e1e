"""Structured values (tuples, lists, dicts, namedtuples, dataclasses) as trees of leaves.

In: any nesting of those containers with scalars and arrays at the leaves.
Out: ``flatten(tree) -> (leaves, treedef)`` and ``unflatten(treedef, leaves) -> tree``, so a
gradient comes back with the same structure as its argument.

>>> leaves, tdef = flatten({"w": 1.0, "b": (2.0, 3.0)})
>>> unflatten(tdef, [x * 10 for x in leaves])
{'w': 10.0, 'b': (20.0, 30.0)}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

__all__ = [
    "flatten",
    "unflatten",
    "tree_map",
    "TreeDef",
    "is_leaf",
    "build_like",
    "conform",
    "leaf_paths",
]


@dataclasses.dataclass(frozen=True)
class TreeDef:
    kind: str  # "leaf", "none", "tuple", "list", "dict", "namedtuple", "dataclass"
    node_type: Any = None
    keys: tuple = ()
    children: tuple = ()

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)


def is_leaf(x: Any) -> bool:
    return not (
        isinstance(x, (tuple, list, dict))
        or x is None
        or (dataclasses.is_dataclass(x) and not isinstance(x, type))
    )


def flatten(tree: Any) -> tuple[list, TreeDef]:
    leaves: list = []
    treedef = _flatten(tree, leaves)
    return leaves, treedef


def _flatten(x: Any, leaves: list) -> TreeDef:
    if x is None:
        return TreeDef("none")
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return TreeDef(
            "namedtuple", type(x), tuple(x._fields), tuple(_flatten(v, leaves) for v in x)
        )
    if isinstance(x, tuple):
        return TreeDef("tuple", tuple, (), tuple(_flatten(v, leaves) for v in x))
    if isinstance(x, list):
        return TreeDef("list", list, (), tuple(_flatten(v, leaves) for v in x))
    if isinstance(x, dict):
        keys = tuple(x.keys())
        return TreeDef("dict", type(x), keys, tuple(_flatten(x[k], leaves) for k in keys))
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        names = tuple(f.name for f in dataclasses.fields(x))
        return TreeDef(
            "dataclass", type(x), names, tuple(_flatten(getattr(x, n), leaves) for n in names)
        )
    leaves.append(x)
    return TreeDef("leaf")


def unflatten(treedef: TreeDef, leaves: list) -> Any:
    it = iter(leaves)
    out = _unflatten(treedef, it)
    return out


def _unflatten(td: TreeDef, it) -> Any:
    kind = td.kind
    if kind == "leaf":
        return next(it)
    if kind == "none":
        return None
    return _build(kind, td.node_type, td.keys, [_unflatten(c, it) for c in td.children])


def _build(kind: str, node_type: Any, keys: tuple, children: list) -> Any:
    """A container of ``kind`` holding ``children``, made through its type's constructor."""
    if kind == "tuple":
        return tuple(children)
    if kind == "list":
        return children
    if kind == "namedtuple":
        return node_type(*children)
    if kind == "dict":
        out = node_type() if node_type is not dict else {}
        for k, v in zip(keys, children, strict=True):
            out[k] = v
        return out
    if kind == "dataclass":
        values = dict(zip(keys, children, strict=True))
        fields = dataclasses.fields(node_type)
        out = node_type(**{f.name: values[f.name] for f in fields if f.init})
        for f in fields:
            if not f.init:  # a field __init__ does not take: set as it was
                object.__setattr__(out, f.name, values[f.name])
        return out
    raise AssertionError(kind)


def build_like(x: Any, children: list) -> Any:
    """A container of ``x``'s type (tuple, list, dict, namedtuple, dataclass) holding
    ``children`` in ``x``'s entry order, made through the type's constructor.

    >>> build_like({"w": 1.0, "b": 2.0}, [10.0, 20.0])
    {'w': 10.0, 'b': 20.0}
    """
    td = _flatten(x, [])
    return _build(td.kind, td.node_type, td.keys, list(children))


def tree_map(fn: Callable, tree: Any, *rest: Any) -> Any:
    """Apply ``fn`` leaf by leaf to trees of the same structure."""
    leaves, td = flatten(tree)
    others = [flatten(r)[0] for r in rest]
    return unflatten(td, [fn(x, *ys) for x, *ys in zip(leaves, *others, strict=False)])


def conform(tree: Any, like: Any) -> Any:
    """``tree`` with each dict's entries in the order of the matching dict of ``like``: dict
    entries are matched by key, not by position (as JAX does), so a tangent or cotangent may
    list its keys in any order. Anything else is left as it is.

    >>> conform({"b": 1.0, "w": 2.0}, {"w": 0.0, "b": 0.0})
    {'w': 2.0, 'b': 1.0}
    """
    if isinstance(tree, dict) and isinstance(like, dict):
        if set(tree) != set(like):
            return tree
        ordered = {k: conform(tree[k], like[k]) for k in like}
        if type(tree) is dict:
            return ordered
        out = type(tree)()
        out.update(ordered)
        return out
    if is_leaf(tree) or is_leaf(like) or tree is None or like is None:
        return tree
    if isinstance(tree, (list, tuple)) and isinstance(like, (list, tuple)):
        if len(tree) != len(like):
            return tree
        parts = [conform(t, u) for t, u in zip(tree, like, strict=True)]
        return type(tree)._make(parts) if hasattr(tree, "_fields") else type(tree)(parts)
    if dataclasses.is_dataclass(tree) and type(tree) is type(like):
        names = [f.name for f in dataclasses.fields(tree)]
        return build_like(tree, [conform(getattr(tree, n), getattr(like, n)) for n in names])
    return tree


def leaf_paths(treedef: TreeDef) -> list[str]:
    """Where each leaf sits, as Python would index it, in ``flatten`` order ("" for a leaf).

    >>> leaf_paths(flatten({"w": 1.0, "b": (2.0, 3.0)})[1])
    ["['w']", "['b'][0]", "['b'][1]"]
    """
    paths: list[str] = []

    def walk(td: TreeDef, path: str) -> None:
        if td.kind == "leaf":
            paths.append(path)
            return
        for i, child in enumerate(td.children):
            if td.kind in ("namedtuple", "dataclass"):
                walk(child, f"{path}.{td.keys[i]}")
            elif td.kind == "dict":
                walk(child, f"{path}[{td.keys[i]!r}]")
            else:
                walk(child, f"{path}[{i}]")

    walk(treedef, "")
    return paths
