"""``CyclicLR``: the learning rate oscillates between two bounds (Smith, "Cyclical Learning Rates", 2017)."""
from __future__ import annotations

import math
from typing import Callable

from ..optimizer import Optimizer
from .base import LRScheduler, per_group, set_group_value


class CyclicLR(LRScheduler):
    r"""The lr goes from ``base_lr`` up to ``max_lr`` in ``step_size_up`` steps and back down in
    ``step_size_down`` steps, over and over; stepped after every *batch*.

    With c = the cycle (1, 2, ...), x in [0, 1) the position in it and r = up / (up + down)::

        c = floor(1 + t / (up + down)),   x = 1 + t / (up + down) - c
        s = x / r  while rising,   (x - 1) / (r - 1)  while falling          (s in [0, 1])
        lr = base_lr + (max_lr - base_lr) * s * scale

    The amplitude's ``scale`` is ``scale_fn(c)`` (``scale_mode='cycle'``) or ``scale_fn(t)``
    ('iterations'): 1 for mode ``'triangular'``, 1 / 2^(c - 1) for ``'triangular2'`` (halved each
    cycle), gamma^t for ``'exp_range'``; a given ``scale_fn`` replaces the mode. With
    ``cycle_momentum`` the momentum (or Adam's beta1) moves the opposite way: from
    ``max_momentum`` down to ``base_momentum`` as the lr rises. Constructing it sets every group's
    lr to ``base_lr`` (and its momentum to ``max_momentum``).
    """

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float], max_lr: float | list[float],
                 step_size_up: int = 2000, step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum: float | list = 0.8, max_momentum: float | list = 0.9,
                 last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        base_lrs = per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, base_lrs):
                set_group_value(group, "lr", lr)
        self.max_lrs = per_group("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        if up <= 0 or down <= 0:
            raise ValueError(f"step_size_up and step_size_down must be positive, got {step_size_up} and {step_size_down}")
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode, self.gamma = mode, gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode if scale_fn is not None else ("iterations" if mode == "exp_range" else "cycle")
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for group, high, low in zip(optimizer.param_groups, self.max_momentums, self.base_momentums):
                    self._set_momentum(group, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x: float) -> float:
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def _set_momentum(self, group: dict, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def get_lr(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        height = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * height * scale for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                self._set_momentum(group, high - (high - low) * height * scale)
        return lrs

    def state_dict(self) -> dict:
        """As the base class's, without a custom scale function (a function does not save: PyTorch
        leaves it out too and warns if it is a lambda)."""
        state = super().state_dict()
        state.pop("_scale_fn_custom", None)
        return state
