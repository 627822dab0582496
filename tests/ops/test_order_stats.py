"""median, nanmedian, mode, aminmax, msort (tinynn/ops/order_stats.py): PyTorch's values, indices and
gradients (to the chosen element; shared among ties for the all-elements median), NaN rules, errors."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, torch

NAN = math.nan


def _distinct(*shape, seed=0):
    """Values without ties (so that every index PyTorch picks is the only right one)."""
    return np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) * 0.37 - 1.0


@pytest.mark.parametrize("keepdim", [False, True])
def test_median_gradcheck_along_a_dim(keepdim):
    check_gradients(lambda t: tinynn.median(t, 1, keepdim).values, _distinct(3, 4))
    check_gradients(lambda t: tinynn.nanmedian(t, 0, keepdim).values, _distinct(3, 4, seed=1))


def test_median_and_mode_gradcheck_without_dim():
    check_gradients(tinynn.median, _distinct(3, 5))
    check_gradients(tinynn.nanmedian, _distinct(4, 2, seed=2))
    # (finite differences break ties, so the mode is checked where all values differ: the smallest)
    check_gradients(lambda t: tinynn.mode(t, 1).values, _distinct(2, 3, seed=10))


@needs_torch
@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
def test_median_values_indices_gradients_match_torch(dim, keepdim):
    x = _distinct(4, 6, seed=3)
    for name in ("median", "nanmedian"):
        assert_matches_torch(lambda t: getattr(tinynn, name)(t, dim, keepdim),
                             lambda t: getattr(torch, name)(t, dim, keepdim), x)


@needs_torch
def test_median_of_all_elements_shares_the_gradient_among_ties_as_torch():
    x = np.array([[1.0, 2.0, 2.0], [3.0, 2.0, 0.5]])
    assert_matches_torch(tinynn.median, torch.median, x)
    assert_matches_torch(tinynn.nanmedian, torch.nanmedian, x)
    assert_matches_torch(lambda t: t.median(), lambda t: t.median(), x[:, :2])  # even count: the lower middle


@needs_torch
def test_nan_rules_match_torch():
    x = np.array([[NAN, 1.0, NAN, 0.0], [4.0, 2.0, 3.0, 1.0], [NAN, NAN, NAN, NAN], [2.0, NAN, 5.0, 1.0]])
    for name in ("median", "nanmedian"):
        ours, theirs = getattr(tinynn, name)(tinynn.tensor(x), 1), getattr(torch, name)(torch.tensor(x), 1)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        # which NaN of an all-NaN row nanmedian points at is unspecified in PyTorch (tinynn: the first)
        rows = [0, 1, 3] if name == "nanmedian" else [0, 1, 2, 3]
        np.testing.assert_array_equal(ours.indices.numpy()[rows], theirs.indices.numpy()[rows])
        np.testing.assert_array_equal(getattr(tinynn, name)(tinynn.tensor(x)).numpy(),
                                      getattr(torch, name)(torch.tensor(x)).numpy())


def test_median_is_the_lower_middle_value():
    x = tinynn.tensor([[4.0, 1.0, 3.0, 2.0], [7.0, 5.0, 6.0, 8.0]])
    values, indices = tinynn.median(x, dim=1)
    np.testing.assert_array_equal(values.numpy(), [2.0, 6.0])
    np.testing.assert_array_equal(indices.numpy(), [3, 2])
    assert tinynn.median(x).item() == 4.0
    integers = tinynn.median(tinynn.tensor([3, 1, 2]))
    assert integers.item() == 2 and integers.dtype == np.int64


@needs_torch
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_mode_matches_torch(dim):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 4, size=(5, 7))
    for keepdim in (False, True):
        ours, theirs = tinynn.mode(tinynn.tensor(x), dim, keepdim), torch.mode(torch.tensor(x), dim, keepdim)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    assert_matches_torch(lambda t: tinynn.mode(t, dim), lambda t: torch.mode(t, dim), x.astype(np.float64))


def test_mode_picks_the_smallest_most_frequent_value_and_its_last_index():
    values, indices = tinynn.mode(tinynn.tensor([2.0, 2.0, 1.0, 1.0, 3.0]))
    assert values.item() == 1.0 and indices.item() == 3
    values, indices = tinynn.tensor([[5, 1, 5, 7], [0, 0, 9, 9]]).mode(1)
    np.testing.assert_array_equal(values.numpy(), [5, 0])
    np.testing.assert_array_equal(indices.numpy(), [2, 1])


@needs_torch
@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (0, False), (1, True)])
def test_aminmax_matches_torch(dim, keepdim):
    x = np.array([[1.0, 4.0, 4.0], [3.0, 3.0, 2.0]])  # ties share the gradient, as in PyTorch
    assert_matches_torch(lambda t: tuple(tinynn.aminmax(t, dim=dim, keepdim=keepdim)),
                         lambda t: tuple(torch.aminmax(t, dim=dim, keepdim=keepdim)), x)
    result = tinynn.aminmax(tinynn.tensor(x), dim=dim, keepdim=keepdim)
    assert result.min is result[0] and result.max is result[1]


def test_aminmax_and_msort_gradcheck():
    check_gradients(lambda t: tinynn.aminmax(t, dim=1), _distinct(3, 4, seed=5))
    check_gradients(tinynn.msort, _distinct(4, 3, seed=6))


@needs_torch
def test_msort_matches_torch():
    assert_matches_torch(tinynn.msort, torch.msort, _distinct(5, 3, seed=7))
    assert_matches_torch(lambda t: t.msort(), lambda t: t.msort(), _distinct(6, seed=8))


def test_zero_dim_and_empty_inputs():
    x = tinynn.tensor(3.0)
    for fn in (tinynn.median, tinynn.nanmedian, tinynn.mode):
        values, indices = fn(x, 0)
        assert values.item() == 3.0 and indices.item() == 0 and values.shape == ()
    assert math.isnan(tinynn.median(tinynn.zeros(0)).item())
    values, indices = tinynn.median(tinynn.ones(0, 2), 1)
    assert values.shape == (0,) and indices.dtype == np.int64
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        tinynn.median(tinynn.ones(0, 2), 0)
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        tinynn.mode(tinynn.ones(0))
    with pytest.raises(RuntimeError, match="cannot compute aminmax over an empty dimension"):
        tinynn.aminmax(tinynn.ones(0))


def test_errors():
    x = tinynn.ones(2, 3)
    with pytest.raises(IndexError, match="out of range"):
        tinynn.median(x, 2)
    with pytest.raises(TypeError, match="must be a Tensor"):
        tinynn.median([1.0, 2.0])
    with pytest.raises(RuntimeError, match="bool"):
        tinynn.median(tinynn.tensor([True, False]), 0)
    with pytest.raises(TypeError, match="'dim' must be an int"):
        tinynn.aminmax(x, dim=(0, 1))


def test_methods():
    x = tinynn.tensor(_distinct(3, 4, seed=9))
    np.testing.assert_array_equal(x.median(1).values.numpy(), tinynn.median(x, 1).values.numpy())
    np.testing.assert_array_equal(x.nanmedian().numpy(), tinynn.nanmedian(x).numpy())
    np.testing.assert_array_equal(x.aminmax().max.numpy(), x.max().numpy())
    np.testing.assert_array_equal(x.msort().numpy(), np.sort(x.numpy(), axis=0))
