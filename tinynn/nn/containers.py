"""Containers: modules that hold other modules and register them under their keys.

``Sequential`` chains modules; ``ModuleList`` and ``ModuleDict`` are a list and a dict whose
members the parent module sees (so ``parameters()``, ``to()`` and ``state_dict()`` reach them);
``ParameterList`` and ``ParameterDict`` do the same for parameters (nn/parameter_containers.py). Keys follow PyTorch: positions
"0", "1", ... for the list-like containers, so ``model.0.weight`` names the same weight in both.
"""
from __future__ import annotations

import collections.abc as abc
import operator
from collections import OrderedDict

from .module import Module

__all__ = ["ModuleDict", "ModuleList", "Sequential"]


def checked_index(container, idx) -> int:
    """``idx`` (possibly negative) as a position in ``container``, or IndexError."""
    idx = operator.index(idx)
    n = len(container)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range for {type(container).__name__} of length {n}")
    return idx % n


def _renumber(registry: dict, values) -> None:
    """Refill ``registry`` with ``values`` under the keys "0", "1", ... (in place: the dict is shared)."""
    values = list(values)
    registry.clear()
    for i, value in enumerate(values):
        registry[str(i)] = value


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: positions, len, iteration, append, delete, pop."""

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self._slice(idx)
        return list(self._modules.values())[checked_index(self, idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules.keys())[checked_index(self, idx)]
        self.add_module(key, module)  # in place: the key keeps its position

    def __delitem__(self, idx) -> None:
        if isinstance(idx, slice):
            for key in list(self._modules.keys())[idx]:
                delattr(self, key)
        else:
            delattr(self, list(self._modules.keys())[checked_index(self, idx)])
        _renumber(self._modules, self._modules.values())  # keep the numbering contiguous, as PyTorch does

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module):
        self.add_module(str(len(self)), module)
        return self

    def pop(self, key=-1) -> Module:
        value = self[key]
        del self[key]
        return value

    def _insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        _renumber(self._modules, modules)


class Sequential(_ModuleSequence):
    """Modules applied one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Built from modules (keys "0", "1", ...) or from one OrderedDict of name -> module.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def _slice(self, idx: slice) -> "Sequential":
        # a slice keeps the original keys, as PyTorch's does
        return type(self)(OrderedDict(list(self._modules.items())[idx]))

    def __add__(self, other: "Sequential") -> "Sequential":
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        return Sequential(*self, *other)

    def __iadd__(self, other: "Sequential") -> "Sequential":
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        return self.extend(other)

    def __mul__(self, other: int) -> "Sequential":
        if not isinstance(other, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")
        return Sequential(*(list(self) * other))  # the same module objects, repeated

    __rmul__ = __mul__

    def insert(self, index: int, module: Module) -> "Sequential":
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        self._insert(index + n if index < 0 else index, module)
        return self

    def extend(self, sequential) -> "Sequential":
        for module in sequential:
            self.append(module)
        return self

    def forward(self, input):
        for module in self:
            input = module(input)
        return input


class ModuleList(_ModuleSequence):
    """A list of modules, registered under "0", "1", ... Indexing, slicing, append, extend, insert."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _slice(self, idx: slice) -> "ModuleList":
        return type(self)(list(self._modules.values())[idx])  # renumbered from 0

    def __iadd__(self, modules) -> "ModuleList":
        return self.extend(modules)

    def __add__(self, other) -> "ModuleList":
        return ModuleList([*self, *other])

    def extend(self, modules) -> "ModuleList":
        if not isinstance(modules, abc.Iterable):
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got {type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._insert(index, module)

    def __repr__(self) -> str:
        """Runs of identical members print once, ``(0-2): 3 x Linear(...)``, as PyTorch prints them."""
        texts = [repr(m).replace("\n", "\n  ") for m in self]
        if not texts:
            return "ModuleList()"
        runs = []  # [first index, last index, text]
        for i, text in enumerate(texts):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = [f"({a}): {text}" if a == b else f"({a}-{b}): {b - a + 1} x {text}" for a, b, text in runs]
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules (string keys, insertion order): ``d["head"]``, keys/values/items/update/pop."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        value = self[key]
        del self[key]
        return value

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        """Add modules from a mapping (in its order) or from an iterable of (key, module) pairs."""
        if isinstance(modules, (abc.Mapping, ModuleDict)):
            for key, module in modules.items():
                self[key] = module
            return
        if not isinstance(modules, abc.Iterable):
            raise TypeError(
                "ModuleDict.update should be called with an iterable of key/value pairs, "
                f"but got {type(modules).__name__}"
            )
        for j, pair in enumerate(modules):
            if not isinstance(pair, abc.Iterable) or isinstance(pair, (str, Module)):
                raise TypeError(f"ModuleDict update sequence element #{j} should be Iterable; is {type(pair).__name__}")
            pair = tuple(pair)
            if len(pair) != 2:
                raise ValueError(f"ModuleDict update sequence element #{j} has length {len(pair)}; 2 is required")
            self[pair[0]] = pair[1]
