"""Two-argument math: atan2, logaddexp, logaddexp2, copysign, hypot, and the bit shifts << >>.

Both operands broadcast (NumPy's rule, PyTorch's errors) and promote by PyTorch's rules; the
backward formulas give gradients of the broadcast shape and the engine sums them back to each
input's shape. Like PyTorch, ``hypot`` and ``logaddexp`` refuse integer tensors, ``atan2`` and
``copysign`` compute integers in the default float dtype, and the shifts take integers only
(not two bools).
tinynn also accepts a Python number for either operand where PyTorch wants a tensor.
"""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module_of
from ..dtypes import refuse_dtype, result_type
from ..tensor import Tensor
from .arithmetic import broadcasting, promote, to_float

__all__ = [
    "arctan2",
    "atan2",
    "bitwise_left_shift",
    "bitwise_right_shift",
    "copysign",
    "hypot",
    "logaddexp",
    "logaddexp2",
]


def _float_only(name: str, x, y) -> None:
    """Refuse operands that promote to an integer or bool dtype (one float operand is enough)."""
    dtype = result_type(*(v._data if isinstance(v, Tensor) else v for v in (x, y)))
    if dtype.kind != "f":
        raise refuse_dtype(name, dtype, "floating point tensors")


class Atan2(Op):
    """z = atan2(y, x), the angle of the point (x, y) in (-pi, pi];
    dz/dy = x / (x^2 + y^2),  dz/dx = -y / (x^2 + y^2)  (both taken as 0 at the origin, as in PyTorch).
    """

    @staticmethod
    def forward(ctx, y, x):
        y, x = to_float(y, x)
        ctx.save_for_backward(y, x)
        return array_module_of(y if hasattr(y, "ndim") else x).arctan2(y, x)

    @staticmethod
    def backward(ctx, grad):
        from .indexing import where

        y, x = ctx.saved_tensors
        need_y, need_x = ctx.needs_input_grad
        r2 = x * x + y * y
        origin = (r2 == 0).detach()
        scale = where(origin, 0.0, grad / where(origin, 1.0, r2))
        return (scale * x if need_y else None), (-scale * y if need_x else None)


class LogAddExp(Op):
    """z = log_b(b^x + b^y) for b = e or 2, computed without overflow (NumPy's logaddexp);
    dz/dx = b^x / (b^x + b^y) = 1 / (1 + b^(y - x)),  dz/dy = 1 / (1 + b^(x - y))  (they sum to 1).

    Written with the difference y - x (PyTorch's form) so that x = inf, y finite gives 1 and 0,
    where b^(x - z) would be b^(inf - inf) = nan.
    """

    @staticmethod
    def forward(ctx, x, y, base):
        x, y = promote(x, y)
        xp = array_module_of(x if hasattr(x, "ndim") else y)
        z = xp.logaddexp(x, y) if base == "e" else xp.logaddexp2(x, y)
        ctx.base = base
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx, grad):
        from .unary import exp, exp2

        x, y, z = ctx.saved_tensors
        power = exp if ctx.base == "e" else exp2
        need_x, need_y = ctx.needs_input_grad[:2]
        return (grad / (1 + power(y - x)) if need_x else None), (grad / (1 + power(x - y)) if need_y else None)


class Copysign(Op):
    """z = |x| with the sign (bit) of y;  dz/dx = z / x (+-1, taken as 0 at x = 0), dz/dy = 0."""

    array_backward = True

    @staticmethod
    def forward(ctx, x, y):
        x, y = to_float(x, y)
        xp = array_module_of(x if hasattr(x, "ndim") else y)
        z = xp.asarray(xp.copysign(x, y))
        ratio = xp.where(x == 0, 0, z / xp.where(x == 0, 1, x)).astype(z.dtype)
        ctx.save_for_backward(ratio)
        return z

    @staticmethod
    def backward(ctx, grad):
        (ratio,) = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        return (grad * ratio if need_x else None), (grad * 0 if need_y else None)


class Hypot(Op):
    """z = sqrt(x^2 + y^2) (without overflow);  dz/dx = x / z,  dz/dy = y / z  (nan at the origin)."""

    array_backward = True

    @staticmethod
    def forward(ctx, x, y):
        x, y = promote(x, y)
        z = array_module_of(x if hasattr(x, "ndim") else y).hypot(x, y)
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx, grad):
        x, y, z = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        return (grad * x / z if need_x else None), (grad * y / z if need_y else None)


def atan2(input, other) -> Tensor:
    """The angle of the point (other, input): ``atan2(y, x)`` in (-pi, pi], quadrant-aware."""
    return broadcasting(Atan2, "atan2", input, other)


arctan2 = atan2


def logaddexp(input, other) -> Tensor:
    """``log(exp(input) + exp(other))`` elementwise, without overflow (float tensors only)."""
    _float_only("logaddexp", input, other)
    return broadcasting(LogAddExp, "logaddexp", input, other, "e")


def logaddexp2(input, other) -> Tensor:
    """``log2(2**input + 2**other)`` elementwise, without overflow (float tensors only)."""
    _float_only("logaddexp2", input, other)
    return broadcasting(LogAddExp, "logaddexp2", input, other, 2)


def copysign(input, other) -> Tensor:
    """``|input|`` with the sign of ``other`` (its sign bit: -0.0 counts as negative)."""
    return broadcasting(Copysign, "copysign", input, other)


def hypot(input, other) -> Tensor:
    """``sqrt(input**2 + other**2)`` elementwise, without overflow (float tensors only)."""
    _float_only("hypot", input, other)
    return broadcasting(Hypot, "hypot", input, other)


# ---------------------------------------------------------------------------- bit shifts
def _shift(name: str, x, y, left: bool) -> Tensor:
    """x << y (or x >> y) on integers, defined as PyTorch defines it for every shift amount:
    shifting by a negative amount or by the width of the type or more leaves nothing (0), or only
    the sign (-1 for a negative x shifted right). C, and so NumPy, leave those cases undefined.
    """
    from ..dims import check_broadcast

    a, b = (v._data if isinstance(v, Tensor) else v for v in (x, y))
    for v in (a, b):
        if isinstance(v, float) or (hasattr(v, "dtype") and v.dtype.kind == "f"):
            raise NotImplementedError(f"{name}: expected integer (or bool) tensors, got a float operand")
    check_broadcast(name, a, b)
    a, b = promote(a, b)
    xp = array_module_of(a if hasattr(a, "ndim") else b)
    a, b = xp.asarray(a), xp.asarray(b)
    if a.dtype == bool:  # as in PyTorch: a bool shifted by an integer shifts as an integer, not by a bool
        raise refuse_dtype(name, a.dtype, "integer tensors")
    bits = 8 * a.dtype.itemsize
    outside = (b < 0) | (b >= bits)
    amount = xp.where(outside, 0, b).astype(a.dtype)
    if left:
        out = xp.where(outside, 0, xp.left_shift(a, amount))
    else:
        out = xp.where(outside, xp.where(a < 0, -1, 0), xp.right_shift(a, amount))
    return Tensor._make(xp.asarray(out).astype(a.dtype))


def bitwise_left_shift(input, other) -> Tensor:
    """``input << other``: integers times 2**other (bits past the width are lost)."""
    return _shift("bitwise_left_shift", input, other, left=True)


def bitwise_right_shift(input, other) -> Tensor:
    """``input >> other``: integers divided by 2**other, rounding toward minus infinity."""
    return _shift("bitwise_right_shift", input, other, left=False)

