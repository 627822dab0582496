"""NumPy's keyword names where PyTorch's parser accepts them (tinynn/ops/numpy_names.py)."""
import numpy as np
import pytest

import tinynn
from tests.helpers import needs_torch, rand, torch

CALLS = {
    "sum": lambda lib, x: x.sum(axis=1, keepdims=True),
    "mean": lambda lib, x: lib.mean(x, axis=0),
    "argmax": lambda lib, x: lib.argmax(x, axis=1, keepdims=True),
    "max": lambda lib, x: x.max(axis=1).values,
    "amin": lambda lib, x: lib.amin(x, axis=0, keepdims=True),
    "var": lambda lib, x: x.var(axis=1),
    "std": lambda lib, x: lib.std(x, axis=0, keepdims=True),
    "logsumexp": lambda lib, x: lib.logsumexp(x, axis=1),
    "softmax": lambda lib, x: x.softmax(axis=0),
    "cumsum": lambda lib, x: lib.cumsum(x, axis=1),
    "cat": lambda lib, x: lib.cat([x, x], axis=0),
    "stack": lambda lib, x: lib.stack([x, x], axis=1),
    "squeeze": lambda lib, x: x[:, :1].squeeze(axis=1),
    "unsqueeze": lambda lib, x: lib.unsqueeze(x, axis=0),
    "gather": lambda lib, x: lib.gather(x, axis=1, index=lib.tensor([[0], [2], [1]])),
    "index_select": lambda lib, x: lib.index_select(x, axis=0, index=lib.tensor([2, 0])),
    "sort": lambda lib, x: lib.sort(x, axis=1).values,
    "topk": lambda lib, x: lib.topk(x, 2, axis=0).values,
    "any": lambda lib, x: (x > 0).any(axis=1),
}


@needs_torch
@pytest.mark.parametrize("name", list(CALLS))
def test_axis_and_keepdims_as_pytorch_accepts_them(name):
    x = rand(3, 4, seed=2)
    ours, theirs = CALLS[name](tinynn, tinynn.tensor(x)), CALLS[name](torch, torch.tensor(x))
    np.testing.assert_allclose(np.asarray(ours.numpy(), dtype=float), theirs.numpy().astype(float))


def test_both_names_at_once_is_an_error():
    with pytest.raises(TypeError, match="both dim= and its NumPy alias axis="):
        tinynn.ones(2, 2).sum(dim=0, axis=0)
    assert tinynn.ones(2, 3).sum(axis=1).tolist() == [3.0, 3.0]
