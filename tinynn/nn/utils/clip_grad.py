"""Gradient clipping: keep one oversized gradient step from wrecking training.

``clip_grad_norm_`` rescales all gradients together so that their combined norm is at most
``max_norm`` (the direction of the step is kept); ``clip_grad_value_`` clamps each element.
Both change ``.grad`` in place, outside the graph, between ``backward()`` and ``optimizer.step()``.
"""
from __future__ import annotations

import math

import numpy as np

from ...autograd.grad_mode import no_grad
from ...backend import array_module_of
from ...creation import zeros
from ...tensor import Tensor

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _as_list(tensors) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters) -> list:
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def _vector_norm(array, norm_type: float):
    """The p-norm of all elements of ``array`` (a 0-d array in its dtype)."""
    xp = array_module_of(array)
    a = xp.abs(array)
    if norm_type == math.inf:
        return a.max() if a.size else xp.zeros((), dtype=a.dtype)
    if norm_type == -math.inf:   # the smallest |g| (the limit of the p-norm as p -> -inf)
        return a.min() if a.size else xp.full((), math.inf, dtype=a.dtype)
    if norm_type == 2:
        return xp.sqrt(xp.vdot(array.ravel(), array.ravel()))
    if norm_type == 0:
        return (a != 0).sum().astype(a.dtype)
    return (a**norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """||(||t_1||_p, ..., ||t_n||_p)||_p: the p-norm of all elements of all tensors taken together."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return zeros(())
    xp = array_module_of(tensors[0]._data)
    norms = xp.stack([_vector_norm(t._data, norm_type) for t in tensors])
    total = xp.asarray(_vector_norm(norms, norm_type))
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot "
            "be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return Tensor._make(total)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Multiply every gradient by min(1, max_norm / (total_norm + 1e-6))."""
    grads = _grads(parameters)
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else total_norm
    xp = array_module_of(grads[0]._data)
    # the 1e-6 keeps the division finite when every gradient is zero
    coef = xp.minimum(float(max_norm) / (total + 1e-6), 1.0)
    # a non-finite total gives coef 0 and inf * 0 = nan in those gradients, as in PyTorch (no NumPy warning)
    with no_grad(), np.errstate(invalid="ignore"):
        for g in grads:
            g._data *= coef.astype(g.dtype)
            g._bump_version()


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Rescale all gradients so that their total ``norm_type``-norm is at most ``max_norm``.

    total = ||all gradients||_p;  g <- g * min(1, max_norm / (total + 1e-6)).  Returns total (the
    norm before clipping), a 0-d tensor. ``norm_type`` may be ``inf`` (the largest |g|).
    """
    parameters = _as_list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """Deprecated name of ``clip_grad_norm_`` (kept because PyTorch keeps it)."""
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = array_module_of(g._data)
        xp.clip(g._data, -clip_value, clip_value, out=g._data)
        g._bump_version()
