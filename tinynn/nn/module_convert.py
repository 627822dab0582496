"""``Module``'s device and dtype conversions: ``to``, ``float``, ``double``, ``half``, ``bfloat16``, ``type``,
``cpu``, ``cuda``, ``to_empty`` (a mixin of nn/module.py's Module).

Every conversion replaces the arrays inside the existing Parameter and buffer objects, so an
optimizer built before ``model.to(...)`` still holds the model's parameters.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import backend, dtypes
from ..ops.convert import parse_to_args

if TYPE_CHECKING:
    from .module import Module


class ModuleConversions:
    """Converting a Module's floating parameters and buffers in place (uses Module's ``modules()``)."""

    def _convert(self, convert) -> "Module":
        """Replace every parameter's and buffer's array with ``convert(array)``, keeping identities."""
        for module in self.modules():
            for p in module._parameters.values():
                if p is not None:
                    p._data = convert(p._data)
                    if p.grad is not None:
                        p.grad._data = convert(p.grad._data)
            for name, b in module._buffers.items():
                if b is not None:
                    b._data = convert(b._data)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """``to(device)``, ``to(dtype)`` or both: converts floating parameters and buffers in place."""
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        device, dtype = parse_to_args(args, device, dtype)
        if dtype is not None and dtypes.to_dtype(dtype).kind != "f":
            raise TypeError(f"Module.to() only accepts floating point dtypes, but got desired dtype={dtype}")
        target = backend.as_device(device) if device is not None else None

        def convert(array):
            if dtype is not None and array.dtype.kind == "f":
                array = dtypes.cast_array(array, dtype)
            if target is not None:
                array = backend.to_device(array, target)
            return array

        return self._convert(convert)

    def bfloat16(self) -> "Module":
        """Floating parameters and buffers rounded to bfloat16 (float32 storage; see ``tinynn.bfloat16``)."""
        return self.to(dtypes.bfloat16)

    def float(self) -> "Module":
        return self.to(dtypes.float32)

    def double(self) -> "Module":
        return self.to(dtypes.float64)

    def half(self) -> "Module":
        return self.to(dtypes.float16)

    def type(self, dst_type) -> "Module":
        """Cast floating parameters and buffers to ``dst_type`` (a dtype or a legacy type such as
        tinynn.DoubleTensor), as ``Module.to(dtype)``."""
        from ..tensor_types import dtype_of_type_name

        legacy = dtype_of_type_name(dst_type)
        return self.to(legacy[0]) if legacy is not None else self.to(dst_type)

    def to_empty(self, *, device=None, recurse: bool = True) -> "Module":
        """Move parameters and buffers to ``device`` without copying their values (PyTorch's way to
        materialise a model built on the meta device); the values are then uninitialised."""
        target = backend.as_device(device) if device is not None else backend.get_default_device()
        xp = backend.array_module(target)
        return self._convert(lambda array: xp.empty(array.shape, dtype=array.dtype))

    def share_memory(self) -> "Module":
        """Itself: PyTorch moves the tensors to shared memory for torch.multiprocessing workers;
        tinynn has no multiprocessing of its own (its DataLoader has no worker processes)."""
        return self

    def cpu(self) -> "Module":
        return self.to("cpu")

    def cuda(self, device=None) -> "Module":
        return self.to("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)
