"""The array-module seam: which library (NumPy or CuPy) holds a tensor's numbers.

Every op computes with ``xp = array_module_of(array)``, never with ``numpy`` directly on
tensor data, so the same op code runs on a GPU when the array is a CuPy array.
"""
from __future__ import annotations

import numpy as np

try:  # CuPy is optional: tinynn imports and runs on the CPU without it.
    import cupy as _cupy
except Exception:  # ImportError, or a CuPy without a usable CUDA runtime
    _cupy = None


class device:
    """Where a tensor's numbers live: ``device("cpu")``, ``device("cuda")``, ``device("cuda:1")``."""

    __slots__ = ("type", "index")

    def __init__(self, type: "str | device", index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got {type!r}")
        elif ":" in type:
            type, _, number = type.partition(":")
            if not number.isdigit():
                raise ValueError(f"device: invalid device index in {type}:{number!r}")
            index = int(number)
        if type not in ("cpu", "cuda"):
            raise ValueError(f"device: expected 'cpu' or 'cuda', got {type!r}")
        if type == "cpu" and index not in (None, 0):
            raise ValueError(f"device: the cpu has no index {index}")
        self.type = type
        self.index = index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        same_index = self.index == other.index or None in (self.index, other.index)
        return self.type == other.type and same_index

    def __hash__(self):
        return hash(self.type)

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")
_default_device = CPU


def set_default_device(spec) -> None:
    """Where factory functions (``zeros``, ``tensor``, layers' parameters...) put new tensors when
    no ``device=`` is given: ``set_default_device("cuda")`` (``None`` restores the CPU)."""
    global _default_device
    target = CPU if spec is None else as_device(spec)
    array_module(target)  # a clear error now when CUDA is not available
    _default_device = target


def get_default_device() -> device:
    return _default_device


def as_device(spec) -> device:
    """Turn ``None``, a string or a device into a device (``None`` means the default device, the
    CPU unless ``set_default_device`` said otherwise)."""
    if spec is None:
        return _default_device
    if isinstance(spec, device):
        return spec
    return device(spec)


def cuda_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def array_module(dev: device):
    """The array library for a device: numpy for the CPU, cupy for CUDA."""
    if dev.type == "cpu":
        return np
    if not cuda_available():
        raise RuntimeError(
            "device 'cuda' was requested but CUDA is not available: install CuPy "
            "(pip install 'tinynn-edu[gpu]') on a machine with an NVIDIA GPU, or use device='cpu'"
        )
    return _cupy


def array_module_of(array):
    """The array library that holds ``array`` (numpy unless it is a CuPy array)."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return np


def device_of(array) -> device:
    """The device of a raw array."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return device("cuda", array.device.id)
    return CPU


def to_device(array, dev: device):
    """Copy ``array`` to ``dev`` (no copy when it is already there)."""
    if dev.type == "cpu":
        if _cupy is not None and isinstance(array, _cupy.ndarray):
            return _cupy.asnumpy(array)
        return array
    xp = array_module(dev)
    with xp.cuda.Device(dev.index or 0):
        return xp.asarray(array)


def is_writeable(array) -> bool:
    """Whether ``array`` may be written in place: NumPy marks broadcast and read-only views; CuPy
    has no such flag, so there a view with a zero stride (a broadcast) counts as read-only."""
    flags = array.flags
    if hasattr(flags, "writeable"):
        return flags.writeable
    return 0 not in array.strides


def add_at(target, index, values) -> None:
    """``target[index] += values`` that accumulates repeated indices (np.add.at)."""
    if array_module_of(target) is np:
        np.add.at(target, index, values)
    else:  # CuPy: atomic adds on the GPU
        import cupyx

        cupyx.scatter_add(target, index, values)


# ---------------------------------------------------------------------------- the allocator
# glibc malloc hands every large array (over 128 KiB to start with) to mmap and gives it back to
# the kernel when freed. A training step frees and re-creates the same temporaries every time, so
# each step faults all their pages in again: thousands of page faults per step (about 8,000 for
# PERFORMANCE.md's GPT), ~2 us each. Raising the mmap threshold and keeping freed memory at the top
# of the heap lets the next step reuse those pages: the faults drop to ~0.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory(mmap_threshold: int = 32 * 2**20, trim_threshold: int = 512 * 2**20,
                      top_pad: int = 64 * 2**20) -> bool:
    """Ask glibc's malloc to keep freed memory for reuse (tinynn calls this once at import).

    Arrays up to ``mmap_threshold`` bytes come from the heap, and up to ``trim_threshold`` bytes
    of freed heap stay with the process. Returns False where there is no glibc (macOS, Windows,
    musl), where it changes nothing.
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    ok = mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold))
    ok &= mallopt(_M_TRIM_THRESHOLD, int(trim_threshold))
    ok &= mallopt(_M_TOP_PAD, int(top_pad))
    return bool(ok)


def silence_float_warnings_in_ops() -> None:
    """Let IEEE arithmetic inside tinynn be silent, as PyTorch's is (tinynn calls this once at import).

    NumPy warns when an operation makes inf or nan ("divide by zero encountered in log"); PyTorch
    returns the same inf and nan without a word, and so should tinynn: log(0) = -inf is the right
    answer, not a mistake. The warning filter matches only warnings raised from tinynn's own code
    (``module`` is where the NumPy call sits), so NumPy used directly by the program still warns,
    and it costs nothing per operation (``np.errstate`` around each op would cost about 1.5 us).
    """
    import warnings

    warnings.filterwarnings("ignore", message=r"(divide by zero|invalid value|overflow|underflow) encountered",
                            category=RuntimeWarning, module=r"tinynn\.")
