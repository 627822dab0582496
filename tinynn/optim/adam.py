"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""
from __future__ import annotations

from typing import Callable, Iterable

from ..backend import array_module_of
from ..kernels import use_fused
from ..kernels.adam import fused_adam_update_
from .optimizer import Optimizer, as_float, check_betas, check_kernel_flags, check_non_negative

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), PyTorch's update step for step.

    For each parameter p with gradient g, at step t = 1, 2, ... (gamma = lr, lambda = weight_decay)::

        g     <- -g                                  if maximize
        p     <- p * (1 - gamma * lambda)            if decoupled_weight_decay (AdamW)
        g     <- g + lambda * p                      otherwise, if weight_decay != 0
        m_t   <- m + (1 - beta1) * (g - m)           first moment (a lerp towards g)
        v_t   <- beta2 * v + (1 - beta2) * g * g     second moment
        v_max <- max(v_max, v_t)                     if amsgrad (and v_max replaces v_t below)
        p     <- p - gamma / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)

    The bias corrections 1 - beta^t undo the moments' start at zero. The state of a parameter is
    ``step`` (a Python int while training; a float32 0-d tensor in ``state_dict()``, as in
    PyTorch), ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad, ``max_exp_avg_sq``.

    Args:
        params: tensors or parameter groups (dicts).
        lr: learning rate (default 1e-3).
        betas: (beta1, beta2), the decay rates of the two moments (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: lambda (default 0).
        amsgrad: use the running maximum of v (Reddi et al., 2018).
        maximize: ascend the objective instead of descending it.
        decoupled_weight_decay: decay the weights directly (AdamW) instead of through the gradient.
        foreach: accepted for PyTorch compatibility and ignored.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None, decoupled_weight_decay: bool = False):
        check_non_negative(lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas(betas)
        check_kernel_flags(type(self).__name__, capturable=capturable, differentiable=differentiable, fused=fused)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        loss = self._begin_step(closure)
        for group in self.param_groups:
            lr = as_float(group["lr"])
            beta1, beta2 = (as_float(b) for b in group["betas"])
            eps, weight_decay = float(group["eps"]), float(group["weight_decay"])
            amsgrad, maximize = group["amsgrad"], group["maximize"]
            decoupled = group.get("decoupled_weight_decay", False)
            for p, param, grad, state in self._params_with_grad(group, zeros=("exp_avg", "exp_avg_sq")):
                xp = array_module_of(param)
                step = state["step"]

                if not amsgrad and use_fused(param, grad):  # one GPU kernel for the lines below
                    fused_adam_update_(param, grad, state["exp_avg"]._data, state["exp_avg_sq"]._data, lr=lr,
                                       beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                                       decoupled=decoupled, maximize=maximize, step=step)
                    p._bump_version()
                    continue
                _, exp_avg, exp_avg_sq, work = self._adam_moments(param, grad, state, lr, beta1, beta2,
                                                                   weight_decay, decoupled, maximize)

                bias_correction1 = 1.0 - beta1**step
                bias_correction2_sqrt = (1.0 - beta2**step) ** 0.5
                second_moment = exp_avg_sq
                if amsgrad:
                    if "max_exp_avg_sq" not in state:
                        state["max_exp_avg_sq"] = self._zeros_state(p)
                    second_moment = state["max_exp_avg_sq"]._data
                    xp.maximum(second_moment, exp_avg_sq, out=second_moment)
                denom = xp.sqrt(second_moment, out=work)
                denom /= bias_correction2_sqrt
                denom += eps
                update = xp.divide(exp_avg, denom, out=denom)
                update *= lr / bias_correction1
                param -= update
                p._bump_version()
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Identical to ``Adam`` except that the decay shrinks the weights directly,
    ``p <- p * (1 - lr * weight_decay)``, before the Adam step, instead of adding
    ``weight_decay * p`` to the gradient (where Adam's normalisation would rescale it).
    Default weight_decay is 1e-2.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
