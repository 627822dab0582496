"""Mixed precision: ``autocast`` (each op in the precision that suits it), ``GradScaler`` (dynamic
loss scaling against float16 underflow), and bfloat16 by emulation (``round_to_bfloat16``).

PyTorch's ``torch.amp`` names. tinynn's autocast dtype is float16 on every device (PyTorch's CPU
default is bfloat16, which NumPy lacks).
"""
from .autocast_mode import (
    autocast,
    get_autocast_dtype,
    is_autocast_available,
    is_autocast_cache_enabled,
    is_autocast_enabled,
)
from .bfloat16 import bfloat16_finfo, round_to_bfloat16
from .grad_scaler import GradScaler

__all__ = [
    "GradScaler",
    "autocast",
    "bfloat16_finfo",
    "get_autocast_dtype",
    "is_autocast_available",
    "is_autocast_cache_enabled",
    "is_autocast_enabled",
    "round_to_bfloat16",
]
