"""erf_array / erfc_array against the standard library's math.erf / math.erfc."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinynn.ops.special import erf_array, erfc_array

BOUNDARIES = [0.84375, 1.25, 1 / 0.35, 6.0, 28.0]
SPECIAL = [0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e-310, 2.0**-28, 1e-10, -1e-10, 0.25,
           math.inf, -math.inf, math.nan]
for b in BOUNDARIES:
    SPECIAL += [b, -b, np.nextafter(b, 0.0), np.nextafter(b, 10.0)]


def _points() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.concatenate([np.linspace(-7.0, 7.0, 100_001), rng.uniform(-7.0, 7.0, 100_000),
                           rng.standard_normal(20_000), np.array(SPECIAL)])


def _reference(fn, x: np.ndarray) -> np.ndarray:
    return np.array([fn(v) if not math.isnan(v) else math.nan for v in x.tolist()])


def _assert_close(got, want, rel, abs_tol):
    finite = np.isfinite(want)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(got[np.isinf(want)], want[np.isinf(want)])
    err = np.abs(got[finite] - want[finite])
    assert np.all(err <= rel * np.abs(want[finite]) + abs_tol), err.max()


def test_erf_matches_math_erf():
    x = _points()
    got, want = erf_array(x), _reference(math.erf, x)
    assert got.dtype == np.float64 and got.shape == x.shape
    _assert_close(got, want, rel=4e-16, abs_tol=1e-300)


def test_erfc_matches_math_erfc():
    x = np.concatenate([_points(), np.linspace(-30.0, 30.0, 20_001)])
    # fdlibm's erfc is good to a few ulp (math.erfc itself is off by up to 3 ulp here).
    _assert_close(erfc_array(x), _reference(math.erfc, x), rel=1e-15, abs_tol=1e-300)


def test_special_values_exact():
    x = np.array([0.0, -0.0, math.inf, -math.inf, math.nan, 6.0, -6.0, 100.0, -1e300])
    y = erf_array(x)
    np.testing.assert_array_equal(y, [0.0, -0.0, 1.0, -1.0, math.nan, 1.0, -1.0, 1.0, -1.0])
    assert np.signbit(y[1]) and not np.signbit(y[0])
    np.testing.assert_array_equal(erfc_array(x), [1, 1, 0, 2, math.nan, math.erfc(6.0), 2, 0, 2])
    assert erf_array(np.array([5e-324]))[0] == math.erf(5e-324)


def test_float32_input_returns_float32():
    x = np.concatenate([np.linspace(-7, 7, 50_001), SPECIAL]).astype(np.float32)
    y = erf_array(x)
    assert y.dtype == np.float32
    want = _reference(math.erf, x.astype(np.float64))
    _assert_close(y.astype(np.float64), want, rel=1e-7, abs_tol=1e-45)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtype_and_shape_preserved(dtype):
    x = np.linspace(-3, 3, 24, dtype=dtype).reshape(2, 3, 4)[:, ::2]  # non-contiguous
    y = erf_array(x)
    assert y.dtype == dtype and y.shape == x.shape
    np.testing.assert_allclose(y, _reference(math.erf, x.ravel().astype(float)).reshape(x.shape),
                               rtol=1e-3 if dtype == np.float16 else 1e-7)
    assert erf_array(np.array(0.5, dtype=dtype)).shape == ()


def test_empty_input():
    assert erf_array(np.zeros((0, 3))).shape == (0, 3)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=True), min_size=1, max_size=64))
def test_erf_is_odd_and_monotone(values):
    x = np.sort(np.array(values, dtype=np.float64))
    y = erf_array(x)
    np.testing.assert_array_equal(erf_array(-x), -y)
    assert np.all(np.diff(y) >= 0)
    assert np.all(np.abs(y) <= 1.0)
