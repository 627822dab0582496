"""Distances (tinynn/nn/functional/distance.py, tinynn/nn/distance.py): F.cosine_similarity, F.pairwise_distance,
nn.CosineSimilarity, nn.PairwiseDistance. float64 gradchecks (second order too), PyTorch parity of values and
gradients, including PyTorch's eps rules at and near zero vectors, and the errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

COSINE = [  # (shape of x1, shape of x2, dim, eps)
    ((3, 4), (3, 4), 1, 1e-8),
    ((4, 1, 3), (1, 5, 3), -1, 1e-8),        # broadcast
    ((4, 3), (4, 3), 0, 1e-8),
    ((5,), (5,), 0, 1e-8),                   # one pair of vectors
]
PAIRWISE = [  # (shape of x1, shape of x2, p, eps, keepdim)
    ((4, 5), (4, 5), 2.0, 1e-6, False),
    ((4, 5), (4, 5), 1.0, 1e-6, True),
    ((4, 5), (4, 5), 3.0, 1e-2, False),
    ((3, 2, 4), (2, 4), 2.0, 1e-6, True),    # broadcast
    ((5,), (5,), 1.5, 1e-6, False),
    ((4, 5), (4, 5), float("inf"), 1e-6, False),
    ((4, 5), (4, 5), -1.0, 1e-6, False),
]


def _tf():
    return torch.nn.functional


@pytest.mark.parametrize("s1, s2, dim, eps", COSINE)
def test_cosine_similarity_gradcheck(s1, s2, dim, eps):
    check_gradients(lambda a, b: F.cosine_similarity(a, b, dim, eps), rand(*s1, seed=1), rand(*s2, seed=2))


@needs_torch
@pytest.mark.parametrize("s1, s2, dim, eps", COSINE + [((2, 3, 4), (2, 3, 4), 1, 2.0)])  # a large eps: clamped
def test_cosine_similarity_matches_torch(s1, s2, dim, eps):
    assert_matches_torch(lambda a, b: F.cosine_similarity(a, b, dim, eps),
                         lambda a, b: _tf().cosine_similarity(a, b, dim, eps), rand(*s1, seed=1), rand(*s2, seed=2))


@needs_torch
def test_cosine_similarity_near_zero_follows_torchs_gradient():
    """A norm below eps is raised to eps in value only: the gradient still flows through ||x|| (PyTorch's
    no_grad clamp), and a zero vector gets a zero gradient. (So where the clamp acts the gradient is
    PyTorch's, not the derivative of the value: no gradcheck there.)"""
    a = rand(3, 4, seed=1)
    a[0] = 0.0
    a[1] *= 1e-9
    b = rand(3, 4, seed=2)
    b[2] *= 1e-10
    assert_matches_torch(lambda a, b: F.cosine_similarity(a, b), lambda a, b: _tf().cosine_similarity(a, b), a, b,
                         rtol=1e-6)
    layer = nn.CosineSimilarity(dim=1, eps=1e-3)
    assert_matches_torch(layer, torch.nn.CosineSimilarity(dim=1, eps=1e-3), a, b, rtol=1e-6)


def test_cosine_similarity_values():
    x = tinynn.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    y = tinynn.tensor([[0.0, 2.0], [3.0, 3.0], [1.0, 0.0]])
    np.testing.assert_allclose(F.cosine_similarity(x, y).numpy(), [0.0, 1.0, 0.0], atol=1e-7)
    np.testing.assert_allclose(nn.CosineSimilarity(dim=0)(x, y).numpy(), [3 / 20 ** 0.5, 3 / 13 ** 0.5], rtol=1e-6)


@pytest.mark.parametrize("s1, s2, p, eps, keepdim", PAIRWISE)
def test_pairwise_distance_gradcheck(s1, s2, p, eps, keepdim):
    check_gradients(lambda a, b: F.pairwise_distance(a, b, p, eps, keepdim), rand(*s1, seed=1), rand(*s2, seed=2),
                    second_order=p != float("inf"))


@needs_torch
@pytest.mark.parametrize("s1, s2, p, eps, keepdim", PAIRWISE)
def test_pairwise_distance_matches_torch(s1, s2, p, eps, keepdim):
    ours, theirs = nn.PairwiseDistance(p, eps, keepdim), torch.nn.PairwiseDistance(p, eps, keepdim)
    assert repr(ours) == repr(theirs) and ours.norm == theirs.norm
    assert_matches_torch(ours, theirs, rand(*s1, seed=1), rand(*s2, seed=2))


@needs_torch
def test_pairwise_distance_of_equal_rows_and_p0_match_torch():
    """x1 == x2: the distance is ||eps||_p, not 0, with a finite gradient; p = 0 counts nonzeros (no gradient)."""
    a = rand(3, 4)
    assert_matches_torch(lambda a, b: F.pairwise_distance(a, b), lambda a, b: _tf().pairwise_distance(a, b), a, a.copy())
    b = a.copy()
    b[0, :2] += 1.0
    assert_matches_torch(lambda a, b: F.pairwise_distance(a, b, 0, 0.0), lambda a, b: _tf().pairwise_distance(a, b, 0, 0.0),
                         a, b)
    np.testing.assert_array_equal(F.pairwise_distance(tinynn.tensor(a), tinynn.tensor(b), 0, 0.0).numpy(), [2, 0, 0])


def test_layers_are_their_functions():
    a, b = tinynn.tensor(rand(3, 4, seed=1)), tinynn.tensor(rand(3, 4, seed=2))
    np.testing.assert_array_equal(nn.CosineSimilarity(0, 1e-3)(a, b).numpy(), F.cosine_similarity(a, b, 0, 1e-3).numpy())
    np.testing.assert_array_equal(nn.PairwiseDistance(1.0, 0.1, True)(a, b).numpy(),
                                  F.pairwise_distance(a, b, 1.0, 0.1, True).numpy())
    assert repr(nn.CosineSimilarity()) == "CosineSimilarity()" and list(nn.PairwiseDistance().parameters()) == []


def test_errors():
    with pytest.raises(RuntimeError, match="size of tensor a \\(3\\) must match the size of tensor b \\(4\\)"):
        F.cosine_similarity(tinynn.randn(2, 3), tinynn.randn(2, 4))
    with pytest.raises(RuntimeError, match="expected floating point inputs"):
        F.cosine_similarity(tinynn.tensor([1, 2, 3]), tinynn.tensor([1, 0, 1]), dim=0)
    with pytest.raises(IndexError, match="out of range"):
        F.cosine_similarity(tinynn.randn(3), tinynn.randn(3), dim=1)
    with pytest.raises(RuntimeError, match="must match the size"):
        F.pairwise_distance(tinynn.randn(2, 3), tinynn.randn(2, 4))
