"""FractionalMaxPool2d/3d (tinynn/nn/fractional_pool.py, F.fractional_max_pool*): the window rule,
float64 gradchecks, PyTorch parity with the same _random_samples (outputs, indices, input gradients,
float32 window arithmetic, output_ratio, unbatched input), the layer's buffer, and PyTorch's errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.nn.functional.fractional_pool import window_starts
from tests.helpers import assert_close, assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch

# (dims, input shape, kernel_size, output_size, output_ratio)
CASES = [
    (2, (2, 3, 7, 9), 2, (4, 5), None),
    (2, (2, 2, 9, 8), (3, 2), (5, 3), None),
    (2, (3, 8, 7), 2, None, (0.6, 0.5)),        # unbatched
    (2, (1, 2, 6, 6), 3, (4, 4), None),         # windows overlap: gradients add up
    (3, (2, 2, 6, 7, 8), 2, (3, 4, 5), None),
    (3, (2, 5, 6, 7), (2, 3, 2), None, (0.5, 0.6, 0.7)),   # unbatched
]


def _samples(shape, dims, seed=7, dtype=np.float64):
    batch = 1 if len(shape) == dims + 1 else shape[0]
    return rand(batch, shape[-dims - 1], dims, seed=seed, low=0.0, high=1.0).astype(dtype)


def _functions(dims):
    if dims == 2:
        return F.fractional_max_pool2d, torch.nn.functional.fractional_max_pool2d if torch else None
    return F.fractional_max_pool3d, torch.nn.functional.fractional_max_pool3d if torch else None


def test_window_starts_follow_the_fractional_rule():
    # L = 7, k = 2, out = 4: alpha = 5/3; start_i = floor((i + u) alpha) - floor(u alpha), last = L - k
    starts = window_starts(np.array([0.5, 0.0]), 7, 4, 2, np)
    assert starts.tolist() == [[0, 2, 4, 5], [0, 1, 3, 5]]
    assert window_starts(np.array([0.3]), 9, 1, 3, np).tolist() == [[6]]


def test_fractional_max_pool_is_the_max_of_each_window():
    x = rand(1, 1, 7, 9)
    samples = tinynn.tensor([[[0.0, 0.5]]], dtype=tinynn.float64)   # width u = 0, height u = 0.5
    y, index = F.fractional_max_pool2d(leaf(x), 2, (4, 5), return_indices=True, _random_samples=samples)
    rows, cols = [0, 2, 4, 5], [0, 1, 3, 5, 7]
    expected = [[x[0, 0, r:r + 2, c:c + 2].max() for c in cols] for r in rows]
    assert_close(y[0, 0], expected)
    assert_close(x[0, 0].reshape(-1)[index.numpy()[0, 0]], expected)


@pytest.mark.parametrize("dims,shape,kernel,out,ratio", CASES[:4] + [
    (3, (1, 2, 4, 5, 5), 2, (3, 3, 4), None),
    (3, (2, 4, 4, 5), (2, 3, 2), None, (0.5, 0.6, 0.7)),   # unbatched
])
def test_fractional_max_pool_gradients(dims, shape, kernel, out, ratio):
    ours, _ = _functions(dims)
    samples = tinynn.tensor(_samples(shape, dims))
    check_gradients(lambda x: ours(x, kernel, out, ratio, _random_samples=samples), rand(*shape))


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("dims,shape,kernel,out,ratio", CASES)
def test_fractional_max_pool_matches_torch_with_the_same_samples(dims, shape, kernel, out, ratio, dtype):
    ours, theirs = _functions(dims)
    x, samples = rand(*shape, seed=1).astype(dtype), _samples(shape, dims, dtype=dtype)
    y, index = ours(tinynn.tensor(x), kernel, out, ratio, return_indices=True, _random_samples=tinynn.tensor(samples))
    y_t, index_t = theirs(torch.tensor(x), kernel, out, ratio, return_indices=True,
                          _random_samples=torch.tensor(samples))
    assert_close(y, y_t, rtol=0, atol=0)
    assert (index.numpy() == index_t.numpy()).all() and index.dtype == tinynn.int64
    if dtype == np.float64:
        assert_matches_torch(lambda x: ours(x, kernel, out, ratio, _random_samples=tinynn.tensor(samples)),
                             lambda x: theirs(x, kernel, out, ratio, _random_samples=torch.tensor(samples)), x)


@needs_torch
def test_fractional_max_pool_layers_match_torch():
    samples = _samples((2, 3, 8, 8), 2)
    ours = nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.7), return_indices=True,
                                  _random_samples=tinynn.tensor(samples))
    theirs = torch.nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.7), return_indices=True,
                                          _random_samples=torch.tensor(samples))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["_random_samples"]
    assert list(nn.FractionalMaxPool2d(2, 3).state_dict()) == list(torch.nn.FractionalMaxPool2d(2, 3).state_dict())
    x = rand(2, 3, 8, 8, seed=2)
    assert_matches_torch(ours, theirs, x)
    samples3 = _samples((1, 2, 5, 6, 7), 3)
    assert_matches_torch(nn.FractionalMaxPool3d(2, output_size=3, _random_samples=tinynn.tensor(samples3)),
                         torch.nn.FractionalMaxPool3d(2, output_size=3, _random_samples=torch.tensor(samples3)),
                         rand(1, 2, 5, 6, 7, seed=3))


def test_fractional_max_pool_draws_samples_when_none_are_given():
    x = tinynn.randn(2, 3, 9, 9)
    layer = nn.FractionalMaxPool2d(2, output_size=(5, 4))
    y = layer(x)
    assert y.shape == (2, 3, 5, 4)
    assert nn.FractionalMaxPool3d(2, output_ratio=0.5)(tinynn.randn(3, 6, 6, 6)).shape == (3, 3, 3, 3)
    tinynn.manual_seed(0)
    a = layer(x)
    tinynn.manual_seed(0)
    assert_close(layer(x), a)   # the samples come from tinynn's generator: seeded, reproducible


def test_fractional_max_pool_errors():
    x, s = tinynn.randn(1, 2, 7, 9), tinynn.rand(1, 2, 2)
    cases = [
        (ValueError, "requires specifying either an output_size or an output_ratio",
         lambda: F.fractional_max_pool2d(x, 2)),
        (RuntimeError, "pool height 3 too large relative to input height 7",
         lambda: F.fractional_max_pool2d(x, 3, (6, 5), _random_samples=s)),
        (RuntimeError, "pool width 2 too large relative to input width 9",
         lambda: F.fractional_max_pool2d(x, 2, (4, 9), _random_samples=s)),
        (RuntimeError, "pool time 2 too large relative to input time 6",
         lambda: F.fractional_max_pool3d(tinynn.randn(1, 1, 6, 7, 8), 2, (6, 3, 3))),
        (RuntimeError, "Expect _random_samples.size\\(1\\) equals to input channel size.",
         lambda: F.fractional_max_pool2d(x, 2, (4, 5), _random_samples=s[:, :1])),
        (RuntimeError, "Expect _random_samples.size\\(0\\) no less then input batch size.",
         lambda: F.fractional_max_pool2d(tinynn.randn(2, 2, 7, 9), 2, (4, 5), _random_samples=s)),
        (RuntimeError, "Expect _random_samples.size\\(2\\) equals to 3; got 2.",
         lambda: F.fractional_max_pool3d(tinynn.randn(1, 2, 6, 7, 8), 2, 3, _random_samples=s)),
        (RuntimeError, "Expect _random_samples to have 3 dimensions, got 2",
         lambda: F.fractional_max_pool2d(x, 2, (4, 5), _random_samples=s[0])),
        (RuntimeError, "Expect _random_samples to have the same dtype as input",
         lambda: F.fractional_max_pool2d(x, 2, (4, 5), _random_samples=s.double())),
        (RuntimeError, "kernel_size must either be a single Int or tuple of Ints",
         lambda: F.fractional_max_pool2d(x, (2, 2, 2), 3)),
        (RuntimeError, "Expected 3D or 4D tensor", lambda: F.fractional_max_pool2d(x[0, 0], 2, 2)),
        (ValueError, "FractionalMaxPool2d requires specifying either an output size, or a pooling ratio",
         lambda: nn.FractionalMaxPool2d(2)),
        (ValueError, "only one of output_size and output_ratio may be specified",
         lambda: nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5)),
        (ValueError, "output_ratio must be between 0 and 1 \\(got 1.5\\)",
         lambda: nn.FractionalMaxPool3d(2, output_ratio=1.5)),
    ]
    for error, message, call in cases:
        with pytest.raises(error, match=message):
            call()
