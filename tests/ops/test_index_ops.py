"""index_add, index_copy, index_fill, masked_scatter, take, put (tinynn/ops/index_ops.py)."""
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, needs_torch, rand, torch

# each form takes (lib, x, source) and returns the op's result; index tensors are made per library
FORMS = {
    "index_add dim1 repeats": lambda lib, x, s: x.index_add(1, lib.tensor([0, 2, 0]), s),
    "index_add dim0 alpha": lambda lib, x, s: lib.index_add(x, 0, lib.tensor([3, 1, 1]), s.T[:, :4], alpha=-2.5),
    "index_copy dim1": lambda lib, x, s: x.index_copy(1, lib.tensor([3, 0, 2]), s),
    "index_copy dim0": lambda lib, x, s: lib.index_copy(x, 0, lib.tensor([2]), s[:1, :1].expand(1, 4) * 1),
    "index_fill number": lambda lib, x, s: x.index_fill(1, lib.tensor([2, -1]), -1.5),
    "index_fill 0-d tensor": lambda lib, x, s: x.index_fill(0, lib.tensor([0, 2]), s[1, 1]),
    "masked_scatter": lambda lib, x, s: x.masked_scatter(lib.tensor([True, False, True, True]), s.reshape(-1)),
    "masked_scatter 2-d mask": lambda lib, x, s: x.masked_scatter(
        lib.tensor([[True, False, False, True]] * 4), s[:, :2].reshape(-1) * 1),
    "take": lambda lib, x, s: lib.take(x, lib.tensor([[15, 0], [-1, 7]])) * s[0, 0],
    "put": lambda lib, x, s: x.put(lib.tensor([1, -2, 6]), s[0]),
    "put accumulate": lambda lib, x, s: lib.put(x, lib.tensor([[1, 1], [6, 1]]), s[:2, :2] * 1, accumulate=True),
}


def _inputs():
    return rand(4, 4, seed=1), rand(4, 3, seed=2)


@pytest.mark.parametrize("form", list(FORMS))
def test_gradcheck(form):
    check_gradients(lambda x, s: FORMS[form](tinynn, x, s), *_inputs())


@needs_torch
@pytest.mark.parametrize("form", list(FORMS))
def test_matches_torch(form):
    assert_matches_torch(lambda x, s: FORMS[form](tinynn, x, s), lambda x, s: FORMS[form](torch, x, s), *_inputs())


@needs_torch
@pytest.mark.parametrize("method", ["index_add_", "index_copy_", "index_fill_", "masked_scatter_", "put_"])
def test_inplace_methods_match_torch(method):
    arguments = {
        "index_add_": lambda lib: (0, lib.tensor([1, 1]), lib.ones(2, 3, dtype=lib.float64)),
        "index_copy_": lambda lib: (1, lib.tensor([2, 0]), lib.ones(2, 2, dtype=lib.float64) * 4),
        "index_fill_": lambda lib: (1, lib.tensor([1]), 9.0),
        "masked_scatter_": lambda lib: (lib.tensor([[True], [False]]), lib.arange(6.0, dtype=lib.float64)),
        "put_": lambda lib: (lib.tensor([0, 5]), lib.tensor([7.0, 8.0], dtype=lib.float64), True),
    }[method]
    ours, theirs = tinynn.zeros(2, 3, dtype=tinynn.float64), torch.zeros(2, 3, dtype=torch.float64)
    assert getattr(ours, method)(*arguments(tinynn)) is ours
    getattr(theirs, method)(*arguments(torch))
    assert_close(ours, theirs)


@needs_torch
def test_inplace_in_the_graph_matches_torch():
    def run(lib):
        def fn(x, s):
            y = x * 2
            y.index_add_(1, lib.tensor([0, 2, 0]), s)
            y.index_fill_(0, lib.tensor([1]), 0.5)
            return y * x
        return fn

    assert_matches_torch(run(tinynn), run(torch), *_inputs())


def test_errors_match_torch_kinds():
    x = tinynn.zeros(2, 3)
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 1 with size 3"):
        x.index_add(1, tinynn.tensor([-1]), tinynn.ones(2, 1))  # PyTorch refuses negative indices here
    with pytest.raises(IndexError, match="index -1 is out of bounds"):
        x.index_copy(1, tinynn.tensor([-1]), tinynn.ones(2, 1))
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        x.index_add(1, tinynn.tensor([0.0]), tinynn.ones(2, 1))
    with pytest.raises(RuntimeError, match="must have the same scalar type"):
        x.index_add(1, tinynn.tensor([0]), tinynn.ones(2, 1, dtype=tinynn.float64))
    with pytest.raises(RuntimeError, match=r"source of shape \(2, 2\) does not fit"):
        x.index_add(1, tinynn.tensor([0]), tinynn.ones(2, 2))
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor"):
        x.index_fill(1, tinynn.tensor([0]), tinynn.ones(1))
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        x.masked_scatter(tinynn.tensor([1, 0, 1]), tinynn.ones(6))
    with pytest.raises(RuntimeError, match="Number of elements of source < number of ones in mask"):
        x.masked_scatter(tinynn.tensor([True, True, True]), tinynn.ones(5))
    with pytest.raises(IndexError, match="tried to access index 6 on a tensor of 6 elements"):
        tinynn.take(x, tinynn.tensor([6]))
    with pytest.raises(RuntimeError, match="Expected a long tensor for index"):
        tinynn.take(x, tinynn.tensor([1.0]))
    with pytest.raises(IndexError, match="same number of elements"):
        x.put(tinynn.tensor([0, 1]), tinynn.ones(1))
