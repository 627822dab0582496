"""0-d state tensors for the scalars an optimizer keeps per parameter (NAdam's mu_product, ASGD's eta).

PyTorch keeps such scalars as 0-d tensors of its "scalar dtype": float64 when the default dtype
is float64, float32 otherwise, even when the parameters are float64. Updating them in place
rounds every new value to that dtype, and later steps read the rounded value, so tinynn keeps
them the same way to take the same steps. (Loading a state dict casts them to the parameter's
dtype, in PyTorch and here alike, and later in-place updates then round to that dtype instead.)

Some new values are made by ``torch.as_tensor(python_float)`` before being copied in, which rounds
them to the default dtype whatever the state's dtype: ``as_default_float`` does that rounding.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..tensor import Tensor

__all__ = ["as_default_float", "scalar_state"]


def scalar_state(value: float) -> Tensor:
    """A 0-d tensor holding ``value`` in PyTorch's scalar dtype (float32 unless the default is float64)."""
    dtype = np.float64 if dtypes.get_default_dtype() == np.float64 else np.float32
    return Tensor._make(np.array(value, dtype=dtype))


def as_default_float(value: float) -> float:
    """``value`` rounded to the default float dtype (float32 unless changed), as a Python float."""
    return float(np.asarray(value, dtype=dtypes.get_default_dtype()))
