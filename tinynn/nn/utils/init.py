"""``nn.utils.skip_init``: build a module whose parameters the caller will overwrite anyway."""
from __future__ import annotations

import inspect

from ..module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` without the promise of any particular initial values.

    PyTorch builds the module on its "meta" device (no memory) and then allocates uninitialized
    memory, skipping the random initialization. tinynn has no meta device: the module is built
    normally (so initialized), which keeps the contract: the values are unspecified and the
    caller sets them. As in PyTorch, the class must accept a ``device`` argument.
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
