"""Fused losses: softmax cross-entropy in one op, binary cross-entropy, the log-sigmoid that
BCE-with-logits uses (activation.py's op, under its own name for autocast), and the squared error of mse_loss.

Cross-entropy. x: (N, C, d1, ...) logits, class axis 1 (unbatched (C,) input is made (1, C) by
the caller). At each position the loss is a weighted sum of log-probabilities:

    logp = x - logsumexp(x)          (computed as s - log(sum(exp(s))), s = x - max(x): no overflow)
    loss = -sum_c q_c * logp_c

where q is the "target weight" of each class:

    class index t:    q_c = w_c * ((1 - eps) * [c == t] + eps / C)      (0 where t == ignore_index)
    probabilities p:  q_c = w_c * ((1 - eps) * p_c + eps / C)

(w: the class weights, 1 when none; eps: label smoothing). For indices this is PyTorch's
(1 - eps) * nll + eps / C * (-sum_c w_c logp_c). Because d logp_c / d x_k = [c == k] - softmax_k,

    dloss/dx_k = -q_k + softmax_k * sum_c q_c = softmax_k * Q - q_k,    Q = sum_c q_c,

which for one unweighted index target is the familiar softmax - onehot. For probability targets
the loss is also differentiable in p: dloss/dp_c = -(1 - eps) * w_c * logp_c.

Reductions: 'none' keeps one loss per position; 'sum' adds them; 'mean' divides the sum by
sum of w_t over non-ignored positions (index targets; the count when unweighted) or by the number
of positions (probability targets). When every target is ignored the mean is 0/0 = nan and the
gradient is 0, as in PyTorch.

The backward is written once (``_cross_entropy_grads``). The engine runs it on raw arrays for a
first derivative, with the softmax kept from forward (so backward needs no exp); under
``create_graph=True`` on Tensors, with softmax recomputed from x by differentiable ops, so that it
can be differentiated again.
"""
from __future__ import annotations

import math

from ..autograd.function import Op, autocast_off
from ..backend import array_module_of
from ..dtypes import float32
from ..tensor import Tensor
from .minmax import clamp
from .reduce import log_softmax, softmax
from .activation import LogSigmoid
from . import tensor_math

__all__ = ["binary_cross_entropy_pointwise", "cross_entropy_fused", "log_sigmoid", "squared_error"]


class CrossEntropy(Op):
    """loss = -sum_c q_c log softmax(x)_c per position; see the module docstring for q and the backward."""

    array_backward = True   # raw arrays for a first derivative, Tensors when backward is recorded

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, label_smoothing, reduction, probabilities):
        xp = array_module_of(x)
        c, eps = x.shape[1], label_smoothing
        shifted = x - x.max(axis=1, keepdims=True)  # <= 0: exp cannot overflow
        probs = xp.exp(shifted)
        total_exp = probs.sum(axis=1, keepdims=True)
        log_total = xp.log(total_exp)  # logp = shifted - log_total
        probs *= 1.0 / total_exp  # the softmax, kept for backward, which then needs no exp
        w = None if weight is None else weight.astype(x.dtype, copy=False).reshape((c,) + (1,) * (x.ndim - 2))
        if probabilities:
            logp = shifted
            logp -= log_total
            q = _target_weights(target, w, eps, c)
            loss = -(q * logp).sum(axis=1)
            denominator = loss.size
            ctx.q, ctx.logp = q, logp
            ctx.key = ctx.valid = ctx.w_t = None   # class indices only
        else:  # only logp at the targets (and its weighted sum when smoothing) is needed
            valid = target != ignore_index
            key = _class_key(xp.where(valid, target, 0), xp)  # ignored positions read class 0...
            w_t = valid.astype(x.dtype) if w is None else weight.astype(x.dtype)[key[1]] * valid  # ...with weight 0
            log_total = log_total[:, 0]
            loss = shifted[key] - log_total
            loss *= -(1.0 - eps) * w_t
            if eps:  # -eps/C sum_c w_c logp_c = -eps/C (sum_c w_c shifted_c - log_total sum_c w_c)
                weighted_sum = (shifted * w).sum(axis=1) if w is not None else shifted.sum(axis=1)
                weighted_sum -= log_total * (float(w.sum()) if w is not None else c)
                weighted_sum *= valid
                weighted_sum *= -eps / c
                loss += weighted_sum
            denominator = float(w_t.sum())
            ctx.key, ctx.valid, ctx.w_t = key, valid, w_t
            ctx.q = ctx.logp = None   # no target gradient for class indices
        ctx.softmax, ctx.w, ctx.eps = probs, w, eps
        ctx.reduction, ctx.probabilities, ctx.denominator = reduction, probabilities, denominator
        ctx.save_for_backward(x, target)
        if reduction == "none":
            return loss
        total = loss.sum()
        if reduction == "mean":  # every target ignored: 0 / 0 = nan, as in PyTorch
            total = total / denominator if denominator else total * math.nan
        return xp.asarray(total, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, target = ctx.saved_tensors
        if isinstance(x, Tensor):  # a graph of this backward: softmax, logp and q as functions of x and p,
            # the constants kept by forward as Tensors too
            w, w_t, valid = (None if a is None else Tensor._make(a) for a in (ctx.w, ctx.w_t, ctx.valid))
            key = None if ctx.key is None else tuple(Tensor._make(k) for k in ctx.key)
            probs, logp = softmax(x, 1), log_softmax(x, 1)
            q = _target_weights(target, w, ctx.eps, x.shape[1]) if ctx.probabilities else None
        else:  # raw arrays: the ones forward kept (so backward needs no exp)
            w, w_t, valid, key = ctx.w, ctx.w_t, ctx.valid, ctx.key
            probs, logp, q = ctx.softmax, ctx.logp, ctx.q
        return _cross_entropy_grads(ctx, grad, probs, logp, q, w, w_t, valid, key)


def _target_weights(target, w, eps: float, c: int):
    """q = w ((1 - eps) p + eps / C) for probability targets p: arrays, or Tensors with w a Tensor
    (w may be None)."""
    q = target * (1.0 - eps) + eps / c if eps else target
    return q * w if w is not None else q


def _class_key(classes, xp) -> tuple:
    """Index tuple picking, at each position (n, i, j, ...), class ``classes[n, i, j, ...]`` on axis 1.

    ``a[key]`` has the positions' shape (N, d1, ...); each entry of ``a`` is named at most once,
    so ``a[key] -= v`` is safe.
    """
    ndim = classes.ndim
    key = [xp.arange(size).reshape([size if i == axis else 1 for i in range(ndim)])
           for axis, size in enumerate(classes.shape)]
    key.insert(1, classes)
    return tuple(key)


def _position_grad(ctx, g):
    """dL/d(loss at each position): the upstream gradient, divided by the total weight for 'mean'.

    Of the positions' shape (N, d1, ...) ('none') or 0-d. All ignored: 0 (PyTorch's gradient).
    """
    if ctx.reduction == "mean":
        return g * (1.0 / ctx.denominator) if ctx.denominator else g * 0.0
    return g


def _cross_entropy_grads(ctx, g, probs, logp, q, w, w_t, valid, key):
    """dL/dx = (softmax * Q - q) g_pos and dL/dp = -(1 - eps) w logp g_pos (the module docstring),
    the same lines for raw arrays and Tensors. ``q``: the target weights (probability targets);
    ``w``: the class weights (or None); for class indices ``w_t`` (each target's weight), ``valid``
    (not ignored) and ``key`` (each position's target class, ``_class_key``).

    For class indices q is never formed: it is (1 - eps) w_t at each position's target class,
    subtracted there, plus eps / C w everywhere (label smoothing). One full-size new array.
    """
    need_x, need_target = ctx.needs_input_grad[:2]
    g_pos = _position_grad(ctx, g)
    expand = (slice(None), None)  # positions (N, d1, ...) -> (N, 1, d1, ...) against the class axis
    g_classes = g_pos[expand] if g_pos.ndim else g_pos
    c, eps = probs.shape[1], ctx.eps
    grad_x = grad_target = None
    if need_x:
        if ctx.probabilities:
            q = q * g_classes
            grad_x = probs * q.sum(1)[expand]
            grad_x -= q
        else:
            w_t = g_pos * w_t
            total_w = c if ctx.w is None else float(ctx.w.sum())
            coef = (1.0 - eps) * w_t  # Q = (1 - eps) w_t + eps / C * sum(w) at each position
            if eps:
                smooth = (eps / c) * (g_pos * valid)
                coef = coef + smooth * total_w
            grad_x = probs * coef[expand]
            grad_x[key] -= (1.0 - eps) * w_t
            if eps:
                grad_x -= smooth[expand] * (w if w is not None else 1.0)
    if need_target:
        grad_target = logp * (-(1.0 - eps))
        if w is not None:
            grad_target *= w
        grad_target *= g_classes
    return grad_x, grad_target


def cross_entropy_fused(x: Tensor, target: Tensor, weight=None, ignore_index: int = -100,
                        label_smoothing: float = 0.0, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy as one op. x: (N, C, d1, ...); target: (N, d1, ...) int or x's shape float.

    Arguments are assumed checked (``nn.functional.cross_entropy`` checks them); ``weight`` is a
    (C,) tensor or array of class weights, treated as a constant.
    """
    probabilities = target.dtype.kind == "f"
    w = weight._data if isinstance(weight, Tensor) else weight
    if x.dtype == "float16":  # the log-sum-exp and the sums accumulate in float32, as PyTorch's do
        target = target.to(float32) if probabilities else target
        w = None if w is None else w.astype(float32)
        loss = CrossEntropy.apply(x.to(float32), target, w, ignore_index, float(label_smoothing), reduction, probabilities)
        return loss.to(x.dtype) if autocast_off() else loss   # autocast runs the loss in float32 and keeps it so
    return CrossEntropy.apply(x, target, w, ignore_index, float(label_smoothing), reduction, probabilities)


class LossLogSigmoid(LogSigmoid):
    """The log-sigmoid op of ``activation.py`` (same math: y = log sigmoid(x), dy/dx = sigmoid(-x)),
    as a class of its own for autocast: binary_cross_entropy_with_logits and soft_margin_loss,
    built on it, run in float32 (as PyTorch runs them), while F.logsigmoid keeps its input's dtype."""


def log_sigmoid(x: Tensor) -> Tensor:
    return LossLogSigmoid.apply(x)


class BinaryCrossEntropy(Op):
    """loss = -(y log x + (1 - y) log(1 - x)), each log clamped at -100 (PyTorch's convention).

    The clamp keeps the loss finite at x = 0 or 1. The gradient is PyTorch's, written so that it
    stays finite there too:

        dloss/dx = (x - y) / max(x (1 - x), 1e-12)        (= -y/x + (1 - y)/(1 - x) inside)
        dloss/dy = log(1 - x) - log(x)                     (the clamped logs)

    (PyTorch's dloss/dy uses unclamped logs, infinite at x = 0 or 1; the clamped ones are the
    exact derivative of the loss as computed.)
    """

    @staticmethod
    def forward(ctx, x, y):
        xp = array_module_of(x)
        ctx.save_for_backward(x, y)
        return -(y * _clamped_log(xp, x) + (1 - y) * _clamped_log(xp, 1 - x))

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        grad_x = grad * (x - y) / clamp(x * (1 - x), min=1e-12) if need_x else None
        grad_y = None
        if need_y:
            grad_y = grad * (_clamped_log(tensor_math, 1 - x) - _clamped_log(tensor_math, x))
        return grad_x, grad_y


def _clamped_log(xp, v):
    """max(log v, -100), and -100 at v = 0 without taking log(0): arrays with their array module,
    Tensors (differentiably) with ``tensor_math``."""
    positive = v > 0
    return xp.where(positive, xp.maximum(xp.log(xp.where(positive, v, 1.0)), -100.0), -100.0)


def binary_cross_entropy_pointwise(x: Tensor, y: Tensor) -> Tensor:
    """The unreduced, unweighted binary cross-entropy of probabilities ``x`` against targets ``y``."""
    return BinaryCrossEntropy.apply(x, y)


class SquaredError(Op):
    """The summed or mean squared error in one op (mse_loss with reduction 'sum' or 'mean').

        loss = s * sum_i (x_i - t_i)^2,       s = 1 ('sum') or 1 / n ('mean', n = number of elements)
        dloss/dx = 2 s (x - t) * g,           dloss/dt = -dloss/dx

    x and t have one shape and dtype (the caller broadcasts or promotes otherwise). One node instead
    of four (subtract, square, sum, divide): on a small model the loss was a third of a training step.
    The backward is plain arithmetic, so it runs on raw arrays for a first derivative and on Tensors
    (differentiable again) under ``create_graph=True``.
    """

    array_backward = True

    @staticmethod
    def forward(ctx, x, target, mean):
        xp = array_module_of(x)
        d = x - target
        total = (d * d).sum()
        ctx.scale = 2.0 / d.size if mean else 2.0
        ctx.save_for_backward(x, target)
        return xp.asarray(total / d.size if mean else total, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, target = ctx.saved_tensors
        need_x, need_target = ctx.needs_input_grad[:2]
        dx = (x - target) * (grad * ctx.scale)
        return (dx if need_x else None), (-dx if need_target else None), None


def squared_error(x: Tensor, target: Tensor, mean: bool) -> Tensor:
    """mean((x - target)^2) or sum((x - target)^2) of two tensors of one shape and dtype."""
    return SquaredError.apply(x, target, mean)
