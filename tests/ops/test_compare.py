"""Comparisons and logic (tinynn/ops/compare.py): values and dtypes against PyTorch, no gradients, errors."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, needs_torch, torch

NAN, INF = float("nan"), float("inf")
A = np.array([[1.0, 2.0, NAN], [INF, -INF, 0.0]])
B = np.array([2.0, 2.0, NAN])  # broadcasts against A's rows


def _both(fn, *arrays):
    ours = fn(*[tinynn.tensor(a) for a in arrays])
    theirs = fn(*[torch.tensor(a) for a in arrays])
    return ours, theirs


def _lib(t):
    return tinynn if isinstance(t, tinynn.Tensor) else torch


COMPARISONS = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "eq": lambda a, b: a.eq(b), "ne": lambda a, b: a.ne(b), "lt": lambda a, b: a.lt(b), "le": lambda a, b: a.le(b),
    "gt": lambda a, b: a.gt(b), "ge": lambda a, b: a.ge(b), "less": lambda a, b: a.less(b),
    "greater_equal": lambda a, b: a.greater_equal(b), "not_equal": lambda a, b: a.not_equal(b),
    "function gt": lambda a, b: _lib(a).gt(a, b), "function less_equal": lambda a, b: _lib(a).less_equal(a, b),
    "scalar right": lambda a, b: a > 1.5, "scalar left": lambda a, b: 1.5 > a, "scalar ==": lambda a, b: 2 == a,
}


@needs_torch
@pytest.mark.parametrize("name", list(COMPARISONS))
def test_comparisons_match_torch(name):
    ours, theirs = _both(COMPARISONS[name], A, B)
    assert ours.dtype == tinynn.bool and not ours.requires_grad
    assert_close(ours, theirs)


def test_comparison_of_graph_tensors_has_no_gradient():
    x = tinynn.tensor([1.0, 2.0], requires_grad=True)
    out = x > 1.5
    assert out.grad_fn is None and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), [False, True])


def test_mixed_dtype_comparisons():
    np.testing.assert_array_equal((tinynn.tensor([1, 2]) == tinynn.tensor([1.0, 2.5])).numpy(), [True, False])
    np.testing.assert_array_equal((tinynn.tensor([1, 2]) < 1.5).numpy(), [True, False])
    out = tinynn.tensor(1.0) == 1.0
    assert out.shape == () and isinstance(out.numpy(), np.ndarray) and out.item() is True


LOGIC = {
    "logical_and": lambda a, b: _lib(a).logical_and(a, b), "logical_or": lambda a, b: _lib(a).logical_or(a, b),
    "logical_xor": lambda a, b: _lib(a).logical_xor(a, b), "logical_not": lambda a, b: _lib(a).logical_not(a),
    "logical_and method": lambda a, b: a.logical_and(b), "logical_not method": lambda a, b: a.logical_not(),
}


@needs_torch
@pytest.mark.parametrize("name", list(LOGIC))
def test_logical_ops_match_torch(name):
    a, b = np.array([[1.0, 0.0, -2.0], [0.0, 0.0, 3.0]]), np.array([2, 0, 0])  # any nonzero counts as True
    ours, theirs = _both(LOGIC[name], a, b)
    assert ours.dtype == tinynn.bool
    assert_close(ours, theirs)


BITWISE = {"&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b, "~": lambda a, b: ~a,
           "& scalar": lambda a, b: a & 3, "scalar |": lambda a, b: 4 | a,
           "bitwise_and": lambda a, b: _lib(a).bitwise_and(a, b), "bitwise_or": lambda a, b: _lib(a).bitwise_or(a, b),
           "bitwise_xor": lambda a, b: _lib(a).bitwise_xor(a, b), "bitwise_not": lambda a, b: _lib(a).bitwise_not(a)}


@needs_torch
@pytest.mark.parametrize("name", list(BITWISE))
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_bitwise_ops_match_torch(name, dtype):
    if dtype == "bool" and "scalar" in name:
        pytest.skip("int scalars with bool tensors promote to int in both; covered by the int case")
    a, b = np.array([5, 0, -3, 12]).astype(dtype), np.array([3, 1, 6, 12]).astype(dtype)
    ours, theirs = _both(BITWISE[name], a, b)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert_close(ours, theirs)


@pytest.mark.parametrize("expr", [lambda x: x & x, lambda x: x | 1, lambda x: ~x, lambda x: 1.5 ^ tinynn.tensor([1])])
def test_bitwise_ops_reject_floats(expr):
    with pytest.raises(TypeError, match="integer and bool"):
        expr(tinynn.tensor([1.0]))


@needs_torch
@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf"])
def test_float_classification_matches_torch(name):
    ours, theirs = _both(lambda t: getattr(_lib(t), name)(t), A)
    assert_close(ours, theirs)
    if hasattr(tinynn.Tensor, name):
        assert_close(getattr(tinynn.tensor(A), name)(), theirs)


@needs_torch
@pytest.mark.parametrize("kwargs", [{}, {"rtol": 0.0, "atol": 0.1}, {"equal_nan": True}], ids=str)
def test_isclose_allclose_match_torch(kwargs):
    a = np.array([1.0, 1.0 + 1e-6, NAN, 2.0, 100.0])
    b = np.array([1.0, 1.0, NAN, 2.05, 100.0005])
    ours, theirs = _both(lambda x, y: _lib(x).isclose(x, y, **kwargs), a, b)
    assert_close(ours, theirs)
    assert tinynn.allclose(tinynn.tensor(a), tinynn.tensor(b), **kwargs) == torch.allclose(
        torch.tensor(a), torch.tensor(b), **kwargs)
    assert tinynn.tensor(a[:2]).allclose(tinynn.tensor(b[:2])) is True


def test_equal_compares_shape_and_values():
    assert tinynn.equal(tinynn.ones(2), tinynn.ones(2)) is True
    assert tinynn.equal(tinynn.ones(2), tinynn.ones(3)) is False
    assert tinynn.ones(2).equal(tinynn.tensor([1.0, 2.0])) is False


@needs_torch
@pytest.mark.parametrize("name", ["any", "all"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": -1, "keepdim": True}, {"dim": (0, 1)}], ids=str)
def test_any_all_match_torch(name, kwargs):
    x = np.array([[0.0, 1.5, 0.0], [2.0, 3.0, -1.0]])
    ours, theirs = _both(lambda t: getattr(t, name)(**kwargs), x)
    assert ours.dtype == tinynn.bool
    assert_close(ours, theirs)


@pytest.mark.parametrize("op", [lambda a, b: a == b, lambda a, b: a < b, lambda a, b: tinynn.logical_and(a, b),
                                lambda a, b: tinynn.isclose(a, b)])
def test_shape_mismatch_names_the_shapes(op):
    with pytest.raises(RuntimeError, match=r"\(2, 3\) and \(4,\).*size of tensor a \(3\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 1"):
        op(tinynn.ones(2, 3), tinynn.ones(4))
