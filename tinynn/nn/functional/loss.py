"""Loss functions, PyTorch's names and arguments; each returns one loss per element (``reduction=
'none'``), their sum (``'sum'``) or their mean (``'mean'``, the default).

Regression (input and target of one shape; the target is differentiable too), d = input - target:

    mse_loss        d^2                         l1_loss     |d|
    smooth_l1_loss  d^2 / (2 beta) if |d| < beta, else |d| - beta / 2
    huber_loss      d^2 / 2 if |d| < delta, else delta (|d| - delta / 2)   (= delta * smooth_l1)

Classification: ``cross_entropy`` (one fused op, ``tinynn/ops/loss.py``), ``nll_loss`` (of
log-probabilities), ``binary_cross_entropy`` (of probabilities), ``binary_cross_entropy_with_logits``
(of logits, stable for any logit), ``kl_div``. The likelihoods ``poisson_nll_loss`` and
``gaussian_nll_loss`` follow at the end; the margin and embedding losses are in ``loss_margin.py``.

The legacy ``size_average`` / ``reduce`` arguments are accepted and mapped to ``reduction`` as
PyTorch does.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ...backend import array_module_of
from ...dtypes import DTypeNotImplementedError
from ...ops.indexing import gather, where
from ...ops.loss import binary_cross_entropy_pointwise, cross_entropy_fused, log_sigmoid, squared_error
from ...tensor import Tensor

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "gaussian_nll_loss", "huber_loss",
    "kl_div", "l1_loss", "mse_loss", "nll_loss", "poisson_nll_loss", "smooth_l1_loss",
]


# ---------------------------------------------------------------------------- shared helpers
def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """``reduction`` from the deprecated pair: reduce=False -> 'none', size_average=False -> 'sum'."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else ("mean" if size_average else "sum")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction (expected 'none', 'mean' or 'sum')")


def _check_reduction(reduction: str) -> None:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction (expected 'none', 'mean' or 'sum')")


def _paired(input: Tensor, target: Tensor, name: str) -> Tensor:
    """The target ready to meet the input: an integer target in the input's dtype, a float one as it
    is (a float64 target makes a float32 input's loss float64, as in PyTorch); warns, as PyTorch
    does, when the shapes differ."""
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}: expected the target to be a Tensor, got {type(target).__name__}")
    if target.shape != input.shape:
        warnings.warn(f"{name}: using a target size {tuple(target.shape)} that is different to the input size "
                      f"{tuple(input.shape)}; they will be broadcast, which is likely not what you want", stacklevel=3)
    return target if target.dtype == input.dtype or target.dtype.kind == "f" else target.to(input.dtype)


def _weighted(loss: Tensor, weight: Tensor | None, reduction: str, name: str, weighted_mean: bool) -> Tensor:
    """Elementwise-weighted loss; the weighted mean is sum(w * l) / sum(w) where PyTorch does so."""
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != loss.shape:
        raise ValueError(f"{name}: weights and input must have the same size, "
                         f"got {tuple(weight.shape)} and {tuple(loss.shape)}")
    loss = loss * weight
    if reduction == "mean" and weighted_mean:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------- regression
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Squared error (input - target)^2; with ``weight`` (input's shape) the mean is weighted."""
    target = _paired(input, target, "mse_loss")
    reduction = legacy_reduction(size_average, reduce, reduction)
    if (weight is None and reduction in ("mean", "sum") and target.shape == input.shape
            and target.dtype == input.dtype and input.dtype.kind == "f" and input.numel()):
        return squared_error(input, target, reduction == "mean")   # one fused op (ops/loss.py)
    d = input - target
    return _weighted(d * d, weight, reduction, "mse_loss", True)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Absolute error |input - target|; with ``weight`` (input's shape) the mean is weighted."""
    d = input - _paired(input, target, "l1_loss")
    return _weighted(d.abs(), weight, legacy_reduction(size_average, reduce, reduction), "l1_loss", True)


def _smooth_l1(d: Tensor, beta: float) -> Tensor:
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    size = d.abs()
    if beta == 0:
        return size
    return where(size < beta, 0.5 / beta * d * d, size - 0.5 * beta)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Quadratic below ``beta``, linear above: d^2 / (2 beta) if |d| < beta else |d| - beta / 2."""
    d = input - _paired(input, target, "smooth_l1_loss")
    return _reduce(_smooth_l1(d, beta), legacy_reduction(size_average, reduce, reduction))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """d^2 / 2 if |d| < delta else delta (|d| - delta / 2): delta times smooth_l1 with beta = delta."""
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got {delta}")
    d = input - _paired(input, target, "huber_loss")
    size = d.abs()
    loss = where(size < delta, 0.5 * d * d, delta * (size - 0.5 * delta))
    return _weighted(loss, weight, reduction, "huber_loss", False)  # PyTorch: plain mean of w * l


# ---------------------------------------------------------------------------- classification
def _class_layout(input: Tensor, target: Tensor, name: str, allow_probabilities: bool):
    """(x, t, unbatched): input as (N, C, d1, ...) and target as (N, d1, ...) indices or x's shape.

    Unbatched input (C,) takes a 0-d index target (or a (C,) probability target) and gets N = 1.
    """
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}: expected the target to be a Tensor, got {type(target).__name__}")
    if input.ndim == 0:
        raise ValueError(f"{name}: expected input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor")
    unbatched = input.ndim == 1
    x = input.unsqueeze(0) if unbatched else input
    if target.dtype.kind == "f":
        if not allow_probabilities:
            raise RuntimeError(f"{name}: expected class indices of an integer dtype (int64), got {target.dtype}")
        if target.shape != input.shape:
            raise RuntimeError(
                f"{name}: a floating-point target holds class probabilities and must have the input's shape "
                f"{tuple(input.shape)}, got {tuple(target.shape)} (class-index targets must be int64)")
        t = target.unsqueeze(0) if unbatched else target
        return x, (t if t.dtype == x.dtype else t.to(x.dtype)), unbatched
    if target.dtype not in (np.int64, np.uint8):  # PyTorch: "expected target dtype to be Long or Byte"
        kinds = "class indices (int64)" + (" or class probabilities (float)" if allow_probabilities else "")
        raise RuntimeError(f"{name}: expected {kinds} as target, got {target.dtype} (use target.long())")
    expected = () if unbatched else tuple(input.shape[:1] + input.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(f"{name}: for input of shape {tuple(input.shape)} (class dim {0 if unbatched else 1}) the "
                         f"class-index target must have shape {expected}, got {tuple(target.shape)}")
    return x, (target.reshape(1) if unbatched else target), unbatched


def _check_weight(weight, classes: int, name: str) -> None:
    if weight is not None and tuple(weight.shape) != (classes,):
        raise RuntimeError(f"{name}: weight should have one entry per class, shape ({classes},), "
                           f"got {tuple(weight.shape)}")


def _check_class_range(t: Tensor, classes: int, ignore_index: int, name: str) -> None:
    data = t._data
    if _checked_before(t, classes):
        return
    if data.size == 0 or (data.min() >= 0 and data.max() < classes):  # the usual case, two reductions
        _remember_checked(t, classes)
        return
    bad = (data != ignore_index) & ((data < 0) | (data >= classes))
    if bad.any():
        raise IndexError(f"{name}: target class index {int(data[bad].ravel()[0])} is out of range for {classes} "
                         f"classes (expected 0 <= index < {classes}, or ignore_index={ignore_index})")


# On a GPU, reading min/max back to the host waits for all queued work (a synchronization in the
# middle of every step). Targets used again unchanged were already checked, so on the GPU the
# result is remembered: the key is the memory seen (pointer, shape, strides) and the version
# counter its tensor shares with its views (kept alive here, so no other tensor can have it); an
# in-place change bumps the version and the targets are checked again.
_checked_targets: dict = {}


def _target_key(t: Tensor, classes: int):
    counter = t._ensure_version_counter()
    data = t._data
    return (id(counter), data.data.ptr, data.shape, data.strides, classes), counter


def _checked_before(t: Tensor, classes: int) -> bool:
    if array_module_of(t._data) is np:
        return False  # on the CPU the check costs two fast reductions: nothing to save
    key, counter = _target_key(t, classes)
    entry = _checked_targets.get(key)
    return entry is not None and entry[0] is counter and entry[1] == counter[0]


def _remember_checked(t: Tensor, classes: int) -> None:
    if array_module_of(t._data) is np:
        return
    if len(_checked_targets) > 256:
        _checked_targets.clear()
    key, counter = _target_key(t, classes)
    _checked_targets[key] = (counter, counter[0])


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits, as one fused op (the math is in ``tinynn/ops/loss.py``).

    input: (N, C), (N, C, d1, ...) or (C,). target: class indices (N,), (N, d1, ...) or () of
    int64, or class probabilities of the input's shape. ``weight``: (C,) per-class weights;
    ``ignore_index``: an index target to skip; ``label_smoothing``: mix eps of the uniform
    distribution into the target.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if input.dtype.kind != "f":  # PyTorch's log_softmax refuses integers too
        raise DTypeNotImplementedError(f"cross_entropy: expected floating point logits, got {input.dtype} "
                                       "(use input.float())")
    x, t, unbatched = _class_layout(input, target, "cross_entropy", allow_probabilities=True)
    _check_weight(weight, x.shape[1], "cross_entropy")
    if t.dtype.kind == "f" and ignore_index != -100:
        raise RuntimeError("cross_entropy: ignore_index is not supported for class-probability "
                           "(floating point) targets")
    if t.dtype.kind != "f":
        _check_class_range(t, x.shape[1], ignore_index, "cross_entropy")
    loss = cross_entropy_fused(x, t, weight, ignore_index, label_smoothing, reduction)
    return loss.squeeze(0) if unbatched and reduction == "none" else loss


def _divide_by_total_weight(total: Tensor, weight_sum) -> Tensor:
    """total / weight_sum; nan (with gradient 0) when the weight sum is 0, i.e. all targets ignored."""
    xp = array_module_of(weight_sum)
    nonzero = weight_sum != 0
    nan_if_empty = xp.where(nonzero, 0, xp.nan).astype(weight_sum.dtype)
    return total / Tensor._make(xp.where(nonzero, weight_sum, 1)) + Tensor._make(nan_if_empty)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -w_t * input[t] of log-probabilities, class dim 1.

    input: (N, C), (N, C, d1, ...) or (C,); target: int64 class indices (N,), (N, d1, ...) or ().
    The mean divides by the sum of w_t over the targets that are not ``ignore_index``.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    x, t, unbatched = _class_layout(input, target, "nll_loss", allow_probabilities=False)
    _check_weight(weight, x.shape[1], "nll_loss")
    _check_class_range(t, x.shape[1], ignore_index, "nll_loss")
    xp = array_module_of(t._data)
    valid = t._data != ignore_index
    safe = xp.where(valid, t._data, 0)  # ignored positions read class 0, then get weight 0
    w_t = valid.astype(x.dtype) if weight is None else xp.where(valid, weight._data.astype(x.dtype)[safe], 0)
    loss = -gather(x, 1, Tensor._make(safe[:, None])).squeeze(1) * Tensor._make(w_t)
    if reduction == "none":
        return loss.squeeze(0) if unbatched else loss
    if reduction == "sum":
        return loss.sum()
    return _divide_by_total_weight(loss.sum(), w_t.sum())


def _same_shape_target(input: Tensor, target: Tensor, name: str) -> Tensor:
    if not isinstance(target, Tensor) or target.shape != input.shape:
        got = tuple(target.shape) if isinstance(target, Tensor) else type(target).__name__
        raise ValueError(f"{name}: the target must have the input's shape {tuple(input.shape)}, got {got}")
    return target if target.dtype == input.dtype else target.to(input.dtype)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)) of probabilities x in [0, 1], logs clamped at -100."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _same_shape_target(input, target, "binary_cross_entropy")
    data = input._data
    if not ((data >= 0) & (data <= 1)).all():
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 "
                           "(pass logits to binary_cross_entropy_with_logits instead)")
    loss = binary_cross_entropy_pointwise(input, target)
    return _reduce(loss * weight if weight is not None else loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of logits z, finite for any z (|z| = 1e4 included).

    loss = (1 - y) z - l log sigmoid(z),  l = 1 + (pos_weight - 1) y  (l = 1 without pos_weight),
    which without pos_weight is the familiar max(z, 0) - z y + log(1 + e^-|z|): log sigmoid is
    computed as -(max(-z, 0) + log1p(e^-|z|)), so nothing overflows.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    y = _same_shape_target(input, target, "binary_cross_entropy_with_logits")
    log_sig = log_sigmoid(input)
    if pos_weight is None:
        loss = (1 - y) * input - log_sig
    else:
        loss = (1 - y) * input - (1 + (pos_weight - 1) * y) * log_sig
    return _reduce(loss * weight if weight is not None else loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || input) pointwise, input holding log-probabilities: target (log target - input).

    ``log_target=True``: the target holds log-probabilities too (exp(t) (t - input)).
    ``reduction='batchmean'`` divides the sum by the batch size, the true KL divergence per sample.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:  # 0 log 0 = 0: log is taken of 1 where the target is 0
        loss = target * (where(target == 0, 1.0, target).log() - input)
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------- likelihoods
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood of counts y with rate r (dropping log y!, a constant):

    exp(x) - y x when ``log_input`` (x = log r), else x - y log(x + eps). ``full`` adds Stirling's
    approximation of log y!, y log y - y + log(2 pi y) / 2, where y > 1.
    """
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        safe = where(target > 1, target, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + where(target > 1, stirling, 0.0)
    return _reduce(loss, legacy_reduction(size_average, reduce, reduction))


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood: (log var + (x - y)^2 / var) / 2 (+ log(2 pi) / 2 if ``full``).

    ``var`` has the input's shape, or lacks (or has size 1 in) its last dim (one variance shared by
    the last dim), or is a float. It is clamped at ``eps`` for the numbers only: the gradient
    passes through the clamp unchanged, as in PyTorch.
    """
    from ...autograd import grad_mode

    if not isinstance(var, Tensor):
        var = input.detach() * 0 + float(var)
    if var.shape != input.shape:
        if tuple(var.shape) == tuple(input.shape[:-1]):
            var = var.unsqueeze(-1)
        elif not (tuple(var.shape[:-1]) == tuple(input.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError(f"gaussian_nll_loss: var of shape {tuple(var.shape)} does not fit input of shape "
                             f"{tuple(input.shape)}")
    if (var._data < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entries")
    var = var.clone()
    with grad_mode.no_grad():
        var.clamp_(min=eps)
    d = input - target
    loss = 0.5 * (var.log() + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
