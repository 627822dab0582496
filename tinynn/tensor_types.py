"""PyTorch's legacy typed constructors: ``FloatTensor``, ``LongTensor``, ``BoolTensor`` and their kin.

Older programs (and many textbooks) write ``torch.FloatTensor([1, 2])``, ``torch.LongTensor(3, 4)``,
``x.type(torch.FloatTensor)`` or ``isinstance(x, torch.LongTensor)``. Each name here is a class
whose constructor makes an ordinary tinynn tensor of its dtype, and ``isinstance`` checks the dtype
(and the device, for the ``tinynn.cuda.*Tensor`` names). Prefer ``tinynn.tensor(data, dtype=...)``.
"""
from __future__ import annotations

import numpy as np

from . import dtypes
from .tensor import Tensor

_NAMES = {
    "FloatTensor": dtypes.float32, "DoubleTensor": dtypes.float64, "HalfTensor": dtypes.float16,
    "BFloat16Tensor": dtypes.bfloat16, "ByteTensor": dtypes.uint8, "CharTensor": dtypes.int8,
    "ShortTensor": dtypes.int16, "IntTensor": dtypes.int32, "LongTensor": dtypes.int64, "BoolTensor": dtypes.bool,
}


class _LegacyTensorType(type):
    """The metaclass: ``isinstance(x, LongTensor)`` is "x is a tensor of LongTensor's dtype and device"."""

    def __instancecheck__(cls, obj) -> bool:
        return (isinstance(obj, Tensor) and obj.dtype == dtypes.to_dtype(cls.dtype)
                and obj.device.type == cls.device_type)

    def __repr__(cls) -> str:
        return f"<class 'tinynn.{'cuda.' if cls.device_type == 'cuda' else ''}{cls.__name__}'>"


class _LegacyTensor(metaclass=_LegacyTensorType):
    dtype = dtypes.float32
    device_type = "cpu"

    def __new__(cls, *args, device=None):
        device = device or cls.device_type
        if not args:
            return Tensor(0, dtype=dtypes.to_dtype(cls.dtype), device=device).to(cls.dtype)
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):  # data (or a torch.Size)
            data = args[0]
            if isinstance(data, tuple) and all(isinstance(a, int) for a in data) and type(data) is not tuple:
                return Tensor(*data, dtype=dtypes.to_dtype(cls.dtype), device=device).to(cls.dtype)
            from .creation import tensor

            return tensor(data, dtype=cls.dtype, device=device)
        return Tensor(*args, dtype=dtypes.to_dtype(cls.dtype), device=device).to(cls.dtype)


def _make(name: str, dtype, device_type: str) -> type:
    return _LegacyTensorType(name, (_LegacyTensor,), {"dtype": dtype, "device_type": device_type,
                                                      "__doc__": f"A {dtype} tensor on the {device_type} "
                                                                 "(PyTorch's legacy constructor)."})


# tinynn.FloatTensor ... (CPU) and tinynn.cuda.FloatTensor ... (CUDA)
FloatTensor = _make("FloatTensor", _NAMES["FloatTensor"], "cpu")
DoubleTensor = _make("DoubleTensor", _NAMES["DoubleTensor"], "cpu")
HalfTensor = _make("HalfTensor", _NAMES["HalfTensor"], "cpu")
BFloat16Tensor = _make("BFloat16Tensor", _NAMES["BFloat16Tensor"], "cpu")
ByteTensor = _make("ByteTensor", _NAMES["ByteTensor"], "cpu")
CharTensor = _make("CharTensor", _NAMES["CharTensor"], "cpu")
ShortTensor = _make("ShortTensor", _NAMES["ShortTensor"], "cpu")
IntTensor = _make("IntTensor", _NAMES["IntTensor"], "cpu")
LongTensor = _make("LongTensor", _NAMES["LongTensor"], "cpu")
BoolTensor = _make("BoolTensor", _NAMES["BoolTensor"], "cpu")
CUDA_TYPES = {name: _make(name, dtype, "cuda") for name, dtype in _NAMES.items()}


def dtype_of_type_name(spec):
    """(dtype, device) for ``x.type(...)``'s argument: a legacy class or its name ("torch.FloatTensor",
    "torch.cuda.LongTensor"); None when ``spec`` is neither."""
    if isinstance(spec, _LegacyTensorType):
        return spec.dtype, spec.device_type
    if isinstance(spec, str):
        parts = spec.split(".")
        if parts[-1] in _NAMES and parts[0] in ("torch", "tinynn"):
            return _NAMES[parts[-1]], "cuda" if "cuda" in parts[1:-1] else "cpu"
    return None
