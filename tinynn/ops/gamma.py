"""The log-gamma function and its derivatives: lgamma, digamma, polygamma.

    lgamma(x)       = log |Gamma(x)|               Gamma(x) = integral_0^inf t^(x-1) e^(-t) dt
    digamma(x)      = psi(x)  = d/dx lgamma(x)
    polygamma(n, x) = psi^(n)(x) = d^n/dx^n psi(x)

The Gamma, Beta and Dirichlet distributions need them: their normalising constants are products
of Gamma functions, their entropies and KL divergences hold digammas. Each derivative is the next
function in the list, so every gradient here is itself differentiable (polygamma(n + 1, x)).

How they are computed, in float64 (cast back to the input's float dtype), for x > 0:

1. Recurrence, to move x up to z = x + m >= a threshold (about 10) where series converge fast:
       Gamma(x + 1) = x Gamma(x)  =>  lgamma(x) = lgamma(z) - log(x (x + 1) ... (x + m - 1))
       psi^(n)(x) = psi^(n)(x + 1) + (-1)^(n+1) n! / x^(n+1)
2. Stirling's asymptotic series at z, with the Bernoulli numbers B_2 = 1/6, B_4 = -1/30, ...:
       lgamma(z) ~ (z - 1/2) log z - z + log(2 pi)/2 + sum_k B_2k / (2k (2k-1) z^(2k-1))
       psi(z)    ~ log z - 1/(2z) - sum_k B_2k / (2k z^2k)
       psi^(n)(z) ~ (-1)^(n+1) [ (n-1)!/z^n + n!/(2 z^(n+1)) + sum_k B_2k (2k+n-1)!/((2k)! z^(2k+n)) ]
   (the last is the n-th derivative of the one before). Seven terms reach double precision.
3. Between 0.5 and 2.5, where lgamma crosses 0 at 1 and 2 and the difference in 1. cancels, a
   Taylor series about 1 or 2 keeps the relative precision (``_lgamma_near_one_and_two``).

For x <= 0, the reflection formulas bring x back to 1 - x > 0 (r = x - round(x) keeps sin and
cot accurate for large |x|):
       lgamma(x) = log(pi / |sin(pi r)|) - lgamma(1 - x)
       psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi r))
where P_n is the polynomial with d^n/du^n cot(u) = P_n(cot u): P_0(c) = c, P_(k+1) = -(1 + c^2) P_k'.
At the poles (0, -1, -2, ...) lgamma is +inf; digamma is -inf at +0 (+inf at -0) and NaN at negative integers
(PyTorch's choices); polygamma(n >= 1) is +inf for odd n, -inf for even n.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of
from ..dtypes import get_default_dtype
from ..tensor import Tensor

__all__ = ["digamma", "lgamma", "polygamma"]

_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)  # B_2, B_4, ..., B_14
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _shift_up(x, threshold: float, accumulate):
    """z = x + m, the first of x, x + 1, x + 2, ... that is >= threshold, for every element.

    ``accumulate(z, mask)`` is called before each step with the elements still moving.
    NaN never compares below the threshold, so it is left alone.
    """
    xp = array_module_of(x)
    z = x.copy()
    moving = z < threshold
    while bool(moving.any()):
        accumulate(z, moving)
        z = xp.where(moving, z + 1.0, z)
        moving = z < threshold
    return z


def _lgamma_positive(x):
    """lgamma for x > 0 (recurrence up to z >= 10, then Stirling's series)."""
    xp = array_module_of(x)
    product = xp.ones_like(x)  # x (x + 1) ... (x + m - 1): at most 10 factors, never overflows

    def multiply(z, moving):
        product[...] = xp.where(moving, product * z, product)

    z = _shift_up(x, 10.0, multiply)
    w = 1.0 / (z * z)
    series = 0.0
    for k in range(len(_BERNOULLI), 0, -1):  # Horner in w = 1/z^2
        series = series * w + _BERNOULLI[k - 1] / (2 * k * (2 * k - 1))
    # (z - 1/2) log z - z written as (z - 1/2)(log z - 1) - 1/2, which stays inf (not nan) at z = inf
    stirling = (z - 0.5) * (xp.log(z) - 1.0) - 0.5 + _HALF_LOG_2PI + series / z
    # Around the zeros at 1 and 2 the difference above cancels (two numbers near 15 give one near 0)
    result = stirling - xp.log(product)
    near_zeros = (x >= 0.5) & (x < 2.5)
    if bool(near_zeros.any()):
        result = xp.where(near_zeros, _lgamma_near_one_and_two(xp.where(near_zeros, x, 1.0)), result)
    return result


_EULER = 0.5772156649015329
_ZETA_MINUS_ONE = ()  # zeta(k) - 1 for k = 2, 3, ..., 27; computed on first use


def _lgamma_near_one_and_two(x):
    """lgamma for 0.5 <= x < 2.5 with full relative precision near its zeros at 1 and 2.

    The Taylor series (Abramowitz and Stegun 6.1.33), with z = x - 1 or z = x - 2 so that |z| <= 1/2
    (both subtractions are exact), and Gamma(2 + z) = (1 + z) Gamma(1 + z):
        lgamma(1 + z) = -log1p(z) + (1 - euler) z + sum_(k>=2) (-1)^k (zeta(k) - 1) / k z^k
        lgamma(2 + z) =             (1 - euler) z + sum_(k>=2) (-1)^k (zeta(k) - 1) / k z^k
    zeta(k) - 1 is about 2^-k, so 26 terms reach double precision. zeta(k) comes from this file's
    own polygamma: psi^(k-1)(1) = (-1)^k (k-1)! zeta(k).
    """
    global _ZETA_MINUS_ONE
    xp = array_module_of(x)
    if not _ZETA_MINUS_ONE:  # one tuple, assigned at once: threads never see a half-built table
        _ZETA_MINUS_ONE = tuple((-1.0) ** k * float(_polygamma_positive(k - 1, np.ones(1))[0]) / math.factorial(k - 1)
                                - 1.0 for k in range(2, 28))
    near_two = x >= 1.5
    z = xp.where(near_two, x - 2.0, x - 1.0)
    series = 0.0
    for k in range(27, 1, -1):  # Horner: z^2 (c_2 + z (c_3 + ...)), c_k = (-1)^k (zeta(k) - 1) / k
        series = series * z + (-1.0) ** k * _ZETA_MINUS_ONE[k - 2] / k
    result = (1.0 - _EULER) * z + series * z * z
    return xp.where(near_two, result, result - xp.log1p(z))


def _polygamma_positive(n: int, x):
    """psi^(n)(x) for x > 0 (recurrence up to z >= 10 + 2n, then the asymptotic series)."""
    xp = array_module_of(x)
    shifted = xp.zeros_like(x)  # sum over the steps of 1 / (x + k)^(n+1)

    def add(z, moving):
        shifted[...] = xp.where(moving, shifted + z ** -(n + 1.0), shifted)

    z = _shift_up(x, 10.0 + 2 * n, add)
    sign = (-1.0) ** (n + 1)
    if n == 0:
        w = 1.0 / (z * z)
        series = 0.0
        for k in range(len(_BERNOULLI), 0, -1):
            series = series * w + _BERNOULLI[k - 1] / (2 * k)
        asymptotic = xp.log(z) - 0.5 / z - series * w
    else:
        asymptotic = math.factorial(n - 1) * z**-n + math.factorial(n) / 2 * z ** -(n + 1.0)
        for k, b in enumerate(_BERNOULLI, start=1):
            coeff = b * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
            asymptotic = asymptotic + coeff * z ** -(2.0 * k + n)
        asymptotic = sign * asymptotic
    return asymptotic + sign * math.factorial(n) * shifted


def _cot_derivative_coefficients(n: int) -> list:
    """Coefficients (lowest degree first) of P_n, with d^n/du^n cot(u) = P_n(cot u)."""
    p = [0.0, 1.0]  # P_0(c) = c
    for _ in range(n):
        dp = [i * p[i] for i in range(1, len(p))] + [0.0, 0.0]   # P', padded to P's degree + 1
        # -(1 + c^2) P'(c): the coefficient of c^i is -(P'[i] + P'[i - 2])
        p = [-(dp[i] + (dp[i - 2] if i >= 2 else 0.0)) for i in range(len(dp))]
    return p


def _float64(x):
    return x.astype(np.float64)


def _finish(result, like):
    dtype = like.dtype if like.dtype.kind == "f" else get_default_dtype()
    return result.astype(dtype)


def lgamma_array(x):
    """log |Gamma(x)| of a float array, elementwise."""
    xp = array_module_of(x)
    x64 = _float64(x)
    positive = x64 > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lg = _lgamma_positive(xp.where(positive, x64, 1.0 - x64))  # lgamma(x), or lgamma(1 - x)
        r = x64 - xp.round(x64)
        reflected = xp.log(math.pi / xp.abs(xp.sin(math.pi * r))) - lg
    result = xp.where(positive, lg, reflected)
    result = xp.where(xp.isinf(x64), xp.inf, result)  # lgamma(-inf) = +inf, as in PyTorch
    return _finish(result, x)


def polygamma_array(n: int, x):
    """psi^(n)(x) of a float array, elementwise (n = 0: digamma)."""
    xp = array_module_of(x)
    x64 = _float64(x)
    positive = x64 > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        psi = _polygamma_positive(n, xp.where(positive, x64, 1.0 - x64))  # at x, or at 1 - x
        r = x64 - xp.round(x64)
        c = xp.cos(math.pi * r) / xp.sin(math.pi * r)  # cot(pi x)
        poly = 0.0
        for coeff in reversed(_cot_derivative_coefficients(n)):
            poly = poly * c + coeff
        reflected = (-1.0) ** n * psi - math.pi ** (n + 1) * poly
    result = xp.where(positive, psi, reflected)
    pole = (x64 <= 0) & (r == 0)
    if n == 0:
        at_zero = xp.where(xp.signbit(x64), xp.inf, -xp.inf)  # psi(+0) = -inf, psi(-0) = +inf
        result = xp.where(pole, xp.where(x64 == 0, at_zero, xp.nan), result)
        result = xp.where(x64 == -xp.inf, xp.nan, result)
    else:
        result = xp.where(pole, (-1.0) ** (n + 1) * xp.inf, result)
    return _finish(result, x)


class Lgamma(Op):
    """y = log |Gamma(x)|;  dy/dx = digamma(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return lgamma_array(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * digamma(x)


class Polygamma(Op):
    """y = psi^(n)(x) (n = 0: digamma);  dy/dx = psi^(n+1)(x)."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.n = n
        ctx.save_for_backward(x)
        return polygamma_array(n, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * Polygamma.apply(x, ctx.n + 1)


def _check_tensor(x, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be a Tensor, got {type(x).__name__}")


def lgamma(input: Tensor) -> Tensor:
    """log |Gamma(x)|, elementwise (integers compute in the default float dtype)."""
    _check_tensor(input, "lgamma")
    return Lgamma.apply(input)


def digamma(input: Tensor) -> Tensor:
    """psi(x) = d/dx lgamma(x), elementwise."""
    _check_tensor(input, "digamma")
    return Polygamma.apply(input, 0)


def polygamma(n: int, input: Tensor) -> Tensor:
    """psi^(n)(x), the n-th derivative of digamma, elementwise (n = 0 is digamma itself)."""
    _check_tensor(input, "polygamma")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"polygamma(): argument 'n' must be an int, got {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n, got n = {n}")
    return Polygamma.apply(input, int(n))
