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

__all__ = ["flatten", "unflatten", "tree_map", "TreeDef", "is_leaf"]


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
    children = [_unflatten(c, it) for c in td.children]
    if kind == "tuple":
        return tuple(children)
    if kind == "list":
        return children
    if kind == "namedtuple":
        return td.node_type(*children)
    if kind == "dict":
        out = td.node_type() if td.node_type is not dict else {}
        for k, v in zip(td.keys, children, strict=False):
            out[k] = v
        return out
    if kind == "dataclass":
        return td.node_type(**dict(zip(td.keys, children, strict=False)))
    raise AssertionError(kind)


def tree_map(fn: Callable, tree: Any, *rest: Any) -> Any:
    """Apply ``fn`` leaf by leaf to trees of the same structure."""
    leaves, td = flatten(tree)
    others = [flatten(r)[0] for r in rest]
    return unflatten(td, [fn(x, *ys) for x, *ys in zip(leaves, *others, strict=False)])
