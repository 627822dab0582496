"""unique and unique_consecutive (tinynn/ops/unique.py): values, inverse, counts and dtypes against PyTorch."""
import itertools

import numpy as np
import pytest

import tinynn
from tests.helpers import needs_torch, torch

DATA = {
    "ints 1-d": np.array([5, 1, 5, 2, 9, 1, 7, 7]),
    "ints 2-d": np.array([[3, 1, 3], [2, 2, 1], [3, 1, 3], [2, 2, 1]]),
    "floats with nan": np.array([1.0, np.nan, 2.0, np.nan, 1.0, -0.5]),
    "bools": np.array([True, False, True, True]),
    "0-d": np.array(4),
    "empty": np.zeros((0,), dtype=np.int64),
    "runs": np.array([1, 1, 2, 2, 3, 1, 1, 2]),
    "3-d": np.array([[[1, 2], [1, 2]], [[0, 2], [1, 2]], [[1, 2], [1, 2]]]),
}
FLAGS = list(itertools.product([False, True], [False, True]))  # (return_inverse, return_counts)


def _dims(name):
    ndim = DATA[name].ndim
    return [None] + list(range(-ndim, ndim)) if ndim and name != "empty" else [None]


def _assert_same(ours, theirs):
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert str(o.dtype) == str(t.dtype).replace("torch.", "")
        np.testing.assert_array_equal(o.numpy(), t.numpy())


@needs_torch
@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: f"inverse={f[0]},counts={f[1]}")
@pytest.mark.parametrize("name", list(DATA))
def test_unique_matches_torch(name, flags):
    inverse, counts = flags
    for dim in _dims(name):
        if dim is not None and name == "floats with nan":
            continue
        for sorted_ in (True, False):
            ours = tinynn.unique(tinynn.tensor(DATA[name]), sorted=sorted_, return_inverse=inverse,
                                 return_counts=counts, dim=dim)
            theirs = torch.unique(torch.tensor(DATA[name]), sorted=sorted_, return_inverse=inverse,
                                  return_counts=counts, dim=dim)
            _assert_same(ours, theirs)


@needs_torch
@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: f"inverse={f[0]},counts={f[1]}")
@pytest.mark.parametrize("name", list(DATA))
def test_unique_consecutive_matches_torch(name, flags):
    inverse, counts = flags
    for dim in _dims(name):
        if dim is not None and name == "floats with nan":
            continue
        ours = tinynn.unique_consecutive(tinynn.tensor(DATA[name]), return_inverse=inverse,
                                         return_counts=counts, dim=dim)
        theirs = torch.unique_consecutive(torch.tensor(DATA[name]), return_inverse=inverse,
                                          return_counts=counts, dim=dim)
        _assert_same(ours, theirs)


def test_inverse_and_counts_rebuild_the_input():
    x = tinynn.tensor([[3, 1, 3], [2, 2, 1], [3, 1, 3]])
    values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.numpy()[inverse.numpy()], x.numpy())
    np.testing.assert_array_equal(counts.numpy(), [3, 2, 4])
    rows, row_inverse = x.unique(dim=0, return_inverse=True)
    np.testing.assert_array_equal(rows.numpy()[row_inverse.numpy()], x.numpy())
    np.testing.assert_array_equal(x.unique_consecutive().numpy(), [3, 1, 3, 2, 1, 3, 1, 3])


def test_unique_has_no_gradient_and_checks_dim():
    x = tinynn.tensor([1.0, 2.0, 1.0], requires_grad=True)
    assert not tinynn.unique(x).requires_grad
    with pytest.raises(IndexError, match="dimension out of range"):
        tinynn.unique(tinynn.ones(2, 2), dim=2)
