"""F.unfold / F.fold and nn.Unfold / nn.Fold (tinynn/nn/functional/fold.py, tinynn/nn/fold.py): float64
gradchecks (second order too) with every argument, PyTorch parity of outputs and gradients, the
adjoint identity <unfold(x), c> = <x, fold(c)>, unfold as a convolution, reprs and the errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_matches_torch, assert_module_matches_torch, check_gradients, needs_torch, rand, torch

# (kwargs, image shape): unfold takes the image, fold takes unfold's output shape back to it
GEOMETRIES = [
    (dict(kernel_size=2), (2, 3, 4, 5)),
    (dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 2), stride=(2, 1)), (1, 2, 5, 4)),
    (dict(kernel_size=3, stride=2, padding=1), (2, 1, 5, 5)),
    (dict(kernel_size=(1, 2), stride=(1, 2)), (2, 4, 3)),             # unbatched, non-overlapping blocks
]
IDS = [",".join(f"{k}={v}" for k, v in kw.items()) + f":{shape}" for kw, shape in GEOMETRIES]


def _columns_shape(kwargs, shape):
    return tuple(F.unfold(tinynn.zeros(*shape, dtype=tinynn.float64), **kwargs).shape)


@pytest.mark.parametrize("kwargs, shape", GEOMETRIES, ids=IDS)
def test_unfold_and_fold_gradcheck(kwargs, shape):
    check_gradients(lambda t: F.unfold(t, **kwargs), rand(*shape, seed=1))
    check_gradients(lambda t: F.fold(t, shape[-2:], **kwargs), rand(*_columns_shape(kwargs, shape), seed=2))


@needs_torch
@pytest.mark.parametrize("kwargs, shape", GEOMETRIES, ids=IDS)
def test_unfold_and_fold_match_torch(kwargs, shape):
    assert_matches_torch(lambda t: F.unfold(t, **kwargs), lambda t: torch.nn.functional.unfold(t, **kwargs),
                         rand(*shape, seed=3))
    assert_matches_torch(lambda t: F.fold(t, shape[-2:], **kwargs),
                         lambda t: torch.nn.functional.fold(t, shape[-2:], **kwargs),
                         rand(*_columns_shape(kwargs, shape), seed=4))


@pytest.mark.parametrize("kwargs, shape", GEOMETRIES, ids=IDS)
def test_fold_is_the_adjoint_of_unfold(kwargs, shape):
    x, c = rand(*shape, seed=5), rand(*_columns_shape(kwargs, shape), seed=6)
    left = (F.unfold(tinynn.tensor(x), **kwargs).numpy() * c).sum()
    right = (x * F.fold(tinynn.tensor(c), shape[-2:], **kwargs).numpy()).sum()
    assert left == pytest.approx(right, rel=1e-12)


def test_unfold_is_a_convolution():
    x, w = tinynn.tensor(rand(2, 3, 5, 6, seed=7)), tinynn.tensor(rand(4, 3, 3, 2, seed=8))
    cols = F.unfold(x, (3, 2), padding=1, stride=(2, 1))                  # (2, 18, L)
    y = (w.reshape(4, -1) @ cols).reshape(2, 4, 3, 7)
    np.testing.assert_allclose(y.numpy(), F.conv2d(x, w, padding=1, stride=(2, 1)).numpy(), atol=1e-12)


def test_fold_counts_overlaps():
    ones = F.unfold(tinynn.ones(1, 1, 3, 3, dtype=tinynn.float64), 2)
    assert F.fold(ones, (3, 3), 2).tolist() == [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]


@needs_torch
def test_fold_layers_match_torch():
    pairs = [(nn.Unfold((2, 3), padding=1), torch.nn.Unfold((2, 3), padding=1), (2, 2, 3, 4)),
             (nn.Fold((4, 5), 2, stride=2), torch.nn.Fold((4, 5), 2, stride=2), (2, 8, 4))]
    for ours, theirs, shape in pairs:
        assert repr(ours) == repr(theirs)
        assert_module_matches_torch(ours, theirs, [rand(*shape, seed=9)])


def test_fold_errors():
    x = tinynn.ones(2, 3, 5, 6)
    with pytest.raises(RuntimeError, match="gives \\(-1, 0\\) block positions"):
        F.unfold(x, 7)
    with pytest.raises(RuntimeError, match="kernel_size must be greater than zero"):
        F.unfold(x, 0)
    with pytest.raises(RuntimeError, match="stride must be greater than zero"):
        F.unfold(x, 2, stride=0)
    with pytest.raises(RuntimeError, match="padding must be non-negative"):
        F.unfold(x, 2, padding=-1)
    with pytest.raises(RuntimeError, match="kernel_size must be an int or 2 ints"):
        F.unfold(x, (2, 2, 2))
    with pytest.raises(TypeError, match="kernel_size must be an int or a tuple of 2 ints"):
        F.unfold(x, 2.0)
    with pytest.raises(RuntimeError, match="expected a 3-d \\(C, H, W\\) or 4-d"):
        F.unfold(x[None], 2)
    with pytest.raises(NotImplementedError, match="needs a floating-point input"):
        F.unfold(tinynn.ones(1, 1, 3, 3, dtype=tinynn.int64), 2)
    cols = tinynn.ones(2, 12, 20)
    with pytest.raises(RuntimeError, match="give 4 \\* 6 = 24 blocks, but input.size\\(2\\) = 20"):
        F.fold(cols, (5, 7), 2)
    with pytest.raises(RuntimeError, match="13 must be divisible by the product of kernel_size"):
        F.fold(tinynn.ones(2, 13, 20), (5, 6), 2)
    with pytest.raises(RuntimeError, match="output_size must be an int or 2 ints"):
        F.fold(cols, (5, 6, 1), 2)
    with pytest.raises(RuntimeError, match="expected a 2-d"):
        F.fold(cols[None], (5, 6), 2)
