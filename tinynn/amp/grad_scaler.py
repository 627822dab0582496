"""``GradScaler``: dynamic loss scaling, so that float16 gradients do not underflow to zero.

float16's smallest positive number is 2^-24 ≈ 6e-8 (2^-14 ≈ 6e-5 with full precision). Gradients
of a trained network are often smaller, and in float16 they become exactly 0: the update is lost.
Multiplying the loss by a large S multiplies every gradient by S (the chain rule is linear), which
lifts them into float16's range; dividing the float32 parameter gradients by S afterwards gives
the true gradients back::

    scaler = GradScaler("cpu")
    for x, y in loader:
        optimizer.zero_grad()
        with autocast("cpu"):
            loss = loss_fn(model(x), y)
        scaler.scale(loss).backward()    # gradients of S * loss
        scaler.step(optimizer)           # unscale (divide by S); skip the step if any is inf/NaN
        scaler.update()                  # adapt S

Too large an S overflows instead (float16's largest is 65504): some gradient becomes inf. The
scaler then skips that step and halves S (``backoff_factor``); after ``growth_interval`` steps in
a row without inf it doubles S (``growth_factor``). S settles just below overflow, as large as is safe.
"""
from __future__ import annotations

import math
import warnings

from .. import backend

__all__ = ["GradScaler"]

_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


class GradScaler:
    """Dynamic loss scaling with PyTorch's semantics (``torch.amp.GradScaler``).

    ``GradScaler(device="cuda", init_scale=2.**16, growth_factor=2.0, backoff_factor=0.5,
    growth_interval=2000, enabled=True)``. With ``enabled=False`` every method is a pass-through
    (``scale`` returns its input, ``step`` just steps), so one training loop serves both cases.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True):
        self._device = backend.as_device(device).type
        self._enabled = bool(enabled)
        if self._enabled and self._device == "cuda" and not backend.cuda_available():
            warnings.warn("GradScaler is enabled for device 'cuda', but CUDA is not available. Disabling.")
            self._enabled = False
        if self._enabled:
            if not growth_factor > 1.0:
                raise ValueError(f"GradScaler: the growth factor must be > 1.0, got {growth_factor}")
            if not backoff_factor < 1.0:
                raise ValueError(f"GradScaler: the backoff factor must be < 1.0, got {backoff_factor}")
            if not (isinstance(growth_interval, int) and growth_interval > 0):
                raise ValueError(f"GradScaler: growth_interval must be a positive int, got {growth_interval!r}")
        self._init_scale = float(init_scale)
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = growth_interval
        self._growth_tracker = 0     # steps in a row without inf/NaN since the scale last changed
        self._per_optimizer_states = {}

    # ------------------------------------------------------------------ the training-loop API
    def scale(self, outputs):
        """``outputs`` multiplied by the scale: a tensor, or lists/tuples of tensors (same structure).

        The scale is a 0-d float32 tensor, so a float16 loss stays float16 (PyTorch's promotion rule).
        """
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if not hasattr(outputs, "_data"):
            raise ValueError(f"GradScaler.scale: expected a Tensor or a list/tuple of Tensors, got {type(outputs).__name__}")
        xp = backend.array_module_of(outputs._data)
        from ..tensor import Tensor

        return outputs * Tensor._make(xp.asarray(self._scale, dtype="float32"))

    def unscale_(self, optimizer) -> None:
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place, and note
        whether any is inf or NaN. Call it before gradient clipping; at most once per ``update``."""
        if not self._enabled:
            return
        state = self._state_of(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = _as_float32(1.0 / self._scale)   # PyTorch's float32 reciprocal of the scale
        found_inf = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad._data
                if grad.dtype == "float16":
                    raise ValueError("Attempting to unscale FP16 gradients (keep the parameters in float32: "
                                     "autocast casts them for the forward pass).")
                xp = backend.array_module_of(grad)
                if not bool(xp.isfinite(grad).all()):   # checked before unscaling, as PyTorch does
                    found_inf = True
                grad *= grad.dtype.type(inv_scale)
        state["found_inf"] = found_inf
        state["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale (unless ``unscale_`` was called) and run ``optimizer.step()``, unless a gradient
        is inf or NaN: then the step is skipped and None returned. Returns what ``step`` returns."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        state = self._state_of(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        result = None
        if not state["found_inf"]:
            result = optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale=None) -> None:
        """Adapt the scale (back off after an inf/NaN, grow after ``growth_interval`` clean steps),
        or set it to ``new_scale`` (a float or a 1-element float32 tensor)."""
        if not self._enabled:
            return
        if new_scale is not None:
            if hasattr(new_scale, "_data"):
                if new_scale.numel() != 1 or new_scale.dtype != "float32" or new_scale.requires_grad:
                    raise ValueError("new_scale should be a float or a 1-element float32 tensor with requires_grad=False.")
                new_scale = new_scale.item()
            self._scale = float(new_scale)
        else:
            found = [s["found_inf"] for s in self._per_optimizer_states.values() if s["found_inf"] is not None]
            if not found:
                raise RuntimeError("No inf checks were recorded prior to update().")
            if any(found):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                successful = self._growth_tracker + 1
                if successful == self._growth_interval:
                    grown = _as_float32(self._scale * self._growth_factor)
                    if math.isfinite(grown):    # never grow into inf
                        self._scale = grown
                    self._growth_tracker = 0
                else:
                    self._growth_tracker = successful
            self._scale = _as_float32(self._scale)   # PyTorch keeps the scale in a float32 tensor
        self._per_optimizer_states = {}

    # ------------------------------------------------------------------ accessors
    def get_scale(self) -> float:
        """The current scale (1.0 when disabled)."""
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        """The scale and its settings ({} when disabled), to save with a checkpoint."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])

    def __repr__(self) -> str:
        return (f"GradScaler(device={self._device!r}, scale={self.get_scale()}, "
                f"growth_tracker={self._growth_tracker}, enabled={self._enabled})")

    def _state_of(self, optimizer) -> dict:
        return self._per_optimizer_states.setdefault(id(optimizer), {"stage": _READY, "found_inf": None})


def _as_float32(value: float) -> float:
    """``value`` rounded to float32, as PyTorch's float32 scale tensor holds it."""
    import numpy as np  # host scalar arithmetic only: the scale lives on the host here

    return float(np.float32(value))
