"""Copies and conversions: clone, dtype casts and device moves (each differentiable).

The Tensor methods ``to``, ``cpu``, ``cuda``, ``type``, the casts ``float()``, ``long()``, ... and
``copy.deepcopy`` are written here and attached to Tensor in ``methods.py``.
"""
from __future__ import annotations

from .. import backend, dtypes
from ..autograd.function import Op
from ..tensor import Tensor, _init, _new


class Clone(Op):
    """y = a copy of x;  dy/dx = 1."""

    array_backward = True

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(x: Tensor, *, memory_format=None) -> Tensor:
    del memory_format
    return Clone.apply(x)


class ToDtype(Op):
    """y = x cast to ``dtype``;  the gradient is cast back (the engine does that cast)."""

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad


def to_dtype(x: Tensor, dtype) -> Tensor:
    if x.dtype == dtype:
        return x
    return ToDtype.apply(x, dtype)


class ToDevice(Op):
    """y = x copied to another device;  the gradient is copied back."""

    @staticmethod
    def forward(ctx, x, device):
        ctx.source = backend.device_of(x)
        return backend.to_device(x, device)

    @staticmethod
    def backward(ctx, grad):
        return ToDevice.apply(grad, ctx.source)


def to_device(x: Tensor, device) -> Tensor:
    if backend.device_of(x._data) == device:
        return x
    return ToDevice.apply(x, device)


def view_as_dtype(x: Tensor, dtype) -> Tensor:
    """Reinterpret the bytes as another dtype (no gradient), like ``tensor.view(torch.int32)``."""
    from ..dtypes import to_dtype as as_numpy_dtype

    if x._requires_grad:
        raise RuntimeError("view(dtype) is not differentiable; call it on a detached tensor")
    return Tensor._make(x._data.view(as_numpy_dtype(dtype)))


# ---------------------------------------------------------------------------- the Tensor's methods
def to(self: Tensor, *args, dtype=None, device=None, copy: bool = False, non_blocking: bool = False) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
    device, dtype = parse_to_args(args, device, dtype)
    result = self
    if device is not None:
        result = to_device(result, backend.as_device(device))
    if dtype is not None:
        result = to_dtype(result, dtypes.to_dtype(dtype))
        if isinstance(dtype, dtypes.EmulatedDType):  # bfloat16: float32 storage, values rounded
            from ..amp.bfloat16 import round_to_bfloat16

            result = round_to_bfloat16(result)
    if copy and result is self:
        result = clone(self)
    return result


def parse_to_args(args, device=None, dtype=None):
    """(device, dtype) from the positional arguments of ``to()``: a device, a dtype, or a tensor."""
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, (str, backend.device)):
            device = arg
        else:
            dtype = arg
    return device, dtype


def cpu(self: Tensor) -> Tensor:
    return self.to(device="cpu")


def cuda(self: Tensor, device=None) -> Tensor:
    index = device if isinstance(device, int) or device is None else backend.device(device).index or 0
    return self.to(device="cuda" if index is None else backend.device("cuda", index))


def pin_memory(self: Tensor, device=None) -> Tensor:
    """Itself: tinynn does not page-lock host memory (CuPy copies from ordinary memory just as
    well), so ``x.pin_memory().to("cuda", non_blocking=True)`` works as an ordinary copy."""
    return self


def is_pinned(self: Tensor, device=None) -> bool:
    return False


def type_name_or_cast(self: Tensor, dtype=None, non_blocking: bool = False):
    """With no argument, PyTorch's legacy type name (``'tinynn.FloatTensor'``); else ``to(dtype)``,
    where ``dtype`` may also be a legacy type (``tinynn.LongTensor``) or its name ("torch.LongTensor")."""
    if dtype is None:
        name = _LEGACY_TYPE_NAMES.get(self._data.dtype.name, self._data.dtype.name)
        prefix = "tinynn.cuda." if self.is_cuda else "tinynn."
        return f"{prefix}{name}"
    from ..tensor_types import dtype_of_type_name

    legacy = dtype_of_type_name(dtype)
    if legacy is not None:
        return self.to(legacy[1]).to(legacy[0])
    return self.to(dtype)


_LEGACY_TYPE_NAMES = {
    "float16": "HalfTensor", "float32": "FloatTensor", "float64": "DoubleTensor", "uint8": "ByteTensor",
    "int8": "CharTensor", "int16": "ShortTensor", "int32": "IntTensor", "int64": "LongTensor",
    "bool": "BoolTensor",
}

# x.float(), x.long(), ...: PyTorch's shorthands for x.to(dtype) (methods.py makes them); bfloat16 keeps float32 storage, its
# values rounded (see tinynn/amp/bfloat16.py)
CASTS = {
    "float": dtypes.float32, "double": dtypes.float64, "half": dtypes.float16, "bfloat16": dtypes.bfloat16,
    "long": dtypes.int64, "int": dtypes.int32, "short": dtypes.int16, "char": dtypes.int8,
    "byte": dtypes.uint8, "bool": dtypes.bool,
}


def deepcopy(self: Tensor, memo) -> Tensor:
    """``copy.deepcopy``: a copy of a leaf tensor (and its .grad); tensors inside a graph cannot be deep-copied."""
    if self.grad_fn is not None:
        raise RuntimeError(
            "only tensors created explicitly by the user (graph leaves) support deepcopy; "
            "use .detach().clone() for a copy of a result"
        )
    new = _new(self.__class__)
    _init(new, self._data.copy(), self._requires_grad)
    memo[id(self)] = new
    if self.grad is not None:
        new.grad = deepcopy(self.grad, memo)
    return new
