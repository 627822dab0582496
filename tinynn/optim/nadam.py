"""NAdam: Adam with Nesterov momentum, looking one momentum step ahead."""
from __future__ import annotations

from typing import Callable, Iterable

from ..backend import array_module_of
from .optimizer import Optimizer, as_float, check_betas, check_kernel_flags, check_non_negative
from .scalar_state import scalar_state

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), PyTorch's update step for step.

    For each parameter p with gradient g, at step t = 1, 2, ... (gamma = lr, lambda = weight_decay,
    psi = momentum_decay)::

        g       <- -g                                     if maximize
        p       <- p * (1 - gamma * lambda)               if decoupled_weight_decay (NAdamW)
        g       <- g + lambda * p                         otherwise, if weight_decay != 0
        mu_t    <- beta1 * (1 - 0.5 * 0.96^(t * psi))     the momentum schedule (warms up to beta1)
        mu_t+1  <- beta1 * (1 - 0.5 * 0.96^((t + 1) * psi))
        P_t     <- P_t-1 * mu_t                           the product mu_1 ... mu_t (starts at 1)
        m       <- m + (1 - beta1) * (g - m)              first moment
        v       <- beta2 * v + (1 - beta2) * g * g        second moment
        d       <- sqrt(v / (1 - beta2^t)) + eps
        p       <- p - gamma * (1 - mu_t) / (1 - P_t) * g / d
                     - gamma * mu_t+1 / (1 - P_t * mu_t+1) * m / d

    The last line is Nesterov's trick: instead of stepping along the current momentum it steps
    along the momentum of the *next* step, mu_t+1 * m + (1 - mu_t) * g, each part bias-corrected
    by its own product of momenta. State per parameter: ``step``, ``mu_product`` (P_t, a 0-d
    float32 tensor as in PyTorch: see ``scalar_state``), ``exp_avg`` (m), ``exp_avg_sq`` (v).

    Args:
        params: tensors or parameter groups (dicts).
        lr: learning rate (default 2e-3).
        betas: (beta1, beta2), the decay rates of the two moments (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: lambda (default 0).
        momentum_decay: psi, how fast mu_t approaches beta1 (default 4e-3).
        decoupled_weight_decay: shrink the weights directly (as AdamW does) instead of adding
            lambda * p to the gradient.
        maximize: ascend the objective instead of descending it.
        foreach: accepted for PyTorch compatibility and ignored.
        capturable, differentiable: only False (tinynn has one NumPy implementation).
    """

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        check_non_negative(lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas(betas)
        check_non_negative(momentum_decay=momentum_decay)
        check_kernel_flags("NAdam", capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        loss = self._begin_step(closure)
        for group in self.param_groups:
            lr = as_float(group["lr"])
            beta1, beta2 = (as_float(b) for b in group["betas"])
            eps, weight_decay = float(group["eps"]), float(group["weight_decay"])
            momentum_decay, maximize = float(group["momentum_decay"]), group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p, param, grad, state in self._params_with_grad(
                    group, zeros=("exp_avg", "exp_avg_sq"), initial={"mu_product": lambda p: scalar_state(1.0)}):
                xp = array_module_of(param)
                step = state["step"]
                g, exp_avg, exp_avg_sq, work = self._adam_moments(param, grad, state, lr, beta1, beta2,
                                                                   weight_decay, decoupled, maximize)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
                mu_product = state["mu_product"]._data
                mu_product *= mu  # rounded to the state's dtype, as PyTorch's in-place update is
                mu_product = float(mu_product)
                mu_product_next = mu_product * mu_next

                denom = xp.divide(exp_avg_sq, 1.0 - beta2**step, out=self._scratch(param, 2))
                xp.sqrt(denom, out=denom)
                denom += eps
                gradient_part = xp.divide(g, denom, out=work)
                gradient_part *= lr * (1.0 - mu) / (1.0 - mu_product)
                param -= gradient_part
                momentum_part = xp.divide(exp_avg, denom, out=work)
                momentum_part *= lr * mu_next / (1.0 - mu_product_next)
                param -= momentum_part
                p._bump_version()
        return loss
