"""diagonal, diag, diag_embed, trace, fill_diagonal_ (tinynn/ops/diagonal.py): gradients, parity, views."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, needs_torch, rand, torch

DIAGONAL_ARGS = [(0, 0, 1), (1, 0, 1), (-2, 0, 1), (2, 1, 2), (-1, 2, 0), (0, -1, -2), (5, 0, 1)]


@pytest.mark.parametrize("args", DIAGONAL_ARGS, ids=str)
def test_diagonal_gradcheck(args):
    offset, dim1, dim2 = args
    check_gradients(lambda t: tinynn.diagonal(t, offset, dim1, dim2), rand(3, 4, 5, seed=1))


@needs_torch
@pytest.mark.parametrize("args", DIAGONAL_ARGS, ids=str)
def test_diagonal_matches_torch(args):
    offset, dim1, dim2 = args
    assert_matches_torch(lambda t: t.diagonal(offset, dim1, dim2), lambda t: t.diagonal(offset, dim1, dim2),
                         rand(3, 4, 5, seed=2))
    assert_matches_torch(lambda t: tinynn.diagonal(t, offset=offset, dim1=dim1, dim2=dim2),
                         lambda t: torch.diagonal(t, offset=offset, dim1=dim1, dim2=dim2), rand(3, 4, 5, seed=3))


@pytest.mark.cpu_only  # memory sharing of host arrays
def test_diagonal_is_a_writable_view():
    x = tinynn.zeros(3, 4)
    d = x.diagonal(1)
    assert np.shares_memory(d.numpy(), x.numpy())
    d.fill_(7.0)  # writing into the view writes into x, as in PyTorch
    np.testing.assert_array_equal(x.numpy(), np.eye(3, 4, k=1) * 7)
    x[0, 1] = -1.0
    assert d[0].item() == -1.0


EMBED_ARGS = [(0, -2, -1), (1, 0, 1), (-2, 0, 2), (1, 2, 0)]


@pytest.mark.parametrize("args", EMBED_ARGS, ids=str)
def test_diag_embed_gradcheck(args):
    check_gradients(lambda t: tinynn.diag_embed(t, *args), rand(2, 3, seed=4))


@needs_torch
@pytest.mark.parametrize("args", EMBED_ARGS, ids=str)
def test_diag_embed_matches_torch(args):
    assert_matches_torch(lambda t: tinynn.diag_embed(t, *args), lambda t: torch.diag_embed(t, *args),
                         rand(2, 3, seed=5))
    assert_matches_torch(lambda t: t.diag_embed(*args), lambda t: t.diag_embed(*args), rand(3, 1, seed=6))
    assert_matches_torch(lambda t: t.diag_embed(), lambda t: t.diag_embed(), rand(4, seed=6))


@pytest.mark.parametrize("offset", [0, 2, -1])
@pytest.mark.parametrize("shape", [(4,), (3, 5)], ids=str)
def test_diag_gradcheck(shape, offset):
    check_gradients(lambda t: tinynn.diag(t, offset), rand(*shape, seed=7))


@needs_torch
@pytest.mark.parametrize("offset", [0, 2, -1, -4])
@pytest.mark.parametrize("shape", [(4,), (3, 5), (5, 3)], ids=str)
def test_diag_matches_torch(shape, offset):
    assert_matches_torch(lambda t: tinynn.diag(t, offset), lambda t: torch.diag(t, offset), rand(*shape, seed=8))
    assert_matches_torch(lambda t: t.diag(diagonal=offset), lambda t: t.diag(diagonal=offset), rand(*shape, seed=8))


@pytest.mark.cpu_only
def test_diag_of_a_matrix_is_a_copy():
    x = tinynn.ones(3, 3)
    assert not np.shares_memory(tinynn.diag(x).numpy(), x.numpy())


def test_trace_gradcheck():
    check_gradients(tinynn.trace, rand(3, 4, seed=9))


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int64"])
def test_trace_matches_torch(dtype):
    x = (rand(4, 3, seed=10) * 5).astype(dtype)
    ours, theirs = tinynn.trace(tinynn.tensor(x)), torch.trace(torch.tensor(x))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert_close(ours, theirs, rtol=1e-6)
    if dtype == "float64":
        assert_matches_torch(lambda t: t.trace(), lambda t: t.trace(), x)


@needs_torch
@pytest.mark.parametrize("shape, wrap", [((3, 3), False), ((7, 3), False), ((7, 3), True), ((2, 5), True),
                                         ((3, 3, 3), False)], ids=str)
def test_fill_diagonal_matches_torch(shape, wrap):
    ours, theirs = tinynn.zeros(*shape), torch.zeros(*shape)
    assert ours.fill_diagonal_(2.5, wrap=wrap) is ours
    theirs.fill_diagonal_(2.5, wrap=wrap)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
def test_fill_diagonal_in_the_graph_matches_torch():
    def run(lib):
        def fn(x):
            y = x * 2
            y.fill_diagonal_(0.0)
            return y * x
        return fn

    assert_matches_torch(run(tinynn), run(torch), rand(3, 3, seed=11))


def test_errors():
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical"):
        tinynn.ones(2, 2).diagonal(0, 1, 1)
    with pytest.raises(RuntimeError, match="at least 2 dims"):
        tinynn.ones(3).diagonal()
    with pytest.raises(RuntimeError, match="Supports 1D or 2D tensors. Got 3D"):
        tinynn.diag(tinynn.ones(2, 2, 2))
    with pytest.raises(RuntimeError, match="expected a matrix"):
        tinynn.trace(tinynn.ones(3))
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        tinynn.ones(2, 3, 3).fill_diagonal_(0)


@needs_torch
def test_inplace_write_into_the_diagonal_view_in_the_graph_matches_torch():
    def run(lib):
        def fn(x, v):
            y = x * 2
            y.diagonal(1).mul_(v)  # the base's history gains the write, as in PyTorch
            return y * x
        return fn

    assert_matches_torch(run(tinynn), run(torch), rand(3, 4, seed=12), rand(3, seed=13))
