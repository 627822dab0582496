"""Weight initialisation: fill a tensor in place with numbers drawn from a chosen distribution.

Why the scale matters: a layer y = W x with fan_in inputs of variance 1 gives outputs of variance
fan_in * Var(W). Keeping that near 1 through many layers (so signals neither vanish nor explode)
asks for Var(W) ~ 1 / fan_in, corrected by a *gain* for what the nonlinearity does to the variance:

    xavier (Glorot & Bengio 2010):  std = gain * sqrt(2 / (fan_in + fan_out))
    kaiming (He et al. 2015):       std = gain / sqrt(fan)          (fan = fan_in or fan_out)

A uniform distribution on [-b, b] has std b / sqrt(3), so the uniform variants use b = sqrt(3) std.
Every function works under ``no_grad``, draws from tinynn's random generator (``generator=`` or
the default one, so ``tinynn.manual_seed`` repeats it) and returns the tensor it filled.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..autograd.grad_mode import no_grad
from ..ops.special import erf_array
from ..random import numpy_generator
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "constant_", "dirac_", "eye_", "kaiming_normal_", "kaiming_uniform_",
    "normal_", "ones_", "orthogonal_", "sparse_", "trunc_normal_", "uniform_", "xavier_normal_",
    "xavier_uniform_", "zeros_",
]

_LINEAR_GAIN_1 = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which to scale the std so that ``nonlinearity`` keeps the signal's variance.

    linear/conv/sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);  leaky_relu(slope): sqrt(2 / (1 + slope^2));
    selu: 3/4 (chosen so that SELU networks self-normalise with std = 1/sqrt(fan_in)).
    """
    if nonlinearity in _LINEAR_GAIN_1:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: (out, in) for linear, (out, in, *kernel) for convolutions.

    A convolution weight connects each output to in * kernel_size inputs (its receptive field).
    """
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = int(np.prod(tensor.shape[2:])) if tensor.dim() > 2 else 1
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, host_array: np.ndarray) -> Tensor:
    """Write a NumPy array (drawn on the host) into ``tensor``, on its device and in its dtype."""
    with no_grad():
        tensor.copy_(Tensor._make(host_array))
    return tensor


# ---------------------------------------------------------------------------- plain fills
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with U(a, b)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-d tensor with the identity matrix (ones on the diagonal, also when not square)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """A convolution weight (3, 4 or 5-d) that copies its input channels: a delta at the kernel's centre.

    With ``groups``, the out channels are split into ``groups`` blocks, each an identity.
    """
    if tensor.dim() not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = tensor.shape[0] // groups
    delta = np.zeros(tensor.shape)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, tensor.shape[1])):
            delta[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, delta)


# ---------------------------------------------------------------------------- scaled by fan
def _no_op_for_empty(tensor: Tensor) -> bool:
    if tensor.numel() == 0:
        warnings.warn("Initializing zero-element tensors is a no-op")
        return True
    return False


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan); ``a`` is leaky_relu's negative slope for the gain.

    ``nn.Linear`` uses a = sqrt(5): gain = sqrt(2 / 6), so b = 1 / sqrt(fan_in).
    """
    if _no_op_for_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan)."""
    if _no_op_for_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


# ---------------------------------------------------------------------------- shaped distributions
def _erfinv(z: np.ndarray) -> np.ndarray:
    """erf^-1(z) for z in [-1, 1]: Winitzki's closed-form guess, polished by Newton's method.

    Newton on erf(y) = z:  y <- y - (erf(y) - z) / (2/sqrt(pi) e^(-y^2)); three steps take the
    guess (relative error ~2e-3) to float64 precision.
    """
    a = 0.147
    log_term = np.log1p(-z * z)
    first = 2 / (math.pi * a) + log_term / 2
    y = np.sign(z) * np.sqrt(np.sqrt(first * first - log_term / a) - first)
    finite = np.isfinite(y)
    for _ in range(3):
        step = (erf_array(y[finite]) - z[finite]) / (2 / math.sqrt(math.pi) * np.exp(-y[finite] ** 2))
        y[finite] -= step
    return y


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None) -> Tensor:
    """N(mean, std^2) restricted to [a, b] (absolute bounds, not in units of std).

    Inverse-CDF sampling: with Phi the normal CDF, u ~ U(Phi(alpha), Phi(beta)) for the standardised
    bounds alpha = (a - mean) / std, beta = (b - mean) / std, and x = mean + std Phi^-1(u), where
    Phi^-1(u) = sqrt(2) erf^-1(2u - 1).
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    cdf = lambda v: (1.0 + math.erf(v / math.sqrt(2.0))) / 2.0  # noqa: E731
    low, high = cdf((a - mean) / std), cdf((b - mean) / std)
    u = numpy_generator(generator).uniform(2 * low - 1, 2 * high - 1, size=tensor.shape)
    values = np.clip(mean + std * math.sqrt(2.0) * _erfinv(u), a, b)
    return _fill(tensor, values)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix, on the (rows, cols) = (size(0), numel / size(0)) view, times gain.

    QR of a standard normal matrix, with each column of Q multiplied by the sign of R's diagonal
    entry, gives a matrix uniformly distributed over the orthogonal group (Mezzadri 2007).
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = numpy_generator(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T  # QR needs at least as many rows as columns
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """A 2-d N(0, std^2) matrix with ceil(sparsity * rows) zeros in every column (Martens 2010)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    zeros_per_column = int(math.ceil(sparsity * rows))
    rng = numpy_generator(generator)
    values = rng.normal(0.0, std, size=(rows, cols))
    for c in range(cols):
        values[rng.permutation(rows)[:zeros_per_column], c] = 0
    return _fill(tensor, values)
