"""Exercise 15: batch normalization: the forward pass, the closed-form backward, running statistics.

Batch norm (Ioffe & Szegedy, 2015) normalizes each channel over the batch, then lets the network
rescale it. For x: (N, C) or (N, C, *spatial) (e.g. (N, C, H, W) after a convolution), each
channel c uses the n = N * H * W values x[:, c, ...]:

    mu_c     = mean of x[:, c, ...]                          batch_statistics: both shaped (C,)
    var_c    = mean of (x[:, c, ...] - mu_c)^2               (the BIASED variance: divide by n)
    rstd_c   = 1 / sqrt(var_c + eps)                         (eps inside the square root)
    xhat     = (x - mu) * rstd                               zero mean, unit variance per channel
    y        = weight * xhat + bias                          weight, bias: (C,), learned

To broadcast a (C,) vector against x, reshape it to (1, C, 1, ..., 1) (``channel_shape(x)``); the
axes to reduce over are all but the channel axis, (0, 2, 3, ...) (``reduce_axes(x)``).

Backward. Every y depends on every x of its channel, through mu and var, so the gradient has three
parts. With g = dL/dy and gw = g * weight (that is dL/dxhat), and "mean" meaning the mean over a
channel's n values (keepdim, so it broadcasts back):

    dL/dx      = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))
    dL/dweight = sum of g * xhat over (0, 2, 3, ...)         (C,)
    dL/dbias   = sum of g over (0, 2, 3, ...)                (C,)

Where the three terms come from: gw is the path through xhat directly; - mean(gw) is the path
through mu (shifting every x of a channel by the same amount changes nothing after normalizing);
- xhat * mean(gw * xhat) is the path through var (scaling a channel changes nothing either). The
two subtracted terms make dL/dx orthogonal to those two directions: the channel sums of dL/dx and
of dL/dx * xhat are zero (exactly so for eps = 0). A worked example, one channel, n = 2, x = [0, 2], weight 1, eps 0:
mu = 1, var = 1, xhat = [-1, 1]; for g = [1, 0]: gw = [1, 0], mean(gw) = 0.5,
mean(gw * xhat) = -0.5, dL/dx = [1 - 0.5 - 0.5, 0 - 0.5 + 0.5] = [0, 0]: with only two values,
the normalized output cannot change at all.

Running statistics. At evaluation there may be one sample, so batch norm uses averages kept during
training. At each training call, for each channel (momentum m, default 0.1):

    running_mean <- (1 - m) * running_mean + m * mu
    running_var  <- (1 - m) * running_var  + m * var * n / (n - 1)      (the UNBIASED variance)

PyTorch's convention: the batch is normalized with the biased variance, but the running estimate
of the population variance uses the unbiased one. Update the tensors IN PLACE, without recording a
graph (``with tinynn.no_grad():`` and ``running_mean.mul_(1 - m).add_(m * mu)``): they belong to
the caller (a BatchNorm layer's buffers), and a new tensor would not reach it. Evaluation
(``training=False``) normalizes with the running statistics instead of the batch's and changes
nothing: y = (x - running_mean) / sqrt(running_var + eps) * weight + bias, made of Tensor
operations so that autograd differentiates it.

You write:
  1. ``batch_statistics(x)``: (mean, biased var), each (C,).
  2. ``BatchNormFunction.forward(ctx, x, weight, bias, eps)``: training mode, batch statistics;
     ``BatchNormFunction.backward(ctx, grad)``: (dL/dx, dL/dweight, dL/dbias, None for eps), with
     the closed form above, in Tensor operations.
  3. ``batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)``: PyTorch's
     ``F.batch_norm``. Training: update the running statistics that are given (either may be None)
     and return ``BatchNormFunction.apply(...)``; evaluation: the formula with the running ones.
     A weight or bias of None means 1 or 0.

The grader checks gradients against finite differences (float64), and everything against the
library's ``tinynn.nn.functional.batch_norm`` (tinynn/nn/functional/normalization.py).
"""
from __future__ import annotations

import tinynn
from tinynn.autograd import Function

LESSON = 9
FORBIDDEN = ["tinynn.nn.functional.batch_norm", "tinynn.nn.BatchNorm1d", "tinynn.nn.BatchNorm2d",
             "tinynn.nn.BatchNorm3d", "tinynn.ops.normalization.normalize"]
PARTS = {"batch_norm": ["batch_norm", "BatchNormFunction", "batch_statistics"]}


def reduce_axes(x: tinynn.Tensor) -> tuple:
    """Given: the axes of one channel's values, (0, 2, 3, ...) for x: (N, C, *)."""
    return (0,) + tuple(range(2, x.ndim))


def channel_shape(x: tinynn.Tensor) -> tuple:
    """Given: (1, C, 1, ..., 1), the shape that broadcasts a per-channel (C,) vector against x."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_statistics(x: tinynn.Tensor) -> tuple:
    """x: (N, C, *) -> (mean: (C,), biased variance: (C,)) over each channel's N * prod(*) values."""
    # >>> solution
    axes = reduce_axes(x)
    mean = x.mean(axes)
    centered = x - mean.reshape(channel_shape(x))
    var = (centered * centered).mean(axes)
    return mean, var
    # <<< solution


class BatchNormFunction(Function):
    """y = (x - mu) / sqrt(var + eps) * weight + bias with the batch's mu, var.  x: (N, C, *), weight, bias: (C,)."""

    @staticmethod
    def forward(ctx, x: tinynn.Tensor, weight: tinynn.Tensor, bias: tinynn.Tensor, eps: float = 1e-5) -> tinynn.Tensor:
        """Normalize with the batch statistics, then scale and shift."""
        # >>> solution
        shape = channel_shape(x)
        mean, var = batch_statistics(x)
        rstd = 1.0 / (var.reshape(shape) + eps).sqrt()              # (1, C, 1, ...)
        xhat = (x - mean.reshape(shape)) * rstd
        ctx.save_for_backward(xhat, rstd, weight)
        return xhat * weight.reshape(shape) + bias.reshape(shape)
        # <<< solution

    @staticmethod
    def backward(ctx, grad: tinynn.Tensor):
        """grad = dL/dy (N, C, *) -> (dL/dx (N, C, *), dL/dweight (C,), dL/dbias (C,), None)."""
        # >>> solution
        xhat, rstd, weight = ctx.saved_tensors
        axes, shape = reduce_axes(grad), channel_shape(grad)
        gw = grad * weight.reshape(shape)                          # dL/dxhat
        grad_x = rstd * (gw - gw.mean(axes, keepdim=True) - xhat * (gw * xhat).mean(axes, keepdim=True))
        grad_weight = (grad * xhat).sum(axes)
        grad_bias = grad.sum(axes)
        return grad_x, grad_weight, grad_bias, None
        # <<< solution


def batch_norm(x: tinynn.Tensor, running_mean: tinynn.Tensor | None, running_var: tinynn.Tensor | None,
               weight: tinynn.Tensor | None, bias: tinynn.Tensor | None, training: bool, momentum: float = 0.1,
               eps: float = 1e-5) -> tinynn.Tensor:
    """PyTorch's F.batch_norm. x: (N, C, *); running_mean, running_var, weight, bias: (C,) or None."""
    # >>> solution
    channels = x.shape[1]
    if weight is None:
        weight = tinynn.ones(channels, dtype=x.dtype)
    if bias is None:
        bias = tinynn.zeros(channels, dtype=x.dtype)
    if training:
        n = x.numel() // channels                                  # values per channel
        with tinynn.no_grad():
            mean, var = batch_statistics(x)
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(momentum * mean)
            if running_var is not None:
                running_var.mul_(1 - momentum).add_(momentum * var * (n / (n - 1)))
        return BatchNormFunction.apply(x, weight, bias, eps)
    shape = channel_shape(x)
    rstd = 1.0 / (running_var.reshape(shape) + eps).sqrt()
    return (x - running_mean.reshape(shape)) * rstd * weight.reshape(shape) + bias.reshape(shape)
    # <<< solution
