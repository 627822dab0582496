"""Adagrad: per-coordinate step sizes that shrink with the sum of all past squared gradients."""
from __future__ import annotations

from typing import Callable, Iterable

from ..backend import array_module_of
from .optimizer import Optimizer, as_float, check_kernel_flags, check_non_negative

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), PyTorch's update step for step.

    For each parameter p with gradient g, at step t = 1, 2, ... (gamma = lr, eta = lr_decay)::

        g      <- -g                                 if maximize
        g      <- g + lambda * p                     if weight_decay != 0
        gamma' <- gamma / (1 + (t - 1) * eta)
        s      <- s + g * g                          s starts at initial_accumulator_value
        p      <- p - gamma' * g / (sqrt(s) + eps)

    Coordinates that have seen large gradients take small steps; rare features keep large ones.
    As in PyTorch, the state (``step``, ``sum``) of every parameter is created by the constructor.

    Args:
        params: tensors or parameter groups (dicts).
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay eta (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: the starting value of s (default 0).
        eps: added to the denominator for numerical stability (default 1e-10).
        maximize: ascend the objective instead of descending it.
        foreach: accepted for PyTorch compatibility and ignored.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None):
        check_non_negative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        check_kernel_flags("Adagrad", differentiable=differentiable, fused=fused)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group) -> dict:
        state = self.state[p]
        if not state:
            state["step"] = 0
            state["sum"] = self._zeros_state(p, float(group["initial_accumulator_value"]))
        return state

    def step(self, closure: Callable | None = None):
        loss = self._begin_step(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = as_float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
            weight_decay, maximize = float(group["weight_decay"]), group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param, grad = p._data, p.grad._data
                xp = array_module_of(param)
                state = self._init_state(p, group)  # a group added after construction starts here
                state["step"] += 1
                g = self._effective_grad(param, grad, weight_decay, maximize)
                decayed_lr = lr / (1 + (state["step"] - 1) * lr_decay)

                accumulator = state["sum"]._data
                work = xp.multiply(g, g, out=self._scratch(param, 0))
                accumulator += work
                std = xp.sqrt(accumulator, out=work)
                std += eps
                update = xp.divide(g, std, out=std)
                update *= decayed_lr
                param -= update
                p._bump_version()
        return loss
