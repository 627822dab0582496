"""The weights of scaled dot-product attention as one fused op: P = softmax(scale * q k^T + M).

Attention is ``P v`` with these weights; that second product is an ordinary ``matmul`` (and any
dropout goes between the two), so only the part with a long elementwise chain is fused here:
scaling, masking and the softmax run in place on the one (..., L, S) array that becomes P, instead
of as five graph nodes each allocating a score-sized temporary.
"""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor

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

    One formula, plain arithmetic and matrix products on the saved q, k and the output P: the
    engine runs it on raw arrays for a first derivative and on Tensors (differentiable again)
    under ``create_graph=True``. Rows set to 0 have P = 0 there, hence zero gradients.
    """

    array_backward = True

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
        grad_scores = p * (grad - (grad * p).sum(-1, keepdims=True))
        grad_q = (grad_scores @ k) * ctx.scale if need_q else None
        grad_k = (grad_scores.swapaxes(-1, -2) @ q) * ctx.scale if need_k else None
        return grad_q, grad_k, (grad_scores if need_mask else None)


def attention_weights(q: Tensor, k: Tensor, mask: Tensor | None, scale: float, dead_rows=None) -> Tensor:
    """softmax(scale * q k^T + mask) over the last dim; see ``AttentionWeights`` (no input checks)."""
    return AttentionWeights.apply(q, k, mask, float(scale), dead_rows)
