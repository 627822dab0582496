"""SparseCooTensor: coalesce, to_dense, indices/values, transpose, arithmetic, dtype/device, leaf gradients."""
import copy

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch
from tests.sparse import dense_grads

INDICES = np.array([[0, 1, 1, 0], [2, 0, 2, 2]])  # (0, 2) twice


def make(values, indices=INDICES, size=(2, 3)):
    return tinynn.sparse_coo_tensor(indices, values, size)


def make_torch(values, indices=INDICES, size=(2, 3)):
    return torch.sparse_coo_tensor(torch.as_tensor(indices), values, size, check_invariants=True)


def test_what_it_is():
    s = make([3.0, 4.0, 5.0, 1.0])
    assert s.is_sparse and s.layout is tinynn.sparse_coo and repr(s.layout) == "tinynn.sparse_coo"
    assert (s.shape, s.size(), s.size(-1), s.dim(), s.ndim, s._nnz(), s.numel(), len(s)) == ((2, 3), (2, 3), 3, 2, 2, 4, 6, 2)
    assert (s.sparse_dim(), s.dense_dim(), s.dtype, s.device.type, s.is_cuda) == (2, 0, tinynn.float32, "cpu", False)
    with pytest.raises(IndexError, match="dimension out of range"):
        s.size(2)


def test_coalesce_sorts_and_adds_repeats():
    s = make([3.0, 4.0, 5.0, 1.0])
    with pytest.raises(RuntimeError, match="Cannot get indices on an uncoalesced tensor"):
        s.indices()
    with pytest.raises(RuntimeError, match="Cannot get values on an uncoalesced tensor"):
        s.values()
    assert s._indices().tolist() == INDICES.tolist() and s._values().tolist() == [3, 4, 5, 1]
    c = s.coalesce()
    assert c.is_coalesced() and c.coalesce() is c
    assert c.indices().tolist() == [[0, 1, 1], [2, 0, 2]] and c.values().tolist() == [4.0, 4.0, 5.0]
    assert s.to_dense().tolist() == [[0, 0, 4], [4, 0, 5]]


def test_coalesce_and_to_dense_gradcheck():
    check_gradients(lambda v: make(v).coalesce().values(), rand(4))
    check_gradients(lambda v: make(v).to_dense(), rand(4))
    hybrid = np.array([[0, 2, 0]])
    check_gradients(lambda v: make(v, hybrid, (3, 2)).coalesce().values() * 3, rand(3, 2))


@needs_torch
def test_coalesce_and_to_dense_match_torch():
    assert_matches_torch(lambda v: make(v).coalesce().values(), lambda v: make_torch(v).coalesce().values(), rand(4))
    assert_matches_torch(lambda v: make(v).to_dense(), lambda v: make_torch(v).to_dense(), rand(4))


def test_transpose():
    s = make([3.0, 4.0, 5.0, 1.0])
    assert s.t().shape == (3, 2) and not s.t().is_coalesced()
    assert s.t().to_dense().tolist() == s.to_dense().t().tolist() == s.T.to_dense().tolist()
    assert s.transpose(1, 0).to_dense().tolist() == s.to_dense().t().tolist() and s.transpose(0, 0) is s
    hybrid = tinynn.sparse_coo_tensor([[0, 2]], rand(2, 3, 4), (3, 3, 4))
    np.testing.assert_array_equal(hybrid.transpose(1, 2).to_dense().numpy(), hybrid.to_dense().transpose(1, 2).numpy())
    with pytest.raises(RuntimeError, match="mixing sparse and dense dimensions"):
        hybrid.transpose(0, 1)
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions"):
        hybrid.t()


def test_scalar_and_elementwise_products():
    s = make([3.0, 4.0, 5.0, 1.0])
    assert (s * 2).to_dense().tolist() == (2 * s).to_dense().tolist() == s.mul(2).to_dense().tolist() == [[0, 0, 8], [8, 0, 10]]
    assert (s / 2).to_dense().tolist() == s.div(2).to_dense().tolist() == [[0, 0, 2], [2, 0, 2.5]]
    assert (-s).to_dense().tolist() == [[0, 0, -4], [-4, 0, -5]]
    assert (s * tinynn.tensor(3.0)).to_dense().tolist() == [[0, 0, 12], [12, 0, 15]]
    dense = tinynn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert (s * dense).to_dense().tolist() == [[0, 0, 12], [16, 0, 30]]
    assert (s * tinynn.tensor([1.0, 0.0, 2.0])).to_dense().tolist() == [[0, 0, 8], [4, 0, 10]]  # broadcast
    assert (s * s).to_dense().tolist() == [[0, 0, 16], [16, 0, 25]]
    assert (s + s).is_coalesced() and (s + s).to_dense().tolist() == [[0, 0, 8], [8, 0, 10]]
    assert (s - s * 2).to_dense().tolist() == [[0, 0, -4], [-4, 0, -5]]


def test_arithmetic_gradcheck():
    dense = rand(2, 3, seed=3)
    check_gradients(lambda v, d: (make(v) * d * 2.5).to_dense(), rand(4), dense)
    check_gradients(lambda v, w: (make(v) + make(w) / 3 - make(v) * make(w)).to_dense(), rand(4), rand(4, seed=2))


@needs_torch
def test_arithmetic_matches_torch():
    assert_matches_torch(lambda v, d: (make(v) * d * 2.5 / 4).to_dense(),
                         dense_grads(lambda v, d: (make_torch(v) * d * 2.5 / 4).to_dense()), rand(4), rand(2, 3, seed=3))
    assert_matches_torch(lambda v, w: (make(v) + make(w) - make(v) * make(w)).to_dense(),
                         lambda v, w: (make_torch(v) + make_torch(w) - make_torch(v) * make_torch(w)).to_dense(),
                         rand(4), rand(4, seed=2))


def test_unsupported_operations_raise_type_errors():
    s = make([3.0, 4.0, 5.0, 1.0])
    with pytest.raises(TypeError, match="'exp' is not supported for sparse COO tensors.*to_dense"):
        s.exp()
    assert not hasattr(s, "reshape")  # an AttributeError too, so duck-typing checks answer False
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        s.no_such_thing
    with pytest.raises(TypeError, match="indexing a sparse tensor"):
        s[0]
    with pytest.raises(TypeError, match="iterating"):
        list(s)
    with pytest.raises(TypeError, match="to_dense"):
        np.asarray(s)
    with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported"):
        s + 1
    with pytest.raises(RuntimeError, match="sizes of 'self' and 'other' to match"):
        s + make([1.0, 2.0, 3.0, 4.0], size=(3, 3))
    with pytest.raises(TypeError, match="dense \\+ sparse is not supported"):
        tinynn.ones(2, 3) + s
    with pytest.raises(TypeError, match="sparse tensor first"):
        tinynn.ones(2, 3) * s
    with pytest.raises(TypeError):
        s * "a"
    with pytest.raises(TypeError):
        s / tinynn.ones(2, 3)
    with pytest.raises(TypeError, match="mul: a sparse tensor cannot be combined with str"):
        s.mul("a")
    with pytest.raises(TypeError, match="div: a sparse tensor cannot be combined with Tensor"):
        s.div(tinynn.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"sub\(sparse, dense\) is not supported"):
        s - tinynn.ones(2, 3)
    with pytest.raises(RuntimeError, match="dtype argument is not supported"):
        s.to_dense(tinynn.float64)


def test_dtype_and_device_conversions():
    s = make([3.0, 4.0, 5.0, 1.0])
    assert s.double().dtype == tinynn.float64 and s.double().float().dtype == tinynn.float32
    assert s.to(tinynn.float64).to_dense().dtype == tinynn.float64 and s.to("cpu") is s and s.cpu() is s
    assert s.long().to_dense().tolist() == [[0, 0, 4], [4, 0, 5]] and s.int().dtype == tinynn.int32
    assert s.half().dtype == tinynn.float16 and s.to(tinynn.ones(1, dtype=tinynn.float64)).dtype == tinynn.float64


def test_leaf_gradient_is_sparse_and_per_cell():
    s = tinynn.sparse_coo_tensor(INDICES, [3.0, 4.0, 5.0, 1.0], (2, 3), dtype=tinynn.float64, requires_grad=True)
    assert s.grad is None and s.is_leaf
    s.to_dense().pow(2).sum().backward()
    g = s.grad
    assert g.is_sparse and g.is_coalesced() and g.indices().tolist() == [[0, 1, 1], [2, 0, 2]]
    assert g.values().tolist() == [8.0, 8.0, 10.0]  # d(sum A^2)/dA at each stored cell (PyTorch's numbers)
    s.grad = None
    assert s.grad is None
    with pytest.raises(TypeError, match="only be set to None"):
        s.grad = tinynn.ones(4)


def test_requires_grad_detach_clone_deepcopy():
    s = make([3.0, 4.0, 5.0, 1.0]).requires_grad_()
    assert s.requires_grad and not s.detach().requires_grad and not s.data.requires_grad
    c = s.clone()
    assert c.requires_grad and not c.is_leaf and c.to_dense().tolist() == s.to_dense().tolist()
    d = copy.deepcopy(s)
    assert d.requires_grad and d.is_leaf and d._values() is not s._values()
    assert d.to_dense().tolist() == s.to_dense().tolist()
    s.requires_grad_(False)
    assert not s.requires_grad


def test_repr_is_pytorchs_layout():
    s = tinynn.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 2.0], requires_grad=True)
    assert repr(s) == ("tensor(indices=tensor([[0, 1],\n"
                       "                       [1, 0]]),\n"
                       "       values=tensor([1., 2.]),\n"
                       "       size=(2, 2), nnz=2, layout=tinynn.sparse_coo, requires_grad=True)")
    empty = tinynn.sparse.FloatTensor(2, 3)
    assert "indices=tensor([], size=(2, 0))" in repr(empty) and "nnz=0" in repr(empty)
