"""Fused GPU kernels for the hot paths, each beside the NumPy-expressed reference it must equal.

On a GPU every array operation is a kernel launch costing ~20 us of host time (CuPy), and a
training step issues thousands of them: launches, not arithmetic, decide the time (see
PERFORMANCE.md). A fused kernel does a whole chain of elementwise work, or a row's reduction and
its elementwise tail, in one launch:

    adam.py        the Adam/AdamW update of one parameter (moments, bias corrections, decay)
    layer_norm.py  layer norm forward (mean, variance, affine) and backward, one block per row
    gelu.py        GELU's value and slope in one pass

Each module has ``reference_*`` functions written with array operations (they run on NumPy or
CuPy and are what the CPU uses) and the fused CuPy version used for CuPy arrays. Tests check one
against the other. ``set_enabled(False)`` makes the GPU use the reference paths too.
"""
from __future__ import annotations

import numpy as np

from ..backend import array_module_of

_enabled = True


def set_enabled(enabled: bool) -> None:
    """Use the fused kernels on the GPU (True, the default) or the reference array code (False)."""
    global _enabled
    _enabled = bool(enabled)


def is_enabled() -> bool:
    return _enabled


def use_fused(*arrays) -> bool:
    """True when the fused kernels apply: enabled, CuPy arrays, float32 or float64."""
    return _enabled and all(
        a is None or (array_module_of(a) is not np and a.dtype in (np.float32, np.float64)) for a in arrays
    ) and any(a is not None for a in arrays)


def c_type(dtype) -> str:
    return "float" if np.dtype(dtype) == np.float32 else "double"
