"""kron, tensordot, cross, vecdot, multi_dot, block_diag, cartesian_prod (tinynn/ops/tensor_products.py)."""
import warnings

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

KRON_SHAPES = [((2, 3), (3, 2)), ((2,), (3,)), ((2, 2), (3,)), ((2, 1, 2), (2, 3))]


@pytest.mark.parametrize("a, b", KRON_SHAPES, ids=str)
def test_kron_gradcheck(a, b):
    check_gradients(tinynn.kron, rand(*a, seed=1), rand(*b, seed=2))


@needs_torch
@pytest.mark.parametrize("a, b", KRON_SHAPES, ids=str)
def test_kron_matches_torch(a, b):
    assert_matches_torch(tinynn.kron, torch.kron, rand(*a, seed=3), rand(*b, seed=4))
    assert_matches_torch(lambda a, b: a.kron(b), lambda a, b: a.kron(b), rand(*a, seed=3), rand(*b, seed=4))


def test_kron_values():
    np.testing.assert_array_equal(tinynn.kron(tinynn.eye(2), tinynn.tensor([[1.0, 2.0]])).numpy(),
                                  np.kron(np.eye(2), [[1.0, 2.0]]))


TENSORDOT_CASES = [((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4, 5), 0),
                   ((2, 3, 4), (4, 2, 5), ([0, 2], [1, 0])), ((3, 4), (4, 3), [[1], [0]]), ((2, 3), (3,), ([-1], [0]))]


@pytest.mark.parametrize("a, b, dims", TENSORDOT_CASES, ids=str)
def test_tensordot_gradcheck(a, b, dims):
    check_gradients(lambda a, b: tinynn.tensordot(a, b, dims), rand(*a, seed=5), rand(*b, seed=6))


@needs_torch
@pytest.mark.parametrize("a, b, dims", TENSORDOT_CASES, ids=str)
def test_tensordot_matches_torch(a, b, dims):
    assert_matches_torch(lambda a, b: tinynn.tensordot(a, b, dims), lambda a, b: torch.tensordot(a, b, dims),
                         rand(*a, seed=7), rand(*b, seed=8))


@pytest.mark.parametrize("a, b, dims, message", [
    ((2, 3), (4, 5), 1, "contracted dimensions need to match, but first has size 3 in dim 1 and second has size 4"),
    ((2, 3), (3, 5), 3, "tensordot expects dims < ndim_a or ndim_b, but got dims=3"),
    ((2, 3), (3, 5), -1, "tensordot expects dims >= 0, but got dims=-1"),
    ((2, 3), (3, 5), ([1], [0, 1]), "both dimension lists should have same length"),
])
def test_tensordot_errors(a, b, dims, message):
    with pytest.raises(RuntimeError, match=message):
        tinynn.tensordot(tinynn.ones(*a), tinynn.ones(*b), dims)
    with pytest.raises(RuntimeError, match="both inputs should have same dtype"):
        tinynn.tensordot(tinynn.ones(2, 3, dtype=tinynn.int64), tinynn.ones(3, 2), 1)


# ---------------------------------------------------------------------------- cross, vecdot
def test_cross_gradcheck():
    check_gradients(lambda a, b: tinynn.linalg.cross(a, b), rand(2, 3, seed=9), rand(1, 3, seed=10))
    check_gradients(lambda a, b: tinynn.cross(a, b, dim=0), rand(3, 2, seed=11), rand(3, 2, seed=12))


@needs_torch
def test_cross_matches_torch():
    a, b = rand(2, 4, 3, seed=13), rand(1, 4, 3, seed=14)
    assert_matches_torch(tinynn.linalg.cross, torch.linalg.cross, a, b)
    assert_matches_torch(lambda a, b: tinynn.linalg.cross(a, b, dim=1), lambda a, b: torch.linalg.cross(a, b, dim=1),
                         rand(2, 3, 4, seed=15), rand(2, 3, 4, seed=16))
    assert_matches_torch(lambda a, b: a.cross(b, dim=-1), lambda a, b: a.cross(b, dim=-1), a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no dim: the first dim of size 3, deprecated in both
        assert_matches_torch(tinynn.cross, torch.cross, rand(3, 3, seed=17), rand(3, 3, seed=18))


def test_cross_values_and_errors():
    x, y = tinynn.tensor([1.0, 0.0, 0.0]), tinynn.tensor([0.0, 1.0, 0.0])
    assert tinynn.linalg.cross(x, y).tolist() == [0.0, 0.0, 1.0]
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        tinynn.cross(tinynn.ones(3, 2), tinynn.ones(3, 2))
    with pytest.raises(RuntimeError, match="inputs dimension -1 must have length 3. Got 3 and 1"):
        tinynn.linalg.cross(tinynn.ones(2, 3), tinynn.ones(2, 1))
    with pytest.raises(RuntimeError, match="inputs must have the same number of dimensions"):
        tinynn.linalg.cross(tinynn.ones(2, 3), tinynn.ones(3))


@needs_torch
def test_vecdot_matches_torch():
    check_gradients(lambda x, y: tinynn.linalg.vecdot(x, y, dim=0), rand(3, 2, seed=19), rand(3, 1, seed=20))
    assert_matches_torch(tinynn.linalg.vecdot, torch.linalg.vecdot, rand(2, 3, seed=21), rand(3, seed=22))
    with pytest.raises(RuntimeError, match="linalg.vecdot: Expected a floating point"):
        tinynn.linalg.vecdot(tinynn.ones(3, dtype=tinynn.int64), tinynn.ones(3, dtype=tinynn.int64))


# ---------------------------------------------------------------------------- multi_dot, chain_matmul
MULTI_DOT_SHAPES = [[(2, 3), (3, 4)], [(3,), (3, 4), (4, 2), (2,)], [(5, 2), (2, 6), (6, 1), (1, 3)], [(3,), (3,)]]


@pytest.mark.parametrize("shapes", MULTI_DOT_SHAPES, ids=str)
def test_multi_dot_gradcheck(shapes):
    check_gradients(lambda *ts: tinynn.linalg.multi_dot(ts), *[rand(*s, seed=i) for i, s in enumerate(shapes)])


@needs_torch
@pytest.mark.parametrize("shapes", MULTI_DOT_SHAPES, ids=str)
def test_multi_dot_matches_torch(shapes):
    assert_matches_torch(lambda *ts: tinynn.linalg.multi_dot(ts), lambda *ts: torch.linalg.multi_dot(ts),
                         *[rand(*s, seed=i + 5) for i, s in enumerate(shapes)])


def test_multi_dot_picks_the_cheapest_order_and_errors():
    from tinynn.ops.tensor_products import _chain_order

    # (10x100)(100x5)(5x50): (AB)C costs 7500 multiplications, A(BC) 75000
    assert _chain_order([10, 100, 5, 50])[0][2] == 1
    assert _chain_order([50, 5, 100, 10])[0][2] == 0
    with pytest.raises(RuntimeError, match="expected at least 2 tensors but got 1"):
        tinynn.linalg.multi_dot([tinynn.ones(2)])
    with pytest.raises(RuntimeError, match="the first tensor must be 1D or 2D but got 3D"):
        tinynn.linalg.multi_dot([tinynn.ones(2, 2, 2), tinynn.ones(2, 2)])
    with pytest.raises(RuntimeError, match=r"tensors 0 and 1 with shapes \[2, 3\] and \[4, 3\] cannot be multiplied"):
        tinynn.linalg.multi_dot([tinynn.ones(2, 3), tinynn.ones(4, 3)])
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        assert tinynn.chain_matmul(tinynn.ones(2, 2), tinynn.ones(2, 2)).tolist() == [[2.0, 2.0], [2.0, 2.0]]


# ---------------------------------------------------------------------------- block_diag, cartesian_prod
def test_block_diag_gradcheck_and_values():
    check_gradients(tinynn.block_diag, rand(2, 2, seed=23), rand(3, seed=24), rand(1, 2, seed=25))
    out = tinynn.block_diag(tinynn.tensor(1.0), tinynn.ones(2), tinynn.ones(2, 1, dtype=tinynn.float64))
    assert out.dtype == tinynn.float64
    np.testing.assert_array_equal(out.numpy(), [[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1]])
    assert tinynn.block_diag().shape == (1, 0)
    with pytest.raises(RuntimeError, match="Input tensors must have 2 or fewer dimensions. Input 0 has 3"):
        tinynn.block_diag(tinynn.ones(2, 2, 2))


@needs_torch
def test_block_diag_and_cartesian_prod_match_torch():
    assert_matches_torch(tinynn.block_diag, torch.block_diag, rand(2, 3, seed=26), rand(2, seed=27), rand(3, 1, seed=28))
    assert_matches_torch(tinynn.cartesian_prod, torch.cartesian_prod, rand(2, seed=29), rand(3, seed=30), rand(2, seed=31))


def test_cartesian_prod_values_and_errors():
    out = tinynn.cartesian_prod(tinynn.tensor([1, 2]), tinynn.tensor([3, 4, 5]))
    assert out.tolist() == [[1, 3], [1, 4], [1, 5], [2, 3], [2, 4], [2, 5]]
    assert tinynn.cartesian_prod(tinynn.tensor([1, 2])).tolist() == [1, 2]
    check_gradients(tinynn.cartesian_prod, rand(2, seed=32), rand(3, seed=33))
    with pytest.raises(RuntimeError, match=r"Expect a 1D vector, but got shape \[2, 2\]"):
        tinynn.cartesian_prod(tinynn.ones(2, 2))
