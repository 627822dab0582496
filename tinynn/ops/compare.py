"""Comparisons and logical operations. Their results are bool tensors and carry no gradient.

tinynn also accepts a Python number for either operand of the logical functions, where PyTorch's
``logical_and(x, 2)`` wants a tensor.
"""
from __future__ import annotations

from ..backend import array_module_of
from ..dtypes import refuse_dtype
from ..tensor import Tensor
from ..dims import check_broadcast

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
    "isreal",
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
        raise refuse_dtype("bitwise_not (~)", data.dtype, "integer and bool tensors")
    return _bool(~data)


def _integer_only(symbol, x, y, fn) -> Tensor:
    a, b = _raw(x), _raw(y)
    for v in (a, b):
        if getattr(v, "dtype", None) is not None and v.dtype.kind == "f" or isinstance(v, float):
            check_broadcast(f"the operator {symbol}", x, y)
            raise refuse_dtype(f"the operator {symbol}", v.dtype if hasattr(v, "dtype") else "float64",
                               "integer and bool tensors")
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


def isreal(x: Tensor) -> Tensor:
    """True everywhere: tinynn has no complex dtypes, so every element is real."""
    return _bool(array_module_of(x._data).ones(x.shape, dtype=bool))


def _same_dtype(name: str, x, y) -> None:
    """isclose and allclose compare tensors of one dtype (PyTorch: "Float did not match Double")."""
    if isinstance(x, Tensor) and isinstance(y, Tensor) and x.dtype != y.dtype:
        raise RuntimeError(f"{name}: expected both tensors to have the same dtype, got {x.dtype} and {y.dtype}; "
                           "convert one with .to(other.dtype)")


def isclose(x, y, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    """``|x - y| <= atol + rtol * |y|`` elementwise (NaNs equal each other only with ``equal_nan``)."""
    _same_dtype("isclose", x, y)
    close = _xp(x, y).isclose
    return _binary("isclose", lambda a, b: close(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan), x, y)


def allclose(x, y, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
    """True when every ``|x - y| <= atol + rtol * |y|`` (PyTorch's and NumPy's test)."""
    _same_dtype("allclose", x, y)
    return bool(_xp(x, y).allclose(_raw(x), _raw(y), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(x: Tensor, y: Tensor) -> bool:
    """True when both have the same shape and elements."""
    return x.shape == y.shape and bool((x._data == y._data).all())


def any(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether any element (over ``dim``) is nonzero. As in PyTorch, ``dim=()`` reduces no dim."""
    return _bool(_xp(x).any(x._data, axis=_logical_axes(dim, x.ndim, "any"), keepdims=keepdim))


def all(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element (over ``dim``) is nonzero. As in PyTorch, ``dim=()`` reduces no dim."""
    return _bool(_xp(x).all(x._data, axis=_logical_axes(dim, x.ndim, "all"), keepdims=keepdim))


def _logical_axes(dim, ndim: int, name: str):
    from ..dims import reduce_dims

    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        return ()
    return reduce_dims(dim, ndim, name)
