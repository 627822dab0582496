"""Flatten a model's parameters into one vector and back (used by second-order and evolutionary methods)."""
from __future__ import annotations

from ...ops.join import cat
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters) -> Tensor:
    """All parameters, each flattened, concatenated in order into one 1-d tensor (differentiable)."""
    parameters = list(parameters)
    if not parameters:
        raise ValueError("parameters_to_vector: expected at least one parameter, got none")
    _check_same_device(parameters)
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Make each parameter's data the next ``numel`` elements of ``vec``, reshaped.

    As in PyTorch the parameters then share memory with ``vec`` (they become views of it);
    ``vec`` must be a 1-d vector (PyTorch's documented contract; PyTorch happens to accept some
    other shapes by slicing their first dimension) holding at least as many elements as all the
    parameters together.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    parameters = list(parameters)
    _check_same_device(parameters + [vec])
    total = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.numel() < total:
        raise RuntimeError(
            f"vector_to_parameters: expected a 1-d vector of at least {total} elements (the parameters' total), "
            f"got shape {tuple(vec.shape)}"
        )
    start = 0
    for p in parameters:
        n = p.numel()
        p._data = vec._data[start:start + n].reshape(p.shape)
        p._bump_version()
        start += n


def _check_same_device(tensors) -> None:
    devices = {str(t.device) for t in tensors}
    if len(devices) > 1:
        raise TypeError(f"Found parameters on different devices: {sorted(devices)}; move them to one device first")
