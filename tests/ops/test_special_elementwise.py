"""logit, xlogy, xlog1py, entr, sinc, mvlgamma (tinynn/ops/special_elementwise.py): gradients,
PyTorch parity (values and gradients), the 0 log 0 = 0 convention, dtypes, methods and errors."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.special as S
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch


def test_logit_gradcheck_with_and_without_eps():
    p = rand(2, 3, seed=0, low=0.05, high=0.95)
    check_gradients(tinynn.logit, p)
    p[0, 0], p[1, 2] = 0.01, 0.995  # clamped by eps = 0.02: there the gradient is 0
    check_gradients(lambda t: tinynn.logit(t, eps=0.02), p)


@needs_torch
@pytest.mark.parametrize("eps", [None, 0.1])
def test_logit_matches_torch(eps):
    p = np.array([[0.05, 0.3, 0.5], [0.7, 0.93, 0.99]])
    assert_matches_torch(lambda t: tinynn.logit(t, eps), lambda t: torch.logit(t, eps), p, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_logit_outside_the_unit_interval():
    p = tinynn.tensor([0.0, 1.0, 1.2, -0.1], dtype=tinynn.float64)
    np.testing.assert_array_equal(tinynn.logit(p).numpy(), [-math.inf, math.inf, math.nan, math.nan])
    np.testing.assert_allclose(tinynn.logit(p, eps=0.1).numpy(), [-math.log(9), math.log(9), math.log(9), -math.log(9)])


@pytest.mark.parametrize("fn", [tinynn.xlogy, S.xlog1py], ids=["xlogy", "xlog1py"])
def test_xlogy_gradcheck_both_inputs(fn):
    check_gradients(fn, rand(2, 3, seed=1), rand(2, 3, seed=2, low=0.2, high=3.0))
    check_gradients(fn, rand(2, 1, seed=3), rand(3, seed=4, low=0.2, high=3.0))  # broadcasting
    check_gradients(lambda y: fn(2.5, y), rand(4, seed=5, low=0.2, high=3.0))    # a number as x
    check_gradients(lambda x: fn(x, 1.5), rand(4, seed=6))                       # a number as y


@needs_torch
@pytest.mark.parametrize("name", ["xlogy", "xlog1py"])
def test_xlogy_matches_torch_including_zeros(name):
    ours, theirs = getattr(S, name), getattr(torch.special, name)
    x = np.array([[0.0, 0.0, 1.5, -2.0], [0.0, 0.7, 0.0, 3.0]])
    y = np.array([[0.0, 2.0, 0.5, 4.0], [-0.5, 1.2, 0.3, 0.1]])
    if name == "xlog1py":
        y = y - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        assert_matches_torch(ours, theirs, x, y, rtol=1e-12)
    assert_matches_torch(lambda t: ours(3.0, t), lambda t: theirs(3.0, t), np.abs(y) + 0.5, rtol=1e-12)
    assert_matches_torch(lambda t: ours(t, 3.0), lambda t: theirs(t, 3.0), x, rtol=1e-12)


def test_xlogy_zero_times_log_zero_is_zero_but_nan_stays():
    x = tinynn.tensor([0.0, 0.0, 0.0, 2.0], dtype=tinynn.float64)
    y = tinynn.tensor([0.0, math.nan, -1.0, math.e], dtype=tinynn.float64)
    np.testing.assert_array_equal(tinynn.xlogy(x, y).numpy(), [0.0, math.nan, 0.0, 2.0])
    np.testing.assert_array_equal(S.xlog1py(x, y - 1).numpy(), [0.0, math.nan, 0.0, 2.0])


def test_entr_and_sinc_gradcheck():
    check_gradients(S.entr, rand(2, 3, seed=7, low=0.1, high=2.0))
    check_gradients(tinynn.sinc, np.array([-2.3, -0.4, 0.3, 1.0, 1.7]))


@needs_torch
def test_entr_and_sinc_match_torch():
    assert_matches_torch(S.entr, torch.special.entr, rand(3, 4, seed=8, low=0.05, high=3.0), rtol=1e-12)
    assert_matches_torch(tinynn.sinc, torch.sinc, np.array([[-2.3, -0.4, 0.0], [0.3, 1.0, 1e-9]]), rtol=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_entr_special_values():
    x = tinynn.tensor([0.0, -1.0, math.inf, math.nan, 1.0], dtype=tinynn.float64)
    np.testing.assert_array_equal(S.entr(x).numpy(), [0.0, -math.inf, -math.inf, math.nan, -0.0])


def test_mvlgamma_gradcheck():
    for p in (1, 3):
        check_gradients(lambda t: tinynn.mvlgamma(t, p), rand(2, 3, seed=9, low=1.6, high=5.0))


@needs_torch
@pytest.mark.parametrize("p", [1, 2, 4])
def test_mvlgamma_matches_torch(p):
    x = rand(2, 3, seed=10, low=2.0, high=9.0)
    assert_matches_torch(lambda t: t.mvlgamma(p), lambda t: t.mvlgamma(p), x, rtol=1e-12)
    assert_matches_torch(lambda t: S.multigammaln(t, p), lambda t: torch.special.multigammaln(t, p), x, rtol=1e-12)


def test_mvlgamma_of_dimension_one_is_lgamma():
    x = tinynn.tensor([0.5, 3.0, 7.25], dtype=tinynn.float64)
    np.testing.assert_allclose(tinynn.mvlgamma(x, 1).numpy(), [math.lgamma(v) for v in (0.5, 3.0, 7.25)], rtol=1e-14)
    # Gamma_2(x) = sqrt(pi) Gamma(x) Gamma(x - 1/2)
    want = [0.5 * math.log(math.pi) + math.lgamma(v) + math.lgamma(v - 0.5) for v in (3.0, 7.25)]
    np.testing.assert_allclose(tinynn.mvlgamma(x[1:], 2).numpy(), want, rtol=1e-14)


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "bool", "float32", "float64"])
def test_result_dtypes_match_torch(dtype):
    values = np.array([1, 1, 0]).astype(dtype)
    a, b = tinynn.tensor(values), torch.tensor(values)
    pairs = [(tinynn.logit(a, 0.1), torch.logit(b, 0.1)), (tinynn.sinc(a), torch.sinc(b)),
             (S.entr(a), torch.special.entr(b)), (tinynn.xlogy(a, a), torch.xlogy(b, b)),
             (S.xlog1py(a, 2.0), torch.special.xlog1py(b, 2.0))]
    if dtype != "bool":
        pairs.append((tinynn.mvlgamma(a + 2, 2), torch.mvlgamma(b + 2, 2)))
    for ours, theirs in pairs:
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_methods_inplace_and_errors():
    x = tinynn.tensor([0.2, 0.6], dtype=tinynn.float64)
    for name, call in [("logit", lambda t: t.logit()), ("sinc", lambda t: t.sinc()),
                       ("xlogy", lambda t: t.xlogy(3.0)), ("mvlgamma", lambda t: t.mvlgamma(1))]:
        y = x.clone()
        assert getattr(y, name + "_")(*([3.0] if name == "xlogy" else [1] if name == "mvlgamma" else [])) is y
        np.testing.assert_array_equal(y.numpy(), call(x).numpy())
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        tinynn.mvlgamma(x, 0)
    with pytest.raises(TypeError, match="must be an int"):
        tinynn.mvlgamma(x, 1.5)
    with pytest.raises(TypeError, match="at least one Tensor"):
        tinynn.xlogy(1.0, 2.0)
    with pytest.raises(RuntimeError, match="do not broadcast"):
        tinynn.xlogy(tinynn.ones(2), tinynn.ones(3))
    with pytest.raises(TypeError, match="must be a Tensor"):
        tinynn.logit([0.5])
