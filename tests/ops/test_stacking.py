"""atleast_1d/2d/3d, dstack, column_stack, row_stack, hsplit/vsplit/dsplit, tile, rot90, ravel,
swapdims, swapaxes, moveaxis (tinynn/ops/stacking.py): shapes and values as PyTorch's, gradients
through them, errors."""
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch


def test_atleast_nd_shapes_and_identity():
    scalar, vector, matrix = tinynn.tensor(1.0), tinynn.arange(6.0), tinynn.ones(2, 3)
    assert tinynn.atleast_1d(scalar).shape == (1,) and tinynn.atleast_1d(vector) is vector
    assert [t.shape for t in tinynn.atleast_2d(scalar, vector, matrix)] == [(1, 1), (1, 6), (2, 3)]
    assert [t.shape for t in tinynn.atleast_3d([scalar, vector, matrix, tinynn.ones(1, 2, 3)])] == \
        [(1, 1, 1), (1, 6, 1), (2, 3, 1), (1, 2, 3)]
    assert tinynn.atleast_2d() == ()
    with pytest.raises(TypeError, match="expected Tensors"):
        tinynn.atleast_1d(3)


def test_gradchecks():
    a, b = rand(2, 3, seed=0), rand(2, 3, seed=1)
    check_gradients(lambda x, y: tinynn.dstack([x, y]), a, b)
    check_gradients(lambda x, y: tinynn.column_stack([x[0], y.T]), a, b)
    check_gradients(lambda x: tinynn.hsplit(x, [1, 2])[1], a)
    check_gradients(lambda x: tinynn.tile(x, (2, 1, 2)), a)
    check_gradients(lambda x: tinynn.rot90(x, 3), a)
    check_gradients(lambda x: tinynn.atleast_3d(x[0]), a)


@needs_torch
def test_joins_match_torch():
    a, b, c = rand(3, seed=2), rand(3, 2, seed=3), rand(3, 2, seed=4)
    assert_matches_torch(lambda x, y: tinynn.column_stack([x, y]), lambda x, y: torch.column_stack([x, y]), a, b)
    assert_matches_torch(lambda x, y: tinynn.dstack([x, y]), lambda x, y: torch.dstack([x, y]), b, c)
    assert_matches_torch(lambda x, y: tinynn.dstack([x, y]), lambda x, y: torch.dstack([x, y]), a, a * 2)
    assert_matches_torch(lambda x, y: tinynn.row_stack([x, y]), lambda x, y: torch.row_stack([x, y]), b, c)
    s, t = [tinynn.tensor(1.0), tinynn.tensor(2.0)], [torch.tensor(1.0), torch.tensor(2.0)]
    assert tinynn.column_stack(s).shape == torch.column_stack(t).shape == (1, 2)
    assert tinynn.row_stack(s).shape == torch.row_stack(t).shape == (2, 1)


@needs_torch
@pytest.mark.parametrize("name,shape,arg", [
    ("hsplit", (2, 6), 3), ("hsplit", (6,), [1, 4]), ("hsplit", (2, 6), [4, 2]), ("vsplit", (4, 2), 2),
    ("vsplit", (6, 1), [2, 10]), ("dsplit", (2, 2, 4), [1, 3]), ("dsplit", (1, 2, 4), 2),
])
def test_splits_match_torch(name, shape, arg):
    x = rand(*shape, seed=5)
    assert_matches_torch(lambda t: getattr(tinynn, name)(t, arg), lambda t: getattr(torch, name)(t, arg), x)
    assert_matches_torch(lambda t: getattr(t, name)(arg), lambda t: getattr(t, name)(arg), x)


def test_split_errors():
    with pytest.raises(RuntimeError, match="not divisible by the split_size 2"):
        tinynn.hsplit(tinynn.ones(2, 3), 2)
    with pytest.raises(RuntimeError, match="requires a tensor with at least 2 dimension"):
        tinynn.vsplit(tinynn.ones(4), 2)
    with pytest.raises(RuntimeError, match="requires a tensor with at least 3 dimension"):
        tinynn.dsplit(tinynn.ones(2, 2), 1)
    with pytest.raises(RuntimeError, match="requires a tensor with at least 1 dimension"):
        tinynn.hsplit(tinynn.tensor(1.0), 1)


@needs_torch
@pytest.mark.parametrize("dims", [(2,), (2, 2), (1, 2, 3), (3, 1)])
def test_tile_matches_torch(dims):
    x = rand(2, 3, seed=6)
    assert_matches_torch(lambda t: tinynn.tile(t, dims), lambda t: torch.tile(t, dims), x)
    assert_matches_torch(lambda t: t.tile(*dims), lambda t: t.tile(*dims), x)
    assert tinynn.tile(tinynn.tensor(1.0), (2, 3)).shape == (2, 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        tinynn.tile(tinynn.ones(2), (-1,))


@needs_torch
@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 2), (2, 0), (-1, -2)])
def test_rot90_matches_torch(k, dims):
    x = rand(2, 3, 4, seed=7)
    assert_matches_torch(lambda t: tinynn.rot90(t, k, dims), lambda t: torch.rot90(t, k, dims), x)


def test_rot90_errors():
    x = tinynn.ones(2, 2, 2)
    with pytest.raises(RuntimeError, match="expected rotation dims to be different"):
        tinynn.rot90(x, 1, [1, 1])
    with pytest.raises(RuntimeError, match="expected total dims >= 2"):
        tinynn.rot90(tinynn.ones(2))
    with pytest.raises(RuntimeError, match="expected total rotation dims == 2"):
        tinynn.rot90(x, 1, [0])


@needs_torch
def test_ravel_and_axis_aliases_match_torch():
    x = rand(2, 3, 4, seed=8)
    assert_matches_torch(lambda t: tinynn.ravel(t.transpose(0, 2)), lambda t: torch.ravel(t.transpose(0, 2)), x)
    assert_matches_torch(lambda t: t.ravel(), lambda t: t.ravel(), x)
    assert_matches_torch(lambda t: tinynn.swapdims(t, 0, 2), lambda t: torch.swapdims(t, 0, 2), x)
    assert_matches_torch(lambda t: tinynn.swapaxes(t, 1, 2), lambda t: torch.swapaxes(t, 1, 2), x)
    assert_matches_torch(lambda t: t.swapdims(0, 1), lambda t: t.swapdims(0, 1), x)
    assert_matches_torch(lambda t: tinynn.moveaxis(t, [0, 1], [2, 0]), lambda t: torch.moveaxis(t, [0, 1], [2, 0]), x)
    assert_matches_torch(lambda t: t.moveaxis(0, -1), lambda t: t.moveaxis(0, -1), x)
