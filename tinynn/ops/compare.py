"""Comparisons and logical operations. Their results are bool tensors and carry no gradient."""
from __future__ import annotations

from ..backend import array_module_of
from ..tensor import Tensor
from .dims import check_broadcast

__all__ = [
    "all",
    "allclose",
    "any",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "eq",
    "equal",
    "ge",
    "greater",
    "greater_equal",
    "gt",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "le",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "lt",
    "ne",
    "not_equal",
]


def _raw(value):
    return value._data if isinstance(value, Tensor) else value


def _xp(*values):
    for v in values:
        if isinstance(v, Tensor):
            return array_module_of(v._data)
    return array_module_of(values[0])


def _bool(array) -> Tensor:
    """A result array as a tensor (a 0-d comparison gives a NumPy scalar: made a 0-d array again)."""
    return Tensor._make(array_module_of(array).asarray(array))


def _binary(name: str, fn, x, y) -> Tensor:
    """``fn`` on the raw operands, raising PyTorch's error (not NumPy's) when the shapes don't broadcast."""
    try:
        return _bool(fn(_raw(x), _raw(y)))
    except ValueError:
        check_broadcast(name, x, y)
        raise


def eq(x, y) -> Tensor:
    return _binary("eq", lambda a, b: a == b, x, y)


def ne(x, y) -> Tensor:
    return _binary("ne", lambda a, b: a != b, x, y)


def lt(x, y) -> Tensor:
    return _binary("lt", lambda a, b: a < b, x, y)


def le(x, y) -> Tensor:
    return _binary("le", lambda a, b: a <= b, x, y)


def gt(x, y) -> Tensor:
    return _binary("gt", lambda a, b: a > b, x, y)


def ge(x, y) -> Tensor:
    return _binary("ge", lambda a, b: a >= b, x, y)


less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne


def logical_and(x, y) -> Tensor:
    return _binary("logical_and", _xp(x, y).logical_and, x, y)


def logical_or(x, y) -> Tensor:
    return _binary("logical_or", _xp(x, y).logical_or, x, y)


def logical_xor(x, y) -> Tensor:
    return _binary("logical_xor", _xp(x, y).logical_xor, x, y)


def logical_not(x) -> Tensor:
    return _bool(_xp(x).logical_not(_raw(x)))


def bitwise_and(x, y) -> Tensor:
    return _integer_only("&", x, y, lambda a, b: a & b)


def bitwise_or(x, y) -> Tensor:
    return _integer_only("|", x, y, lambda a, b: a | b)


def bitwise_xor(x, y) -> Tensor:
    return _integer_only("^", x, y, lambda a, b: a ^ b)


def bitwise_not(x) -> Tensor:
    data = _raw(x)
    if data.dtype.kind == "f":
        raise TypeError("bitwise_not (~) is only defined for integer and bool tensors, got a float tensor")
    return _bool(~data)


def _integer_only(symbol, x, y, fn) -> Tensor:
    a, b = _raw(x), _raw(y)
    for v in (a, b):
        if getattr(v, "dtype", None) is not None and v.dtype.kind == "f" or isinstance(v, float):
            raise TypeError(f"the operator {symbol} is only defined for integer and bool tensors")
    return _binary(f"the operator {symbol}", fn, x, y)


def isnan(x: Tensor) -> Tensor:
    return _bool(_xp(x).isnan(x._data))


def isinf(x: Tensor) -> Tensor:
    return _bool(_xp(x).isinf(x._data))


def isfinite(x: Tensor) -> Tensor:
    return _bool(_xp(x).isfinite(x._data))


def isposinf(x: Tensor) -> Tensor:
    return _bool(_xp(x).isposinf(x._data))


def isneginf(x: Tensor) -> Tensor:
    return _bool(_xp(x).isneginf(x._data))


def isclose(x, y, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    """``|x - y| <= atol + rtol * |y|`` elementwise (NaNs equal each other only with ``equal_nan``)."""
    close = _xp(x, y).isclose
    return _binary("isclose", lambda a, b: close(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan), x, y)


def allclose(x, y, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
    """True when every ``|x - y| <= atol + rtol * |y|`` (PyTorch's and NumPy's test)."""
    return bool(_xp(x, y).allclose(_raw(x), _raw(y), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(x: Tensor, y: Tensor) -> bool:
    """True when both have the same shape and elements."""
    return x.shape == y.shape and bool((x._data == y._data).all())


def any(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    from .dims import reduce_dims

    axes = reduce_dims(dim, x.ndim, "any")
    return _bool(_xp(x).any(x._data, axis=axes, keepdims=keepdim))


def all(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    from .dims import reduce_dims

    axes = reduce_dims(dim, x.ndim, "all")
    return _bool(_xp(x).all(x._data, axis=axes, keepdims=keepdim))
