"""Reshaping, permuting and broadcasting (tinynn/ops/shape.py): gradients, parity, views, errors."""
import numpy as np
import pytest

import tinynn
from tinynn.ops.shape import sum_to_shape
from tests.helpers import assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch

# name -> (function, which works on tinynn and torch tensors alike, input shape)
CASES = {
    "reshape": (lambda t: t.reshape(4, 3), (2, 3, 2)),
    "reshape -1": (lambda t: t.reshape(-1, 2), (2, 3, 2)),
    "reshape tuple": (lambda t: t.reshape((3, -1)), (2, 3, 2)),
    "reshape to 0-d": (lambda t: t.reshape(()), (1, 1)),
    "view": (lambda t: t.view(2, 6), (2, 3, 2)),
    "view -1": (lambda t: t.view(-1), (2, 3, 2)),
    "view_as": (lambda t: t.view_as(t.reshape(6, 2)), (2, 3, 2)),
    "reshape_as": (lambda t: t.reshape_as(t.reshape(3, 4)), (2, 3, 2)),
    "flatten": (lambda t: t.flatten(), (2, 3, 2)),
    "flatten 1..2": (lambda t: t.flatten(1), (2, 3, 2)),
    "flatten 0..-2": (lambda t: t.flatten(0, -2), (2, 3, 2)),
    "unflatten": (lambda t: t.unflatten(1, (2, -1)), (3, 4)),
    "squeeze": (lambda t: t.squeeze(), (3, 1, 2, 1)),
    "squeeze dim": (lambda t: t.squeeze(-1), (3, 1, 2, 1)),
    "squeeze non-1 dim": (lambda t: t.squeeze(0), (3, 1, 2, 1)),
    "squeeze dims": (lambda t: t.squeeze((1, 3)), (3, 1, 2, 1)),
    "unsqueeze": (lambda t: t.unsqueeze(0), (2, 3)),
    "unsqueeze -1": (lambda t: t.unsqueeze(-1), (2, 3)),
    "unsqueeze middle": (lambda t: t.unsqueeze(1), (2, 3)),
    "permute": (lambda t: t.permute(2, 0, 1), (2, 3, 4)),
    "permute tuple negative": (lambda t: t.permute((-1, 1, 0)), (2, 3, 4)),
    "transpose": (lambda t: t.transpose(0, 2), (2, 3, 4)),
    "transpose negative": (lambda t: t.transpose(-1, -2), (2, 3, 4)),
    "swapaxes": (lambda t: t.swapaxes(0, 1), (2, 3)),
    "t": (lambda t: t.t(), (2, 3)),
    "t of 1-d": (lambda t: t.t(), (3,)),
    "T": (lambda t: t.T, (2, 3)),
    "mT": (lambda t: t.mT, (2, 3, 4)),
    "movedim": (lambda t: t.movedim(0, -1), (2, 3, 4)),
    "movedim tuple": (lambda t: t.movedim((0, 1), (2, 0)), (2, 3, 4)),
    "expand": (lambda t: t.expand(2, 3, 4), (3, 1)),
    "expand -1": (lambda t: t.expand(-1, 4), (3, 1)),
    "expand_as": (lambda t: t.expand_as(t.expand(2, 3, 4).detach()), (3, 1)),
    "broadcast_to": (lambda t: t.broadcast_to((2, 2, 3)), (1, 3)),
    "contiguous": (lambda t: t.t().contiguous(), (2, 3)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_shape_op_gradcheck(name):
    fn, shape = CASES[name]
    check_gradients(fn, rand(*shape, seed=1))


@needs_torch
@pytest.mark.parametrize("name", list(CASES))
def test_shape_op_matches_torch(name):
    fn, shape = CASES[name]
    assert_matches_torch(fn, fn, rand(*shape, seed=2))


@needs_torch
def test_functions_match_torch():
    x = rand(2, 3, 4, seed=3)
    assert_matches_torch(lambda t: tinynn.reshape(t, (4, 6)), lambda t: torch.reshape(t, (4, 6)), x)
    assert_matches_torch(lambda t: tinynn.permute(t, (1, 0, 2)), lambda t: torch.permute(t, (1, 0, 2)), x)
    assert_matches_torch(lambda t: tinynn.movedim(t, 1, 0), lambda t: torch.movedim(t, 1, 0), x)
    assert_matches_torch(lambda t: tinynn.squeeze(tinynn.unsqueeze(t, 2), 2),
                         lambda t: torch.squeeze(torch.unsqueeze(t, 2), 2), x)
    assert_matches_torch(lambda a, b: tinynn.broadcast_tensors(a, b), lambda a, b: torch.broadcast_tensors(a, b),
                         rand(3, 1, seed=4), rand(1, 4, seed=5))


def test_broadcast_tensors_gradcheck():
    check_gradients(lambda a, b: tinynn.broadcast_tensors(a, b), rand(3, 1, seed=4), rand(2, 1, 4, seed=5))


# ---------------------------------------------------------------------------- views share memory
@pytest.mark.parametrize("make", [lambda t: t.view(6), lambda t: t.reshape(3, 2), lambda t: t.t(),
                                  lambda t: t.unsqueeze(0), lambda t: t.permute(1, 0), lambda t: t.flatten(),
                                  lambda t: t.expand(4, 2, 3), lambda t: t.squeeze()])
@pytest.mark.cpu_only  # memory sharing / reprs of host tensors
def test_views_share_memory_with_their_base(make):
    x = tinynn.arange(6.0).reshape(2, 3)
    y = make(x)
    assert np.shares_memory(x.numpy(), y.numpy())
    assert y._version_counter is x._version_counter  # in-place changes to either are seen by both


def test_writing_through_a_view_changes_the_base():
    x = tinynn.zeros(2, 3)
    x.view(6)[4] = 7.0
    x.t()[0, 1] = 5.0
    np.testing.assert_array_equal(x.numpy(), [[0, 0, 0], [5, 7, 0]])


def test_reshape_of_non_contiguous_copies():
    x = tinynn.arange(6.0).reshape(2, 3).t()
    y = x.reshape(6)
    np.testing.assert_array_equal(y.numpy(), [0, 3, 1, 4, 2, 5])
    assert not np.shares_memory(x.numpy(), y.numpy())
    assert not x.is_contiguous() and x.contiguous().is_contiguous()


def test_contiguous_of_contiguous_is_itself():
    x = tinynn.ones(2, 3)
    assert x.contiguous() is x


# ---------------------------------------------------------------------------- errors
def test_view_of_non_contiguous_raises_with_the_layout():
    x = tinynn.ones(2, 3).t()
    with pytest.raises(RuntimeError, match=r"view: .*not compatible.*\(3, 2\).*\.reshape"):
        x.view(6)


@pytest.mark.parametrize("shape, message", [
    ((-1, -1), "only one dimension can be inferred"),
    ((5, -1), r"shape \[5, -1\] is invalid for input of size 12"),
    ((0, -1), r"shape \[0, -1\] is invalid for input of size 12"),
    ((5, 2), r"shape \[5, 2\] is invalid for input of size 12 \(input shape \[3, 4\]\)"),
    ((-2, 6), "invalid shape dimension -2"),
])
@pytest.mark.parametrize("name", ["reshape", "view"])
def test_bad_shapes_raise_and_name_the_sizes(name, shape, message):
    with pytest.raises(RuntimeError, match=message.replace("view", name)):
        getattr(tinynn.ones(3, 4), name)(*shape)


@pytest.mark.parametrize("sizes, message", [
    ((2, 4), r"expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton "
             r"dimension 1\. Target sizes: \[2, 4\]\. Tensor sizes: \[2, 3\]"),
    ((3,), r"number of sizes provided \(1\) must be greater or equal to the number of dimensions in the tensor \(2\)"),
    ((-1, 2, 3), r"-1 is not allowed in a leading, non-existing dimension \(0\)"),
])
def test_expand_errors(sizes, message):
    with pytest.raises(RuntimeError, match=message):
        tinynn.ones(2, 3).expand(*sizes)


def test_expand_error_names_target_and_tensor_sizes():
    with pytest.raises(RuntimeError, match=r"Target sizes: \[3, 4\]\. Tensor sizes: \[3, 2\]"):
        tinynn.ones(3, 2).expand(3, 4)


def test_other_shape_errors():
    x = tinynn.ones(2, 3, 4)
    with pytest.raises(RuntimeError, match="number of dims don't match"):
        x.permute(0, 1)
    with pytest.raises(RuntimeError, match="repeated dim"):
        x.permute(0, 1, 1)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        x.t()
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        tinynn.ones(3).mT
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        x.flatten(2, 1)
    with pytest.raises(IndexError, match=r"dimension out of range \(expected to be in range of \[-4, 3\], but got 4\)"):
        x.unsqueeze(4)
    with pytest.raises(RuntimeError, match=r"shape \[3, -1\] is invalid for input of size 4"):
        tinynn.ones(2, 4).unflatten(1, (3, -1))


# ---------------------------------------------------------------------------- sum_to_shape
@pytest.mark.parametrize("source, target", [((2, 3, 4), (3, 1)), ((2, 3), (2, 3)), ((2, 3), ()),
                                            ((4, 2, 3), (1, 2, 1))], ids=str)
def test_sum_to_shape_is_the_inverse_of_broadcasting(source, target):
    x = rand(*source, seed=6)
    out = sum_to_shape(tinynn.tensor(x), target)
    lead = len(source) - len(target)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(target) if s == 1 and source[lead + i] != 1)
    np.testing.assert_allclose(out.numpy(), x.sum(axis=axes).reshape(target))
    check_gradients(lambda t: sum_to_shape(t, target), x)


def test_sum_to_shape_rejects_incompatible_shapes():
    with pytest.raises(ValueError, match="cannot sum shape"):
        sum_to_shape(tinynn.ones(2, 3), (4,))


def test_expand_gradient_sums_over_the_copies():
    x = leaf([[1.0], [2.0]])
    (x.expand(2, 3) * tinynn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=tinynn.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[6.0], [15.0]])


@needs_torch
def test_select_matches_torch_and_checks_its_index():
    x = rand(3, 4, 2)
    for dim, index in [(0, 1), (1, -1), (2, 0), (-2, 3)]:
        assert_matches_torch(lambda t: t.select(dim, index), lambda t: t.select(dim, index), x)
        assert_matches_torch(lambda t: tinynn.select(t, dim, index), lambda t: torch.select(t, dim, index), x)
    with pytest.raises(IndexError, match="index 4 out of range for tensor of size \\[3, 4, 2\\] at dimension 1"):
        tinynn.zeros(3, 4, 2).select(1, 4)


def test_broadcast_tensors_names_the_shapes_that_do_not_broadcast():
    a, b = tinynn.ones(2, 3), tinynn.ones(4, 3)
    with pytest.raises(RuntimeError, match="do not broadcast"):
        tinynn.broadcast_tensors(a, b)
    x, y = tinynn.broadcast_tensors(tinynn.ones(2, 1), tinynn.ones(3))
    assert x.shape == y.shape == (2, 3)
