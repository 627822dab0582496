"""i0, i0e, i1, i1e (tinynn/ops/bessel.py): gradients (each derivative is made of the others),
PyTorch parity of values and gradients, dtypes, special values. Value accuracy over wide ranges is
in tests/special/test_special.py."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.special as S
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

NAMES = ["i0", "i0e", "i1", "i1e"]


def _ours(name):
    return getattr(S, name)


def _theirs(name):
    return getattr(torch.special, name)


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck_and_gradgradcheck(name):
    # both branches of the evaluation (power series below |x| = 25, asymptotic above) and both signs
    x = np.array([-30.0, -3.1, -0.4, 0.7, 2.5, 24.0, 27.0])
    check_gradients(_ours(name), x)


@pytest.mark.parametrize("name", ["i1", "i1e"])
def test_derivative_at_zero_is_one_half(name):
    x = tinynn.tensor([0.0], dtype=tinynn.float64, requires_grad=True)
    _ours(name)(x).sum().backward()
    assert x.grad.item() == 0.5
    check_gradients(_ours(name), np.array([0.0]))  # the second derivative at 0 is finite too


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_values_and_gradients_match_torch(name):
    x = np.concatenate([rand(3, 4, seed=1) * 4, np.array([[0.0, 1e-8, -26.0, 40.0]])])
    assert_matches_torch(_ours(name), _theirs(name), x, rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "bool", "float32", "float64"])
def test_result_dtype_matches_torch(dtype):
    values = np.array([0, 1, 1]).astype(dtype)
    for name in NAMES:
        ours, theirs = _ours(name)(tinynn.tensor(values)), _theirs(name)(torch.tensor(values))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), name
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_known_values_and_symmetry():
    x = tinynn.tensor([0.0, 1.0, -1.0, 2.0], dtype=tinynn.float64)
    # I_0(1) = 1.2660658777520082, I_1(1) = 0.5651591039924851 (Abramowitz and Stegun, table 9.8)
    np.testing.assert_allclose(tinynn.i0(x).numpy(), [1.0, 1.2660658777520082, 1.2660658777520082, 2.2795853023360673],
                               rtol=1e-15)
    np.testing.assert_allclose(S.i1(x).numpy(), [0.0, 0.5651591039924851, -0.5651591039924851, 1.5906368546373291],
                               rtol=1e-15)
    np.testing.assert_allclose(S.i0e(x).numpy(), tinynn.i0(x).numpy() * np.exp(-np.abs(x.numpy())), rtol=1e-15)
    np.testing.assert_allclose(S.i1e(x).numpy(), S.i1(x).numpy() * np.exp(-np.abs(x.numpy())), rtol=1e-15)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_infinities_nan_and_overflow():
    x = tinynn.tensor([math.inf, -math.inf, math.nan, 712.0, 800.0], dtype=tinynn.float64)
    i0 = tinynn.i0(x).numpy()
    assert i0[0] == math.inf and i0[1] == math.inf and math.isnan(i0[2]) and i0[4] == math.inf
    assert np.isfinite(i0[3])  # I_0(712) = 1.3e307: e^712 alone would overflow
    np.testing.assert_array_equal(S.i1(x).numpy()[:2], [math.inf, -math.inf])
    np.testing.assert_array_equal(S.i0e(x).numpy()[:2], [0.0, 0.0])
    np.testing.assert_array_equal(S.i1e(x).numpy()[:2], [0.0, -0.0])


def test_method_inplace_and_errors():
    x = tinynn.tensor([0.5, -2.0])
    np.testing.assert_array_equal(x.i0().numpy(), tinynn.i0(x).numpy())
    y = x.clone()
    assert y.i0_() is y
    np.testing.assert_array_equal(y.numpy(), tinynn.i0(x).numpy())
    with pytest.raises(TypeError, match="must be a Tensor"):
        tinynn.i0([1.0, 2.0])
    with pytest.raises(RuntimeError, match="can't be cast"):
        tinynn.tensor([1, 2]).i0_()
