"""``tinynn.cuda``: whether a GPU can be used, and its random seed. CuPy provides the GPU arrays."""
from __future__ import annotations

from .. import backend


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


# ---------------------------------------------------------------------------- devices and memory
def _require_gpu(name: str) -> None:
    if not is_available():
        raise RuntimeError(f"tinynn.cuda.{name}(): no CUDA GPU with CuPy is available here "
                           "(check with tinynn.cuda.is_available())")


def current_device() -> int:
    _require_gpu("current_device")
    return backend._cupy.cuda.runtime.getDevice()


def set_device(device) -> None:
    _require_gpu("set_device")
    index = device if isinstance(device, int) else backend.as_device(device).index or 0
    backend._cupy.cuda.runtime.setDevice(int(index))


def get_device_name(device=None) -> str:
    _require_gpu("get_device_name")
    index = current_device() if device is None else (device if isinstance(device, int) else backend.as_device(device).index or 0)
    name = backend._cupy.cuda.runtime.getDeviceProperties(int(index))["name"]
    return name.decode() if isinstance(name, bytes) else name


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether bfloat16 can be used on the GPU: tinynn's bfloat16 is an emulation (float32 storage
    rounded to bfloat16's precision, see tinynn.bfloat16), available wherever a GPU is."""
    return is_available()


def empty_cache() -> None:
    """Return the memory CuPy's pool keeps for reuse to the GPU (a no-op without a GPU)."""
    if is_available():
        backend._cupy.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory held by live arrays (0 without a GPU)."""
    return int(backend._cupy.get_default_memory_pool().used_bytes()) if is_available() else 0


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory CuPy's pool holds, in use or kept for reuse (0 without a GPU)."""
    return int(backend._cupy.get_default_memory_pool().total_bytes()) if is_available() else 0


from . import amp  # noqa: E402,F401  (torch.cuda.amp)
from ..tensor_types import CUDA_TYPES as _CUDA_TYPES  # noqa: E402

# the legacy GPU constructors: tinynn.cuda.FloatTensor(...), isinstance(x, tinynn.cuda.LongTensor)
FloatTensor, DoubleTensor, HalfTensor = _CUDA_TYPES["FloatTensor"], _CUDA_TYPES["DoubleTensor"], _CUDA_TYPES["HalfTensor"]
BFloat16Tensor, ByteTensor, CharTensor = _CUDA_TYPES["BFloat16Tensor"], _CUDA_TYPES["ByteTensor"], _CUDA_TYPES["CharTensor"]
ShortTensor, IntTensor, LongTensor = _CUDA_TYPES["ShortTensor"], _CUDA_TYPES["IntTensor"], _CUDA_TYPES["LongTensor"]
BoolTensor = _CUDA_TYPES["BoolTensor"]
