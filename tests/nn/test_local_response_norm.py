"""LocalResponseNorm and CrossMapLRN2d (tinynn/nn/local_response_norm.py, F.local_response_norm): the
formula, float64 gradchecks, PyTorch parity (3-d, 4-d and 5-d input, window larger than the channels),
repr and errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_close, assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch


def _reference(x, size, alpha, beta, k):
    """y[:, c] = x[:, c] / (k + alpha/size * sum of x[:, c']^2, c' in c - size//2 .. c + (size-1)//2) ^ beta."""
    channels = x.shape[1]
    out = np.empty_like(x)
    for c in range(channels):
        window = x[:, max(0, c - size // 2):min(channels, c + (size - 1) // 2 + 1)]
        out[:, c] = x[:, c] / (k + alpha / size * (window ** 2).sum(1)) ** beta
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 5, 9])
def test_local_response_norm_is_the_formula(size):
    x = rand(2, 6, 3, 2)
    assert_close(F.local_response_norm(leaf(x), size, alpha=0.3, beta=0.7, k=1.5), _reference(x, size, 0.3, 0.7, 1.5))


@pytest.mark.parametrize("shape,size", [((2, 5, 3), 3), ((1, 4, 2, 3), 4), ((1, 3, 2, 2, 2), 2)])
def test_local_response_norm_gradients(shape, size):
    check_gradients(lambda x: F.local_response_norm(x, size, alpha=0.5, beta=0.6, k=2.0), rand(*shape))


@needs_torch
@pytest.mark.parametrize("shape,size,kwargs", [
    ((2, 5, 4), 3, {}),
    ((2, 6, 3, 2), 4, {"alpha": 0.5, "beta": 0.6, "k": 2.0}),
    ((1, 3, 2, 3, 2), 5, {"alpha": 1.0, "beta": 0.75, "k": 1.0}),   # a window wider than the channels
    ((2, 7, 2, 2), 2, {"alpha": 2e-2}),
])
def test_local_response_norm_matches_torch(shape, size, kwargs):
    x = rand(*shape) * 3
    assert_matches_torch(lambda x: nn.LocalResponseNorm(size, **kwargs)(x),
                         lambda x: torch.nn.LocalResponseNorm(size, **kwargs)(x), x)
    assert_matches_torch(lambda x: F.local_response_norm(x, size, **kwargs),
                         lambda x: torch.nn.functional.local_response_norm(x, size, **kwargs), x)


@needs_torch
def test_local_response_norm_repr_and_empty_input_match_torch():
    assert repr(nn.LocalResponseNorm(2)) == repr(torch.nn.LocalResponseNorm(2))
    assert repr(nn.CrossMapLRN2d(3, alpha=0.5)) == repr(torch.nn.CrossMapLRN2d(3, alpha=0.5))
    assert F.local_response_norm(tinynn.zeros(0, 4, 5), 2).shape == (0, 4, 5)


def test_cross_map_lrn2d_is_the_documented_formula_with_its_gradient():
    x = rand(2, 7, 3, 3)
    layer = nn.CrossMapLRN2d(5, alpha=0.5, beta=0.75, k=1.0)
    assert_close(layer(leaf(x)), _reference(x, 5, 0.5, 0.75, 1.0))
    check_gradients(lambda x: nn.CrossMapLRN2d(3, alpha=0.5)(x), rand(1, 4, 2, 2))
    with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D instead."):
        layer(tinynn.randn(3, 4, 5))


def test_local_response_norm_errors():
    with pytest.raises(ValueError, match=r"Expected 3D or higher dimensionality input \(got 2 dimensions\)"):
        F.local_response_norm(tinynn.randn(3, 4), 2)
    with pytest.raises(RuntimeError, match="size .* must be a positive int, got 0"):
        nn.LocalResponseNorm(0)(tinynn.randn(3, 4, 5))
