"""Repeat, flip, roll and triangles (tinynn/ops/rearrange.py); padding is tested in tests/ops/test_padding.py."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

# name -> (function that works on tinynn and torch tensors alike, input shape)
CASES = {
    "repeat": (lambda t: t.repeat(2, 3), (2, 3)),
    "repeat new dims": (lambda t: t.repeat(2, 1, 2), (3, 2)),
    "repeat tuple": (lambda t: t.repeat((1, 2)), (3, 1)),
    "repeat_interleave flat": (lambda t: t.repeat_interleave(2), (2, 3)),
    "repeat_interleave dim 0": (lambda t: t.repeat_interleave(3, dim=0), (2, 3)),
    "repeat_interleave dim -1": (lambda t: t.repeat_interleave(2, -1), (2, 3)),
    "flip 0": (lambda t: t.flip(0), (2, 3, 2)),
    "flip dims": (lambda t: t.flip((0, 2)), (2, 3, 2)),
    "flip negative": (lambda t: t.flip(-1), (2, 3, 2)),
    "roll flat": (lambda t: t.roll(2), (2, 3)),
    "roll flat negative": (lambda t: t.roll(-4), (2, 3)),
    "roll dim": (lambda t: t.roll(1, 1), (2, 3)),
    "roll beyond size": (lambda t: t.roll(5, 0), (3, 2)),
    "roll dims": (lambda t: t.roll((1, -1), (0, 1)), (2, 3)),
    "triu": (lambda t: t.triu(), (3, 4)),
    "triu 1": (lambda t: t.triu(1), (3, 4)),
    "triu -1": (lambda t: t.triu(-1), (4, 3)),
    "tril": (lambda t: t.tril(), (3, 4)),
    "tril 2": (lambda t: t.tril(2), (3, 4)),
    "tril -1 batched": (lambda t: t.tril(-1), (2, 3, 3)),
    "triu batched": (lambda t: t.triu(1), (2, 3, 3)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rearrange_gradcheck(name):
    fn, shape = CASES[name]
    check_gradients(fn, rand(*shape, seed=1))


@needs_torch
@pytest.mark.parametrize("name", list(CASES))
def test_rearrange_matches_torch(name):
    fn, shape = CASES[name]
    assert_matches_torch(fn, fn, rand(*shape, seed=2))


@needs_torch
def test_functions_match_torch():
    x = rand(3, 4, seed=3)
    assert_matches_torch(lambda t: tinynn.triu(t, 1), lambda t: torch.triu(t, 1), x)
    assert_matches_torch(lambda t: tinynn.tril(t, -2), lambda t: torch.tril(t, -2), x)
    assert_matches_torch(lambda t: tinynn.flip(t, [0, 1]), lambda t: torch.flip(t, [0, 1]), x)
    assert_matches_torch(lambda t: tinynn.roll(t, [1, 2], [1, 0]), lambda t: torch.roll(t, [1, 2], [1, 0]), x)
    assert_matches_torch(lambda t: tinynn.repeat_interleave(t, 2, 1), lambda t: torch.repeat_interleave(t, 2, 1), x)


def test_values():
    x = tinynn.tensor([[1, 2], [3, 4]])
    np.testing.assert_array_equal(x.repeat(1, 2).numpy(), [[1, 2, 1, 2], [3, 4, 3, 4]])
    np.testing.assert_array_equal(x.repeat_interleave(2).numpy(), [1, 1, 2, 2, 3, 3, 4, 4])
    np.testing.assert_array_equal(x.repeat_interleave(2, dim=0).numpy(), [[1, 2], [1, 2], [3, 4], [3, 4]])
    np.testing.assert_array_equal(x.flip(1).numpy(), [[2, 1], [4, 3]])
    np.testing.assert_array_equal(x.roll(1).numpy(), [[4, 1], [2, 3]])  # no dims: the flattened tensor
    np.testing.assert_array_equal(x.roll(1, 0).numpy(), [[3, 4], [1, 2]])
    np.testing.assert_array_equal(tinynn.ones(3, 3).triu(1).numpy(), np.triu(np.ones((3, 3)), 1))
    np.testing.assert_array_equal(tinynn.ones(3, 3).tril(-1).numpy(), np.tril(np.ones((3, 3)), -1))


def test_repeat_gradient_sums_the_tiles():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    (x.repeat(3, 2) * tinynn.arange(12.0).reshape(3, 4)).sum().backward()
    # x[0] lands in columns 0 and 2, x[1] in 1 and 3, of all three rows
    np.testing.assert_array_equal(x.grad.numpy(), [0 + 2 + 4 + 6 + 8 + 10, 1 + 3 + 5 + 7 + 9 + 11])


@needs_torch
def test_0d_inputs_match_torch():
    for fn in [lambda t: t.flip(0), lambda t: t.roll(1), lambda t: t.repeat(2), lambda t: t.repeat_interleave(3)]:
        assert_matches_torch(fn, fn, np.array(1.5))


def test_errors():
    with pytest.raises(RuntimeError, match="number of repeat dims can not be smaller"):
        tinynn.ones(2, 3).repeat(2)
    with pytest.raises(RuntimeError, match="triu: input tensor must have at least 2 dimensions"):
        tinynn.ones(3).triu()
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        tinynn.ones(3).tril()
    with pytest.raises(RuntimeError, match="shifts and dims must align"):
        tinynn.ones(2, 2).roll((1, 1), (0,))
    with pytest.raises(IndexError, match="out of range"):
        tinynn.ones(2, 2).flip(2)


def test_flip_of_no_dims_flips_nothing_and_returns_a_copy():
    x = tinynn.arange(6).reshape(2, 3)
    for dims in [(), []]:
        y = x.flip(dims)
        assert y.tolist() == x.tolist()
        y[0, 0] = 100
        assert x[0, 0].item() == 0                     # a copy, as PyTorch's flip returns
    assert tinynn.flip(x, (0, 1)).tolist() == [[5, 4, 3], [2, 1, 0]]
    assert x.flip(0, 1).tolist() == [[5, 4, 3], [2, 1, 0]]  # dims as separate arguments (Tensor.flip)
    with pytest.raises(RuntimeError, match="multiple times"):
        x.flip((0, -2))


@pytest.mark.parametrize("shifts, dims, message", [
    ((1, 2), (0,), "2 shifts and 1 dims"), (1, (0, 1), "1 shifts and 2 dims"), ((1, 1), None, "2 shifts need 2 dims"),
])
def test_roll_with_mismatched_shifts_and_dims_raises(shifts, dims, message):
    with pytest.raises(RuntimeError, match=message):
        tinynn.ones(2, 3).roll(shifts, dims)


@needs_torch
def test_roll_with_one_element_sequences_matches_torch():
    x = rand(2, 3)
    assert_matches_torch(lambda t: tinynn.roll(t, (1,), 0), lambda t: torch.roll(t, (1,), 0), x)
    assert_matches_torch(lambda t: tinynn.roll(t, 1, dims=[1]), lambda t: torch.roll(t, 1, dims=[1]), x)


@needs_torch
def test_repeat_interleave_with_a_tensor_of_counts_matches_torch():
    x = rand(3, 2)
    counts = np.array([2, 0, 3])
    assert_matches_torch(lambda t: tinynn.repeat_interleave(t, tinynn.tensor(counts), dim=0),
                         lambda t: torch.repeat_interleave(t, torch.tensor(counts), dim=0), x)
    assert_matches_torch(lambda t: t.repeat_interleave(tinynn.tensor([1, 2]), dim=1),
                         lambda t: t.repeat_interleave(torch.tensor([1, 2]), dim=1), x)
    assert tinynn.repeat_interleave(tinynn.tensor([2, 1, 3])).tolist() == torch.repeat_interleave(torch.tensor([2, 1, 3])).tolist()
    with pytest.raises(RuntimeError, match="same size as input along dim"):
        tinynn.ones(3).repeat_interleave(tinynn.tensor([1, 2]), dim=0)
    with pytest.raises(RuntimeError, match="negative"):
        tinynn.ones(2).repeat_interleave(-1)
    check_gradients(lambda t: tinynn.repeat_interleave(t, tinynn.tensor(counts), dim=0), x)
