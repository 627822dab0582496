"""The globals a ``weights_only=True`` load lets a pickle use: ``add_safe_globals`` and its kin.

A pickle names every class and function it needs as a global (``module.qualname``) and calls it
while loading: that is how a pickle can run code. With ``weights_only=True`` (the default) a name
is found only if it is allowed:

- by default: ``collections.OrderedDict`` and ``Counter``, ``builtins.set``, ``frozenset`` and
  ``complex``, ``_codecs.encode`` (bytes in a protocol-2 pickle), ``tinynn.Tensor`` and
  ``nn.Parameter``. Each builds data and runs no user code. Tensors, numeric NumPy arrays and
  scalars, dtypes and devices need no global at all: they are stored beside the pickle.
- by the user: ``add_safe_globals([MyClass])`` for the rest of the process, or
  ``with safe_globals([MyClass]): ...`` for one block. Allow only what you trust: an allowed
  class can be instantiated with any arguments and given any state by the file.

An entry is the object itself, named by its ``__module__`` and ``__qualname__``, or a pair
``(obj, "module.name")`` when the file names it differently (it was saved from ``__main__``,
or the class has moved). Differences from PyTorch, on purpose: entries are checked when added (a
mistake is reported there, not at the next load); ``safe_globals`` removes on exit only the entries
it added (PyTorch removes them even if they were allowed before the block); ``bytearray`` is not
allowed by default, since ``bytearray(2**40)`` in a tiny file would allocate a terabyte.
"""
from __future__ import annotations

import _codecs
import collections
import threading

from ..tensor import Tensor

__all__ = ["add_safe_globals", "clear_safe_globals", "get_safe_globals", "safe_globals"]

_user_globals: list = []       # what add_safe_globals added, in order, without repeats
_lock = threading.Lock()


def _default_globals() -> list:
    from ..nn.parameter import Parameter  # late: tinynn.nn imports tinynn, which imports this module

    return [collections.OrderedDict, collections.Counter, set, frozenset, complex, _codecs.encode, Tensor, Parameter]


def _checked(entry):
    if isinstance(entry, tuple):
        if len(entry) != 2 or type(entry[1]) is not str:
            raise TypeError(f"add_safe_globals: a tuple entry must be (global, 'module.name'), got {entry!r:.80}")
        return entry
    if not all(isinstance(getattr(entry, attribute, None), str) for attribute in ("__module__", "__qualname__")):
        raise TypeError(f"add_safe_globals: {entry!r:.60} has no __module__ and __qualname__ to name it by; "
                        "give it as (obj, 'module.name')")
    return entry


def _name_of(entry) -> str:
    return entry[1] if isinstance(entry, tuple) else f"{entry.__module__}.{entry.__qualname__}"


def add_safe_globals(safe_globals: list) -> None:
    """Allow ``weights_only=True`` loads to use these globals (classes, functions) from now on."""
    entries = [_checked(entry) for entry in safe_globals]
    with _lock:
        for entry in entries:
            if entry not in _user_globals:
                _user_globals.append(entry)


def get_safe_globals() -> list:
    """The globals added with ``add_safe_globals`` (or inside ``safe_globals`` blocks), in order."""
    with _lock:
        return list(_user_globals)


def clear_safe_globals() -> None:
    """Forget every global added with ``add_safe_globals``; the defaults stay."""
    with _lock:
        _user_globals.clear()


class safe_globals:
    """``with safe_globals([MyClass]): tinynn.load(path)``: allow these globals inside the block only."""

    def __init__(self, safe_globals: list):
        self.safe_globals = [_checked(entry) for entry in safe_globals]
        self._added: list = []

    def __enter__(self) -> None:
        with _lock:
            self._added = [entry for entry in self.safe_globals if entry not in _user_globals]
            _user_globals.extend(self._added)

    def __exit__(self, *exc) -> None:
        with _lock:
            for entry in self._added:
                if entry in _user_globals:
                    _user_globals.remove(entry)
        self._added = []


def allowed_globals() -> dict[str, object]:
    """Every allowed global by the name a pickle gives it: ``"collections.OrderedDict": OrderedDict``."""
    allowed = {_name_of(entry): entry for entry in _default_globals()}
    for entry in get_safe_globals():
        allowed[_name_of(entry)] = entry[0] if isinstance(entry, tuple) else entry
    return allowed


def refusal_message(name: str, needed: list[str]) -> str:
    """Why a weights-only load refused a file, and the two ways to load it (as PyTorch explains it)."""
    listed = ", ".join(needed)
    example = needed[0]
    return (
        f"tinynn.load: weights-only load of {name} failed. The file holds a pickled object (it was saved with "
        f"tinynn.save(obj) for an obj that is not plain data, such as a whole model) that needs "
        f"{'globals' if len(needed) > 1 else 'the global'} {listed}, not allowed by default. Loading it runs code "
        "from the file: do either step below only if you trust the file's source.\n"
        "\t(1) tinynn.load(..., weights_only=False) loads it, and can execute arbitrary code.\n"
        f"\t(2) Or allow what it needs and keep weights_only=True: "
        f"tinynn.serialization.add_safe_globals([{example}, ...]), or the context manager "
        f"`with tinynn.serialization.safe_globals([{example}, ...]):` around the load, if you trust "
        f"{'these classes and functions' if len(needed) > 1 else 'this class or function'}.\n"
        "Better still, save model.state_dict() (plain data, loadable without pickles) and rebuild the model in code."
    )
