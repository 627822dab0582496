"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""
from __future__ import annotations

from typing import Callable, Iterable

from ..backend import array_module_of
from ..tensor import Tensor
from .optimizer import SCRATCH_MIN_SIZE, Optimizer, as_float, check_kernel_flags, check_non_negative

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's update, step for step).

    For each parameter p with gradient g, at step t (mu = momentum, tau = dampening,
    lambda = weight_decay, gamma = lr)::

        g   <- -g                       if maximize
        g   <- g + lambda * p           if weight_decay != 0
        b_t <- g                        at the first step (the buffer starts as the gradient)
        b_t <- mu * b_{t-1} + (1 - tau) * g
        g   <- g + mu * b_t             if nesterov
        g   <- b_t                      otherwise (when momentum != 0)
        p   <- p - gamma * g

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 1e-3).
        momentum: momentum factor mu (default 0).
        dampening: dampening tau of the momentum (default 0).
        weight_decay: L2 penalty lambda added to the gradient (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: ascend the objective instead of descending it.
        foreach: accepted for PyTorch compatibility and ignored.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None):
        check_non_negative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        check_kernel_flags("SGD", differentiable=differentiable, fused=fused)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        loss = self._begin_step(closure)
        for group in self.param_groups:
            lr = as_float(group["lr"])
            momentum = float(group["momentum"])
            dampening = float(group["dampening"])
            weight_decay = float(group["weight_decay"])
            nesterov, maximize = group["nesterov"], group["maximize"]
            plain_grad = weight_decay == 0 and not maximize
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                param = p._data
                d_p = grad._data if plain_grad else self._effective_grad(param, grad._data, weight_decay, maximize)
                if momentum != 0:
                    d_p = self._momentum_direction(p, d_p, momentum, dampening, nesterov)
                if param.size < SCRATCH_MIN_SIZE:  # a small temporary costs less than any bookkeeping
                    param -= d_p * lr
                else:
                    param -= array_module_of(param).multiply(d_p, lr, out=self._scratch(param, 0))
                p._bump_version()
        return loss

    def _momentum_direction(self, p, d_p, momentum: float, dampening: float, nesterov: bool):
        """Update p's momentum buffer b with the gradient d_p; return the step direction."""
        param = p._data
        xp = array_module_of(param)
        state = self.state[p]
        buffer = state.get("momentum_buffer")
        if buffer is None:
            buffer = state["momentum_buffer"] = Tensor._make(xp.array(d_p, copy=True))
            buf = buffer._data
        else:
            buf = buffer._data
            buf *= momentum
            if dampening == 0:
                buf += d_p
            else:
                buf += xp.multiply(d_p, 1.0 - dampening, out=self._scratch(param, 0))
        if not nesterov:
            return buf
        direction = xp.multiply(buf, momentum, out=self._scratch(param, 0))  # d_p: p.grad or slot 1
        direction += d_p
        return direction
