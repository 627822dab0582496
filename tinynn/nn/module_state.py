"""``Module``'s state dicts: ``state_dict()`` and ``load_state_dict()`` (a mixin of nn/module.py's Module).

A state dict names every parameter and persistent buffer by its dotted path (``fc.weight``), in
PyTorch's order, so checkpoints move between tinynn and PyTorch unchanged. A module with state that
is neither (an RNG, a counter) overrides ``get_extra_state`` / ``set_extra_state``; it is then saved
under ``<path>._extra_state``.
"""
from __future__ import annotations

import collections

import numpy as np

from .. import backend
from ..autograd import grad_mode
from ..tensor import Tensor


class _IncompatibleKeys(collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys the module lacked in the dict, and those it did not use."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, unexpected_keys={self.unexpected_keys!r})"

    __str__ = __repr__


class ModuleStateDict:
    """Saving and loading a Module's parameters and buffers (uses Module's registries ``_parameters``,
    ``_buffers``, ``_modules`` and ``named_modules``)."""

    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name, in PyTorch's order (detached tensors)."""
        destination = collections.OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not ModuleStateDict.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values (tensors, or NumPy arrays) into the parameters and buffers, by name.

        With ``strict=True`` the keys must match exactly; missing, unexpected, wrongly shaped and
        non-tensor entries are all listed in one error. Returns ``(missing_keys, unexpected_keys)``,
        which prints as ``<All keys matched successfully>`` when both are empty. ``assign=True``
        makes each parameter and buffer take the checkpoint's array (its dtype, its memory) instead
        of copying into its own. Where tinynn differs: NumPy arrays are accepted as values, and with
        ``assign=True`` the module keeps its Parameter objects (PyTorch makes new ones), so an
        optimizer built before the load still holds them.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        state_dict = collections.OrderedDict(state_dict)   # the modules' hooks may add entries: not to the caller's
        for name, module in self.named_modules():
            # a module may adapt the checkpoint to itself first: lazy modules (nn/lazy.py) take its
            # shapes, batch norm fills in a num_batches_tracked that older checkpoints lack
            prepare = getattr(module, "_before_load_state_dict", None)
            if prepare is not None:
                prepare(state_dict, name + "." if name else "")
        own = self.state_dict(keep_vars=True)
        extra = {(name + "." if name else "") + "_extra_state": module for name, module in self.named_modules()
                 if type(module).set_extra_state is not ModuleStateDict.set_extra_state}
        for key in extra:
            own.pop(key, None)
        missing = [k for k in own if k not in state_dict] + [k for k in extra if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own and k not in extra]
        mismatched = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, (Tensor, np.ndarray)):
                mismatched.append(f'While copying the parameter named "{key}", expected a Tensor (or a NumPy array) '
                                  f"from checkpoint but received {type(value)}")
                continue
            array = value._data if isinstance(value, Tensor) else value
            if tuple(array.shape) != tuple(target.shape):
                mismatched.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(array.shape)} from "
                    f"checkpoint, the shape in current model is {tuple(target.shape)}."
                )
        if strict and (missing or unexpected) or mismatched:
            lines = []
            if strict and missing:
                lines.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
            if strict and unexpected:
                lines.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
            lines += mismatched
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(lines)
            )
        with grad_mode.no_grad():
            for key, target in own.items():
                if key in state_dict:
                    value = state_dict[key]
                    array = value._data if isinstance(value, Tensor) else value
                    array = backend.to_device(array, backend.device_of(target._data))
                    if assign:  # the module takes the checkpoint's array as it is (dtype and memory)
                        target._data = array if getattr(array.flags, "writeable", True) else array.copy()
                    else:
                        target._data[...] = array
                    target._bump_version()
        for key, module in extra.items():
            if key in state_dict:
                module.set_extra_state(state_dict[key])
        return _IncompatibleKeys(missing, unexpected)

    def get_extra_state(self):
        """State beyond parameters and buffers to put in ``state_dict()`` (under ``_extra_state``):
        override it, and ``set_extra_state``, in a module that has such state."""
        raise RuntimeError("Reached a code path in ModuleStateDict.get_extra_state() that should never be called: override "
                           "get_extra_state() in the module to return its extra state")

    def set_extra_state(self, state) -> None:
        """Restore what ``get_extra_state`` returned, from ``load_state_dict``."""
        raise RuntimeError("Reached a code path in ModuleStateDict.set_extra_state() that should never be called: override "
                           "set_extra_state() in the module that overrides get_extra_state()")
