"""The rest of PyTorch's Tensor methods (tinynn/ops/methods.py, statistics.py, random_fills.py): values,
dtypes and gradients against PyTorch, in-place forms and in-place views."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, needs_torch, rand, torch

DIFFERENTIABLE = {
    "cov": lambda t: t.cov(),
    "cov weights": lambda t: t.cov(correction=0, fweights=_lib(t).tensor([1, 2, 1, 3]),
                                   aweights=_lib(t).tensor([0.5, 1.0, 2.0, 1.0], dtype=t.dtype)),
    "corrcoef": lambda t: t.corrcoef(),
    "nanmean": lambda t: t.nanmean(dim=1),
    "fliplr": lambda t: t.fliplr(), "flipud": lambda t: t.flipud(),
    "inner": lambda t: t.inner(t[:2]), "ger": lambda t: t[0].ger(t[1]), "vdot": lambda t: t[0].vdot(t[1]),
    "diagflat": lambda t: t[:2, :2].diagflat(1), "sum_to_size": lambda t: t.sum_to_size(1, 4),
    "adjoint": lambda t: t.adjoint(), "split_with_sizes": lambda t: t.split_with_sizes([1, 2]),
    "narrow_copy": lambda t: t.narrow_copy(1, 1, 2),
    "cos_ in graph": lambda t: (t * 1).cos_(), "log1p_ in graph": lambda t: (t * t).log1p_(),
    "t_ in graph": lambda t: (t * 2).t_(), "unsqueeze_ in graph": lambda t: (t * 2).unsqueeze_(1),
    "transpose_ in graph": lambda t: (t + 1).transpose_(0, 1), "squeeze_ in graph": lambda t: (t[:1] * 3).squeeze_(0),
}


def _lib(t):
    return tinynn if isinstance(t, tinynn.Tensor) else torch


@needs_torch
@pytest.mark.parametrize("name", list(DIFFERENTIABLE))
def test_methods_match_torch(name):
    assert_matches_torch(DIFFERENTIABLE[name], DIFFERENTIABLE[name], rand(3, 4, seed=4))


@pytest.mark.parametrize("name", ["cov", "corrcoef", "nanmean", "inner", "diagflat", "sum_to_size", "t_ in graph"])
def test_methods_gradcheck(name):
    check_gradients(DIFFERENTIABLE[name], rand(3, 4, seed=4))


@needs_torch
def test_inplace_forms_keep_the_dtype_and_match_torch():
    x = rand(2, 3, seed=1)
    for method in ("cos_", "sin_", "tan_", "atan_", "ceil_", "trunc_", "frac_", "sign_", "erf_", "exp2_",
                   "expm1_", "log10_", "log1p_", "log2_", "square_", "negative_", "absolute_", "fix_"):
        ours, theirs = getattr(tinynn.tensor(np.abs(x)), method)(), getattr(torch.tensor(np.abs(x)), method)()
        assert_close(ours, theirs, what=method)
    for method in ("eq_", "lt_", "greater_equal_", "logical_and_"):
        ours = getattr(tinynn.tensor(x), method)(tinynn.tensor(x[::-1].copy()))
        theirs = getattr(torch.tensor(x), method)(torch.tensor(x[::-1].copy()))
        assert ours.dtype == tinynn.float64 and ours.tolist() == theirs.tolist()
    bits = np.array([3, 5, 12])
    for method in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        assert getattr(tinynn.tensor(bits), method)(tinynn.tensor(6)).tolist() == getattr(torch.tensor(bits), method)(torch.tensor(6)).tolist()
    assert tinynn.tensor(bits).bitwise_not().tolist() == torch.tensor(bits).bitwise_not().tolist()


def test_inplace_views_on_leaves_are_refused_and_change_shape_otherwise():
    w = tinynn.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.unsqueeze_(0)
    x = tinynn.arange(6.0).reshape(2, 3)
    memory = x.data_ptr()
    assert x.t_().shape == (3, 2) and x.unsqueeze_(0).shape == (1, 3, 2) and x.squeeze_().shape == (3, 2)
    assert x.data_ptr() == memory and x.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]


def test_flags_and_small_methods():
    x = tinynn.ones(2, 3)
    assert x.is_same_size(tinynn.zeros(2, 3)) and not x.is_same_size(tinynn.zeros(3, 2))
    assert x.ndimension() == 2 and x.get_device() == -1 and x.is_signed() and not tinynn.tensor([True]).is_signed()
    assert x.short().dtype == tinynn.int16 and x.char().dtype == tinynn.int8
    assert x.conj() is x and not x.is_complex() and x.isreal().all()
    assert tinynn.tensor([1.0, float("inf"), -float("inf")]).isposinf().tolist() == [False, True, False]
    with pytest.raises(RuntimeError, match="not expandable"):
        x.sum_to_size(2)
    assert x.sum_to_size(3).tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("fill, check", [
    (lambda t: t.exponential_(2.0), lambda a: a.min() >= 0 and abs(a.mean() - 0.5) < 0.03),
    (lambda t: t.geometric_(0.25), lambda a: a.min() >= 1 and abs(a.mean() - 4.0) < 0.2 and np.all(a == np.round(a))),
    (lambda t: t.log_normal_(0.0, 0.5), lambda a: a.min() > 0 and abs(np.log(a).mean()) < 0.03),
    (lambda t: t.cauchy_(1.0, 2.0), lambda a: abs(np.median(a) - 1.0) < 0.15),
    (lambda t: t.random_(3, 7), lambda a: set(np.unique(a)) == {3.0, 4.0, 5.0, 6.0}),
    (lambda t: t.random_(5), lambda a: set(np.unique(a)) == {0.0, 1.0, 2.0, 3.0, 4.0}),
])
def test_random_fills_draw_from_their_distributions(fill, check):
    tinynn.manual_seed(0)
    x = tinynn.empty(5000, dtype=tinynn.float64)
    assert fill(x) is x and check(x.numpy())
    assert x._version > 0


def test_random_fills_check_their_arguments():
    with pytest.raises(RuntimeError, match="lambda > 0"):
        tinynn.empty(3).exponential_(0.0)
    with pytest.raises(RuntimeError, match="p to be in"):
        tinynn.empty(3).geometric_(1.5)
    with pytest.raises(RuntimeError, match="'from' to be less than 'to'"):
        tinynn.empty(3).random_(5, 2)
    tinynn.manual_seed(1)
    assert set(tinynn.empty(200, dtype=tinynn.int64).random_(2).tolist()) == {0, 1}
    assert tinynn.full((100,), 0.5).bernoulli().sum().item() not in (0.0, 100.0)
