"""``default_collate``: turn a list of samples into one batch (PyTorch's rules).

    tensors            -> stacked along a new first dimension: B x (...) -> (B, ...)
    NumPy arrays       -> stacked, as a tensor of the same dtype
    NumPy scalars      -> a 1-d tensor of their dtype
    Python floats      -> float64 tensor (B,);  ints -> int64;  bools -> bool
    strings, bytes     -> left as a list
    dicts              -> a dict of batches, key by key (the same dict type)
    tuples, lists      -> transposed, each position collated: [(x0, y0), (x1, y1)] -> [X, Y]
                          (a list, as in PyTorch; a namedtuple keeps its type)
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ...ops import stack
from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def default_collate(batch: list):
    """Collate a list of samples into a batch (see the module docstring for the rules)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "USO":
            raise TypeError(_ERROR.format(f"numpy arrays of dtype {elem.dtype}"))
        shapes = {np.shape(b) for b in batch}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: stack expects each array to be equal size, but got shapes {sorted(shapes)}")
        return Tensor._make(np.stack(batch))
    if isinstance(elem, np.generic):
        if elem.dtype.kind in "USO":
            raise TypeError(_ERROR.format(f"numpy scalars of dtype {elem.dtype}"))
        return Tensor._make(np.array(batch))
    if isinstance(elem, float):
        return Tensor._make(np.array(batch, dtype=np.float64))
    if isinstance(elem, bool):
        return Tensor._make(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor._make(np.array(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        collated = [(key, default_collate([sample[key] for sample in batch])) for key in elem]
        try:
            return type(elem)(collated)
        except TypeError:
            return dict(collated)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise TypeError(_ERROR.format(type(elem)))


def default_convert(data):
    """What a DataLoader without batching (batch_size=None) does to each sample: arrays -> tensors."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "USO":
        return Tensor._make(data)
    if isinstance(data, np.generic) and data.dtype.kind not in "USO":
        return Tensor._make(np.asarray(data))
    if isinstance(data, Mapping):
        converted = [(key, default_convert(value)) for key, value in data.items()]
        try:
            return type(data)(converted)
        except TypeError:
            return dict(converted)
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
