"""dist, pdist, renorm and the top-level cosine_similarity / pairwise_distance aliases
(tinynn/ops/distances.py): values and gradients against PyTorch for several p, errors."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

PS = [1, 2, 3, 0.5, math.inf]


def test_gradchecks():
    check_gradients(lambda a, b: tinynn.dist(a, b, 3), rand(2, 3, seed=0), rand(3, seed=1))
    check_gradients(lambda a: tinynn.pdist(a, 1.5), rand(4, 3, seed=2))
    check_gradients(lambda a: tinynn.renorm(a, 2, 0, 1.2), rand(3, 4, seed=3))


@needs_torch
@pytest.mark.parametrize("p", PS + [-math.inf])
def test_dist_matches_torch(p):
    assert_matches_torch(lambda a, b: tinynn.dist(a, b, p), lambda a, b: torch.dist(a, b, p),
                         rand(2, 3, seed=4), rand(2, 1, seed=5))


@needs_torch
def test_dist_zero_norm_counts_nonzeros():
    a, b = np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 0.0, 3.5]])
    ours, theirs = tinynn.dist(tinynn.tensor(a), tinynn.tensor(b), 0), torch.dist(torch.tensor(a), torch.tensor(b), 0)
    assert ours.item() == theirs.item() == 2


@needs_torch
@pytest.mark.parametrize("p", PS + [0])
def test_pdist_matches_torch(p):
    x = rand(5, 3, seed=6)
    assert_matches_torch(lambda a: tinynn.pdist(a, p), lambda a: torch.pdist(a, p), x)
    x[3] = x[1]  # a zero distance: its gradient is 0, not NaN
    if p != 0.5:  # (PyTorch's 0.5-norm gradient at 0 is NaN-free only by a special case; not compared)
        assert_matches_torch(lambda a: tinynn.pdist(a, p), lambda a: torch.pdist(a, p), x)


@needs_torch
@pytest.mark.parametrize("p,dim,maxnorm", [(2, 0, 1.0), (1, 1, 2.0), (3, -1, 0.5), (2, 1, 100.0)])
def test_renorm_matches_torch(p, dim, maxnorm):
    x = rand(3, 4, 2, seed=7)
    assert_matches_torch(lambda a: tinynn.renorm(a, p, dim, maxnorm), lambda a: torch.renorm(a, p, dim, maxnorm), x)
    assert_matches_torch(lambda a: a.renorm(p, dim, maxnorm), lambda a: a.renorm(p, dim, maxnorm), x)
    y = tinynn.tensor(x)
    assert y.renorm_(p, dim, maxnorm) is y
    np.testing.assert_allclose(y.numpy(), torch.renorm(torch.tensor(x), p, dim, maxnorm).numpy(), rtol=1e-12)


@needs_torch
def test_top_level_aliases_of_functional():
    import tinynn.nn.functional as F

    assert tinynn.cosine_similarity is F.cosine_similarity and tinynn.pairwise_distance is F.pairwise_distance
    assert F.pdist is tinynn.pdist
    a, b = rand(3, 4, seed=8), rand(3, 4, seed=9)
    assert_matches_torch(tinynn.cosine_similarity, torch.cosine_similarity, a, b)
    assert_matches_torch(tinynn.pairwise_distance, torch.pairwise_distance, a, b)


def test_errors():
    with pytest.raises(RuntimeError, match="expected a floating point tensor"):
        tinynn.dist(tinynn.tensor([1, 2]), tinynn.tensor([0, 0]))
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 1D"):
        tinynn.pdist(tinynn.ones(3))
    with pytest.raises(RuntimeError, match="pdist only supports non-negative p values"):
        tinynn.pdist(tinynn.ones(2, 2), -1)
    with pytest.raises(RuntimeError, match="pdist only supports floating-point dtypes"):
        tinynn.pdist(tinynn.ones(2, 2, dtype=tinynn.int64))
    with pytest.raises(RuntimeError, match="renorm: non-positive-norm not supported"):
        tinynn.renorm(tinynn.ones(2, 2), -1, 0, 1.0)
    with pytest.raises(RuntimeError, match="expected maxnorm to be >= 0"):
        tinynn.renorm(tinynn.ones(2, 2), 2, 0, -1.0)
    with pytest.raises(RuntimeError, match="input needs at least 2 dimensions, got 1 dimensions"):
        tinynn.renorm(tinynn.ones(2), 2, 0, 1.0)
    assert tinynn.pdist(tinynn.ones(1, 3)).shape == (0,)
