"""The fused affine map y = x W^T + b: ``Linear`` (behind ``nn.functional.linear`` and ``nn.Linear``)
and ``DequantizeLinear`` (the same map with a frozen quantized weight, behind ``tinynn.quant``).

Shapes (PyTorch's layout)::   x: (*, in)   weight: (out, in)   bias: (out,)   ->  (*, out)
"""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module_of

__all__ = []  # the ops behind tinynn.nn.functional.linear and tinynn.quant.quantized_linear


class Linear(Op):
    """y = x W^T + b over the last dim of x; every leading dim is a batch dim.

    With the leading dims flattened (X: (N, in), G = dL/dY: (N, out)) the gradients are three
    matrix products / sums, each one BLAS call in the common 2-d case:

        dL/dX = G W          (N, out) @ (out, in)
        dL/dW = G^T X        (out, N) @ (N, in)     (summing over the batch is the product)
        dL/db = sum_n G[n]
    """

    array_backward = True

    @staticmethod
    def forward(ctx, x, weight, bias):
        xp = array_module_of(x)
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        y = xp.matmul(x2, weight.T)  # a transposed view: BLAS reads W^T without a copy
        if bias is not None:
            y += bias
        ctx.save_for_backward(x, weight)
        return y if x.ndim == 2 else y.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = g2 @ weight
            if x.ndim != 2:
                grad_x = grad_x.reshape(x.shape)
        if need_w:
            x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
            grad_w = g2.T @ x2
        if need_b:
            grad_b = g2.sum(0)
        return grad_x, grad_w, grad_b


class DequantizeLinear(Op):
    """y = x W_hat^T + b with W_hat rebuilt from its codes in forward and again in backward.

        dL/dx = G W_hat      (*, out) @ (out, in)
        dL/db = sum over every leading dim of G
    W_hat gets no gradient (it is frozen), so nothing of size (out, in) is saved. ``qweight`` is a
    tinynn.quant QuantizedTensor (its ``dequantize_array`` and ``dequantize`` rebuild W_hat).
    """

    @staticmethod
    def forward(ctx, x, bias, qweight):
        xp = array_module_of(x)
        weight = qweight.dequantize_array()
        y = xp.matmul(x, weight.T)
        if bias is not None:
            y += bias
        ctx.qweight = qweight   # the codes, not the float weight
        return y

    @staticmethod
    def backward(ctx, grad):
        need_x, need_b, _ = ctx.needs_input_grad
        grad_x = grad @ ctx.qweight.dequantize() if need_x else None
        grad_b = grad.reshape(-1, grad.shape[-1]).sum(0) if need_b else None
        return grad_x, grad_b, None
