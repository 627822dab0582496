"""Small elementwise functions PyTorch programs call by name, most of them one line of other ops.

    clamp_min(x, m) = max(x, m)      clamp_max(x, m) = min(x, m)      (clamp with one bound)
    deg2rad(x) = x pi / 180          rad2deg(x) = x 180 / pi          sgn(x) = sign(x) for real x
    heaviside(x, v) = 0 for x < 0, v for x = 0, 1 for x > 0           (no gradient, as in PyTorch)
    gcd(a, b), lcm(a, b): greatest common divisor, least common multiple (integers; no gradient;
                          lcm is never negative, gcd(0, 0) = 0)

and two in-place methods that run a Python function on every element, on the CPU only
(``Tensor.apply_(fn)``, ``Tensor.map_(other, fn)``): slow, outside autograd, as in PyTorch.
"""
from __future__ import annotations

import math

import numpy as np

from ..backend import array_module_of
from ..dtypes import get_default_dtype, result_type
from ..tensor import Tensor
from ..dims import check_broadcast
from .minmax import clamp
from .unary import sign

__all__ = ["clamp_max", "clamp_min", "deg2rad", "gcd", "heaviside", "lcm", "rad2deg", "sgn"]


def _check(x, name: str, what: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{what}' must be a Tensor, got {type(x).__name__}")


def _raw(value):
    return value._data if isinstance(value, Tensor) else value


def _one_bound(x: Tensor, bound, name: str, **side) -> Tensor:
    _check(x, name)
    if bound is None:
        raise TypeError(f"{name}(): the bound must be a number or a Tensor, got None")
    dtype = result_type(x._data, _raw(bound))  # clamp_max(int tensor, 0.5) is a float tensor
    if dtype != x.dtype:
        x = x.to(dtype)
    return clamp(x, **{key: bound for key in side})


def clamp_min(input: Tensor, min) -> Tensor:
    """max(input, min) elementwise: ``clamp(input, min=min)``."""
    return _one_bound(input, min, "clamp_min", min=True)


def clamp_max(input: Tensor, max) -> Tensor:
    """min(input, max) elementwise: ``clamp(input, max=max)``."""
    return _one_bound(input, max, "clamp_max", max=True)


def _floating(x: Tensor) -> Tensor:
    return x if x.dtype.kind == "f" else x.to(get_default_dtype())


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians, x pi / 180 (integers become the default float dtype)."""
    _check(input, "deg2rad")
    return _floating(input) * (math.pi / 180)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees, x 180 / pi (integers become the default float dtype)."""
    _check(input, "rad2deg")
    return _floating(input) * (180 / math.pi)


def sgn(input: Tensor) -> Tensor:
    """The sign; for real tensors the same as ``sign`` (PyTorch extends it to complex x / |x|)."""
    _check(input, "sgn")
    return sign(input)


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """The step function: 0 where input < 0, ``values`` where input == 0, 1 where input > 0.

    Not differentiable (PyTorch has no derivative for it either): the result carries no gradient.
    """
    _check(input, "heaviside")
    _check(values, "heaviside", "values")
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes: got "
                           f"{input.dtype} and {values.dtype}")
    check_broadcast("heaviside", input, values)
    xp = array_module_of(input._data)
    x, v = input._data, values._data
    return Tensor._make(xp.where(x == 0, v, (x > 0).astype(x.dtype)))  # NaN gives 0, as in PyTorch


def _integer_pair(x, y, name: str):
    _check(x, name)
    _check(y, name, "other")
    for t in (x, y):
        if t.dtype.kind not in "iu":
            raise NotImplementedError(f"{name}(): only integer tensors are supported, got {t.dtype}")
    check_broadcast(name, x, y)
    dtype = result_type(x._data, y._data)
    return x._data.astype(dtype, copy=False), y._data.astype(dtype, copy=False)


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """The greatest common divisor of each pair of integers (non-negative; gcd(0, 0) = 0)."""
    a, b = _integer_pair(input, other, "gcd")
    return Tensor._make(array_module_of(a).gcd(a, b))


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """The least common multiple of each pair of integers (non-negative; 0 if either is 0)."""
    a, b = _integer_pair(input, other, "lcm")
    return Tensor._make(array_module_of(a).lcm(a, b))


# ---------------------------------------------------------------------------- Python callables
def _python_loop_target(self: Tensor, name: str) -> None:
    if self.device.type != "cpu":
        raise TypeError(f"{name} is only implemented on CPU tensors")
    if self.requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() instead.")


def _write_values(self: Tensor, name: str, values: list) -> Tensor:
    self._check_inplace(name)
    self._data[...] = np.asarray(values).reshape(self.shape).astype(self.dtype)
    self._bump_version()
    return self


def apply_(self: Tensor, callable) -> Tensor:
    """In place: every element x becomes callable(x) (a Python number; CPU only, no gradient)."""
    _python_loop_target(self, "apply_")
    return _write_values(self, "apply_", [callable(v) for v in self._data.reshape(-1).tolist()])


def map_(self: Tensor, tensor: Tensor, callable) -> Tensor:
    """In place: self[i] becomes callable(self[i], tensor[i]), ``tensor`` broadcast to self's shape."""
    _python_loop_target(self, "map_")
    _check(tensor, "map_", "other")
    if tensor.dtype != self.dtype:
        raise TypeError(f"map_: expected a {self.dtype} tensor for 'other', got {tensor.dtype}")
    try:
        other = np.broadcast_to(tensor._data, self.shape)
    except ValueError:
        raise RuntimeError(f"map_: the tensor of shape {tuple(tensor.shape)} does not broadcast to "
                           f"this tensor's shape {tuple(self.shape)}") from None
    pairs = zip(self._data.reshape(-1).tolist(), other.reshape(-1).tolist())
    return _write_values(self, "map_", [callable(a, b) for a, b in pairs])
