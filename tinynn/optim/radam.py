"""RAdam: Adam whose adaptive step is switched on only once the variance estimate is reliable."""
from __future__ import annotations

from typing import Callable, Iterable

from ..backend import array_module_of
from .optimizer import Optimizer, as_float, check_betas, check_kernel_flags, check_non_negative

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""Rectified Adam (Liu et al., 2020), PyTorch's update step for step.

    For each parameter p with gradient g, at step t = 1, 2, ... (gamma = lr, lambda = weight_decay)::

        g       <- -g                                      if maximize
        p       <- p * (1 - gamma * lambda)                if decoupled_weight_decay (RAdamW)
        g       <- g + lambda * p                          otherwise, if weight_decay != 0
        m       <- m + (1 - beta1) * (g - m)               first moment
        v       <- beta2 * v + (1 - beta2) * g * g         second moment
        m_hat   <- m / (1 - beta1^t)
        rho_inf <- 2 / (1 - beta2) - 1                     the longest simple moving average
        rho_t   <- rho_inf - 2 t beta2^t / (1 - beta2^t)   how many gradients v averages so far
        if rho_t > 5:
            r   <- sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            l   <- sqrt(1 - beta2^t) / (sqrt(v) + eps)
            p   <- p - gamma * m_hat * l * r               Adam's step, rectified by r
        else:
            p   <- p - gamma * m_hat                       momentum SGD while v is too young

    In its first steps Adam divides by a second moment averaged over very few gradients, whose
    variance is large (and unbounded for rho_t <= 4); RAdam takes plain momentum steps until
    rho_t > 5 and then scales the adaptive step by r, which brings that variance to what it would
    be in the limit. State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v).

    Args:
        params: tensors or parameter groups (dicts).
        lr: learning rate (default 1e-3).
        betas: (beta1, beta2), the decay rates of the two moments (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: lambda (default 0).
        decoupled_weight_decay: shrink the weights directly (as AdamW does) instead of adding
            lambda * p to the gradient.
        maximize: ascend the objective instead of descending it.
        foreach: accepted for PyTorch compatibility and ignored.
        capturable, differentiable: only False (tinynn has one NumPy implementation).
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        check_non_negative(lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas(betas)
        check_kernel_flags("RAdam", capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        loss = self._begin_step(closure)
        for group in self.param_groups:
            lr = as_float(group["lr"])
            beta1, beta2 = (as_float(b) for b in group["betas"])
            eps, weight_decay, maximize = float(group["eps"]), float(group["weight_decay"]), group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p, param, grad, state in self._params_with_grad(group, zeros=("exp_avg", "exp_avg_sq")):
                xp = array_module_of(param)
                step = state["step"]
                _, exp_avg, exp_avg_sq, work = self._adam_moments(param, grad, state, lr, beta1, beta2,
                                                                   weight_decay, decoupled, maximize)

                bias_correction1 = 1.0 - beta1**step
                bias_correction2 = 1.0 - beta2**step
                rho_inf = 2.0 / (1.0 - beta2) - 1.0
                rho_t = rho_inf - 2.0 * step * beta2**step / bias_correction2

                update = xp.divide(exp_avg, bias_correction1, out=work)  # m_hat
                update *= lr
                if rho_t > 5.0:
                    rectification = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                                     / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
                    adaptive = xp.sqrt(exp_avg_sq, out=self._scratch(param, 2))
                    adaptive += eps
                    xp.divide(bias_correction2**0.5, adaptive, out=adaptive)
                    update *= adaptive
                    update *= rectification
                param -= update
                p._bump_version()
        return loss
