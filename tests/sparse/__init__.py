"""Tests of tinynn.sparse. ``dense_grads`` wraps a PyTorch function for ``assert_matches_torch``:
PyTorch gives some dense inputs of a sparse product a *sparse* gradient (tinynn a dense one with
zeros elsewhere); the wrapper hands such gradients back densified, so the numbers compare."""
from tests.helpers import torch


def dense_grads(fn_torch):
    class DenseGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.view_as(x)

        @staticmethod
        def backward(ctx, grad):
            return grad.to_dense() if grad.is_sparse else grad

    def wrapped(*tensors):
        return fn_torch(*[DenseGrad.apply(t) if t.requires_grad else t for t in tensors])

    return wrapped
