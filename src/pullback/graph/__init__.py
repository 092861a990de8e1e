"""Graph mode: trace a function once into a ``Graph``, transform it, replay and render it."""

from .ir import Graph, Node

__all__ = ["Graph", "Node"]
