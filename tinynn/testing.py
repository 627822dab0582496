"""``torch.testing``: ``assert_close`` with PyTorch's default tolerances for each dtype.

Tests written for PyTorch compare results with ``torch.testing.assert_close(actual, expected)``;
the defaults depend on the dtype (float32: rtol 1.3e-6, atol 1e-5; float64: rtol 1e-7, atol 1e-7;
float16: rtol 1e-3, atol 1e-5; integers and bools: exact), as PyTorch's do.
"""
from __future__ import annotations

import numpy as np

from . import dtypes
from .tensor import Tensor

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _as_array(value):
    if isinstance(value, Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, msg=None) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` (tensors, numbers, or nested sequences
    and dicts of them) match: same shape, dtype (``check_dtype``) and device, and every value within
    ``atol + rtol * |expected|``. Give both ``rtol`` and ``atol``, or neither (dtype defaults)."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got rtol={rtol} and atol={atol}")
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or actual.keys() != expected.keys():
            raise AssertionError(msg or f"The mappings have different keys: {sorted(actual)} and {sorted(expected)}")
        for key in expected:
            assert_close(actual[key], expected[key], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_device=check_device, check_dtype=check_dtype, msg=msg)
        return
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            raise AssertionError(msg or f"The sequences have different lengths: {len(actual)} and {len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                         check_dtype=check_dtype, msg=msg)
        return
    if isinstance(actual, Tensor) != isinstance(expected, Tensor):
        raise AssertionError(msg or f"Expected both inputs to be tensors or both numbers, got {type(actual).__name__} "
                                    f"and {type(expected).__name__}")
    a, e = _as_array(actual), _as_array(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.")
    if isinstance(actual, Tensor):
        if check_dtype and actual.dtype != expected.dtype:
            raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {actual.dtype} != {expected.dtype}.")
        if check_device and actual.device != expected.device:
            raise AssertionError(msg or f"The values for attribute 'device' do not match: {actual.device} != {expected.device}.")
    if rtol is None:
        dtype = np.promote_types(a.dtype, e.dtype)
        rtol, atol = _TOLERANCES.get(dtype.name, (0.0, 0.0)) if dtype.kind == "f" else (0.0, 0.0)
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    close = np.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not close.all():
        bad = int((~close).sum())
        diff = np.abs(a64 - e64)
        worst = np.unravel_index(np.nanargmax(np.where(close, -1.0, diff)), a.shape) if a.ndim else ()
        raise AssertionError(msg or (
            f"Tensor-likes are not close!\n\nMismatched elements: {bad} / {a.size} ({100 * bad / max(a.size, 1):.1f}%)\n"
            f"Greatest absolute difference: {np.nanmax(diff):.6g} at index {tuple(int(i) for i in worst)} "
            f"(up to {atol} allowed)\nGreatest relative difference: "
            f"{np.nanmax(diff / np.maximum(np.abs(e64), 1e-300)):.6g} (up to {rtol} allowed)"))


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan: bool = True, msg: str = "") -> None:
    """The older ``torch.testing.assert_allclose``: values only (dtypes may differ), NaNs equal."""
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False, msg=msg or None)


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False) -> Tensor:
    """A tensor of random values in [low, high) (floats: [-9, 9) by default; ints: [-9, 10))."""
    from .creation import rand, randint

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dtype = dtypes.to_dtype(dtype)
    if dtype.kind == "b":
        out = randint(0, 2, shape, device=device).to(dtype)
    elif dtype.kind in "iu":
        lo = 0 if dtype.kind == "u" else (-9 if low is None else int(low))
        out = randint(lo, 10 if high is None else int(high), shape, device=device).to(dtype)
    else:
        lo, hi = (-9.0 if low is None else low), (9.0 if high is None else high)
        out = rand(*shape, dtype=dtype, device=device) * (hi - lo) + lo
    if exclude_zero:
        out = out.masked_fill(out == 0, 1)
    return out.requires_grad_(requires_grad) if requires_grad else out
