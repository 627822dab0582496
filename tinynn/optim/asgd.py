"""ASGD: stochastic gradient descent that also keeps a running average of its iterates."""
from __future__ import annotations

from typing import Callable, Iterable

from ..backend import array_module_of
from .optimizer import Optimizer, as_float, check_kernel_flags, check_non_negative
from .scalar_state import as_default_float, scalar_state

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992), PyTorch's update step for step.

    For each parameter p with gradient g, at step t = 1, 2, ... (gamma = lr, lambda = lambd,
    lambda_wd = weight_decay); eta starts at gamma and mu at 1::

        g   <- -g                                       if maximize
        g   <- g + lambda_wd * p                        if weight_decay != 0
        p   <- p * (1 - lambda * eta)                   a decay proportional to the step size
        p   <- p - eta * g                              the SGD step
        ax  <- p                                        if mu == 1 (before averaging starts)
        ax  <- ax + mu * (p - ax)                       otherwise: a running mean of the iterates
        eta <- gamma / (1 + lambda * gamma * t)^alpha   the next step size, decaying like t^-alpha
        mu  <- 1 / max(1, t - t0)                       averaging starts after t0 steps

    The parameters follow plain (decaying-step) SGD; ``ax``, the average of the iterates since
    step t0, is what the theory says converges at the optimal rate. Read it from
    ``optimizer.state[p]["ax"]`` and copy it into the model to evaluate the averaged solution.
    State per parameter: ``step``, ``eta``, ``mu`` (0-d float32 tensors, their values rounded to
    float32 as PyTorch rounds them: see ``scalar_state``) and ``ax``.

    Args:
        params: tensors or parameter groups (dicts).
        lr: learning rate gamma (default 1e-2).
        lambd: decay term lambda (default 1e-4).
        alpha: the power of the step-size decay (default 0.75).
        t0: the step at which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: ascend the objective instead of descending it.
        foreach: accepted for PyTorch compatibility and ignored.
        capturable, differentiable: only False (tinynn has one NumPy implementation).
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        check_non_negative(lr=lr, weight_decay=weight_decay)
        check_kernel_flags("ASGD", capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        loss = self._begin_step(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = as_float(group["lr"]), float(group["lambd"]), float(group["alpha"]), group["t0"]
            weight_decay, maximize = float(group["weight_decay"]), group["maximize"]
            initial = {"eta": lambda p: scalar_state(lr), "mu": lambda p: scalar_state(1.0)}
            for p, param, grad, state in self._params_with_grad(group, zeros=("ax",), initial=initial):
                xp = array_module_of(param)
                step = state["step"]
                g = self._effective_grad(param, grad, weight_decay, maximize)

                eta, mu, ax = float(state["eta"]._data), float(state["mu"]._data), state["ax"]._data
                param *= 1.0 - lambd * eta
                param -= xp.multiply(g, eta, out=self._scratch(param, 0))
                if mu != 1.0:
                    difference = xp.subtract(param, ax, out=self._scratch(param, 0))
                    difference *= mu
                    ax += difference
                else:
                    xp.copyto(ax, param)
                # PyTorch rounds these to the default dtype (float32), then stores them in the state
                state["eta"]._data[...] = as_default_float(lr / (1.0 + lambd * lr * step) ** alpha)
                state["mu"]._data[...] = as_default_float(1.0 / max(1.0, step - t0))
                p._bump_version()
        return loss
