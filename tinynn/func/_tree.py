"""Nested containers of tensors ("pytrees"): flatten them to a list of leaves and rebuild them.

The function transforms take and return tensors inside tuples, lists and dicts (a model's
parameters as ``{name: tensor}``, a function returning ``(loss, logits)``). They work on the flat
list of leaves and put the results back in the same shape:

    tree_flatten({"w": w, "b": (b1, b2)})  ->  [w, b1, b2], spec
    tree_unflatten([gw, gb1, gb2], spec)   ->  {"w": gw, "b": (gb1, gb2)}

Tuples (named tuples too), lists and dicts are containers; anything else is a leaf.
"""
from __future__ import annotations


class TreeSpec:
    """The shape of a nested container: its type, its keys (dicts) and its children's specs."""

    def __init__(self, kind, keys=None, children=()):
        self.kind, self.keys, self.children = kind, keys, list(children)

    @property
    def num_leaves(self) -> int:
        return 1 if self.kind is None else sum(child.num_leaves for child in self.children)

    def __eq__(self, other) -> bool:
        return (isinstance(other, TreeSpec) and self.kind == other.kind and self.keys == other.keys
                and self.children == other.children)

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        inner = ", ".join(repr(child) for child in self.children)
        if self.keys is not None:
            inner = ", ".join(f"{key!r}: {child!r}" for key, child in zip(self.keys, self.children))
        return f"{self.kind.__name__}({inner})"


LEAF = TreeSpec(None)


def tree_flatten(tree) -> tuple[list, TreeSpec]:
    """(the leaves in order, the spec to rebuild the container)."""
    if isinstance(tree, dict):
        keys = list(tree)
        flat = [tree_flatten(tree[key]) for key in keys]
        return [leaf for leaves, _ in flat for leaf in leaves], TreeSpec(type(tree), keys, [s for _, s in flat])
    if isinstance(tree, (tuple, list)):
        flat = [tree_flatten(item) for item in tree]
        return [leaf for leaves, _ in flat for leaf in leaves], TreeSpec(type(tree), None, [s for _, s in flat])
    return [tree], LEAF


def tree_unflatten(leaves, spec: TreeSpec):
    """The container described by ``spec`` holding ``leaves`` (in order)."""
    leaves = list(leaves)
    if len(leaves) != spec.num_leaves:
        raise ValueError(f"tree_unflatten: {len(leaves)} leaves for a structure of {spec.num_leaves}")
    return _build(iter(leaves), spec)


def _build(leaves, spec: TreeSpec):
    if spec.kind is None:
        return next(leaves)
    children = [_build(leaves, child) for child in spec.children]
    if spec.keys is not None:
        return spec.kind(zip(spec.keys, children))
    if spec.kind not in (tuple, list) and hasattr(spec.kind, "_fields"):  # a named tuple
        return spec.kind(*children)
    return spec.kind(children)


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(leaf) for leaf in leaves], spec)
