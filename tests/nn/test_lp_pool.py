"""LPPool1d/2d/3d (tinynn/nn/lp_pool.py, F.lp_pool*): the p-norm of each window, float64 gradchecks,
PyTorch parity (strides, ceil_mode, unbatched input, p = inf, zero windows), repr and errors."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_close, assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch

# (layer, norm_type, kernel_size, stride, ceil_mode, input shape); positive inputs unless p is even (a
# negative window sum has no real root: NaN in both engines)
CASES = [
    ("LPPool1d", 2, 3, None, False, (2, 3, 8)),
    ("LPPool1d", 3, 2, 1, True, (3, 7)),                                   # unbatched, odd p
    ("LPPool2d", 2, 2, None, False, (2, 2, 6, 4)),
    ("LPPool2d", 1.5, (3, 2), (2, 1), True, (2, 2, 7, 5)),                 # ceil_mode: a cut last window
    ("LPPool2d", 4.0, 3, 2, False, (2, 5, 7)),
    ("LPPool3d", 2, 2, None, False, (1, 2, 4, 4, 6)),
    ("LPPool3d", 1, (2, 1, 3), (1, 2, 2), True, (1, 2, 3, 5, 7)),
]


def _input(shape, p, seed=0):
    x = rand(*shape, seed=seed)
    return x if float(p) % 2 == 0 else np.abs(x) + 0.1


@pytest.mark.parametrize("name,p,kernel,stride,ceil,shape", CASES)
def test_lp_pool_gradients(name, p, kernel, stride, ceil, shape):
    layer = getattr(nn, name)(p, kernel, stride, ceil)
    check_gradients(layer, _input(shape, p))


@needs_torch
@pytest.mark.parametrize("name,p,kernel,stride,ceil,shape", CASES)
def test_lp_pool_matches_torch(name, p, kernel, stride, ceil, shape):
    x = _input(shape, p, seed=1)
    ours, theirs = getattr(nn, name)(p, kernel, stride, ceil), getattr(torch.nn, name)(p, kernel, stride, ceil)
    assert_matches_torch(ours, theirs, x)
    assert repr(getattr(nn, name)(p, kernel, stride, ceil)) == repr(getattr(torch.nn, name)(p, kernel, stride, ceil))


def test_lp_pool_is_the_window_p_norm():
    x = np.abs(rand(1, 2, 6))
    y = F.lp_pool1d(leaf(x), 3, 2)
    assert_close(y, np.cbrt((x ** 3).reshape(1, 2, 3, 2).sum(-1)))
    x = rand(2, 1, 4, 4, seed=2)
    assert_close(F.lp_pool2d(leaf(x), 2, 2), np.sqrt((x ** 2).reshape(2, 1, 2, 2, 2, 2).sum((3, 5))))


@needs_torch
@pytest.mark.parametrize("p", [math.inf, -math.inf])
def test_lp_pool_infinite_norm_matches_torch(p):
    x = rand(2, 2, 5, 6, seed=3)
    assert_matches_torch(lambda x: F.lp_pool2d(x, p, 2, 1), lambda x: torch.nn.functional.lp_pool2d(x, p, 2, 1), x)
    windows = np.abs(x[0][..., :6]).reshape(2, 5, 2, 3)
    assert_close(F.lp_pool1d(leaf(x[0]), p, 3), windows.max(-1) if p > 0 else windows.min(-1))


@needs_torch
def test_lp_pool_zero_window_gets_zero_gradient_as_in_torch():
    x = rand(1, 2, 4, 4, seed=4)
    x[0, 0, :2, :2] = 0.0   # one window of zeros: s^(1/p) has an infinite slope at s = 0
    ours = leaf(x)
    F.lp_pool2d(ours, 2, 2).sum().backward()
    assert np.isfinite(ours.grad.numpy()).all() and (ours.grad.numpy()[0, 0, :2, :2] == 0).all()
    assert_matches_torch(lambda x: F.lp_pool2d(x, 2, 2), lambda x: torch.nn.functional.lp_pool2d(x, 2, 2), x)


def test_lp_pool_errors():
    with pytest.raises(ValueError, match="norm_type must be a non-zero number"):
        F.lp_pool2d(tinynn.randn(1, 1, 4, 4), 0, 2)
    with pytest.raises(ValueError, match="norm_type must be a non-zero number"):
        nn.LPPool1d("2", 2)(tinynn.randn(1, 1, 4))
    with pytest.raises(ValueError, match="kernel_size must be an int or a sequence of 2 ints"):
        F.lp_pool2d(tinynn.randn(1, 1, 4, 4), 2, (2, 2, 2))
    with pytest.raises(RuntimeError, match="too small for kernel_size"):
        F.lp_pool2d(tinynn.randn(1, 1, 2, 2), 2, 3)
