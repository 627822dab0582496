"""erfc, ndtr, log_ndtr, ndtri (tinynn/ops/normal_cdf.py): gradients, PyTorch parity of values and
gradients, the far tails, special values and dtypes."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.special as S
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

FUNCTIONS = {"erfc": (tinynn.erfc, "erfc"), "ndtr": (S.ndtr, "ndtr"), "log_ndtr": (S.log_ndtr, "log_ndtr")}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_gradcheck_and_gradgradcheck(name):
    x = np.array([-25.0, -5.0, -1.2, -0.3, 0.0, 0.8, 3.0])
    check_gradients(FUNCTIONS[name][0], x)


def test_ndtri_gradcheck_and_gradgradcheck():
    check_gradients(S.ndtri, np.array([1e-12, 1e-3, 0.2, 0.5, 0.77, 0.999]))


@needs_torch
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_matches_torch(name):
    x = np.concatenate([rand(2, 5, seed=3) * 3, np.array([[-30.0, -12.0, 0.0, 6.0, 40.0]])])
    if name == "ndtr":  # PyTorch's ndtr is (1 + erf(x / sqrt 2)) / 2: it loses the lower tail (below)
        x = np.abs(x) - 2.0
    assert_matches_torch(FUNCTIONS[name][0], getattr(torch.special, FUNCTIONS[name][1]), x, rtol=1e-12, atol=1e-300)


def test_ndtr_keeps_relative_precision_in_the_lower_tail():
    # tinynn computes erfc(-x / sqrt 2) / 2; PyTorch's 1 + erf(...) rounds to 0 below x = -8.3
    x = np.array([-3.0, -7.7, -12.0, -30.0, -37.0])
    want = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(S.ndtr(tinynn.tensor(x)).numpy(), want, rtol=1e-12)  # condition number ~ x^2


@needs_torch
def test_ndtri_matches_torch():
    p = np.array([[1e-300, 1e-20, 1e-5, 0.01, 0.2], [0.25, 0.5, 0.75, 0.9, 1 - 1e-12]])
    assert_matches_torch(S.ndtri, torch.special.ndtri, p, rtol=1e-12)


def test_ndtr_and_ndtri_are_inverse_and_symmetric():
    p = np.concatenate([np.logspace(-300, -1, 50), np.linspace(0.01, 0.99, 99)])
    x = S.ndtri(tinynn.tensor(p)).numpy()
    # Phi's relative condition number is about x^2: 1e-13 relative error at x = -33
    np.testing.assert_allclose(S.ndtr(tinynn.tensor(x[p > 1e-250])).numpy(), p[p > 1e-250], rtol=2e-12)
    np.testing.assert_allclose(np.exp(S.log_ndtr(tinynn.tensor(x)).numpy()), p, rtol=1e-12)
    np.testing.assert_allclose(S.ndtri(tinynn.tensor(1 - p[p > 1e-3])).numpy(), -x[p > 1e-3], rtol=1e-12)


def test_log_ndtr_far_tail_stays_finite():
    x = np.array([-40.0, -1e3, -1e10])
    got = S.log_ndtr(tinynn.tensor(x)).numpy()
    # log Phi(x) = -x^2/2 - log(-x) - log(2 pi)/2 + log(1 - 1/x^2 + ...)
    s = -1 / x**2 + 3 / x**4 - 15 / x**6 + 105 / x**8 - 945 / x**10
    want = -x**2 / 2 - np.log(-x) - 0.5 * math.log(2 * math.pi) + np.log1p(s)
    np.testing.assert_allclose(got, want, rtol=1e-15)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_special_values():
    x = tinynn.tensor([-math.inf, math.inf, math.nan], dtype=tinynn.float64)
    np.testing.assert_array_equal(S.ndtr(x).numpy(), [0.0, 1.0, math.nan])
    np.testing.assert_array_equal(S.log_ndtr(x).numpy(), [-math.inf, 0.0, math.nan])
    np.testing.assert_array_equal(tinynn.erfc(x).numpy(), [2.0, 0.0, math.nan])
    p = tinynn.tensor([0.0, 1.0, -0.1, 1.1, math.nan, 0.5], dtype=tinynn.float64)
    np.testing.assert_array_equal(S.ndtri(p).numpy(), [-math.inf, math.inf, math.nan, math.nan, math.nan, 0.0])


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_result_dtypes_match_torch(dtype):
    values = np.array([0, 1, 0]).astype(dtype)
    for name, (ours, theirs) in {**FUNCTIONS, "ndtri": (S.ndtri, "ndtri")}.items():
        a, b = ours(tinynn.tensor(values)), getattr(torch.special, theirs)(torch.tensor(values))
        assert str(a.dtype) == str(b.dtype).replace("torch.", ""), name
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_erfc_method_inplace_and_errors():
    x = tinynn.tensor([0.5, -2.0])
    np.testing.assert_array_equal(x.erfc().numpy(), tinynn.erfc(x).numpy())
    y = x.clone()
    assert y.erfc_() is y
    np.testing.assert_array_equal(y.numpy(), tinynn.erfc(x).numpy())
    with pytest.raises(TypeError, match="must be a Tensor"):
        S.ndtri(0.5)
