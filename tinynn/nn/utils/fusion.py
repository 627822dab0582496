"""Fold a BatchNorm into the convolution or linear layer before it, for inference (``nn.utils.fusion``).

In eval mode batch norm is a fixed affine map per channel c, using the running statistics:

    bn(y)_c = gamma_c * (y_c - mean_c) / sqrt(var_c + eps) + beta_c  =  s_c * y_c + (beta_c - s_c * mean_c)

with s_c = gamma_c / sqrt(var_c + eps). When y = W x + b comes from a convolution or a linear
layer, the two affine maps compose into one layer with

    W'_c = s_c * W_c            (every weight producing output channel c, scaled)
    b'_c = s_c * (b_c - mean_c) + beta_c

so the deployed model runs one layer instead of two and gives the same outputs (up to rounding).
For a transposed convolution the output channels are the weight's dimension 1, not 0.

Only valid in eval mode (training-mode batch norm uses the batch's statistics, which change with
every batch): the ``*_eval`` functions refuse modules in training mode, as PyTorch does.
"""
from __future__ import annotations

import copy

from ...creation import ones_like, zeros_like
from ...tensor import Tensor
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _check_eval(layer, bn) -> None:
    if layer.training or bn.training:
        raise AssertionError("Fusion only for eval! (call .eval() on both modules first: in training mode "
                             "batch norm uses each batch's statistics, which cannot be folded into weights)")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None (a BatchNorm built with "
                             "track_running_stats=False has no statistics to fold)")


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    """A copy of ``conv`` whose output equals ``bn(conv(x))`` for eval-mode ``conv`` and ``bn``."""
    _check_eval(conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)
    return fused


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float,
                         bn_w: Tensor | None, bn_b: Tensor | None, transpose: bool = False):
    """(W', b') as Parameters: W' = W * s (per output channel), b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps).

    conv_w: (C_out, C_in/groups, *kernel), or (C_in, C_out/groups, *kernel) with ``transpose=True``;
    a missing bias, gamma or beta counts as 0, 1, 0. W' and b' keep the dtypes of W and b.
    """
    weight_dtype = conv_w.dtype
    bias_dtype = conv_b.dtype if conv_b is not None else weight_dtype
    conv_b = zeros_like(bn_rm) if conv_b is None else conv_b
    bn_w = ones_like(bn_rm) if bn_w is None else bn_w
    bn_b = zeros_like(bn_rm) if bn_b is None else bn_b
    inv_std = (bn_rv + bn_eps).rsqrt()
    out_dim_first = [1, -1] if transpose else [-1, 1]
    shape = out_dim_first + [1] * (conv_w.ndim - 2)
    fused_w = (conv_w * (bn_w * inv_std).reshape(shape)).to(dtype=weight_dtype)
    fused_b = ((conv_b - bn_rm) * inv_std * bn_w + bn_b).to(dtype=bias_dtype)
    return Parameter(fused_w.detach(), conv_w.requires_grad), Parameter(fused_b.detach(), conv_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` whose output equals ``bn(linear(x))`` for eval-mode ``linear`` and ``bn``."""
    _check_eval(linear, bn)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features == bn.num_features or bn.num_features == 1, got "
                             f"linear.out_features={linear.out_features} and bn.num_features={bn.num_features}")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)
    return fused


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float,
                           bn_w: Tensor, bn_b: Tensor):
    """(W', b') as Parameters: W' = W * s[:, None], b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps)."""
    weight_dtype = linear_w.dtype
    bias_dtype = linear_b.dtype if linear_b is not None else weight_dtype
    linear_b = zeros_like(bn_rm) if linear_b is None else linear_b
    scale = bn_w * (bn_rv + bn_eps).rsqrt()
    fused_w = linear_w * scale.unsqueeze(-1).to(dtype=weight_dtype)
    fused_b = ((linear_b - bn_rm) * scale + bn_b).to(dtype=bias_dtype)
    return Parameter(fused_w.detach(), linear_w.requires_grad), Parameter(fused_b.detach(), linear_b.requires_grad)
