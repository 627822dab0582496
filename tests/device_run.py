"""What ``pytest --device cuda`` changes: tinynn's default device becomes CUDA.

Every ``tinynn.tensor``, ``zeros``, ``randn`` and every layer's parameters then live on the GPU,
so the suite's gradchecks, PyTorch-parity and training tests run the CuPy backend. The tests read
results with ``.numpy()``; on a GPU tensor the library refuses that (it points at ``.cpu()``), so
for this run ``.numpy()`` copies to the host first: the assertions stay the CPU suite's own.
tests/cuda/ checks the refusal itself against the library's unpatched method.
"""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn.tensor import Tensor

library_numpy = Tensor.numpy


def _numpy_on_host(self, force: bool = False):
    return library_numpy(self.cpu() if self.device.type != "cpu" else self, force=force)


def _shares_memory(a, b, max_work=None):
    """np.shares_memory that understands GPU arrays (tests check views with it)."""
    import cupy

    if isinstance(a, cupy.ndarray) or isinstance(b, cupy.ndarray):
        both = isinstance(a, cupy.ndarray) and isinstance(b, cupy.ndarray)
        return both and bool(cupy.shares_memory(a, b))
    return _numpy_shares_memory(a, b, max_work=max_work)


_numpy_shares_memory = np.shares_memory


def start() -> None:
    tinynn.set_default_device("cuda")
    Tensor.numpy = _numpy_on_host
    np.shares_memory = np.may_share_memory = _shares_memory
