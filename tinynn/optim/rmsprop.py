"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from __future__ import annotations

from typing import Callable, Iterable

from ..backend import array_module_of
from .optimizer import Optimizer, as_float, check_kernel_flags, check_non_negative, lerp_

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), PyTorch's update step for step.

    For each parameter p with gradient g (gamma = lr, lambda = weight_decay, mu = momentum)::

        g   <- -g                                  if maximize
        g   <- g + lambda * p                      if weight_decay != 0
        v   <- alpha * v + (1 - alpha) * g * g     running mean of the squared gradient
        m   <- m + (1 - alpha) * (g - m)           if centered: running mean of the gradient
        d   <- sqrt(v - m * m) + eps               if centered (an estimate of the std), else
        d   <- sqrt(v) + eps
        b   <- mu * b + g / d;   p <- p - gamma * b     if momentum > 0
        p   <- p - gamma * g / d                        otherwise

    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b, if momentum > 0)
    and ``grad_avg`` (m, if centered).

    Args:
        params: tensors or parameter groups (dicts).
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the running averages (default 0.99).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by the estimated variance instead of the uncentered second moment.
        maximize: ascend the objective instead of descending it.
        foreach: accepted for PyTorch compatibility and ignored.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False):
        check_non_negative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        check_kernel_flags("RMSprop", capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        loss = self._begin_step(closure)
        for group in self.param_groups:
            lr, alpha, eps = as_float(group["lr"]), float(group["alpha"]), float(group["eps"])
            weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
            centered, maximize = group["centered"], group["maximize"]
            zeros = ("square_avg",) + (("momentum_buffer",) if momentum > 0 else ()) + (("grad_avg",) if centered else ())
            for p, param, grad, state in self._params_with_grad(group, zeros=zeros):
                xp = array_module_of(param)
                g = self._effective_grad(param, grad, weight_decay, maximize)

                square_avg = state["square_avg"]._data
                square_avg *= alpha
                work = xp.multiply(g, g, out=self._scratch(param, 0))
                work *= 1.0 - alpha
                square_avg += work
                if centered:
                    grad_avg = state["grad_avg"]._data
                    lerp_(grad_avg, g, 1.0 - alpha, work)
                    avg = xp.multiply(grad_avg, grad_avg, out=work)
                    xp.subtract(square_avg, avg, out=avg)
                    xp.sqrt(avg, out=avg)
                else:
                    avg = xp.sqrt(square_avg, out=work)
                avg += eps
                scaled_grad = xp.divide(g, avg, out=avg)
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += scaled_grad
                    param -= xp.multiply(buf, lr, out=scaled_grad)
                else:
                    scaled_grad *= lr
                    param -= scaled_grad
                p._bump_version()
        return loss
