"""Adafactor: Adam-like steps with factored second moments (sublinear memory)."""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from ..backend import array_module_of
from ..tensor import Tensor
from .optimizer import Optimizer, as_float, lerp_

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018), matching ``torch.optim.Adafactor`` (PyTorch >= 2.5).

    A matrix-shaped parameter (..., n, m) keeps only a row average R (..., n, 1) and a column
    average C (..., 1, m) of the squared gradient instead of Adam's full (n, m) second moment;
    their outer product, divided by the mean of R, estimates it (a rank-1 factorisation that is
    exact when the squared gradient is). Vectors (and scalars) keep a full average V.

    At step t (gamma = lr, tau = beta2_decay, lambda = weight_decay, eps = (eps1, eps2))::

        g      <- -g                                         if maximize
        w      <- t^tau                                      1 - beta2_t: at t = 1 the average is g*g
        rho    <- min(gamma, 1 / sqrt(t))                    relative step size
        alpha  <- max(eps2, RMS(p)) * rho                    steps scale with the parameter's size
        p      <- p * (1 - gamma * lambda)                   decoupled weight decay
        R      <- R + w * (mean(g*g, over the last dim) - R)          (matrices)
        C      <- C + w * (mean(g*g, over the second-to-last dim) - C)
        V_hat  <- R @ C / max(mean(R over rows), eps1)
        V_hat  <- V <- V + w * (g*g - V)                     (vectors)
        U      <- g / sqrt(max(V_hat, eps1^2))
        U      <- U / max(1, RMS(U) / d)                     update clipping at threshold d
        p      <- p - alpha * U

    RMS(x) = sqrt(mean(x*x)). eps1 = None means the parameter dtype's machine epsilon. As in
    PyTorch (and unlike the paper, which caps rho at 0.01), ``lr`` caps the relative step size
    and scales the weight decay; there is no first moment. State: ``step`` and ``row_var`` /
    ``col_var`` (matrices) or ``variance`` (vectors).

    Args:
        params: tensors or parameter groups (dicts).
        lr: the cap of the relative step size rho (default 1e-2).
        beta2_decay: tau, the exponent of the second-moment decay (default -0.8).
        eps: (eps1, eps2): denominator floor (None: dtype epsilon) and the smallest RMS(p) that
            scales a step (default (None, 1e-3)).
        d: the update-clipping threshold (default 1.0).
        weight_decay: decoupled weight decay lambda (default 0).
        maximize: ascend the objective instead of descending it.
        foreach: accepted for PyTorch compatibility and ignored.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach: bool | None = None, maximize: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=tuple(eps), d=d, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        loss = self._begin_step(closure)
        for group in self.param_groups:
            lr, beta2_decay, d = as_float(group["lr"]), float(group["beta2_decay"]), float(group["d"])
            weight_decay, maximize = float(group["weight_decay"]), group["maximize"]
            eps1, eps2 = group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param, grad = p._data, p.grad._data
                xp = array_module_of(param)
                factored = grad.ndim > 1
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    if factored:
                        state["row_var"] = self._zeros_like_shape(p, grad.shape[:-1] + (1,))
                        state["col_var"] = self._zeros_like_shape(p, grad.shape[:-2] + (1, grad.shape[-1]))
                    else:
                        state["variance"] = self._zeros_state(p)
                g = self._effective_grad(param, grad, 0.0, maximize)
                floor = float(np.finfo(param.dtype).eps) if eps1 is None else float(eps1)

                state["step"] += 1
                step = state["step"]
                weight = float(step) ** beta2_decay
                rho = min(lr, 1.0 / step**0.5)
                alpha = max(float(eps2), _rms(param)) * rho
                if weight_decay != 0:
                    param *= 1.0 - lr * weight_decay

                squared = xp.multiply(g, g, out=self._scratch(param, 0))
                if factored:
                    row_var, col_var = state["row_var"]._data, state["col_var"]._data
                    lerp_(row_var, squared.mean(axis=-1, keepdims=True), weight, xp.empty_like(row_var))
                    lerp_(col_var, squared.mean(axis=-2, keepdims=True), weight, xp.empty_like(col_var))
                    # (..., n, 1) @ (..., 1, m): the rank-1 estimate of the (..., n, m) second moment
                    estimate = xp.matmul(row_var, col_var, out=squared)
                    estimate /= xp.maximum(row_var.mean(axis=-2, keepdims=True), floor)
                else:
                    variance = state["variance"]._data
                    lerp_(variance, squared, weight, self._scratch(param, 2))
                    xp.copyto(squared, variance)
                    estimate = squared
                xp.maximum(estimate, floor * floor, out=estimate)
                update = xp.sqrt(estimate, out=estimate)
                xp.divide(g, update, out=update)
                clip = max(1.0, _rms(update) / d)
                update *= alpha / clip
                param -= update
                p._bump_version()
        return loss

    @staticmethod
    def _zeros_like_shape(p: Tensor, shape: tuple) -> Tensor:
        return Tensor._make(array_module_of(p._data).zeros(shape, dtype=p._data.dtype))


def _rms(array) -> float:
    """sqrt(mean(x^2)) as a Python float, without a full-size temporary."""
    flat = array.reshape(-1)
    return float((flat @ flat) ** 0.5) / max(flat.size, 1) ** 0.5
