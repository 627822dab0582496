"""``tinynn.cuda``: whether a GPU can be used, and its random seed. CuPy provides the GPU arrays."""
from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when CuPy is installed and a CUDA GPU is visible."""
    return backend.cuda_available()


def device_count() -> int:
    if not is_available():
        return 0
    return backend._cupy.cuda.runtime.getDeviceCount()


def synchronize(device=None) -> None:
    """Wait until the GPU has finished the queued work (a no-op without a GPU)."""
    if is_available():
        index = device if isinstance(device, int) else backend.as_device(device or "cuda").index or 0
        backend._cupy.cuda.Device(index).synchronize()


def manual_seed(seed: int) -> None:
    manual_seed_all(seed)


def manual_seed_all(seed: int) -> None:
    """Seed the GPUs' random generators (a no-op without a GPU)."""
    if is_available():
        backend._cupy.random.seed(int(seed) % 2**32)
