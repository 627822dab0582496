"""``DataParallel``: PyTorch's single-process multi-GPU wrapper, here on one device.

PyTorch's ``DataParallel`` splits each batch across the GPUs of one machine, runs a replica of the
module on each, and gathers the outputs on ``output_device``. tinynn runs on one device at a time,
so the wrapper runs the whole batch through the module: the numbers are those of the module
itself, and everything a program reads from the wrapper is where PyTorch puts it (``.module``,
``state_dict()`` keys prefixed with ``module.``). For training over several processes, use
``DistributedDataParallel`` (tinynn.distributed, over MPI).
"""
from __future__ import annotations

from ..module import Module

__all__ = ["DataParallel", "data_parallel"]


def _device_index(device) -> int:
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    from ...backend import as_device

    return as_device(device).index or 0


class DataParallel(Module):
    """``DataParallel(module, device_ids=None, output_device=None, dim=0)``: ``forward`` is ``module``'s.

    ``device_ids`` may name at most the one device tinynn computes on (a longer list raises, saying so).
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: expected an nn.Module, got {type(module).__name__}")
        device_ids = list(device_ids) if device_ids is not None else None
        if device_ids is not None and len(device_ids) > 1:
            raise RuntimeError(
                f"DataParallel: tinynn computes on one device at a time, got device_ids={device_ids}; "
                "use one device, or DistributedDataParallel with one MPI process per device")
        self.module = module
        self.device_ids = [_device_index(d) for d in device_ids] if device_ids else [0]
        self.output_device = _device_index(output_device if output_device is not None else self.device_ids[0])
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module: Module, inputs, device_ids=None, output_device=None, dim: int = 0, module_kwargs=None):
    """The functional form: ``module(*inputs, **module_kwargs)`` (one device, as ``DataParallel``)."""
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    return DataParallel(module, device_ids, output_device, dim)(*inputs, **(module_kwargs or {}))
