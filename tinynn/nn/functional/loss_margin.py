"""Margin and embedding losses, PyTorch's names and arguments (each one reduced by ``reduction``).

x: a score or an input, y: a target label (+1 / -1, or class indices), d: a distance. With h(z) = max(0, z):

    margin_ranking_loss             h(-y (x1 - x2) + margin)                 x1 ranks above x2 iff y = 1
    hinge_embedding_loss            x if y = 1,  h(margin - x) if y = -1     x: a distance
    soft_margin_loss                log(1 + exp(-y x))                       a smooth hinge
    multilabel_soft_margin_loss     mean over classes of binary cross-entropy with logits
    cosine_embedding_loss           1 - cos(x1, x2) if y = 1,  h(cos(x1, x2) - margin) if y = -1
    triplet_margin_loss             h(margin + d(a, p) - d(a, n)),  d = pairwise_distance
    triplet_margin_with_distance_loss   the same with any distance function
    multi_margin_loss               sum over classes i != y of w_y h(margin - x_y + x_i)^p / C
    multilabel_margin_loss          sum over targets j and non-targets i of h(1 - x_j + x_i) / C

Each is a composition of differentiable tensor ops, so its gradient (and second derivative) comes
from theirs. Where PyTorch writes ``if z > 0`` the code does too (``where(z > 0, z, 0)``), so that
a margin met exactly gets PyTorch's zero gradient.
"""
from __future__ import annotations

from ...backend import array_module_of
from ...ops.indexing import gather, where
from ...ops.loss import log_sigmoid
from ...tensor import Tensor
from .distance import pairwise_distance
from .loss import _check_reduction, _reduce, legacy_reduction

__all__ = [
    "cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss", "multi_margin_loss",
    "multilabel_margin_loss", "multilabel_soft_margin_loss", "soft_margin_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]


def _hinge(z: Tensor) -> Tensor:
    """max(0, z) with gradient 1 only where z > 0 strictly (PyTorch's kernels test z > 0)."""
    return where(z > 0, z, 0.0)


def _constant(array, like: Tensor) -> Tensor:
    return Tensor._make(array_module_of(like._data).asarray(array).astype(like.dtype))


# ---------------------------------------------------------------------------- pairs and labels
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 when y = 1, below when y = -1."""
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss: all inputs should have the same number of dims, got shapes "
                           f"{tuple(input1.shape)}, {tuple(input2.shape)}, {tuple(target.shape)}")
    loss = (-target * (input1 - input2) + margin).clamp(min=0)
    return _reduce(loss, legacy_reduction(size_average, reduce, reduction))


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x: a distance, y: similar or not); both terms elsewhere."""
    loss = where(target != 1, (margin - input).clamp(min=0), 0.0) + where(target != -1, input, 0.0)
    return _reduce(loss, legacy_reduction(size_average, reduce, reduction))


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)) for labels y = +-1 (computed as -log sigmoid(y x), stable). Has the input's shape.

    Differs from PyTorch on purpose: the target is differentiable too (PyTorch refuses a target
    that requires grad); for labels that are data, nothing changes."""
    loss = -log_sigmoid(target * input)
    if loss.shape != input.shape:
        raise RuntimeError(f"soft_margin_loss: the target of shape {tuple(target.shape)} must broadcast to the "
                           f"input's shape {tuple(input.shape)}")
    return _reduce(loss, legacy_reduction(size_average, reduce, reduction))


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """Per sample: the mean over C classes of -(y log sigmoid(x) + (1 - y) log sigmoid(-x)). input: (N, C)."""
    loss = -(target * log_sigmoid(input) + (1 - target) * log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.sum(-1) / input.shape[-1], legacy_reduction(size_average, reduce, reduction))


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1. inputs: (N, D) or (D,).

    cos = x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)): the 1e-12 keeps zero vectors finite (PyTorch's).
    """
    if input1.shape != input2.shape or input1.ndim not in (1, 2) or target.ndim != input1.ndim - 1:
        raise RuntimeError(f"cosine_embedding_loss: expected inputs (N, D) or (D,) of one shape and target (N,) or (), "
                           f"got {tuple(input1.shape)}, {tuple(input2.shape)}, {tuple(target.shape)}")
    cos = (input1 * input2).sum(-1) / (((input1 * input1).sum(-1) + 1e-12) * ((input2 * input2).sum(-1) + 1e-12)).sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(loss, legacy_reduction(size_average, reduce, reduction))


# ---------------------------------------------------------------------------- triplets
def _check_triplet(anchor: Tensor, positive: Tensor, negative: Tensor) -> None:
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")


def _triplet(distance, anchor, positive, negative, margin: float, swap: bool, reduction: str) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)); with ``swap`` d(a, n) becomes min(d(a, n), d(p, n)), the harder negative."""
    _check_triplet(anchor, positive, negative)
    _check_reduction(reduction)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(distance(positive, negative))
    return _reduce((margin + distance(anchor, positive) - d_neg).clamp(min=0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d(u, v) = ||u - v + eps||_p over the last dim (``pairwise_distance``).

    ``swap=True`` uses min(d(a, n), d(p, n)) as the negative distance (the harder one). inputs: (N, D) or (D,).
    """
    def distance(u, v):
        return pairwise_distance(u, v, p, eps)

    reduction = legacy_reduction(size_average, reduce, reduction)
    return _triplet(distance, anchor, positive, negative, margin, swap, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) for any ``distance_function(x1, x2)`` (default: ``pairwise_distance``).

    E.g. ``distance_function=lambda x, y: 1 - F.cosine_similarity(x, y)``. margin must be positive.
    """
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be greater than 0, got {margin}")
    distance = pairwise_distance if distance_function is None else distance_function
    return _triplet(distance, anchor, positive, negative, margin, swap, reduction)


# ---------------------------------------------------------------------------- multi-class margins
def _class_scores(input: Tensor, name: str) -> Tensor:
    """input (C,) or (N, C) -> (N, C)."""
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise RuntimeError(f"{name}: expected a non-empty (C,) or (N, C) input, got input of shape "
                           f"{tuple(input.shape)}")
    return input.reshape(1, -1) if input.ndim == 1 else input


def _integer_target(target: Tensor, name: str) -> None:
    if not isinstance(target, Tensor) or target.dtype.kind not in "iu":
        got = target.dtype if isinstance(target, Tensor) else type(target).__name__
        raise RuntimeError(f"{name}: expected an int64 target of class indices, got {got}")


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """The multi-class hinge: sum over classes i != y of w_y max(0, margin - x_y + x_i)^p, divided by C.

    input: (N, C) or (C,) scores; target: (N,) or () class indices; ``weight``: (C,) class weights
    (w_y multiplies the p-th power, as PyTorch computes it); p: 1 or 2.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got p={p}")
    x = _class_scores(input, "multi_margin_loss")
    _integer_target(target, "multi_margin_loss")
    n, c = x.shape
    if target.numel() != n or target.ndim > 1:
        raise RuntimeError(f"multi_margin_loss: target should be 1-D with one class index per sample: expected target "
                           f"size ({n},), got {tuple(target.shape)} for input of shape {tuple(input.shape)}")
    t = target._data.reshape(n)
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError(f"multi_margin_loss: target out of range: class indices must be in [0, {c}), "
                           f"got {int(t.min())} to {int(t.max())}")
    if weight is not None and tuple(weight.shape) != (c,):
        raise RuntimeError(f"multi_margin_loss: inconsistent weight size, expected ({c},) but got "
                           f"{tuple(weight.shape)}")
    xp = array_module_of(t)
    x_target = gather(x, 1, Tensor._make(t[:, None]))                       # (N, 1): the target's score
    h = _hinge(margin - x_target + x)
    if p == 2:
        h = h * h
    h = h * _constant(xp.arange(c)[None, :] != t[:, None], x)             # every class but the target
    if weight is not None:
        h = h * weight[Tensor._make(t)].unsqueeze(1)
    loss = h.sum(1) / c
    if input.ndim == 1 and reduction == "none":
        loss = loss.reshape(target.shape)    # (C,) input: () for a () target, (1,) for a (1,) one
    return _reduce(loss, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Every target class should beat every other class by 1: sum over j, i of max(0, 1 - x_{y_j} + x_i) / C.

    input: (N, C) or (C,); target: int64 of the input's shape holding each sample's target classes
    y_1, y_2, ... first, ended by -1 (entries after the first -1 are ignored). i runs over the classes
    that are not targets.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    x = _class_scores(input, "multilabel_margin_loss")
    _integer_target(target, "multilabel_margin_loss")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"multilabel_margin_loss: inconsistent target size: {tuple(target.shape)} for input of "
                           f"size: {tuple(input.shape)}")
    n, c = x.shape
    xp = array_module_of(target._data)
    t = target._data.reshape(n, c)
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError(f"multilabel_margin_loss: target out of range: entries must be class indices in [0, {c}) "
                           f"or -1, got {int(t.min())} to {int(t.max())}")
    valid = xp.cumsum(t < 0, axis=1) == 0                  # the slots before the first -1
    safe = xp.where(valid, t, 0)
    is_target = xp.zeros((n, c), dtype=bool)
    rows = xp.broadcast_to(xp.arange(n)[:, None], (n, c))
    is_target[rows[valid], safe[valid]] = True
    x_target = gather(x, 1, Tensor._make(safe))            # (N, J): the score of target slot j
    h = _hinge(1 - x_target.unsqueeze(2) + x.unsqueeze(1))  # (N, J, C)
    h = h * _constant(valid[:, :, None] & ~is_target[:, None, :], x)
    loss = h.sum(2).sum(1) / c
    if input.ndim == 1 and reduction == "none":
        loss = loss.reshape(())
    return _reduce(loss, reduction)
