"""``ParameterList`` and ``ParameterDict``: a list and a dict of parameters that the parent module sees.

Their members are registered as the container's own parameters under their keys ("0", "1", ... for
the list), so ``parameters()``, ``to()`` and ``state_dict()`` reach them, under PyTorch's names.
A plain tensor put in one becomes a Parameter, as in PyTorch.
"""
from __future__ import annotations

import collections.abc as abc
from collections import OrderedDict

from ..tensor import Tensor
from .containers import checked_index
from .module import Module
from .parameter import Parameter

__all__ = ["ParameterDict", "ParameterList"]


def _describe(value) -> str:
    """One repr line for a ParameterList/ParameterDict member."""
    if isinstance(value, Tensor):
        size = "x".join(str(s) for s in value.shape)
        device = f" ({value.device})" if value.device.type == "cuda" else ""
        kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
        return f"{kind} containing: [tinynn.{value.dtype} of size {size}{device}]"
    return f"Object of type: {type(value).__name__}"


def _as_parameter(value):
    # a plain tensor put in a parameter container becomes a Parameter, as in PyTorch
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _store(container: Module, key: str, value) -> None:
    """Put ``value`` under ``key``: a tensor as a parameter (in place, keeping the key's position),
    anything else as a plain attribute, as PyTorch's parameter containers allow."""
    value = _as_parameter(value)
    if isinstance(value, Parameter) or (value is None and key in container._parameters):
        container.__dict__.pop(key, None)
        container.register_parameter(key, value)
    else:
        container._parameters.pop(key, None)
        setattr(container, key, value)


class ParameterList(Module):
    """A list of parameters, registered under "0", "1", ... (plain tensors are made Parameters)."""

    def __init__(self, values=None):
        super().__init__()
        object.__setattr__(self, "_size", 0)
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)([self[i] for i in range(len(self))[idx]])
        return self._member(str(checked_index(self, idx)))

    def _member(self, key: str):
        # parameters first: a key such as "keys" must not resolve to a method of the class
        return self._parameters[key] if key in self._parameters else getattr(self, key)

    def __setitem__(self, idx: int, param) -> None:
        _store(self, str(checked_index(self, idx)), param)

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters) -> "ParameterList":
        return self.extend(parameters)

    def append(self, value) -> "ParameterList":
        n = self._size
        object.__setattr__(self, "_size", n + 1)
        _store(self, str(n), value)
        return self

    def extend(self, values) -> "ParameterList":
        if not isinstance(values, abc.Iterable) or isinstance(values, Tensor):
            raise TypeError(f"ParameterList.extend should be called with an iterable, but got {type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"  ({i}): {_describe(p)}" for i, p in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """A dict of parameters with string keys (plain tensors are made Parameters).

    Like PyTorch's, ``update`` from a plain ``dict`` adds the items in sorted key order; an
    OrderedDict, a ParameterDict or a list of pairs keeps its own order.
    """

    def __init__(self, parameters=None):
        super().__init__()
        object.__setattr__(self, "_keys", {})
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        if key not in self._keys:
            raise KeyError(key)
        return self._parameters[key] if key in self._parameters else getattr(self, key)

    def __setitem__(self, key: str, value) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {type(key).__name__}")
        self._keys[key] = None
        _store(self, key, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(list(self._keys))

    def __contains__(self, key) -> bool:
        return key in self._keys

    def copy(self) -> "ParameterDict":
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def get(self, key: str, default=None):
        return self[key] if key in self else default

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        if not self._keys:
            raise KeyError("popitem(): ParameterDict is empty")
        key = list(self._keys)[-1]
        return key, self.pop(key)

    def fromkeys(self, keys, default=None) -> "ParameterDict":
        return ParameterDict((k, default) for k in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def update(self, parameters) -> None:
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = list(parameters.items())
        elif isinstance(parameters, abc.Mapping):
            pairs = sorted(parameters.items())
        elif isinstance(parameters, abc.Iterable):
            pairs = []
            for j, pair in enumerate(parameters):
                if not isinstance(pair, abc.Iterable) or isinstance(pair, str):
                    raise TypeError(
                        f"ParameterDict update sequence element #{j} should be Iterable; is {type(pair).__name__}")
                pair = tuple(pair)
                if len(pair) != 2:
                    raise ValueError(
                        f"ParameterDict update sequence element #{j} has length {len(pair)}; 2 is required")
                pairs.append(pair)
        else:
            raise TypeError(f"ParametersDict.update should be called with an iterable of key/value pairs, "
                            f"but got {type(parameters).__name__}")
        for key, value in pairs:
            self[key] = value

    def __or__(self, other: "ParameterDict") -> "ParameterDict":
        result = self.copy()
        result.update(other)
        return result

    def extra_repr(self) -> str:
        return "\n".join(f"  ({k}): {_describe(p)}" for k, p in self.items())

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")
