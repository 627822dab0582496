"""The weights of scaled dot-product attention as one fused op: P = softmax(scale * q k^T + M).

Attention is ``P v`` with these weights; that second product is an ordinary ``matmul`` (and any
dropout goes between the two), so only the part with a long elementwise chain is fused here:
scaling, masking and the softmax run in place on the one (..., L, S) array that becomes P, instead
of as five graph nodes each allocating a score-sized temporary.
"""
from __future__ import annotations

from ..autograd import grad_mode
from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .linalg import matmul

__all__ = []  # used by tinynn.nn.functional.scaled_dot_product_attention and multi-head attention


class AttentionWeights(Op):
    """P = softmax(scale * q k^T + M) along the last dim.

    q: (..., L, E), k: (..., S, E) -> P: (..., L, S) (batch dims broadcast). ``mask`` M broadcasts
    to (..., L, S): bool (False = forbidden, i.e. a score of -inf) or float (added, may require
    grad). ``dead_rows`` (bool (..., L, 1) or None) marks queries with no key left: their weights
    are set to 0 instead of softmax(all -inf) = 0/0 = NaN. Without it such rows give NaN.

    Backward, with S the masked scores and G = dL/dP (softmax's vector-Jacobian product, then the
    two factors of the product q k^T):

        dL/dS = P * (G - rowsum(G * P))
        dL/dq = scale * dL/dS k          dL/dk = scale * dL/dS^T q          dL/dM = dL/dS

    written with tinynn ops on the saved q, k and the output P, so it is itself differentiable.
    Rows set to 0 have P = 0 there, hence zero gradients.
    """

    @staticmethod
    def forward(ctx, q, k, mask, scale, dead_rows):
        xp = array_module_of(q)
        p = xp.matmul(q, xp.swapaxes(k, -1, -2))  # the scores, overwritten step by step into P
        p *= scale
        if mask is not None:
            if mask.dtype == bool:
                xp.copyto(p, -xp.inf, where=~mask)
            else:
                p += mask
        if dead_rows is not None:
            xp.copyto(p, 0, where=dead_rows)  # finite scores, so the softmax below stays NaN-free
        p -= p.max(axis=-1, keepdims=True)  # softmax is shift-invariant; this keeps exp() <= 1
        xp.exp(p, out=p)
        p /= p.sum(axis=-1, keepdims=True)
        if dead_rows is not None:
            xp.copyto(p, 0, where=dead_rows)
        ctx.scale = scale
        ctx.save_for_backward(q, k, p)
        return p

    @staticmethod
    def backward(ctx, grad):
        q, k, p = ctx.saved_tensors
        need_q, need_k, need_mask = ctx.needs_input_grad[:3]
        if grad_mode.state.enabled:  # a graph of the backward is being built: use differentiable ops
            gp = grad * p
            grad_scores = gp - p * gp.sum(-1, keepdim=True)
            grad_q = matmul(grad_scores, k) * ctx.scale if need_q else None
            grad_k = matmul(grad_scores.mT, q) * ctx.scale if need_k else None
            return grad_q, grad_k, (grad_scores if need_mask else None)
        return _backward_arrays(ctx.scale, grad._data, q._data, k._data, p._data, need_q, need_k, need_mask)


def _backward_arrays(scale, g, q, k, p, need_q, need_k, need_mask):
    """The same first-order backward on raw arrays, with one score-sized temporary instead of four."""
    xp = array_module_of(p)
    grad_scores = g * p
    row = grad_scores.sum(axis=-1, keepdims=True)
    xp.subtract(g, row, out=grad_scores)
    grad_scores *= p  # = P * (G - rowsum(G * P))
    grad_q = grad_k = None
    if need_q:
        grad_q = xp.matmul(grad_scores, k)
        grad_q *= scale
        grad_q = Tensor._make(grad_q)
    if need_k:
        grad_k = xp.matmul(xp.swapaxes(grad_scores, -1, -2), q)
        grad_k *= scale
        grad_k = Tensor._make(grad_k)
    return grad_q, grad_k, (Tensor._make(grad_scores) if need_mask else None)


def attention_weights(q: Tensor, k: Tensor, mask: Tensor | None, scale: float, dead_rows=None) -> Tensor:
    """softmax(scale * q k^T + mask) over the last dim; see ``AttentionWeights`` (no input checks)."""
    return AttentionWeights.apply(q, k, mask, float(scale), dead_rows)
