"""Fused GPU kernels for the hot paths, each beside the NumPy-expressed reference it must equal.

On a GPU every array operation is a kernel launch costing ~20 us of host time (CuPy), and a
training step issues thousands of them: launches, not arithmetic, decide the time (see
PERFORMANCE.md). A fused kernel does a whole chain of elementwise work, or a row's reduction and
its elementwise tail, in one launch:

    adam.py        the Adam/AdamW update of one parameter (moments, bias corrections, decay)
    layer_norm.py  layer norm forward (mean, variance, affine) and backward, one block per row
    gelu.py        GELU's value and slope in one pass

Each kernel implements a formula whose reference is the op's own array code, which runs on NumPy
or CuPy and is what the CPU uses: ``Adam.step`` (optim/adam.py), ``Normalize`` (ops/normalization.py),
``Gelu.value_and_slope`` (ops/activation.py). The ops call a kernel only for CuPy arrays (``use_fused``).
``set_enabled(False)`` makes the GPU run the reference code too; tests/cuda/test_kernels.py checks
each kernel's values and gradients against it.
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
