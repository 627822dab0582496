"""erfinv (tinynn/ops/erfinv.py): round trips through erf, values against PyTorch, gradients."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, torch
from tinynn.ops.erfinv import erfinv_array
from tinynn.ops.special import erf_array, erfc_array


def test_round_trip_through_erf():
    y = np.linspace(-1, 1, 20_001)[1:-1]
    np.testing.assert_allclose(erf_array(erfinv_array(y)), y, rtol=0, atol=3e-16)
    x = np.linspace(-2.0, 2.0, 4001)    # where erf is well conditioned, x comes back too
    np.testing.assert_allclose(erfinv_array(erf_array(x)), x, rtol=1e-13, atol=1e-15)
    # near y = 1 the information is in 1 - y (exact in float64 there): erfc(erfinv(y)) gives it back
    y = 1.0 - np.logspace(-16, -1, 500)
    np.testing.assert_allclose(erfc_array(erfinv_array(y)), 1.0 - y, rtol=1e-13)


def test_special_values():
    y = np.array([0.0, -0.0, 1.0, -1.0, 1.5, -2.0, math.nan, 1e-300])
    got = erfinv_array(y)
    np.testing.assert_array_equal(got[:7], [0.0, -0.0, math.inf, -math.inf, math.nan, math.nan, math.nan])
    assert np.signbit(got[1])
    np.testing.assert_allclose(got[7], math.sqrt(math.pi) / 2 * 1e-300, rtol=1e-15)


@needs_torch
def test_values_match_torch():
    y = np.concatenate([np.linspace(-1, 1, 4001), 1 - np.logspace(-16, -1, 100), np.logspace(-300, -1, 50)])
    want = torch.erfinv(torch.tensor(y)).numpy()
    finite = np.isfinite(want)
    np.testing.assert_allclose(erfinv_array(y)[finite], want[finite], rtol=1e-14, atol=1e-300)
    y32 = np.linspace(-0.999, 0.999, 999).astype(np.float32)
    got = erfinv_array(y32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, torch.erfinv(torch.tensor(y32)).numpy(), rtol=2e-6)


@needs_torch
def test_function_and_gradient_match_torch():
    y = np.array([-0.95, -0.3, 0.0, 0.4, 0.999])
    assert_matches_torch(tinynn.erfinv, torch.erfinv, y)
    assert_matches_torch(lambda t: t.erfinv(), lambda t: t.erfinv(), y)


def test_gradcheck():
    check_gradients(tinynn.erfinv, np.array([-0.9, -0.3, 0.05, 0.5, 0.97]))


def test_integer_input_and_errors():
    out = tinynn.erfinv(tinynn.tensor([0, 1]))
    assert out.dtype == tinynn.float32 and out.numpy()[1] == math.inf
    with pytest.raises(TypeError, match="must be a Tensor"):
        tinynn.erfinv(0.5)
