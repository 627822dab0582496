"""Adamax: Adam with the infinity norm in place of the root-mean-square of the gradients."""
from __future__ import annotations

from typing import Callable, Iterable

from ..backend import array_module_of
from .optimizer import Optimizer, as_float, check_betas, check_kernel_flags, check_non_negative, lerp_

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015, section 7.1), PyTorch's update step for step.

    For each parameter p with gradient g, at step t = 1, 2, ... (gamma = lr, lambda = weight_decay)::

        g <- -g                                    if maximize
        g <- g + lambda * p                        if weight_decay != 0
        m <- m + (1 - beta1) * (g - m)             first moment, as in Adam
        u <- max(beta2 * u, |g| + eps)             an exponentially weighted infinity norm
        p <- p - gamma / (1 - beta1^t) * m / u

    Adam divides by sqrt(v), an L2 average of past gradients; letting the L2 become an Lp norm
    with p -> infinity turns the average into a decaying maximum, which needs no bias correction
    (only m does). ``eps`` sits inside the max, so u > 0 from the first step. State per parameter:
    ``step``, ``exp_avg`` (m), ``exp_inf`` (u).

    Args:
        params: tensors or parameter groups (dicts).
        lr: learning rate (default 2e-3).
        betas: (beta1, beta2), decay of m and of the norm u (default (0.9, 0.999)).
        eps: added to |g| for numerical stability (default 1e-8).
        weight_decay: L2 penalty lambda (default 0).
        maximize: ascend the objective instead of descending it.
        foreach: accepted for PyTorch compatibility and ignored.
        capturable, differentiable: only False (tinynn has one NumPy implementation).
    """

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False):
        check_non_negative(lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas(betas)
        check_kernel_flags("Adamax", capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        loss = self._begin_step(closure)
        for group in self.param_groups:
            lr = as_float(group["lr"])
            beta1, beta2 = (as_float(b) for b in group["betas"])
            eps, weight_decay, maximize = float(group["eps"]), float(group["weight_decay"]), group["maximize"]
            for p, param, grad, state in self._params_with_grad(group, zeros=("exp_avg", "exp_inf")):
                xp = array_module_of(param)
                g = self._effective_grad(param, grad, weight_decay, maximize)
                exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data

                work = self._scratch(param, 0)
                lerp_(exp_avg, g, 1.0 - beta1, work)
                exp_inf *= beta2
                norm = xp.abs(g, out=work)
                norm += eps
                xp.maximum(exp_inf, norm, out=exp_inf)

                step_size = lr / (1.0 - beta1 ** state["step"])
                update = xp.divide(exp_avg, exp_inf, out=work)
                update *= step_size
                param -= update
                p._bump_version()
        return loss
