"""Checking random samples by their statistics (RNG streams differ from PyTorch's, so samples
cannot be compared number by number).

With a fixed seed the checks are deterministic; the bounds are k standard errors of the
estimates for the sample size, so a correct sampler passes them for any seed with
overwhelming probability, and a sampler with the wrong mean or spread fails them.
"""
from __future__ import annotations

import numpy as np


def assert_moments(samples, mean, var, k: float = 6.0) -> None:
    """The sample mean and variance along axis 0 agree with ``mean`` and ``var`` (arrays broadcasting
    with one sample) within ``k`` standard errors: sqrt(var / N) for the mean and
    sqrt((m4 - var^2) / N) for the variance (m4 the sample's fourth central moment)."""
    x = np.asarray(samples.detach().numpy() if hasattr(samples, "detach") else samples, dtype=np.float64)
    n = x.shape[0]
    mean, var = np.asarray(mean, dtype=np.float64), np.asarray(var, dtype=np.float64)
    centered = x - x.mean(0)
    sample_var = (centered**2).mean(0)
    m4 = (centered**4).mean(0)
    np.testing.assert_array_less(np.abs(x.mean(0) - mean), k * np.sqrt(var / n) + 1e-12, err_msg="sample mean")
    np.testing.assert_array_less(np.abs(sample_var - var), k * np.sqrt(np.maximum(m4 - sample_var**2, 0) / n) + 1e-12,
                                 err_msg="sample variance")
