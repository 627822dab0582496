"""Lion: the sign of an interpolated momentum, found by program search (Chen et al., 2023)."""
from __future__ import annotations

from typing import Callable, Iterable

from ..backend import array_module_of
from .optimizer import Optimizer, as_float, check_betas, check_non_negative, lerp_

__all__ = ["Lion"]


class Lion(Optimizer):
    r"""Lion, "EvoLved Sign Momentum" (Chen et al., 2023, *Symbolic Discovery of Optimization
    Algorithms*). PyTorch has no Lion; this follows the paper's Algorithm 2.

    For each parameter p with gradient g (gamma = lr, lambda = weight_decay)::

        g <- -g                                     if maximize
        c <- beta1 * m + (1 - beta1) * g            the direction: an interpolation of m and g
        p <- p * (1 - gamma * lambda)               decoupled weight decay
        p <- p - gamma * sign(c)                    every coordinate moves by exactly gamma
        m <- beta2 * m + (1 - beta2) * g            the momentum, with a slower decay

    Because the update is a sign, its size does not depend on the gradient's scale: Lion wants
    a learning rate 3-10x smaller than AdamW's and a weight decay 3-10x larger. Its only state is
    ``exp_avg`` (m), half of Adam's memory.

    Args:
        params: tensors or parameter groups (dicts).
        lr: learning rate (default 1e-4).
        betas: (beta1, beta2) (default (0.9, 0.99)).
        weight_decay: decoupled weight decay lambda (default 0).
        maximize: ascend the objective instead of descending it.
    """

    def __init__(self, params: Iterable, lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99),
                 weight_decay: float = 0.0, *, maximize: bool = False):
        check_non_negative(lr=lr, weight_decay=weight_decay)
        check_betas(betas, closed=True)
        defaults = dict(lr=lr, betas=tuple(betas), weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        loss = self._begin_step(closure)
        for group in self.param_groups:
            lr, weight_decay = as_float(group["lr"]), float(group["weight_decay"])
            beta1, beta2 = (as_float(b) for b in group["betas"])
            for p, param, grad, state in self._params_with_grad(group, zeros=("exp_avg",), count_steps=False):
                xp = array_module_of(param)
                exp_avg = state["exp_avg"]._data
                g = self._effective_grad(param, grad, 0.0, group["maximize"])

                # c = beta1 * m + (1 - beta1) * g, written as m + (1 - beta1) * (g - m)
                direction = xp.subtract(g, exp_avg, out=self._scratch(param, 0))
                direction *= 1.0 - beta1
                direction += exp_avg
                if weight_decay != 0:
                    param *= 1.0 - lr * weight_decay
                update = xp.sign(direction, out=direction)
                update *= lr
                param -= update
                lerp_(exp_avg, g, 1.0 - beta2, work=update)
                p._bump_version()
        return loss
