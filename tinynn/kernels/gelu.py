"""GELU's value and slope in one GPU pass (the reference is ``Gelu.value_and_slope`` in ops/activation.py).

    exact:  y = x Phi(x),  dy/dx = Phi(x) + x phi(x),  Phi(x) = (1 + erf(x / sqrt 2)) / 2
    tanh:   t = tanh(k (x + c x^3)),  y = x (1 + t) / 2,
            dy/dx = (1 + t) / 2 + x/2 (1 - t^2) k (1 + 3 c x^2),   k = sqrt(2/pi), c = 0.044715

The reference takes about fifteen array operations for the pair; this is one kernel launch.
"""
from __future__ import annotations

import functools
import math

_K = math.sqrt(2.0 / math.pi)
_C = 0.044715


@functools.lru_cache(maxsize=None)
def _kernel(approximate: str):
    import cupy

    if approximate == "tanh":
        body = f"""
        T x2 = x * x;
        T t = tanh((x2 * T({_C * _K!r}) + T({_K!r})) * x);
        T half_1pt = (t + T(1)) * T(0.5);
        y = x * half_1pt;
        slope = (T(1) - t * t) * (x2 * T({3 * _C * _K!r}) + T({_K!r})) * x * T(0.5) + half_1pt;
        """
    else:
        body = f"""
        T cdf = (erf(x * T({1 / math.sqrt(2.0)!r})) + T(1)) * T(0.5);
        y = x * cdf;
        slope = exp(x * x * T(-0.5)) * x * T({1 / math.sqrt(2 * math.pi)!r}) + cdf;
        """
    return cupy.ElementwiseKernel("T x", "T y, T slope", body, f"tinynn_gelu_{approximate}")


def fused_gelu_value_and_slope(x, approximate: str):
    """(y, dy/dx) for a CuPy float array ``x``; ``approximate`` is 'none' or 'tanh'."""
    return _kernel(approximate)(x)
