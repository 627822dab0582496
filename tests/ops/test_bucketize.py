"""bucketize, searchsorted, histc, bincount, count_nonzero (tinynn/ops/bucketize.py) against PyTorch."""
import numpy as np
import pytest

import tinynn
from tests.helpers import needs_torch, torch

BOUNDARIES = np.array([1.0, 3.0, 5.0, 7.0])
VALUES = np.array([[0.0, 3.0, 6.0], [7.0, 8.0, 1.0]])


def _same(ours, theirs):
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("out_int32", [False, True])
def test_bucketize_matches_torch(right, out_int32):
    for values in (VALUES, VALUES[0, 1], VALUES.astype(np.int64)):
        _same(tinynn.bucketize(tinynn.tensor(values), tinynn.tensor(BOUNDARIES), right=right, out_int32=out_int32),
              torch.bucketize(torch.tensor(values), torch.tensor(BOUNDARIES), right=right, out_int32=out_int32))
    _same(tinynn.bucketize(3.0, tinynn.tensor(BOUNDARIES), right=right),
          torch.bucketize(3.0, torch.tensor(BOUNDARIES), right=right))


@needs_torch
@pytest.mark.parametrize("how", [{}, {"right": True}, {"side": "right"}, {"side": "left"}, {"out_int32": True}],
                         ids=str)
def test_searchsorted_matches_torch(how):
    rows = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    cases = [(BOUNDARIES, VALUES), (BOUNDARIES, np.array(3.0)), (rows, np.array([[2.5, 1.0], [4.0, 7.0]])),
             (BOUNDARIES.astype(np.int64), np.array([2.5, 3.0]))]
    for seq, values in cases:
        _same(tinynn.searchsorted(tinynn.tensor(seq), tinynn.tensor(values), **how),
              torch.searchsorted(torch.tensor(seq), torch.tensor(values), **how))


@needs_torch
def test_searchsorted_with_sorter_matches_torch():
    seq, sorter, values = np.array([5.0, 1.0, 3.0]), np.array([1, 2, 0]), np.array([2.0, 4.0, 5.0])
    for right in (False, True):
        _same(tinynn.searchsorted(tinynn.tensor(seq), tinynn.tensor(values), sorter=tinynn.tensor(sorter), right=right),
              torch.searchsorted(torch.tensor(seq), torch.tensor(values), sorter=torch.tensor(sorter), right=right))


def test_searchsorted_errors():
    seq = tinynn.tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match="first N-1 dimensions"):
        tinynn.searchsorted(seq, tinynn.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites"):
        tinynn.searchsorted(tinynn.tensor([1.0]), tinynn.tensor([1.0]), side="left", right=True)
    with pytest.raises(RuntimeError, match="boundaries tensor must be 1 dimension"):
        tinynn.bucketize(tinynn.tensor([1.0]), seq)


HISTC_CASES = {
    "given range": (np.array([1.0, 2.0, 1.0, 4.0]), dict(bins=4, min=0, max=3)),
    "data range": (np.array([1.0, 2.0, 1.0, 4.0]), dict(bins=3)),
    "default bins": (np.array([0.5, 2.0, 1.0, 4.0, 3.3]), {}),
    "all equal": (np.array([2.0, 2.0]), dict(bins=4)),
    "max in the last bin, nan left out": (np.array([0.0, 1.0, 2.0, 3.0, np.nan]), dict(bins=3, min=0, max=3)),
    "empty": (np.zeros(0), dict(bins=3)),
    "2-d float32": (np.array([[0.1, 0.7], [0.4, 0.9]], dtype=np.float32), dict(bins=5, min=0, max=1)),
}


@needs_torch
@pytest.mark.parametrize("case", list(HISTC_CASES))
def test_histc_matches_torch(case):
    data, kwargs = HISTC_CASES[case]
    _same(tinynn.histc(tinynn.tensor(data), **kwargs), torch.histc(torch.tensor(data), **kwargs))
    _same(tinynn.tensor(data).histc(**kwargs), torch.tensor(data).histc(**kwargs))


def test_histc_errors():
    with pytest.raises(RuntimeError, match="max must be larger than min"):
        tinynn.histc(tinynn.ones(2), bins=4, min=3, max=1)
    with pytest.raises(RuntimeError, match="bins must be > 0"):
        tinynn.histc(tinynn.ones(2), bins=0)
    with pytest.raises(NotImplementedError, match="floating point"):
        tinynn.histc(tinynn.tensor([1, 2]))


@needs_torch
def test_bincount_matches_torch():
    x = np.array([0, 1, 1, 3])
    cases = [dict(), dict(minlength=6), dict(weights=np.array([0.5, 1.0, 1.0, 2.0], dtype=np.float32)),
             dict(weights=np.array([0.5, 1.0, 1.0, 2.0])), dict(weights=np.array([1, 2, 3, 4]), minlength=2)]
    for kwargs in cases:
        ours_kwargs = {k: tinynn.tensor(v) if k == "weights" else v for k, v in kwargs.items()}
        theirs_kwargs = {k: torch.tensor(v) if k == "weights" else v for k, v in kwargs.items()}
        _same(tinynn.bincount(tinynn.tensor(x), **ours_kwargs), torch.bincount(torch.tensor(x), **theirs_kwargs))
    _same(tinynn.tensor(x).bincount(), torch.tensor(x).bincount())
    _same(tinynn.bincount(tinynn.tensor(np.zeros(0, np.int64))), torch.bincount(torch.tensor(np.zeros(0, np.int64))))


def test_bincount_errors():
    with pytest.raises(RuntimeError, match="1-d non-negative integral"):
        tinynn.bincount(tinynn.tensor([-1]))
    with pytest.raises(RuntimeError, match="1-d non-negative integral"):
        tinynn.bincount(tinynn.tensor([[1]]))
    with pytest.raises(NotImplementedError, match="integer tensor"):
        tinynn.bincount(tinynn.tensor([1.0]))
    with pytest.raises(NotImplementedError, match="integer tensor"):
        tinynn.bincount(tinynn.tensor([True, False]))


@needs_torch
@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 1)], ids=str)
def test_count_nonzero_matches_torch(dim):
    x = np.array([[0.0, 3.0, 6.0], [7.0, 0.0, 0.0]])
    _same(tinynn.count_nonzero(tinynn.tensor(x), dim=dim), torch.count_nonzero(torch.tensor(x), dim=dim))
    if dim is not None:
        _same(tinynn.tensor(x).count_nonzero(dim), torch.tensor(x).count_nonzero(dim))
