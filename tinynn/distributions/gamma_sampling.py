"""Reparameterised Gamma samples, and the regularised incomplete gamma function (the Gamma's cdf).

A Gamma(alpha, 1) sample X cannot be written as a smooth function of alpha and parameter-free
noise in closed form, but it can implicitly: X = F^-1(U; alpha) with U ~ U(0, 1) and F the cdf
(implicit reparameterisation, Figurnov et al. 2018). Holding U fixed, F(X; alpha) = U gives

    dX/dalpha = -(dF/dalpha)(X; alpha) / f(X; alpha),      f the density.

So the sample itself may come from any exact sampler (NumPy's), and only F's derivative in alpha
is needed. With the series of the regularised lower incomplete gamma function,

    P(a, x) = F(x; a) = sum_k T_k,   T_k = x^(a+k) e^(-x) / Gamma(a + k + 1),
    dT_k/da = T_k (log x - psi(a + k + 1)),

and dividing by f(x; a) = x^(a-1) e^(-x) / Gamma(a) turns T_k into R_k = x^(k+1) / (a (a+1) ... (a+k)):

    dX/dalpha = sum_k R_k (psi(a + k + 1) - log x),    R_0 = x / a,  R_k = R_(k-1) x / (a + k),
                                                        psi(a + k + 1) = psi(a + k) + 1 / (a + k).

The terms grow while a + k < x and then shrink geometrically; the loop runs until every
element's terms are negligible (about x - a + 40 sqrt(x) + 40 steps).
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import CPU, array_module_of, device_of, to_device
from ..ops.gamma import lgamma, lgamma_array, polygamma_array
from ..random import numpy_generator
from ..tensor import Tensor
from .utils import xlogy

_MAX_TERMS = 1_000_000


def _series(a, x):
    """(P(a, x), dX/dalpha at X = x) for float64 arrays a, x > 0.

    Both sums run over the same R_k: P = f(x; a) * sum_k R_k, since T_k = f(x; a) R_k.
    """
    xp = array_module_of(x)
    log_x = xp.log(x)
    r = x / a
    psi = polygamma_array(0, a) + 1.0 / a  # psi(a + 1)
    total_r = r.copy()
    total_grad = r * (psi - log_x)
    k = 0
    while True:
        k += 1
        r = r * x / (a + k)
        psi = psi + 1.0 / (a + k)
        total_r += r
        total_grad += r * (psi - log_x)
        past_peak = a + k > x
        small = r <= 1e-17 * total_r
        if bool((past_peak & small).all()) or k >= _MAX_TERMS:
            break
    log_density = (a - 1.0) * log_x - x - lgamma_array(a)
    return xp.exp(log_density) * total_r, total_grad


def regularized_gamma_p(a, x):
    """P(a, x) = gamma(a, x) / Gamma(a), the cdf of Gamma(a, 1) at x (float64 arrays).

    0 for x <= 0; 1 far in the upper tail, x > a + 40 sqrt(a) + 40, where 1 - P < 1e-17 (a
    Chernoff bound) and the series would need about x terms.
    """
    xp = array_module_of(x)
    inside, far = _regions(a, x)
    p, _ = _series(xp.where(inside, a, 1.0), xp.where(inside, x, 1.0))
    result = xp.where(inside, xp.minimum(p, 1.0), xp.where(far, 1.0, 0.0))
    return xp.where(xp.isnan(a) | xp.isnan(x), xp.nan, result)


def _regions(a, x):
    """(where the series is used, where P is 1 to double precision)."""
    far = x > a + 40.0 * array_module_of(x).sqrt(a) + 40.0
    return (x > 0) & ~far, far


def standard_gamma_grad(a, x):
    """dX/dalpha for a Gamma(alpha, 1) sample X = x (float64 arrays, x > 0)."""
    return _series(a, x)[1]


class StandardGamma(Op):
    """X ~ Gamma(alpha, 1) drawn by NumPy; dX/dalpha by implicit reparameterisation (module docstring).

    The backward is a constant in the graph: second derivatives through a sample are not provided
    (nor are they by PyTorch).
    """

    @staticmethod
    def forward(ctx, alpha):
        host_alpha = to_device(alpha, CPU).astype(np.float64)
        x = numpy_generator().standard_gamma(host_alpha)
        x = np.maximum(x, np.finfo(alpha.dtype).tiny)  # a tiny alpha can underflow a draw to 0
        ctx.alpha, ctx.x = host_alpha, x
        return to_device(x, device_of(alpha)).astype(alpha.dtype)

    @staticmethod
    def backward(ctx, grad):
        dx_dalpha = standard_gamma_grad(ctx.alpha, ctx.x)
        return grad * Tensor._make(to_device(dx_dalpha, grad.device).astype(grad.dtype))


class RegularizedGammaP(Op):
    """y = P(a, x) = gamma(a, x) / Gamma(a)  (torch.special.gammainc).

    dy/dx = x^(a-1) e^(-x) / Gamma(a), the Gamma density (differentiable again);
    dy/da = -density * dX/dalpha (the series in the module docstring; a constant in the graph).
    """

    @staticmethod
    def forward(ctx, a, x):
        a64, x64 = np.broadcast_arrays(to_device(a, CPU).astype(np.float64), to_device(x, CPU).astype(np.float64))
        ctx.save_for_backward(a, x)
        dtype = np.result_type(a.dtype, x.dtype)
        return to_device(regularized_gamma_p(a64, x64), device_of(x)).astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        from ..ops import where

        support = (x >= 0) & x.isfinite()  # the density is 0 below 0 and at inf
        safe_x = where(support, x, 1.0)
        density = where(support, (xlogy(a - 1, safe_x) - safe_x - lgamma(a)).exp(), 0.0)
        grad_a = None
        if ctx.needs_input_grad[0]:
            a64, x64 = np.broadcast_arrays(to_device(a._data, CPU).astype(np.float64),
                                           to_device(x._data, CPU).astype(np.float64))
            inside, _ = _regions(a64, x64)  # elsewhere the density is 0 (to double precision): so is dy/da
            dx_da = np.where(inside, standard_gamma_grad(np.where(inside, a64, 1.0), np.where(inside, x64, 1.0)), 0.0)
            dx_da = Tensor._make(to_device(dx_da, grad.device).astype(grad.dtype))
            grad_a = -grad * where(x > 0, density.detach(), 0.0) * dx_da  # P(a, 0) = 0 for every a
        return grad_a, grad * density
