"""Hyperbolic and inverse trigonometric functions (tinynn/ops/trig.py): gradients, PyTorch parity, dtypes."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

# name -> the domain the inputs are drawn from (kept inside where the derivative is finite)
DOMAINS = {
    "sinh": (-2.0, 2.0), "cosh": (-2.0, 2.0), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
    "asinh": (-3.0, 3.0), "acosh": (1.2, 4.0), "atanh": (-0.9, 0.9),
}
ALIASES = {"arcsin": "asin", "arccos": "acos", "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh"}


def _inputs(name, shape, seed=0):
    low, high = DOMAINS[ALIASES.get(name, name)]
    return np.asarray(rand(*shape, seed=seed, low=low, high=high))


@pytest.mark.parametrize("shape", [(2, 3), ()], ids=str)
@pytest.mark.parametrize("name", list(DOMAINS) + list(ALIASES))
def test_trig_gradcheck_and_gradgradcheck(name, shape):
    check_gradients(getattr(tinynn, name), _inputs(name, shape))


@needs_torch
@pytest.mark.parametrize("name", list(DOMAINS) + list(ALIASES))
def test_trig_matches_torch(name):
    assert_matches_torch(getattr(tinynn, name), getattr(torch, name), _inputs(name, (3, 4), seed=1))


@needs_torch
@pytest.mark.parametrize("name", list(DOMAINS))
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_trig_result_dtype_matches_torch(name, dtype):
    values = {"acosh": [1, 2, 3], "sinh": [0, 1, 2], "cosh": [0, 1, 2], "asinh": [0, 1, 2]}.get(name, [0, 0, 0])
    values = np.array(values).astype(dtype)
    ours, theirs = getattr(tinynn, name)(tinynn.tensor(values)), getattr(torch, name)(torch.tensor(values))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


@needs_torch
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns about the nan; PyTorch does not
def test_outside_the_domain_gives_nan_as_in_torch():
    x = np.array([2.0, -1.5, 1.0, -1.0, 0.5])
    for name in ("asin", "acos", "atanh", "acosh"):
        ours = getattr(tinynn, name)(tinynn.tensor(x)).numpy()
        theirs = getattr(torch, name)(torch.tensor(x)).numpy()
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=name)
        np.testing.assert_allclose(ours[~np.isnan(ours)], theirs[~np.isnan(theirs)], err_msg=name)


@pytest.mark.parametrize("name", list(DOMAINS) + list(ALIASES))
def test_method_and_inplace_method(name):
    x = tinynn.tensor(_inputs(name, (4,), seed=2))
    expected = getattr(tinynn, name)(x).numpy()
    np.testing.assert_array_equal(getattr(x, name)().numpy(), expected)
    y = x.clone()
    assert getattr(y, name + "_")() is y
    np.testing.assert_array_equal(y.numpy(), expected)


def test_values_at_known_points():
    x = tinynn.tensor([0.0, 0.5, 1.0], dtype=tinynn.float64)
    np.testing.assert_allclose(tinynn.asin(x).numpy(), [0.0, np.pi / 6, np.pi / 2])
    np.testing.assert_allclose(tinynn.acos(x).numpy(), [np.pi / 2, np.pi / 3, 0.0])
    np.testing.assert_allclose(tinynn.cosh(x).numpy() ** 2 - tinynn.sinh(x).numpy() ** 2, 1.0)
