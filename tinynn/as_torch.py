"""Run a PyTorch program on tinynn without editing it: ``python -m tinynn.as_torch script.py [args]``.

tinynn speaks PyTorch's API, so ``import tinynn as torch`` is usually the only edit a PyTorch
script needs. Real scripts also write ``import torch.nn as nn``, ``from torch.utils.data import
DataLoader`` or ``import torch.nn.functional as F``; this module makes every such import resolve
to tinynn's module of the same name (``torch.nn.functional`` is ``tinynn.nn.functional``), then
runs the script as ``__main__``. A name tinynn lacks fails as it would in any import: with an
``ImportError`` or ``AttributeError`` naming it.

``install()`` does the same inside a running interpreter (before the first ``import torch``).
It refuses when the real PyTorch is already imported: two engines under one name would mix.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import runpy
import sys

__all__ = ["install", "uninstall", "main"]

_PREFIX = "torch"


class _TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch`` and ``torch.x.y`` and loads them as ``tinynn`` and ``tinynn.x.y``."""

    def __init__(self):
        self._own_specs = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _PREFIX and not fullname.startswith(_PREFIX + "."):
            return None
        target_name = "tinynn" + fullname[len(_PREFIX):]
        if importlib.util.find_spec(target_name) is None:
            return None  # the usual ModuleNotFoundError, naming torch's module
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module("tinynn" + spec.name[len(_PREFIX):])
        self._own_specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module):
        # the import system stamped torch's spec on tinynn's module: give it its own back, so
        # tinynn's relative imports and reloads keep working
        module.__spec__ = self._own_specs.pop(module.__spec__.name)


_finder = _TorchAlias()


def install() -> None:
    """Make ``import torch`` (and every ``torch.*`` module) import tinynn from now on."""
    if _PREFIX in sys.modules and sys.modules[_PREFIX] is not importlib.import_module("tinynn"):
        raise RuntimeError("tinynn.as_torch.install(): the real PyTorch is already imported in this process; "
                           "install the alias before anything imports torch")
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Undo ``install()``: forget the aliased modules and stop aliasing new imports."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [n for n in sys.modules if n == _PREFIX or n.startswith(_PREFIX + ".")]:
        if sys.modules[name].__name__.startswith("tinynn"):
            del sys.modules[name]


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m tinynn.as_torch script.py [args...]\n"
              "runs a PyTorch script with every `import torch...` resolved to tinynn")
        raise SystemExit(0 if argv else 2)
    install()
    sys.argv = argv
    runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
