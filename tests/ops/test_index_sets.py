"""tril_indices, triu_indices, combinations, isin, argwhere (tinynn/ops/index_sets.py)."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch


@needs_torch
@pytest.mark.parametrize("row,col,offset", [(3, 3, 0), (4, 3, 1), (3, 4, -1), (0, 4, 0), (5, 2, -3), (2, 5, 3)])
def test_triangle_indices_match_torch(row, col, offset):
    for name in ("tril_indices", "triu_indices"):
        ours, theirs = getattr(tinynn, name)(row, col, offset), getattr(torch, name)(row, col, offset)
        assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_triangle_indices_dtype_and_errors():
    assert tinynn.tril_indices(3, 3, dtype=tinynn.int32).dtype == np.int32
    rows, cols = tinynn.triu_indices(3, 3, 1)
    x = tinynn.arange(9).reshape(3, 3)
    assert x[rows, cols].tolist() == [1, 2, 5]
    with pytest.raises(RuntimeError, match="row must be non-negative"):
        tinynn.triu_indices(-1, 4)
    with pytest.raises(NotImplementedError, match="integer dtype"):
        tinynn.tril_indices(3, 3, dtype=tinynn.float32)


@needs_torch
@pytest.mark.parametrize("r,with_replacement", [(2, False), (3, False), (2, True), (3, True), (5, False), (0, False)])
def test_combinations_match_torch(r, with_replacement):
    x = rand(4, seed=0)
    assert_matches_torch(lambda t: tinynn.combinations(t, r, with_replacement),
                         lambda t: torch.combinations(t, r, with_replacement), x)


def test_combinations_gradcheck_and_errors():
    check_gradients(lambda t: tinynn.combinations(t, 2).prod(1), rand(4, seed=1))
    assert tinynn.combinations(tinynn.tensor([1, 2, 3])).tolist() == [[1, 2], [1, 3], [2, 3]]
    with pytest.raises(RuntimeError, match="Expect a 1D vector"):
        tinynn.combinations(tinynn.ones(2, 2))
    with pytest.raises(RuntimeError, match="Expect a non-negative number"):
        tinynn.combinations(tinynn.ones(2), -1)


@needs_torch
def test_isin_matches_torch():
    cases = [
        (np.array([[1, 2], [3, 4]]), np.array([2, 3])), (np.array([1.0, 2.0, math.nan]), np.array([2, 7])),
        (np.array([math.nan, 1.0]), np.array([math.nan])), (np.array([3, 4]), 4), (2, np.array([1, 2])),
    ]
    for elements, test in cases:
        for invert in (False, True):
            ours = tinynn.isin(*(tinynn.tensor(v) if isinstance(v, np.ndarray) else v for v in (elements, test)),
                               invert=invert)
            theirs = torch.isin(*(torch.tensor(v) if isinstance(v, np.ndarray) else v for v in (elements, test)),
                                invert=invert)
            assert ours.dtype == np.bool_ and ours.shape == tuple(theirs.shape)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(TypeError, match="at least one of elements and test_elements"):
        tinynn.isin(1, 2)


@needs_torch
def test_argwhere_matches_torch():
    for x in (np.array([[1, 0], [0, 3]]), np.array([0.0, 2.5, 0.0, -1.0]), np.array(3), np.array(0), np.zeros((2, 0))):
        ours, theirs = tinynn.argwhere(tinynn.tensor(x)), torch.argwhere(torch.tensor(x))
        assert ours.shape == tuple(theirs.shape) and ours.dtype == np.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert tinynn.tensor([[0, 5]]).argwhere().tolist() == [[0, 1]]
