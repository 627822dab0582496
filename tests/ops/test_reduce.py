"""Reductions (tinynn/ops/reduce.py): sum, mean, max/min, var/std, logsumexp, softmax, cumsum, norm."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch

# dim arguments over an input of shape (3, 3, 4): all, one, negative, a tuple, a negative tuple
DIMS = [None, 0, -1, (0, 2), (-1, -3), 1]
KEEPDIM = [False, True]


def _reduce_call(name, dim, keepdim, **kwargs):
    def call(t):
        if dim is None and not keepdim:
            return getattr(t, name)(**kwargs)
        return getattr(t, name)(dim=dim, keepdim=keepdim, **kwargs)

    return call


SMOOTH_REDUCTIONS = {"sum": {}, "mean": {}, "var": {}, "std": {}, "logsumexp": {}, "nansum": {},
                     "var_unbiased_false": {"unbiased": False}, "std_correction_2": {"correction": 2},
                     "var_correction_0": {"correction": 0}}


def _name(key):
    return key.split("_")[0]


@pytest.mark.parametrize("keepdim", KEEPDIM)
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("key", list(SMOOTH_REDUCTIONS))
def test_smooth_reduction_gradcheck(key, dim, keepdim):
    if key == "logsumexp" and dim is None:
        pytest.skip("logsumexp needs dim (as in PyTorch)")
    fn = _reduce_call(_name(key), dim, keepdim, **SMOOTH_REDUCTIONS[key])
    check_gradients(fn, rand(3, 3, 4, seed=1), fast_mode=True)


@needs_torch
@pytest.mark.parametrize("keepdim", KEEPDIM)
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("key", list(SMOOTH_REDUCTIONS) + ["amax", "amin", "norm"])
def test_reduction_matches_torch(key, dim, keepdim):
    if key == "logsumexp" and dim is None:
        pytest.skip("logsumexp needs dim (as in PyTorch)")
    fn = _reduce_call(_name(key), dim, keepdim, **SMOOTH_REDUCTIONS.get(key, {}))
    assert_matches_torch(fn, fn, rand(3, 3, 4, seed=2))  # every dim > 2: var's correction=2 is defined


@pytest.mark.parametrize("name", ["amax", "amin", "max", "min", "norm"])
def test_nonsmooth_reduction_gradcheck(name):
    x = rand(2, 3, 4, seed=3)  # distinct values: no ties, so the gradient is defined
    check_gradients(lambda t: getattr(t, name)(), x)
    if name in ("max", "min"):
        check_gradients(lambda t: getattr(t, name)(1).values, x)
    else:
        check_gradients(lambda t: getattr(t, name)(dim=(0, 2), keepdim=True), x)


# ---------------------------------------------------------------------------- sum / mean
def test_sum_and_mean_values():
    x = tinynn.arange(24).reshape(2, 3, 4)
    assert x.sum().item() == 276 and x.sum().dtype == tinynn.int64
    np.testing.assert_array_equal(x.sum((0, -1)).numpy(), np.arange(24).reshape(2, 3, 4).sum((0, 2)))
    assert x.sum(1, keepdim=True).shape == (2, 1, 4)
    np.testing.assert_allclose(x.float().mean(-1).numpy(), np.arange(24).reshape(2, 3, 4).mean(-1))
    assert tinynn.tensor([True, True, False]).sum().item() == 2
    assert tinynn.tensor([1, 2], dtype=tinynn.int32).sum().dtype == tinynn.int64
    assert x.sum(dtype=tinynn.float64).dtype == tinynn.float64
    assert x.mean(dtype=tinynn.float32).item() == 11.5


def test_mean_of_integers_raises():
    with pytest.raises(RuntimeError, match="floating point"):
        tinynn.arange(4).mean()


@pytest.mark.parametrize("dim", [3, -4, (0, 0)], ids=str)
def test_bad_dims_raise(dim):
    with pytest.raises((IndexError, RuntimeError), match="out of range|multiple times"):
        tinynn.ones(2, 3, 4).sum(dim)


def test_reduction_of_empty_dims_tuple_is_all():
    x = tinynn.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum(()).item() == 10.0  # PyTorch: an empty dim list reduces everything


@needs_torch
def test_nansum_matches_torch():
    x = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, 3.0]])
    assert_matches_torch(lambda t: t.nansum(), lambda t: t.nansum(), x)
    assert_matches_torch(lambda t: t.nansum(1), lambda t: t.nansum(1), x)


# ---------------------------------------------------------------------------- var / std
@needs_torch
@pytest.mark.parametrize("kwargs", [{}, {"unbiased": False}, {"unbiased": True}, {"correction": 0},
                                    {"correction": 2}, {"dim": 1, "unbiased": False}, {"dim": (0, 1)}],
                         ids=str)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_arguments_match_torch(name, kwargs):
    fn = lambda t: getattr(t, name)(**kwargs)  # noqa: E731
    assert_matches_torch(fn, fn, rand(3, 4, seed=4))


@needs_torch
def test_var_positional_unbiased_and_var_mean():
    x = rand(3, 4, seed=5)
    assert_matches_torch(lambda t: t.var(False), lambda t: t.var(False), x)  # the old var(input, unbiased)
    assert_matches_torch(lambda t: tinynn.var_mean(t, 1), lambda t: torch.var_mean(t, 1), x)
    assert_matches_torch(lambda t: tinynn.std_mean(t, 0, keepdim=True),
                         lambda t: torch.std_mean(t, 0, keepdim=True), x)


def test_var_mean_std_mean_gradcheck():
    check_gradients(lambda t: tinynn.var_mean(t, 1, correction=0), rand(3, 4, seed=13))
    check_gradients(lambda t: tinynn.std_mean(t, (0, 1), keepdim=True), rand(3, 4, seed=14))


def test_var_values_and_degenerate_count():
    x = tinynn.tensor([1.0, 2.0, 3.0, 4.0], dtype=tinynn.float64)
    assert x.var().item() == pytest.approx(5 / 3)
    assert x.var(unbiased=False).item() == pytest.approx(1.25)
    assert x.std(correction=0).item() == pytest.approx(math.sqrt(1.25))
    # n - correction <= 0: divided by max(n - correction, 0) = 0 as in PyTorch, with its warning:
    # inf where the sum of squares is positive, nan where it is 0
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert math.isnan(tinynn.tensor([2.0]).var().item())
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert tinynn.tensor([1.0, 2.0]).var(correction=2).item() == math.inf
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        row_std = tinynn.tensor([[1.0, 2.0], [3.0, 3.0]]).std(dim=1, correction=3).tolist()
    assert row_std[0] == math.inf and math.isnan(row_std[1])
    with pytest.raises(RuntimeError, match="either unbiased or correction"):
        x.var(unbiased=True, correction=1)
    with pytest.raises(RuntimeError, match="floating point"):
        tinynn.arange(3).var()


# ---------------------------------------------------------------------------- max / min / arg
def test_max_min_forms():
    x = tinynn.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    assert x.max().item() == 6.0 and x.min().item() == 1.0
    values, indices = x.max(1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 6.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 2])
    assert indices.dtype == tinynn.int64
    out = x.min(dim=0, keepdim=True)
    assert out.values.shape == (1, 3) and out.indices.shape == (1, 3)
    np.testing.assert_array_equal(out.indices.numpy(), [[0, 1, 0]])
    np.testing.assert_array_equal(x.max(-1).values.numpy(), [5.0, 6.0])
    np.testing.assert_array_equal(tinynn.max(x, tinynn.tensor([3.0, 3.0, 3.0])).numpy(), [[3, 5, 3], [4, 3, 6]])
    np.testing.assert_array_equal(tinynn.min(x, tinynn.tensor([3.0, 3.0, 3.0])).numpy(), [[1, 3, 3], [3, 2, 3]])


@needs_torch
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim, keepdim", [(0, False), (-1, True), (1, False)])
def test_max_min_with_dim_match_torch(name, dim, keepdim):
    fn = lambda t: getattr(t, name)(dim, keepdim)  # noqa: E731
    assert_matches_torch(fn, fn, rand(2, 3, 4, seed=6))


@needs_torch
@pytest.mark.parametrize("name", ["amax", "amin", "max", "min"])
def test_ties_share_the_gradient_like_torch(name):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, -1.0, 0.0]])
    fn_all = lambda t: getattr(t, name)()  # noqa: E731
    assert_matches_torch(fn_all, fn_all, x)
    if name in ("amax", "amin"):
        fn = lambda t: getattr(t, name)(1)  # noqa: E731
        assert_matches_torch(fn, fn, x)


def test_amax_ties_values():
    x = leaf([[1.0, 3.0, 3.0], [3.0, 0.0, 0.0]])
    x.amax().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1 / 3, 1 / 3], [1 / 3, 0, 0]])


def test_max_with_dim_gives_the_first_of_tied_indices():
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    values, indices = x.max(1)
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])


@needs_torch
@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": -1, "keepdim": True}, {"dim": None, "keepdim": True}],
                         ids=str)
def test_argmax_argmin_match_torch(name, kwargs):
    x = np.array([[1.0, 5.0, 5.0, 0.0], [7.0, -1.0, 7.0, -1.0], [2.0, 2.0, 2.0, 2.0]])  # ties: first index
    ours = getattr(tinynn.tensor(x), name)(**kwargs)
    theirs = getattr(torch.tensor(x), name)(**kwargs)
    assert ours.dtype == tinynn.int64
    assert_close(ours, theirs)


def test_empty_reductions_raise():
    with pytest.raises(RuntimeError, match="non-empty"):
        tinynn.zeros(0).max()
    with pytest.raises(IndexError, match="expected reduction dim to be specified"):  # PyTorch's IndexError
        tinynn.zeros(0, 3).argmax()
    with pytest.raises(IndexError, match="reduction dim 0 to have non-zero size"):
        tinynn.zeros(0, 3).amax(0)
    assert tinynn.zeros(0, 3).amax(1).shape == (0,)  # an empty result over a non-empty dim is fine


# ---------------------------------------------------------------------------- logsumexp / softmax
@needs_torch
@pytest.mark.parametrize("dim", [0, -1, (0, 1)], ids=str)
def test_logsumexp_large_and_infinite_inputs_match_torch(dim):
    x = np.array([[1e4, 1e4 - 1.0, -1e4], [-np.inf, 0.0, 1.0]])
    assert_matches_torch(lambda t: t.logsumexp(dim), lambda t: t.logsumexp(dim), x)


def test_logsumexp_of_all_minus_infinity_is_minus_infinity():
    out = tinynn.tensor([[-np.inf, -np.inf], [0.0, 0.0]]).logsumexp(1)
    np.testing.assert_allclose(out.numpy(), [-np.inf, np.log(2.0)], rtol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_gradcheck(name, dim):
    check_gradients(lambda t: getattr(t, name)(dim), rand(3, 1, 4, seed=7) if dim != 1 else rand(2, 3, seed=7))


@needs_torch
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_matches_torch_including_huge_inputs(name, dim):
    x = np.array([[1e4, 1e4 + 2.0, -1e4, 3.0], [0.5, -0.5, 1e4, 1e4]])
    fn = lambda t: getattr(t, name)(dim)  # noqa: E731
    assert_matches_torch(fn, fn, x)
    assert_matches_torch(fn, fn, rand(2, 3, 4, seed=8))


def test_softmax_of_huge_inputs_is_finite_in_float32():
    x = tinynn.tensor([[1e4, 1e4, -1e4]])
    np.testing.assert_allclose(x.softmax(-1).numpy(), [[0.5, 0.5, 0.0]])
    np.testing.assert_allclose(x.log_softmax(-1).numpy(), [[-np.log(2), -np.log(2), -2e4 - np.log(2)]], rtol=1e-6)


@needs_torch
def test_softmax_dtype_argument_and_integer_input():
    x = np.array([[1, 2, 3]])
    with pytest.raises(NotImplementedError, match="softmax: not implemented for int64"):  # as in PyTorch
        tinynn.tensor(x).softmax(-1)
    ours = tinynn.tensor(x).softmax(-1, dtype=tinynn.float64)
    theirs = torch.tensor(x).softmax(-1, dtype=torch.float64)
    assert ours.dtype == tinynn.float64
    assert_close(ours, theirs)
    with pytest.raises(TypeError, match="dim"):
        tinynn.tensor(x).softmax()


# ---------------------------------------------------------------------------- cumsum / norm
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_gradcheck(dim):
    check_gradients(lambda t: t.cumsum(dim), rand(2, 3, 4, seed=9))


@needs_torch
@pytest.mark.parametrize("dim", [0, -2, 2])
def test_cumsum_matches_torch(dim):
    assert_matches_torch(lambda t: t.cumsum(dim), lambda t: t.cumsum(dim), rand(2, 3, 4, seed=10))
    ints = tinynn.tensor([[1, 2], [3, 4]], dtype=tinynn.int32).cumsum(0)
    np.testing.assert_array_equal(ints.numpy(), [[1, 2], [4, 6]])
    assert tinynn.tensor([1, 2]).cumsum(0, dtype=tinynn.float64).dtype == tinynn.float64


NORMS = [(2, None, False), (2, 1, True), (1, None, False), (1, (0, 1), False), (math.inf, -1, False),
         (-math.inf, 0, False), (3, 1, False), (0.5, None, False), ("fro", None, False), ("fro", (0, 1), True)]


@needs_torch
@pytest.mark.parametrize("p, dim, keepdim", NORMS, ids=str)
def test_norm_matches_torch(p, dim, keepdim):
    fn = lambda t: t.norm(p, dim, keepdim)  # noqa: E731
    assert_matches_torch(fn, fn, rand(3, 4, seed=11))


@pytest.mark.parametrize("p, dim, keepdim", NORMS[:4] + NORMS[6:8], ids=str)
def test_norm_gradcheck(p, dim, keepdim):
    check_gradients(lambda t: t.norm(p, dim, keepdim), rand(3, 4, seed=12))


@needs_torch
def test_std_gradient_of_constant_data_is_zero_like_torch():
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])  # the first row has std 0
    assert_matches_torch(lambda t: t.std(1), lambda t: t.std(1), x)
    assert_matches_torch(lambda t: t.std(correction=0), lambda t: t.std(correction=0), np.full((2, 2), 3.0))


@needs_torch
@pytest.mark.parametrize("name", ["sum", "mean", "softmax", "log_softmax", "cumsum", "amax", "logsumexp", "std"])
def test_reductions_of_0d_tensors_match_torch(name):
    fn = (lambda t: getattr(t, name)(0)) if name != "std" else (lambda t: t.std(0, correction=0))
    assert_matches_torch(fn, fn, np.array(1.5))


@needs_torch
def test_norm_gradient_at_zero_is_zero_like_torch():
    x = np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]])
    assert_matches_torch(lambda t: t.norm(dim=1), lambda t: t.norm(dim=1), x)
    assert_matches_torch(lambda t: t.norm(), lambda t: t.norm(), np.zeros((2, 2)))
    z = leaf(np.zeros(3))
    z.norm().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0.0, 0.0, 0.0])


# ---------------------------------------------------------------------------- float16 accumulates in float32
def test_float16_reductions_accumulate_in_float32():
    ones = tinynn.ones(100, 1000, dtype=tinynn.float16)
    assert ones.mean().item() == 1.0 and ones.mean().dtype == tinynn.float16      # a float16 sum would be inf
    assert ones.mean(dim=1).tolist() == [1.0] * 100
    assert tinynn.ones(4096, dtype=tinynn.float16).cumsum(0)[-1].item() == 4096   # a float16 running sum stops at 2048
    big = tinynn.full((400,), 100.0, dtype=tinynn.float16)
    assert big.norm().item() == 2000.0                                             # the squares sum to 4e6 > 65504
    spread = tinynn.tensor(np.linspace(-300, 300, 1001), dtype=tinynn.float16)
    assert spread.std().item() == pytest.approx(np.linspace(-300, 300, 1001).std(ddof=1), rel=1e-3)
    assert spread.var(correction=0).dtype == tinynn.float16
    assert tinynn.logsumexp(tinynn.zeros(5000, dtype=tinynn.float16), 0).item() == pytest.approx(np.log(5000), rel=1e-3)
    assert tinynn.softmax(tinynn.zeros(70000, dtype=tinynn.float16), 0)[0].item() == pytest.approx(1 / 70000, rel=1e-2)


def test_float16_normalization_statistics_do_not_collapse():
    x = tinynn.tensor(np.random.default_rng(0).normal(2000, 100, (4, 3000)), dtype=tinynn.float16)
    y = tinynn.nn.LayerNorm(3000).half()(x)
    assert y.dtype == tinynn.float16
    np.testing.assert_allclose(y.detach().float().std(dim=1, correction=0).numpy(), 1.0, rtol=2e-3)
    bn = tinynn.nn.BatchNorm1d(3000).half()
    out = bn(x.T.contiguous().reshape(3000, 4).T.contiguous())
    assert out.dtype == tinynn.float16 and bn.running_mean.dtype == tinynn.float16
    assert float(out.detach().float().abs().max()) > 0.5                      # statistics in float32: not collapsed to 0
    assert bn.running_mean.float().mean().item() == pytest.approx(200.0, rel=0.02)   # 0.1 * the batch mean


@needs_torch
@pytest.mark.parametrize("name", ["sum", "mean", "std", "var", "norm", "cumsum", "logsumexp", "softmax"])
def test_float16_reductions_match_torch(name):
    values = np.random.default_rng(1).normal(5, 3, (8, 3000)).astype(np.float16)   # sums of squares > 65504
    call = {"cumsum": lambda lib, t: t.cumsum(1), "logsumexp": lambda lib, t: lib.logsumexp(t, 1),
            "softmax": lambda lib, t: lib.softmax(t / 10, 1), "norm": lambda lib, t: t.norm(dim=1)}.get(
        name, lambda lib, t: getattr(t, name)(dim=1))
    ours, theirs = call(tinynn, tinynn.tensor(values)), call(torch, torch.tensor(values))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64), rtol=2e-3, atol=1e-6)
