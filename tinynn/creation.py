"""Making tensors: from data, filled with a value, ranges, and random draws.

Each function takes PyTorch's keyword arguments ``dtype``, ``device`` and ``requires_grad``.
Random draws come from ``tinynn.random.default_generator`` (or ``generator=``) on the host and
are then moved to the device, so a seed gives the same numbers on every device.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import backend, dtypes
from .dims import normalize_shape
from .tensor import Tensor


def _finish(array, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is not None:
        array = dtypes.cast_array(array, dtype)
    target = backend.as_device(device)
    if backend.device_of(array) != target:
        array = backend.to_device(array, target)
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True
    return t


def _from_python(data, dtype=None):
    """A NumPy array for nested Python data, with PyTorch's dtype inference (or ``dtype``)."""
    try:
        array = np.asarray(data)
    except ValueError:  # NumPy's complaint about ragged lists names no dimension
        raise ValueError(f"tensor(): {_ragged(data) or 'the nested data is not rectangular'}") from None
    if array.dtype == object:
        raise TypeError(
            "tensor(): could not infer a dtype from the data: expected numbers or nested lists of equal "
            f"length, got {type(data).__name__}"
        )
    if array.dtype.kind == "u" and array.dtype.itemsize == 8 and not _holds_arrays(data):
        raise OverflowError(f"tensor(): {array.max()} is too large for int64 (the largest is {2**63 - 1})")
    if dtype is not None and array.dtype.kind != "U":  # straight to the requested dtype: 0.2 stays 0.2 in float64
        target = dtypes.to_dtype(dtype)
        if target.kind in "iu" and array.dtype.kind in "iuf" and array.size and not _holds_arrays(data):
            _check_fits(array, target)
        return array.astype(target, copy=False)
    if array.dtype.kind == "f" and array.dtype != dtypes.get_default_dtype() and not _holds_arrays(data):
        array = array.astype(dtypes.get_default_dtype())
    elif array.dtype.kind in "iu" and array.dtype != dtypes.int64 and not _holds_arrays(data):
        array = array.astype(dtypes.int64)
    elif array.dtype.kind in "US":
        raise TypeError(f"tensor(): strings are not numbers: got {data!r}")
    return array


def _check_fits(array: np.ndarray, dtype: np.dtype) -> None:
    """PyTorch's overflow check for Python numbers stored as integers (NumPy would wrap 300 to 44
    in uint8): within the type's range, or for unsigned types within -max..max (-1 wraps to 255)."""
    info = np.iinfo(dtype)
    low = -int(info.max) if dtype.kind == "u" else int(info.min)
    if np.isnan(array).any() if array.dtype.kind == "f" else False:
        raise RuntimeError(f"tensor(): nan cannot be converted to {dtype}")
    if array.min() < low or array.max() > info.max:
        bad = array.max() if array.max() > info.max else array.min()
        raise RuntimeError(f"tensor(): value {bad} cannot be converted to type {dtype} without overflow")


def _ragged(data, dim: int = 0) -> str:
    """Where nested lists stop being rectangular, in PyTorch's words."""
    lengths = [len(item) if isinstance(item, (list, tuple)) else None for item in data]
    if None in lengths and any(n is not None for n in lengths):
        return f"expected a sequence or a number at every position of dim {dim + 1}, got a mix of both"
    if len(set(lengths)) > 1:
        return f"expected sequence of length {lengths[0]} at dim {dim + 1} (got {next(n for n in lengths if n != lengths[0])})"
    for item in data:
        if isinstance(item, (list, tuple)):
            inner = _ragged(item, dim + 1)
            if inner:
                return inner
    return ""


def _holds_arrays(data) -> bool:
    if isinstance(data, (Tensor, np.ndarray, np.generic)):
        return True
    if isinstance(data, (list, tuple)) and data:
        return _holds_arrays(data[0])
    return False


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor).

    Python floats give the default float dtype (float32), ints int64, bools bool; NumPy arrays
    keep their dtype.
    """
    if isinstance(data, Tensor):
        array = data._data.copy()
        device = data.device if device is None else device
    elif isinstance(data, np.ndarray):
        if data.dtype == object:
            raise TypeError("tensor(): can't convert a NumPy array of dtype object")
        array = data.copy()
    elif backend.array_module_of(data) is not np:
        array = data.copy()
        device = backend.device_of(data) if device is None else device
    else:
        array = _from_python(data, dtype)
    return _finish(array, dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array (or returns a tensor as it is)."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if isinstance(data, np.ndarray):
        return _finish(data, dtype, device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    if array.dtype == object:
        raise TypeError("from_numpy: can't convert a NumPy array of dtype object")
    return Tensor._make(array)


def _shape(size, name: str, keyword=None) -> tuple:
    """The sizes given as ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``, checked non-negative."""
    if keyword is not None:
        if size:
            raise TypeError(f"{name}(): got the size both as positional arguments {size} and as size={keyword!r}")
        size = (keyword,)
    shape = normalize_shape(size, name)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{name}: trying to create a tensor with negative dimension: {shape}")
    return shape


def _filled(size, fill, dtype, device, requires_grad, name, keyword_size=None) -> Tensor:
    shape = _shape(size, name, keyword_size)
    dtype = dtype if dtype is not None else (
        _infer_fill_dtype(fill) if name == "full" else dtypes.get_default_dtype()
    )
    storage = dtypes.to_dtype(dtype)
    xp = backend.array_module(backend.as_device(device))
    if fill is None:
        array = xp.empty(shape, dtype=storage)
    elif fill == 0:
        array = xp.zeros(shape, dtype=storage)
    else:
        array = xp.full(shape, fill, dtype=storage)
    return _finish(array, dtype if isinstance(dtype, dtypes.EmulatedDType) else None, device, requires_grad)


def _check_fill(fill):
    if isinstance(fill, Tensor):
        if fill.ndim != 0:
            raise RuntimeError(f"full(): fill_value must be a number or a 0-dim tensor, got a tensor of shape {tuple(fill.shape)}")
        return fill.item()
    if not isinstance(fill, (numbers.Number, np.bool_)):
        raise TypeError(f"full(): argument 'fill_value' must be a number, not {type(fill).__name__}")
    return fill


def _infer_fill_dtype(fill):
    if isinstance(fill, (bool, np.bool_)):
        return dtypes.bool
    if isinstance(fill, numbers.Integral):
        return dtypes.int64
    return dtypes.get_default_dtype()


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> Tensor:
    return _filled(size, 0, dtype, device, requires_grad, "zeros", _size_keyword(kwargs, "zeros"))


def ones(*size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> Tensor:
    return _filled(size, 1, dtype, device, requires_grad, "ones", _size_keyword(kwargs, "ones"))


def empty(*size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> Tensor:
    return _filled(size, None, dtype, device, requires_grad, "empty", _size_keyword(kwargs, "empty"))


def _size_keyword(kwargs: dict, name: str):
    """PyTorch's creation functions also take ``size=`` by keyword, and accept (and ignore) the
    memory-layout arguments tinynn has no use for: every tinynn tensor is strided and dense."""
    size = kwargs.pop("size", None)
    kwargs.pop("pin_memory", None), kwargs.pop("memory_format", None)
    layout = kwargs.pop("layout", None)
    if layout is not None and getattr(layout, "name", layout) != "strided":
        raise RuntimeError(f"{name}(): tinynn makes only dense (strided) tensors, got layout={layout}")
    if kwargs.pop("out", None) is not None:
        raise RuntimeError(f"{name}(): out= is not supported by tinynn; use the returned tensor")
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument {next(iter(kwargs))!r}")
    return size


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    fill_value = _check_fill(fill_value)
    return _filled((size,) if isinstance(size, int) else size, fill_value, dtype, device, requires_grad, "full")


def _like(t: Tensor, dtype, device):
    return (dtype if dtype is not None else t.dtype), (device if device is not None else t.device)


def zeros_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return zeros(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return ones(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(t: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return empty(t.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _like(t, dtype, device)
    return full(t.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Numbers from ``start`` up to (not including) ``end`` in steps of ``step``."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if dtype is not None and dtypes.to_dtype(dtype).kind in "iu":  # PyTorch truncates all three first
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign (start={start}, end={end}, step={step})")
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = dtypes.int64 if is_int else dtypes.get_default_dtype()
    count = int(np.ceil((end - start) / step))  # PyTorch's length rule, in float64
    if dtypes.to_dtype(dtype).kind == "f":
        # start + i * step, rounded once to the dtype: extended precision (where the platform has
        # it) keeps i * step exact, so arange(-1.5, 1.5, 0.3)[5] is -5.55e-17 as in PyTorch, not 0
        array = np.longdouble(start) + np.longdouble(step) * np.arange(count)
    else:
        array = np.arange(start, end, step)
    return _finish(array, dtype, device, requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced numbers from ``start`` to ``end`` inclusive.

    Computed as PyTorch does: step = (end - start) / (steps - 1) in the dtype, then the first half
    counts up from ``start`` and the second half down from ``end`` (so both ends are exact), each
    value start + step * i rounded once (a fused multiply-add, emulated in a wider float).
    """
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    dtype = dtypes.to_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    if dtype == np.bool_:
        raise NotImplementedError("linspace: not implemented for dtype bool (use a number dtype and compare)")
    steps = int(steps)
    if dtype.kind == "f":
        start, end = dtype.type(start), dtype.type(end)
        step = (end - start) / dtype.type(max(steps - 1, 1))
        # float16 arithmetic rounds after every operation (PyTorch's Half does too)
        wide = {np.float64: np.longdouble, np.float32: np.float64}.get(dtype.type, dtype.type)
    else:  # integers: the step is a float64, and the values are truncated to integers
        start, end = np.int64(start), np.int64(end)
        step = (end - start) / max(steps - 1, 1)
        wide = np.float64
    count = np.arange(steps).astype(wide)
    up = wide(start) + wide(step) * count
    down = wide(end) - wide(step) * (steps - 1 - count)
    array = np.where(count < steps // 2, up, down) if steps > 1 else np.full(steps, start)
    return _finish(array, dtype, device, requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    array = base ** np.linspace(float(start), float(end), int(steps))
    return _finish(array, dtype or dtypes.get_default_dtype(), device, requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (``n`` x ``m``, square by default)."""
    for name, value in (("n", n), ("m", m)):
        if value is not None and int(value) < 0:
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {value}")
    return _finish(np.eye(n, m), dtype or dtypes.get_default_dtype(), device, requires_grad)


def meshgrid(*tensors, indexing: str = "ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    shape = [t.numel() for t in tensors]
    if indexing == "xy" and len(shape) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(tensors):
        view_shape = [1] * len(tensors)
        axis = i
        if indexing == "xy" and len(tensors) >= 2 and i < 2:
            axis = 1 - i
        view_shape[axis] = t.numel()
        out.append(t.reshape(view_shape).expand(shape))
    return tuple(out)


# ---------------------------------------------------------------------------- Tensor.new_*
# A new tensor with this tensor's dtype and device unless told otherwise (PyTorch's Tensor.new_*),
# handy inside a module that must make tensors matching its input.
def _new_like(t: Tensor, dtype, device):
    return (t.dtype if dtype is None else dtype), (t.device if device is None else device)


def new_zeros(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _new_like(self, dtype, device)
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def new_ones(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _new_like(self, dtype, device)
    return ones(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def new_empty(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _new_like(self, dtype, device)
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def new_full(self: Tensor, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    dtype, device = _new_like(self, dtype, device)
    return full(size, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def new_tensor(self: Tensor, data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A copy of ``data`` with this tensor's dtype and device (a tensor ``data`` is copied, detached)."""
    dtype, device = _new_like(self, dtype, device)
    if isinstance(data, Tensor):
        data = data.detach()
    return tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def new(self: Tensor, *args, **kwargs) -> Tensor:
    """The legacy ``x.new(...)``: ``x.new(2, 3)`` (uninitialised), ``x.new(data)`` or ``x.new()``
    (empty), with x's dtype and device. Prefer ``x.new_empty`` / ``x.new_tensor``."""
    kwargs.setdefault("dtype", self._data.dtype)
    kwargs.setdefault("device", self.device)
    return Tensor(*(args or (0,)), **kwargs)


class Size(tuple):
    """``torch.Size``: a tuple of sizes (tinynn's ``.shape`` is a plain tuple, which compares equal)."""

    def __new__(cls, sizes=()):
        return super().__new__(cls, (int(s) for s in sizes))

    def numel(self) -> int:
        count = 1
        for s in self:
            count *= s
        return count

    def __repr__(self) -> str:
        return f"tinynn.Size({list(self)})"


def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of ``shapes`` broadcast to, or PyTorch's RuntimeError."""
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes: shapes {shapes} cannot be broadcast together") from None


# the random creation functions (rand, randn, randint, normal, ...) live in random_creation.py;
# importing them here keeps ``tinynn.creation.rand`` where existing code looks for it
from .random_creation import (  # noqa: E402,F401
    bernoulli, normal, rand, rand_like, randint, randint_like, randn, randn_like, randperm,
)
