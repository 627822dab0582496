"""sparse_coo_tensor, Tensor.to_sparse and the legacy constructors: shapes, dtypes, checks, gradients."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

INDICES = np.array([[0, 1, 1, 0], [2, 0, 2, 2]])  # (0, 2) appears twice: an uncoalesced tensor


def test_sparse_coo_tensor_from_lists_infers_size_and_dtype():
    s = tinynn.sparse_coo_tensor([[0, 1], [1, 0]], [1, 2])
    assert s.shape == (2, 2) and s.dtype == tinynn.int64 and s._nnz() == 2 and not s.is_coalesced()
    assert s.to_dense().tolist() == [[0, 1], [2, 0]]
    s = tinynn.sparse_coo_tensor([[0, 3]], [1.0, 2.0], dtype=tinynn.float64)
    assert s.shape == (4,) and s.dtype == tinynn.float64 and s.to_dense().tolist() == [1.0, 0, 0, 2.0]


def test_hybrid_tensor_keeps_dense_blocks():
    values = rand(2, 3)
    s = tinynn.sparse_coo_tensor([[0, 2]], values, (4, 3))
    assert (s.sparse_dim(), s.dense_dim(), s.shape) == (1, 1, (4, 3))
    expected = np.zeros((4, 3))
    expected[[0, 2]] = values
    np.testing.assert_array_equal(s.to_dense().numpy(), expected)


def test_empty_and_zero_dim_tensors():
    empty = tinynn.sparse_coo_tensor(np.zeros((2, 0), dtype=np.int64), np.zeros(0), (2, 3))
    assert empty._nnz() == 0 and empty.to_dense().tolist() == [[0.0] * 3] * 2
    assert tinynn.sparse_coo_tensor(np.zeros((2, 0), dtype=np.int64), np.zeros(0)).shape == (0, 0)
    scalar = tinynn.tensor(2.5).to_sparse()
    assert scalar.shape == () and scalar._nnz() == 1 and scalar.to_dense().item() == 2.5


def test_is_coalesced_flag_is_the_callers_promise():
    assert tinynn.sparse_coo_tensor([[0, 1]], [1.0, 2.0]).is_coalesced() is False
    assert tinynn.sparse_coo_tensor([[0, 1]], [1.0, 2.0], is_coalesced=True).indices().tolist() == [[0, 1]]


@pytest.mark.parametrize("indices, values, size, message", [
    ([[0, 5]], [1.0, 2.0], (3,), "for dim 0, size is 3 but found index 5"),
    ([[0, -1]], [1.0, 2.0], (3,), "found negative index -1 for dim 0"),
    ([[0, -1]], [1.0, 2.0], None, "found negative index -1 for dim 0"),
    ([[0, 1]], [1.0, 2.0, 3.0], (3,), "nnz from indices: 2, nnz from values: 3"),
    ([[0, 1]], [1.0, 2.0], (3, 3), r"len\(size\) = 2, sparse_dim = 1, dense_dim = 0"),
    ([[0, 1]], [[1.0, 2.0], [3.0, 4.0]], (3, 3), r"values has incorrect size, expected \[2, 3\], got \[2, 2\]"),
    ([0, 1], [1.0, 2.0], (3,), r"indices must be a 2-d \(sparse_dim, nnz\) integer tensor"),
    ([[True, False]], [1.0, 2.0], (3,), "integer tensor"),
    ([[0, 1]], 3.0, (3,), "values must have at least one dim"),
])
def test_bad_arguments_raise_clear_errors(indices, values, size, message):
    with pytest.raises(RuntimeError, match=message):
        tinynn.sparse_coo_tensor(indices, values, size)


def test_integer_values_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        tinynn.sparse_coo_tensor([[0, 1]], [1, 2], requires_grad=True)


def test_requires_grad_makes_a_leaf_and_leaves_the_callers_values_alone():
    values = tinynn.tensor([1.0, 2.0])
    s = tinynn.sparse_coo_tensor([[0, 1]], values, requires_grad=True)
    assert s.requires_grad and s.is_leaf and not values.requires_grad
    s.to_dense().sum().backward()
    assert s.grad.is_sparse and s.grad.to_dense().tolist() == [1.0, 1.0] and values.grad is None


def test_values_that_require_grad_make_a_result_in_the_graph():
    values = tinynn.tensor([1.0, 2.0], requires_grad=True)
    s = tinynn.sparse_coo_tensor([[0, 1]], values)
    assert s.requires_grad and not s.is_leaf and s.grad_fn is not None


def test_to_sparse_keeps_nonzeros_in_row_major_order():
    x = tinynn.tensor([[0.0, 3.0, 0.0], [4.0, 0.0, 5.0]])
    s = x.to_sparse()
    assert s.is_coalesced() and s.indices().tolist() == [[0, 1, 1], [1, 0, 2]] and s.values().tolist() == [3, 4, 5]
    rows = x.to_sparse(1)
    assert rows.indices().tolist() == [[0, 1]] and rows.values().shape == (2, 3)
    assert x.to_sparse(dense_dim=1).indices().tolist() == [[0, 1]]
    assert x.to_sparse_coo().to_dense().tolist() == x.tolist()
    assert x.layout is tinynn.strided and not x.is_sparse and x.to_dense() is x


def test_to_sparse_refuses_other_layouts():
    with pytest.raises(NotImplementedError, match="only the sparse COO layout"):
        tinynn.ones(2, 2).to_sparse(layout=tinynn.sparse_csr)
    with pytest.raises(RuntimeError, match="sparse_dim must be in"):
        tinynn.ones(2, 2).to_sparse(3)


def test_to_sparse_gradcheck():
    x = rand(3, 4)  # no zeros: finite differences must not change which cells are stored
    check_gradients(lambda t: tinynn.sparse.mm(t.to_sparse(), t.T), x)
    check_gradients(lambda t: t.to_sparse(1).to_dense() * 2, x)


@needs_torch
def test_to_sparse_matches_torch():
    x = rand(3, 4)
    x[1, :] = 0.0
    x[0, 3] = 0.0
    assert_matches_torch(lambda t: (t.to_sparse() * 3).to_dense(), lambda t: (t.to_sparse() * 3).to_dense(), x)
    assert_matches_torch(lambda t: t.to_sparse(1).to_dense(), lambda t: t.to_sparse(1).to_dense(), x)


def test_legacy_constructors():
    s = tinynn.sparse.FloatTensor(tinynn.tensor(INDICES), tinynn.tensor([3.0, 4.0, 5.0, 1.0]), (2, 3))
    assert s.shape == (2, 3) and s.dtype == tinynn.float32
    kept = tinynn.sparse.FloatTensor(tinynn.tensor(INDICES), tinynn.tensor([3.0, 4.0, 5.0, 1.0], dtype=tinynn.float64))
    assert kept.dtype == tinynn.float64 and kept.shape == (2, 3)  # PyTorch keeps the values' dtype too
    empty = tinynn.sparse.DoubleTensor(2, 3)
    assert empty.shape == (2, 3) and empty._nnz() == 0 and empty.dtype == tinynn.float64
    assert tinynn.sparse.FloatTensor().shape == (0,)
    with pytest.raises(TypeError, match="integer sizes"):
        tinynn.sparse.FloatTensor(2.0, 3)


@needs_torch
def test_construction_matches_torch():
    values = rand(4)
    ours = tinynn.sparse_coo_tensor(INDICES, values).coalesce()
    theirs = torch.sparse_coo_tensor(torch.tensor(INDICES), torch.tensor(values), check_invariants=True).coalesce()
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.indices().numpy(), theirs.indices().numpy())
    np.testing.assert_allclose(ours.values().numpy(), theirs.values().numpy())
