"""Adadelta: steps whose units match the parameter's, from two running averages (no lr needed)."""
from __future__ import annotations

from typing import Callable, Iterable

from ..backend import array_module_of
from .optimizer import Optimizer, as_float, check_kernel_flags, check_non_negative

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), PyTorch's update step for step.

    For each parameter p with gradient g (gamma = lr, rho = the decay, lambda = weight_decay)::

        g  <- -g                                          if maximize
        g  <- g + lambda * p                              if weight_decay != 0
        v  <- rho * v + (1 - rho) * g * g                 running mean of the squared gradient
        dx <- sqrt(u + eps) / sqrt(v + eps) * g           the step, in the parameter's units
        u  <- rho * u + (1 - rho) * dx * dx               running mean of the squared step
        p  <- p - gamma * dx

    The ratio sqrt(u) / sqrt(v) plays the role of a learning rate per coordinate: it is the
    root-mean-square of recent steps over that of recent gradients, which has the units of
    p / g (Newton's step size, 1 / curvature). ``eps`` starts it off: at first u = 0 and the
    step is sqrt(eps) / sqrt(v + eps) * g. ``lr`` (default 1.0) only rescales the final step.
    State per parameter: ``step``, ``square_avg`` (v), ``acc_delta`` (u).

    Args:
        params: tensors or parameter groups (dicts).
        lr: scales dx before it is applied (default 1.0).
        rho: decay of the two running averages, in [0, 1] (default 0.9).
        eps: added inside both square roots (default 1e-6).
        weight_decay: L2 penalty lambda (default 0).
        maximize: ascend the objective instead of descending it.
        foreach: accepted for PyTorch compatibility and ignored.
        capturable, differentiable: only False (tinynn has one NumPy implementation).
    """

    def __init__(self, params: Iterable, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False):
        check_non_negative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho} (expected 0 <= rho <= 1)")
        check_non_negative(eps=eps, weight_decay=weight_decay)
        check_kernel_flags("Adadelta", capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        loss = self._begin_step(closure)
        for group in self.param_groups:
            lr, rho, eps = as_float(group["lr"]), float(group["rho"]), float(group["eps"])
            weight_decay, maximize = float(group["weight_decay"]), group["maximize"]
            for p, param, grad, state in self._params_with_grad(group, zeros=("square_avg", "acc_delta")):
                xp = array_module_of(param)
                g = self._effective_grad(param, grad, weight_decay, maximize)
                square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data

                work = xp.multiply(g, g, out=self._scratch(param, 0))
                work *= 1.0 - rho
                square_avg *= rho
                square_avg += work
                std = xp.add(square_avg, eps, out=work)
                xp.sqrt(std, out=std)
                delta = xp.add(acc_delta, eps, out=self._scratch(param, 2))
                xp.sqrt(delta, out=delta)
                delta /= std
                delta *= g
                squared_delta = xp.multiply(delta, delta, out=work)
                squared_delta *= 1.0 - rho
                acc_delta *= rho
                acc_delta += squared_delta
                delta *= lr
                param -= delta
                p._bump_version()
        return loss
