"""dtypes and PyTorch's type-promotion rules.

tinynn's dtypes are NumPy dtype objects (``tinynn.float32 == numpy.dtype('float32')``), so arrays
and tensors agree on them. Promotion follows PyTorch, not NumPy: a Python number or a 0-dim
tensor never widens a dimensioned tensor of the same category (``float32 * 2.0`` stays float32),
and an integer tensor meeting a Python float becomes the default float dtype (float32).
"""
from __future__ import annotations

import numpy as np

float16 = half = np.dtype("float16")
float32 = float = np.dtype("float32")
float64 = double = np.dtype("float64")
uint8 = np.dtype("uint8")
int8 = np.dtype("int8")
int16 = short = np.dtype("int16")
int32 = int = np.dtype("int32")
int64 = long = np.dtype("int64")
bool = np.dtype("bool")

_default_float = [float32]


def get_default_dtype() -> np.dtype:
    return _default_float[0]


def set_default_dtype(dtype) -> None:
    """Set the float dtype that new float tensors get (float32 unless changed)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_float[0] = dtype


def to_dtype(spec) -> np.dtype:
    """Turn a tinynn/NumPy dtype, a type or a name into a NumPy dtype."""
    if spec is builtins_float:  # as in PyTorch, the Python type float means float64
        return float64
    if spec is builtins_int:
        return int64
    if spec is builtins_bool:
        return bool
    try:
        return np.dtype(spec)
    except TypeError:
        raise TypeError(f"expected a dtype such as tinynn.float32, got {spec!r}") from None


import builtins as _builtins  # noqa: E402  (after the names above shadow float/int/bool)

builtins_float, builtins_int, builtins_bool = _builtins.float, _builtins.int, _builtins.bool


def is_floating(dtype: np.dtype) -> _builtins.bool:
    return dtype.kind == "f"


def category(dtype: np.dtype) -> _builtins.int:
    """0 for bool, 1 for integers, 2 for floats: the order in which PyTorch promotes."""
    return 2 if dtype.kind == "f" else 0 if dtype.kind == "b" else 1


def promote_types(a, b) -> np.dtype:
    """The smallest dtype both ``a`` and ``b`` convert to, by PyTorch's rule.

    A float beats any integer or bool as it is (``int64`` with ``float16`` gives ``float16``,
    where NumPy would give ``float64``); within one category, NumPy's and PyTorch's rules agree.
    """
    a, b = np.dtype(a), np.dtype(b)
    if category(a) != category(b):
        return a if category(a) > category(b) else b
    return np.promote_types(a, b)


def _scalar_category(value) -> _builtins.int:
    if isinstance(value, (_builtins.bool, np.bool_)):
        return 0
    if isinstance(value, (_builtins.int, np.integer)):
        return 1
    if isinstance(value, (_builtins.float, np.floating)):
        return 2
    raise TypeError(f"expected a tensor or a number, got {type(value).__name__}")


def result_type(*operands) -> np.dtype:
    """The dtype of an elementwise op on ``operands`` under PyTorch's promotion rules.

    Operands are arrays (with ``ndim``) or Python numbers. Three tiers, each only able to raise
    the category (bool < int < float) of the tier above it, never the width:
    dimensioned arrays > 0-dim arrays > Python numbers.
    """
    dimensioned = zero_dim = None
    scalar_cat = -1
    for op in operands:
        if hasattr(op, "dtype") and hasattr(op, "ndim"):
            if op.ndim > 0:
                dimensioned = op.dtype if dimensioned is None else promote_types(dimensioned, op.dtype)
            else:
                zero_dim = op.dtype if zero_dim is None else promote_types(zero_dim, op.dtype)
        else:
            scalar_cat = max(scalar_cat, _scalar_category(op))
    result = dimensioned
    if zero_dim is not None and (result is None or category(zero_dim) > category(result)):
        result = zero_dim
    if scalar_cat >= 0 and (result is None or scalar_cat > category(result)):
        result = (bool, int64, get_default_dtype())[scalar_cat]
    return result
