"""Joining and splitting (tinynn/ops/join.py): cat, stack, split, chunk, unbind, narrow."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch


def _lib(t):
    return tinynn if isinstance(t, tinynn.Tensor) else torch


# name -> (function of three tensors, which works on tinynn and torch alike; the three input shapes)
JOINS = {
    "cat dim 0": (lambda a, b, c: _lib(a).cat([a, b, c]), [(1, 3), (2, 3), (1, 3)]),
    "cat dim -1": (lambda a, b, c: _lib(a).cat((a, b, c), dim=-1), [(2, 1), (2, 3), (2, 2)]),
    "cat 3-d dim 1": (lambda a, b, c: _lib(a).cat([a, b, c], 1), [(2, 1, 2), (2, 2, 2), (2, 1, 2)]),
    "concat": (lambda a, b, c: _lib(a).concat([a, b, c], 0), [(1, 2), (1, 2), (2, 2)]),
    "concatenate": (lambda a, b, c: _lib(a).concatenate([a, b, c], 1), [(2, 1), (2, 1), (2, 2)]),
    "stack": (lambda a, b, c: _lib(a).stack([a, b, c]), [(2, 3)] * 3),
    "stack dim 1": (lambda a, b, c: _lib(a).stack([a, b, c], 1), [(2, 3)] * 3),
    "stack dim -1": (lambda a, b, c: _lib(a).stack([a, b, c], dim=-1), [(2, 3)] * 3),
    "hstack 1-d": (lambda a, b, c: _lib(a).hstack([a, b, c]), [(2,), (3,), (1,)]),
    "hstack 2-d": (lambda a, b, c: _lib(a).hstack([a, b, c]), [(2, 1), (2, 2), (2, 1)]),
    "vstack 1-d": (lambda a, b, c: _lib(a).vstack([a, b, c]), [(3,)] * 3),
    "vstack 2-d": (lambda a, b, c: _lib(a).vstack([a, b, c]), [(1, 3), (2, 3), (1, 3)]),
}


@pytest.mark.parametrize("name", list(JOINS))
def test_join_gradcheck(name):
    fn, shapes = JOINS[name]
    check_gradients(fn, *[rand(*s, seed=i) for i, s in enumerate(shapes)])


@needs_torch
@pytest.mark.parametrize("name", list(JOINS))
def test_join_matches_torch(name):
    fn, shapes = JOINS[name]
    assert_matches_torch(fn, fn, *[rand(*s, seed=i) for i, s in enumerate(shapes)])


SPLITS = {
    "split size": (lambda t: t.split(2), (5, 3)),
    "split size dim 1": (lambda t: t.split(2, dim=1), (2, 5)),
    "split sizes": (lambda t: t.split([1, 3, 1]), (5, 2)),
    "split sizes dim -1": (lambda t: t.split([2, 0, 2], -1), (2, 4)),
    "chunk 3 of 5": (lambda t: t.chunk(3), (5, 2)),
    "chunk 4 of 6": (lambda t: t.chunk(4, 1), (2, 6)),  # sizes 2, 2, 2: only 3 chunks (as in PyTorch)
    "chunk more than size": (lambda t: t.chunk(5), (3, 2)),
    "tensor_split": (lambda t: t.tensor_split(3), (7, 2)),
    "tensor_split dim 1": (lambda t: t.tensor_split(4, dim=1), (2, 5)),
    "unbind": (lambda t: t.unbind(), (3, 2)),
    "unbind dim 1": (lambda t: t.unbind(1), (2, 3, 2)),
    "unbind 1-d": (lambda t: t.unbind(0), (3,)),
    "narrow": (lambda t: t.narrow(1, 1, 2), (2, 4)),
    "narrow negative start": (lambda t: t.narrow(0, -2, 2), (4, 2)),
}


@pytest.mark.parametrize("name", list(SPLITS))
def test_split_gradcheck(name):
    fn, shape = SPLITS[name]
    check_gradients(fn, rand(*shape, seed=3))


@needs_torch
@pytest.mark.parametrize("name", list(SPLITS))
def test_split_matches_torch(name):
    fn, shape = SPLITS[name]
    assert_matches_torch(fn, fn, rand(*shape, seed=4))


@pytest.mark.parametrize("name, sizes", [("split size", [2, 2, 1]), ("chunk 3 of 5", [2, 2, 1]),
                                         ("chunk 4 of 6", [2, 2, 2]), ("chunk more than size", [1, 1, 1]),
                                         ("tensor_split", [3, 2, 2]), ("tensor_split dim 1", [2, 1, 1, 1])])
def test_piece_sizes(name, sizes):
    fn, shape = SPLITS[name]
    pieces = fn(tinynn.ones(*shape))
    dim = 1 if "dim 1" in name or "of 6" in name else 0
    assert [p.shape[dim] for p in pieces] == sizes


@pytest.mark.cpu_only  # memory sharing / reprs of host tensors
def test_split_and_unbind_pieces_are_views():
    x = tinynn.arange(6.0).reshape(3, 2)
    for piece in list(x.split(2)) + list(x.unbind(0)) + list(x.unbind(1)) + [x.narrow(0, 1, 2)]:
        assert np.shares_memory(piece.numpy(), x.numpy())
    rows = tinynn.arange(3.0).unbind(0)
    assert all(r.shape == () and isinstance(r.numpy(), np.ndarray) for r in rows)


def test_values():
    a, b = tinynn.tensor([[1, 2]]), tinynn.tensor([[3, 4], [5, 6]])
    np.testing.assert_array_equal(tinynn.cat([a, b]).numpy(), [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(tinynn.stack([a[0], b[1]], dim=1).numpy(), [[1, 5], [2, 6]])
    np.testing.assert_array_equal(tinynn.cat([tinynn.zeros(0), tinynn.ones(2)]).numpy(), [1, 1])  # 1-d empty
    mixed = tinynn.cat([tinynn.ones(1, dtype=tinynn.int64), tinynn.ones(1, dtype=tinynn.float64)])
    assert mixed.dtype == tinynn.float64


def test_cat_and_stack_errors_name_the_sizes():
    with pytest.raises(ValueError, match="non-empty list"):
        tinynn.cat([])
    with pytest.raises(RuntimeError, match=r"Expected size 3 but got size 2 for tensor number 1"):
        tinynn.cat([tinynn.ones(2, 3), tinynn.ones(2, 2)], dim=0)
    with pytest.raises(RuntimeError, match="same number of dimensions: got 2 and 1"):
        tinynn.cat([tinynn.ones(2, 3), tinynn.ones(3)])
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 0\) cannot be concatenated"):
        tinynn.cat([tinynn.tensor(1.0), tinynn.tensor(2.0)])
    with pytest.raises(TypeError, match="item 1 is a list"):
        tinynn.cat([tinynn.ones(2), [1.0]])
    with pytest.raises(RuntimeError, match=r"equal size, but got \[2, 3\] at entry 0 and \[3, 2\] at entry 1"):
        tinynn.stack([tinynn.ones(2, 3), tinynn.ones(3, 2)])
    with pytest.raises(IndexError, match="out of range"):
        tinynn.stack([tinynn.ones(2), tinynn.ones(2)], dim=3)


def test_split_errors():
    with pytest.raises(RuntimeError, match=r"sum exactly to 5 .* but got split_sizes=\[2, 2\]"):
        tinynn.ones(5).split([2, 2])
    with pytest.raises(RuntimeError, match="split_size must be positive"):
        tinynn.ones(5).split(0)
    with pytest.raises(RuntimeError, match="greater than 0"):
        tinynn.ones(5).chunk(0)
    with pytest.raises(RuntimeError, match=r"start \(3\) \+ length \(2\) exceeds dimension size \(4\)"):
        tinynn.ones(4).narrow(0, 3, 2)


def test_cat_gradient_goes_to_each_piece():
    a, b = tinynn.ones(1, 2, requires_grad=True), tinynn.ones(2, 2, requires_grad=True)
    weights = tinynn.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    (tinynn.cat([a, b]) * weights).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1, 2]])
    np.testing.assert_array_equal(b.grad.numpy(), [[3, 4], [5, 6]])


def test_split_gradient_with_unused_pieces_is_zero_there():
    x = tinynn.ones(5, requires_grad=True)
    first, _, last = x.split(2)
    (first.sum() * 2 + last.sum() * 3).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 0, 0, 3])
