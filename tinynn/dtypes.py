"""dtypes and PyTorch's type-promotion rules.

tinynn's dtypes are NumPy dtype objects (``tinynn.float32 == numpy.dtype('float32')``), so arrays
and tensors agree on them. Promotion follows PyTorch, not NumPy: a Python number or a 0-dim
tensor never widens a dimensioned tensor of the same category (``float32 * 2.0`` stays float32),
and an integer tensor meeting a Python float becomes the default float dtype (float32).
"""
from __future__ import annotations

import builtins as _builtins_module

import numpy as np

_builtin_int = _builtins_module.int

float16 = half = np.dtype("float16")
float32 = float = np.dtype("float32")
float64 = double = np.dtype("float64")
uint8 = np.dtype("uint8")
uint16, uint32, uint64 = np.dtype("uint16"), np.dtype("uint32"), np.dtype("uint64")   # PyTorch 2.3+
int8 = np.dtype("int8")
int16 = short = np.dtype("int16")
int32 = int = np.dtype("int32")
int64 = long = np.dtype("int64")
bool = np.dtype("bool")


class EmulatedDType:
    """A dtype NumPy lacks, emulated: stored in a wider NumPy dtype, its values rounded to its precision.

    ``tinynn.bfloat16`` is the one there is: a float32 array whose values are all representable in
    bfloat16 (8 exponent bits, 7 mantissa bits). ``x.to(tinynn.bfloat16)``, ``dtype=tinynn.bfloat16``
    in the creation functions, ``Module.to(tinynn.bfloat16)`` and ``autocast(dtype=tinynn.bfloat16)``
    round to it; the numbers are then bfloat16's, bit for bit. What differs from PyTorch, on purpose:
    the result's ``.dtype`` is its storage dtype (float32), memory is float32's, and arithmetic on
    such tensors rounds only where a cast does (PyTorch rounds every bfloat16 result).
    """

    kind = "f"
    is_floating_point = True
    is_signed = True
    is_complex = False

    def __init__(self, name: str, storage: np.dtype, itemsize: _builtin_int):
        self.name, self.storage, self.itemsize = name, storage, itemsize

    def __repr__(self) -> str:
        return f"tinynn.{self.name}"

    def __reduce__(self):  # pickles (and deep-copies) as the one instance
        return f"{self.name}"


bfloat16 = EmulatedDType("bfloat16", np.dtype("float32"), 2)


def round_array_to_bfloat16(x):
    """float32 values rounded to the nearest bfloat16 (ties to even), as float32; NaN stays NaN.

    bfloat16 is the top half of a float32, so rounding is done on the bits: add just under half an
    ulp of the 16 dropped bits (ties go to the even one), then clear them.
    """
    from .backend import array_module_of

    xp = array_module_of(x)
    bits = xp.ascontiguousarray(x, dtype=xp.float32).view(xp.uint32)
    rounded = (bits + (xp.uint32(0x7FFF) + ((bits >> 16) & xp.uint32(1)))) & xp.uint32(0xFFFF0000)
    rounded = xp.where(xp.isnan(x), xp.uint32(0x7FC00000), rounded)   # NaN: the canonical quiet NaN
    return rounded.astype(xp.uint32).view(xp.float32)


def cast_array(array, spec):
    """``array`` in the dtype ``spec`` names (an emulated dtype: its storage, values rounded)."""
    if isinstance(spec, EmulatedDType):
        return round_array_to_bfloat16(array.astype(spec.storage, copy=False))
    dtype = to_dtype(spec)
    return array if array.dtype == dtype else array.astype(dtype)

_default_float = [float32]


def get_default_dtype() -> np.dtype:
    return _default_float[0]


def set_default_dtype(dtype) -> None:
    """Set the float dtype that new float tensors get (float32 unless changed)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_float[0] = dtype


def to_dtype(spec) -> np.dtype:
    """Turn a tinynn/NumPy dtype, a type or a name into a NumPy dtype (an emulated one: its storage)."""
    if isinstance(spec, EmulatedDType):
        return spec.storage
    if spec is builtins_float:  # as in PyTorch, the Python type float means float64
        return float64
    if spec is builtins_int:
        return int64
    if spec is builtins_bool:
        return bool
    try:
        return np.dtype(spec)
    except TypeError:
        raise TypeError(f"expected a dtype such as tinynn.float32, got {spec!r}") from None


import builtins as _builtins  # noqa: E402  (after the names above shadow float/int/bool)

builtins_float, builtins_int, builtins_bool = _builtins.float, _builtins.int, _builtins.bool


def is_floating(dtype: np.dtype) -> _builtins.bool:
    return dtype.kind == "f"


def category(dtype: np.dtype) -> _builtins.int:
    """0 for bool, 1 for integers, 2 for floats: the order in which PyTorch promotes."""
    return 2 if dtype.kind == "f" else 0 if dtype.kind == "b" else 1


def promote_types(a, b) -> np.dtype:
    """The smallest dtype both ``a`` and ``b`` convert to, by PyTorch's rule.

    A float beats any integer or bool as it is (``int64`` with ``float16`` gives ``float16``,
    where NumPy would give ``float64``); within one category, NumPy's and PyTorch's rules agree.
    """
    a, b = np.dtype(a), np.dtype(b)
    if category(a) != category(b):
        return a if category(a) > category(b) else b
    return np.promote_types(a, b)


def _scalar_category(value) -> _builtins.int:
    if isinstance(value, (_builtins.bool, np.bool_)):
        return 0
    if isinstance(value, (_builtins.int, np.integer)):
        return 1
    if isinstance(value, (_builtins.float, np.floating)):
        return 2
    raise TypeError(f"expected a tensor or a number, got {type(value).__name__}")


def result_type(*operands) -> np.dtype:
    """The dtype of an elementwise op on ``operands`` under PyTorch's promotion rules.

    Operands are arrays (with ``ndim``) or Python numbers. Three tiers, each only able to raise
    the category (bool < int < float) of the tier above it, never the width:
    dimensioned arrays > 0-dim arrays > Python numbers.
    """
    dimensioned = zero_dim = None
    scalar_cat = -1
    for op in operands:
        if hasattr(op, "dtype") and hasattr(op, "ndim"):
            if op.ndim > 0:
                dimensioned = op.dtype if dimensioned is None else promote_types(dimensioned, op.dtype)
            else:
                zero_dim = op.dtype if zero_dim is None else promote_types(zero_dim, op.dtype)
        else:
            scalar_cat = max(scalar_cat, _scalar_category(op))
    result = dimensioned
    if zero_dim is not None and (result is None or category(zero_dim) > category(result)):
        result = zero_dim
    if scalar_cat >= 0 and (result is None or scalar_cat > category(result)):
        result = (bool, int64, get_default_dtype())[scalar_cat]
    return result


class finfo:
    """Machine limits of a floating dtype (``torch.finfo``): bits, eps, max, min, tiny (=
    smallest_normal) and resolution. ``finfo()`` describes the default float dtype."""

    def __init__(self, dtype=None):
        if isinstance(dtype, EmulatedDType):   # bfloat16: float32's range, 8 significant bits
            self.bits, self.eps, self.resolution = 16, 2.0**-7, 0.01
            self.max = (2 - 2.0**-7) * 2.0**127
            self.min, self.tiny = -self.max, 2.0**-126
            self.dtype = dtype.name
        else:
            dtype = get_default_dtype() if dtype is None else to_dtype(dtype)
            if dtype.kind != "f":
                raise TypeError(f"finfo: expected a floating point dtype, got {dtype} (use iinfo for integers)")
            info = np.finfo(dtype)
            self.bits, self.eps, self.resolution = info.bits, _builtins.float(info.eps), 10.0 ** -info.precision
            self.max, self.min, self.tiny = _builtins.float(info.max), _builtins.float(info.min), _builtins.float(info.tiny)
            self.dtype = dtype.name
        self.smallest_normal = self.tiny

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype (``torch.iinfo``): bits, max, min."""

    def __init__(self, dtype):
        dtype = to_dtype(dtype)
        if dtype.kind not in "iub":
            raise TypeError(f"iinfo: expected an integer dtype, got {dtype} (use finfo for floats)")
        info = np.iinfo(np.uint8 if dtype.kind == "b" else dtype)
        self.bits, self.max, self.min, self.dtype = info.bits, _builtin_int(info.max), _builtin_int(info.min), dtype.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def can_cast(from_, to) -> _builtins.bool:
    """Whether PyTorch's casting rules allow ``from_`` -> ``to`` in an in-place op: never down a
    category (float -> int, int -> bool), any width within one."""
    return category(to_dtype(from_)) <= category(to_dtype(to))


class DTypeNotImplementedError(NotImplementedError, TypeError):
    """An operation has no meaning (or, in PyTorch, no kernel) for a tensor's dtype: ``abs`` of a
    bool tensor, ``&`` of floats, ``softmax`` of integers.

    PyTorch raises ``NotImplementedError`` there (``"abs_cpu" not implemented for 'Bool'``); it is
    a ``TypeError`` too, since the argument has the wrong type, so either ``except`` catches it.
    """


def refuse_dtype(name: str, dtype, wanted: str = "") -> DTypeNotImplementedError:
    """The error for ``name`` on a tensor of ``dtype`` (to raise): says what came and what would do."""
    hint = f"; expected {wanted}" if wanted else ""
    return DTypeNotImplementedError(f"{name}: not implemented for {np.dtype(dtype).name} tensors{hint}")
