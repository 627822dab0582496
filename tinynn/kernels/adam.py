"""The Adam/AdamW update of one parameter: a reference in array operations and one fused kernel.

With g the gradient (negated if maximizing), lambda the weight decay and t the step::

    p <- p * (1 - lr lambda)                          decoupled decay (AdamW)
    g <- g + lambda p                                  L2 decay (Adam with weight_decay)
    m <- m + (1 - beta1) (g - m)
    v <- beta2 v + (1 - beta2) g^2
    p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

The reference is ``Adam.step``'s array code (optim/adam.py): ~10 array operations per parameter,
each a kernel launch on the GPU. The fused kernel does all of them in one launch, reading and
writing each element once; Adam.step calls it for CuPy arrays (not with amsgrad).
"""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=None)
def _kernel():
    import cupy

    return cupy.ElementwiseKernel(
        "T grad, T sign, T l2, T decay, T one_minus_beta1, T beta1, T beta2, T one_minus_beta2, T bc2_sqrt, T eps, "
        "T step_size",
        "T param, T exp_avg, T exp_avg_sq",
        """
        T g = sign * grad + l2 * param;          // maximize flips g; Adam's L2 decay
        param = param * decay;                    // AdamW's decoupled decay (decay = 1 otherwise)
        T diff = g - exp_avg;                     // a lerp towards g, rounded as PyTorch's lerp_
        exp_avg = one_minus_beta1 < T(0.5) ? exp_avg + diff * one_minus_beta1 : g - diff * beta1;
        exp_avg_sq = exp_avg_sq * beta2 + (g * g) * one_minus_beta2;
        param = param - (exp_avg / (sqrt(exp_avg_sq) / bc2_sqrt + eps)) * step_size;
        """,
        "tinynn_adam_update",
    )


def fused_adam_update_(param, grad, exp_avg, exp_avg_sq, *, lr: float, beta1: float, beta2: float, eps: float,
                       weight_decay: float, decoupled: bool, maximize: bool, step: int) -> None:
    """One Adam/AdamW step of one parameter in one kernel: param, exp_avg, exp_avg_sq in place."""
    t = param.dtype.type
    decay = 1.0 - lr * weight_decay if decoupled else 1.0
    l2 = 0.0 if decoupled else weight_decay
    bc1 = 1.0 - beta1**step
    bc2_sqrt = (1.0 - beta2**step) ** 0.5
    _kernel()(grad, t(-1.0 if maximize else 1.0), t(l2), t(decay), t(1.0 - beta1), t(1.0 - (1.0 - beta1)), t(beta2),
              t(1.0 - beta2),
              t(bc2_sqrt), t(eps), t(lr / bc1), param, exp_avg, exp_avg_sq)
