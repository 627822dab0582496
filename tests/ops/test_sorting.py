"""Sorting (tinynn/ops/sorting.py): sort, argsort, topk, kthvalue: stable ties, NaN, gradients."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, needs_torch, rand, torch

TIES = np.array([[3.0, 1.0, 3.0, 2.0, 1.0], [0.0, 5.0, 5.0, 5.0, -1.0]])


@needs_torch
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [-1, 0])
def test_sort_is_stable_and_matches_torch(descending, dim):
    ours = tinynn.tensor(TIES).sort(dim, descending=descending, stable=True)
    theirs = torch.tensor(TIES).sort(dim=dim, descending=descending, stable=True)
    assert_close(ours.values, theirs.values)
    assert_close(ours.indices, theirs.indices)
    assert_close(tinynn.tensor(TIES).argsort(dim, descending),
                 torch.tensor(TIES).argsort(dim=dim, descending=descending, stable=True))
    fn = lambda t: t.sort(dim, descending=descending).values  # noqa: E731
    assert_matches_torch(fn, fn, rand(3, 4, seed=24))


def test_sort_gradcheck():
    check_gradients(lambda t: t.sort(0, descending=True).values, rand(3, 4, seed=25))


@needs_torch
@pytest.mark.parametrize("k, dim, largest", [(2, -1, True), (3, 0, False), (1, 1, True), (0, -1, True)])
def test_topk_matches_torch(k, dim, largest):
    x = rand(3, 4, seed=26)
    fn = lambda t: t.topk(k, dim, largest)  # noqa: E731
    assert_matches_torch(fn, fn, x)
    ours, theirs = fn(tinynn.tensor(x)), fn(torch.tensor(x))
    assert_close(ours.indices, theirs.indices)
    assert ours.indices.dtype == tinynn.int64


def test_topk_with_ties_takes_the_first_and_gradcheck():
    values, indices = tinynn.tensor(TIES).topk(2)
    np.testing.assert_array_equal(values.numpy(), [[3, 3], [5, 5]])
    np.testing.assert_array_equal(indices.numpy(), [[0, 2], [1, 2]])
    check_gradients(lambda t: t.topk(2, 0, largest=False).values, rand(3, 4, seed=27))
    with pytest.raises(RuntimeError, match=r"k \(5\) is out of range for dimension 1 of size 4"):
        tinynn.ones(3, 4).topk(5)


@needs_torch
def test_kthvalue_matches_torch():
    x = rand(3, 5, seed=28)
    assert_matches_torch(lambda t: t.kthvalue(2), lambda t: t.kthvalue(2), x)
    assert_matches_torch(lambda t: t.kthvalue(3, 0, True), lambda t: t.kthvalue(3, 0, True), x)


@needs_torch
@pytest.mark.parametrize("descending", [False, True])
def test_nan_sorts_as_the_largest_value_like_torch(descending):
    x = np.array([[1.0, np.nan, 2.0, np.inf, 2.0, -np.inf, np.nan]])
    ours = tinynn.tensor(x).sort(-1, descending=descending)
    theirs = torch.tensor(x).sort(dim=-1, descending=descending, stable=True)
    assert_close(ours.values, theirs.values)
    assert_close(ours.indices, theirs.indices)
    assert_close(tinynn.tensor(x).topk(3).indices, torch.tensor(x).topk(3).indices)


def test_kthvalue_gradcheck():
    check_gradients(lambda t: t.kthvalue(2, 0, keepdim=True).values, rand(3, 4, seed=29))


def test_kthvalue_values_and_range():
    values, indices = tinynn.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]).kthvalue(2, dim=1)
    np.testing.assert_array_equal(values.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(indices.numpy(), [2, 2])
    for k in (0, 4):
        with pytest.raises(RuntimeError, match=rf"kthvalue: k \({k}\) is out of range for dimension 1 of size 3"):
            tinynn.ones(2, 3).kthvalue(k)


@needs_torch
def test_0d_inputs_match_torch():
    for fn in [lambda t: t.topk(1), lambda t: t.sort(), lambda t: t.sort(descending=True)]:
        assert_matches_torch(fn, fn, np.array(1.5))
        assert fn(tinynn.tensor(1.5)).indices.shape == ()


def test_function_forms():
    x = tinynn.tensor([3.0, 1.0, 2.0])
    np.testing.assert_array_equal(tinynn.sort(x).values.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(tinynn.argsort(x, descending=True).numpy(), [0, 2, 1])
    np.testing.assert_array_equal(tinynn.topk(x, 1).values.numpy(), [3.0])
    assert tinynn.kthvalue(x, 1).values.item() == 1.0
