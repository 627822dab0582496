"""``vmap``: apply a function written for one example to a whole batch.

    vmap(f)(xs)  ==  stack([f(xs[0]), f(xs[1]), ...])

``in_dims`` says which dimension of each argument is the batch (None: the argument is shared by
every example, not sliced), ``out_dims`` where the batch dimension goes in each output. A typical
use is per-example gradients, ``vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)``.

How tinynn does it, honestly: a Python loop over the batch, calling ``f`` once per example on the
slices and stacking the results. PyTorch instead rewrites every operation to work on the whole
batch at once (one call, much faster); the results are the same. Because the loop is visible, a
student can read exactly what ``vmap`` means. Slicing and stacking are ordinary differentiable
operations, so gradients flow through a vmapped function and vmap nests.

``randomness``: "error" (the default, as in PyTorch) raises if ``f`` draws random numbers;
"different" lets each example draw its own; "same" replays the same generator state for every
example, so all of them draw the same numbers. ``chunk_size`` is accepted and ignored. An empty
batch (size 0) runs ``f`` once on zeros shaped like one example, only to learn the output shapes.
"""
from __future__ import annotations

from ..creation import zeros
from ..ops.join import stack
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor
from ._tree import tree_flatten, tree_unflatten

__all__ = ["vmap"]


def _name(func) -> str:
    return getattr(func, "__name__", type(func).__name__)


def _leaf_dims(in_dims, args: tuple, func) -> list:
    """One batch dim (or None) per flattened leaf of ``args``."""
    where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if isinstance(in_dims, int) or in_dims is None:
        if in_dims is None:
            raise ValueError(f"{where}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
                             f"structure of inputs, got: {type(in_dims)}.")
        dims = [in_dims] * len(args)
    elif isinstance(in_dims, (tuple, list)) and len(in_dims) == len(args):
        dims = list(in_dims)
    else:
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`: in_dims has "
                         f"{len(in_dims) if isinstance(in_dims, (tuple, list)) else 'no'} entries but there are "
                         f"{len(args)} inputs.")
    per_leaf = []
    for arg, dim in zip(args, dims):
        leaves, spec = tree_flatten(arg)
        if dim is None or isinstance(dim, int):
            per_leaf += [dim] * len(leaves)
            continue
        dim_leaves, dim_spec = tree_flatten(dim)
        if dim_spec != spec:
            raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`: {dim_spec} "
                             f"against {spec}.")
        per_leaf += dim_leaves
    return per_leaf


def _batch_size(leaves: list, dims: list, func, in_dims) -> int:
    where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    sizes = []
    for leaf, dim in zip(leaves, dims):
        if dim is None:
            continue
        if not isinstance(leaf, Tensor):
            raise ValueError(f"{where}: Got in_dim={dim} for an input but the input is of type {type(leaf)}. We "
                             "cannot vmap over non-Tensor arguments, please use None as the respective in_dim")
        if not -leaf.ndim <= dim < leaf.ndim:
            raise ValueError(f"{where}: Got in_dim={dim} for some input, but that input is a Tensor of "
                             f"dimensionality {leaf.ndim} so expected in_dim to satisfy "
                             f"-{leaf.ndim} <= in_dim < {leaf.ndim}.")
        sizes.append(leaf.shape[dim])
    if not sizes:
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): at least one input must be "
                         "a Tensor with a batch dimension (an in_dim that is not None)")
    if len(set(sizes)) != 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    return sizes[0]


def _example(leaves: list, dims: list, b: int | None) -> list:
    """Example b of every batched leaf (b=None: zeros shaped like one example)."""
    out = []
    for leaf, dim in zip(leaves, dims):
        if dim is None:
            out.append(leaf)
        elif b is None:
            shape = tuple(s for d, s in enumerate(leaf.shape) if d != dim % leaf.ndim)
            out.append(zeros(shape, dtype=leaf.dtype, device=leaf.device))
        else:
            out.append(leaf.select(dim, b))
    return out


def _stack_outputs(results: list, out_dims, func, batch: int):
    first_leaves, spec = tree_flatten(results[0])
    out_dim_leaves = [out_dims] * len(first_leaves) if isinstance(out_dims, int) or out_dims is None \
        else tree_flatten(out_dims)[0]
    if len(out_dim_leaves) != len(first_leaves):
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): out_dims is not compatible with the "
                         f"structure of the outputs ({len(first_leaves)} outputs)")
    columns = [tree_flatten(r)[0] for r in results]
    stacked = []
    for k, (leaf, out_dim) in enumerate(zip(first_leaves, out_dim_leaves)):
        if out_dim is None:
            stacked.append(leaf)
            continue
        if not isinstance(leaf, Tensor):
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type "
                             f"{type(leaf)}. Did you mean to set out_dims= to None for output?")
        if not -(leaf.ndim + 1) <= out_dim <= leaf.ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-(leaf.ndim + 1)}, {leaf.ndim}], "
                             f"but got {out_dim})")
        pieces = [column[k] for column in columns]
        if batch == 0:
            shape = list(leaf.shape)
            shape.insert(out_dim % (leaf.ndim + 1), 0)
            stacked.append(zeros(tuple(shape), dtype=leaf.dtype, device=leaf.device))
        else:
            stacked.append(stack(pieces, dim=out_dim))
    return tree_unflatten(stacked, spec)


def _same_state(before: Tensor, after: Tensor) -> bool:
    """Whether the generator's state (an encoded byte tensor, its length may change) is unchanged."""
    return tuple(before.shape) == tuple(after.shape) and bool((before == after).all())


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size: int | None = None):
    """Map ``func`` over a batch dimension of its inputs (a loop over examples; see the module docstring)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")

    def wrapper(*args, **kwargs):
        leaves, spec = tree_flatten(args)
        dims = _leaf_dims(in_dims, args, func)
        batch = _batch_size(leaves, dims, func, in_dims)
        results = []
        first_state = get_rng_state()
        for b in range(batch) if batch else [None]:
            if randomness == "same":
                set_rng_state(first_state)   # every example draws the same random numbers
            state = get_rng_state()
            example = tree_unflatten(_example(leaves, dims, b), spec)
            results.append(func(*example, **kwargs))
            if randomness == "error" and not _same_state(state, get_rng_state()):
                raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use "
                                   "the 'same' or 'different' randomness flags on vmap or perform the randomness "
                                   "operation out of vmap")
        return _stack_outputs(results, out_dims, func, batch)

    return wrapper

