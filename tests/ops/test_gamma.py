"""lgamma, digamma, polygamma (tinynn/ops/gamma.py): values against PyTorch and against exact
identities, float64 gradient checks (each derivative is the next function), dtypes and errors."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, leaf, needs_torch, torch
from tinynn.ops.gamma import lgamma_array, polygamma_array


def _grid() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.concatenate([rng.uniform(0.0, 30.0, 400), rng.uniform(-30.0, 0.0, 400),
                           np.logspace(-300, 3, 60), -np.logspace(-6, 8, 40) - 0.25])


def _assert_close(got, want, rel):
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(got[np.isinf(want)], want[np.isinf(want)])
    finite = np.isfinite(want)
    err = np.abs(got[finite] - want[finite])
    assert np.all(err <= rel * np.maximum(np.abs(want[finite]), 1.0)), err.max()


def test_lgamma_exact_values():
    # Gamma(n) = (n-1)!, Gamma(1/2) = sqrt(pi), Gamma(-1/2) = -2 sqrt(pi)
    x = np.array([1.0, 2.0, 3.0, 5.0, 11.0, 0.5, -0.5, 1e-300, 171.5])
    want = [0.0, 0.0, math.log(2), math.log(24), math.log(3628800), 0.5 * math.log(math.pi),
            math.log(2 * math.sqrt(math.pi)), 690.7755278982137, math.lgamma(171.5)]
    np.testing.assert_allclose(lgamma_array(x), want, rtol=2e-15, atol=4e-15)


def test_lgamma_matches_math_lgamma():
    x = _grid()
    want = np.array([math.lgamma(v) for v in x.tolist()])
    _assert_close(lgamma_array(x), want, rel=1e-14)


def test_digamma_exact_values_and_recurrence():
    euler = 0.5772156649015329
    np.testing.assert_allclose(polygamma_array(0, np.array([1.0, 0.5, 2.0])),
                               [-euler, -euler - 2 * math.log(2), 1 - euler], rtol=1e-15)
    x = _grid()
    x = x[np.abs(x - np.round(x)) > 1e-3]            # psi(x + 1) = psi(x) + 1/x away from the poles
    _assert_close(polygamma_array(0, x + 1), polygamma_array(0, x) + 1 / x, rel=1e-12)


def test_trigamma_exact_values():
    np.testing.assert_allclose(polygamma_array(1, np.array([1.0, 0.5])), [math.pi**2 / 6, math.pi**2 / 2],
                               rtol=1e-15)
    np.testing.assert_allclose(polygamma_array(2, np.array([1.0])), [-2 * 1.2020569031595942], rtol=1e-15)


def test_poles_and_special_values():
    x = np.array([0.0, -0.0, -1.0, -2.0, math.inf, -math.inf, math.nan])
    np.testing.assert_array_equal(lgamma_array(x), [math.inf] * 6 + [math.nan])
    np.testing.assert_array_equal(polygamma_array(0, x), [-math.inf, math.inf, math.nan, math.nan, math.inf,
                                                          math.nan, math.nan])
    np.testing.assert_array_equal(polygamma_array(1, x[:5]), [math.inf] * 4 + [0.0])
    np.testing.assert_array_equal(polygamma_array(2, x[:4]), [-math.inf] * 4)


@needs_torch
def test_values_match_torch():
    x = _grid()
    tx = torch.tensor(x)
    _assert_close(lgamma_array(x), torch.lgamma(tx).numpy(), rel=1e-13)
    _assert_close(polygamma_array(0, x), torch.digamma(tx).numpy(), rel=1e-12)
    small = x[(x > -30) & (np.abs(x - np.round(x)) > 1e-3)]
    for n in (1, 2, 3):  # PyTorch's trigamma is good to about 1e-9 relative
        _assert_close(polygamma_array(n, small), torch.polygamma(n, torch.tensor(small)).numpy(), rel=1e-8)


@needs_torch
def test_functions_and_gradients_match_torch():
    x = np.array([0.3, 1.7, 4.2, 12.5, -0.4, -2.7])
    assert_matches_torch(lambda t: (tinynn.lgamma(t), tinynn.digamma(t), tinynn.polygamma(1, t), t.polygamma(2)),
                         lambda t: (torch.lgamma(t), torch.digamma(t), torch.polygamma(1, t), t.polygamma(2)),
                         x, rtol=1e-8)


def test_gradcheck():
    x = np.array([0.3, 1.7, 4.2, 12.5, -0.4, -2.7])
    check_gradients(tinynn.lgamma, x)
    check_gradients(tinynn.digamma, x)
    check_gradients(lambda t: tinynn.polygamma(2, t), x)
    check_gradients(lambda t: t.lgamma() * t.digamma(), x)


def test_dtypes():
    assert tinynn.lgamma(tinynn.tensor([1.5], dtype=tinynn.float32)).dtype == tinynn.float32
    out = tinynn.digamma(tinynn.tensor([1, 2]))
    assert out.dtype == tinynn.float32
    np.testing.assert_allclose(out.numpy(), [-0.5772157, 0.4227843], rtol=1e-6)
    assert tinynn.polygamma(1, leaf([2.0])).dtype == tinynn.float64


def test_errors():
    with pytest.raises(RuntimeError, match="negative n"):
        tinynn.polygamma(-1, tinynn.tensor([1.0]))
    with pytest.raises(TypeError, match="'n' must be an int"):
        tinynn.polygamma(1.5, tinynn.tensor([1.0]))
    with pytest.raises(TypeError, match="must be a Tensor"):
        tinynn.lgamma([1.0, 2.0])
