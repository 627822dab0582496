"""quantile and nanquantile (tinynn/ops/quantile.py): the five interpolations, q as a number or a
1-D tensor, dim/keepdim shapes, NaN rules, gradients and PyTorch's errors."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, torch

INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


def _distinct(*shape, seed=0):
    return np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) * 0.41 - 2.0


@pytest.mark.parametrize("interpolation", ["linear", "midpoint", "nearest"])
def test_gradcheck(interpolation):
    q = tinynn.tensor([0.1, 0.5, 0.8], dtype=tinynn.float64)
    check_gradients(lambda t: tinynn.quantile(t, q, dim=1, interpolation=interpolation), _distinct(3, 5))
    check_gradients(lambda t: tinynn.nanquantile(t, 0.3, keepdim=True, interpolation=interpolation), _distinct(2, 4))


@needs_torch
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (0, False), (1, True), (-1, False)])
def test_matches_torch(interpolation, dim, keepdim):
    x = _distinct(4, 6, seed=1)
    for name in ("quantile", "nanquantile"):
        for q in (0.37, [0.0, 0.25, 0.5, 0.9, 1.0]):
            assert_matches_torch(
                lambda t: getattr(tinynn, name)(t, q if isinstance(q, float) else tinynn.tensor(q, dtype=t.dtype),
                                                dim, keepdim, interpolation=interpolation),
                lambda t: getattr(torch, name)(t, q if isinstance(q, float) else torch.tensor(q, dtype=t.dtype),
                                               dim, keepdim, interpolation=interpolation), x)


@needs_torch
def test_nan_rules_match_torch():
    x = np.array([[0.0, 1.0, 2.0, 3.0], [4.0, math.nan, 5.0, 7.0], [math.nan] * 4])
    q = [0.2, 0.5, 0.75]
    for name in ("quantile", "nanquantile"):
        for interpolation in INTERPOLATIONS:
            ours = getattr(tinynn, name)(tinynn.tensor(x), tinynn.tensor(q, dtype=tinynn.float64), 1,
                                         interpolation=interpolation)
            theirs = getattr(torch, name)(torch.tensor(x), torch.tensor(q, dtype=torch.float64), 1,
                                          interpolation=interpolation)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_known_values_and_shapes():
    x = tinynn.tensor([[0.0, 1.0, 2.0, 3.0], [4.0, 6.0, 5.0, 7.0]])
    np.testing.assert_allclose(tinynn.quantile(x, 0.25, dim=1).numpy(), [0.75, 4.75])
    assert tinynn.quantile(x, 0.5).item() == 3.5
    assert tinynn.quantile(x, tinynn.tensor([0.1, 0.9])).shape == (2,)
    assert tinynn.quantile(x, tinynn.tensor(0.5)).shape == ()
    assert tinynn.quantile(x, 0.5, dim=0, keepdim=True).shape == (1, 4)
    assert tinynn.quantile(x, tinynn.tensor([0.5]), dim=0, keepdim=True).shape == (1, 1, 4)
    assert tinynn.quantile(x, tinynn.tensor([0.5, 0.6]), keepdim=True).shape == (2, 1, 1)
    # nearest rounds half to even: positions 0.5, 1.5, 2.5, 3.5 read 0, 2, 2, 4
    v = tinynn.tensor([0.0, 1.0, 2.0, 3.0, 4.0])
    q = tinynn.tensor([0.125, 0.375, 0.625, 0.875])
    np.testing.assert_array_equal(tinynn.quantile(v, q, interpolation="nearest").numpy(), [0.0, 2.0, 2.0, 4.0])
    np.testing.assert_array_equal(v.quantile(0.6).numpy(), 2.4000000953674316)


def test_errors():
    x = tinynn.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"q must be in the range \[0, 1\] but got 1.5"):
        tinynn.quantile(x, 1.5)
    with pytest.raises(RuntimeError, match=r"q values must be in the range \[0, 1\]"):
        tinynn.quantile(x, tinynn.tensor([0.5, -0.1]))
    with pytest.raises(RuntimeError, match="input tensor must be either float or double"):
        tinynn.quantile(tinynn.tensor([1, 2]), 0.5)
    with pytest.raises(RuntimeError, match="q must be a scalar or 1D tensor"):
        tinynn.quantile(x, tinynn.tensor([[0.5]]))
    with pytest.raises(RuntimeError, match="q tensor must be same dtype as the input"):
        tinynn.quantile(x, tinynn.tensor([0.5], dtype=tinynn.float64))
    with pytest.raises(RuntimeError, match="interpolation must be one of"):
        tinynn.nanquantile(x, 0.5, interpolation="cubic")
    with pytest.raises(RuntimeError, match="input tensor must be non-empty"):
        tinynn.quantile(tinynn.ones(0), 0.5)
    with pytest.raises(IndexError, match="out of range"):
        tinynn.quantile(x, 0.5, dim=2)
    with pytest.raises(TypeError, match="'q' must be a float or a Tensor"):
        tinynn.quantile(x, "half")
