"""nan_to_num, signbit, frexp, ldexp, nextafter, float_power (tinynn/ops/floating_point.py): values,
dtypes and gradients against PyTorch, errors."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

INF, NAN = math.inf, math.nan


def test_gradchecks():
    x = rand(2, 3, seed=0)
    check_gradients(lambda t: tinynn.nan_to_num(t, nan=1.0), x)
    check_gradients(tinynn.ldexp, x, np.array([[1.0, -2.0, 0.0], [3.0, 1.0, -1.0]]))
    check_gradients(lambda t: tinynn.frexp(t).mantissa, x)
    check_gradients(tinynn.float_power, rand(2, 3, seed=1, low=0.5, high=2.0), rand(2, 3, seed=2))
    check_gradients(lambda t: tinynn.float_power(t, 3), x)
    check_gradients(lambda t: tinynn.float_power(2, t), x)


@needs_torch
def test_nan_to_num_matches_torch():
    x = np.array([NAN, INF, -INF, 1.5, -2.0])
    for kwargs in ({}, {"nan": 2.0, "posinf": 1.0}, {"neginf": -7.0}):
        assert_matches_torch(lambda t: tinynn.nan_to_num(t, **kwargs), lambda t: torch.nan_to_num(t, **kwargs), x)
    for dtype in ("float16", "float32"):
        ours = tinynn.nan_to_num(tinynn.tensor(x.astype(dtype)))
        theirs = torch.nan_to_num(torch.tensor(x.astype(dtype)))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ints = tinynn.tensor([1, -2])
    assert tinynn.nan_to_num(ints, nan=3.0).tolist() == [1, -2]
    y = tinynn.tensor([NAN, 1.0])
    assert y.nan_to_num_(nan=-1.0) is y and y.tolist() == [-1.0, 1.0]


@needs_torch
def test_signbit_frexp_match_torch():
    x = np.array([-0.0, 0.0, -1.5, 8.0, 0.3, -5.0, INF, -INF, NAN, 1e-310])
    np.testing.assert_array_equal(tinynn.signbit(tinynn.tensor(x)).numpy(), torch.signbit(torch.tensor(x)).numpy())
    assert tinynn.signbit(tinynn.tensor([1, -2, 0])).tolist() == [False, True, False]
    for dtype in ("float32", "float64"):
        ours, theirs = tinynn.frexp(tinynn.tensor(x.astype(dtype))), torch.frexp(torch.tensor(x.astype(dtype)))
        np.testing.assert_array_equal(ours.mantissa.numpy(), theirs.mantissa.numpy())
        np.testing.assert_array_equal(ours.exponent.numpy(), theirs.exponent.numpy())
        assert ours.exponent.dtype == np.int32 and ours.mantissa.dtype == np.dtype(dtype)
    assert_matches_torch(lambda t: tinynn.frexp(t)[0], lambda t: torch.frexp(t)[0], rand(5, seed=3) * 100)
    with pytest.raises(RuntimeError, match="only supports floating-point dtypes"):
        tinynn.frexp(tinynn.tensor([1, 2]))


@needs_torch
def test_ldexp_matches_torch():
    assert_matches_torch(tinynn.ldexp, torch.ldexp, rand(2, 3, seed=4), np.array([[2.0, -1.0, 0.0], [5.0, 1.0, -3.0]]))
    for x_dtype, e_dtype in (("float32", "int64"), ("int64", "int64"), ("float64", "int32")):
        x, e = np.array([1, 3]).astype(x_dtype), np.array([2, -1]).astype(e_dtype)
        ours, theirs = tinynn.ldexp(tinynn.tensor(x), tinynn.tensor(e)), torch.ldexp(torch.tensor(x), torch.tensor(e))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(TypeError, match="'other' must be a Tensor"):
        tinynn.ldexp(tinynn.ones(2), 2)


@needs_torch
def test_nextafter_matches_torch():
    a, b = np.array([1.0, 2.0, 0.0, -1.0]), np.array([2.0, 1.0, -1.0, -1.0])
    for dtype in ("float32", "float64"):
        ours = tinynn.nextafter(tinynn.tensor(a.astype(dtype)), tinynn.tensor(b.astype(dtype)))
        theirs = torch.nextafter(torch.tensor(a.astype(dtype)), torch.tensor(b.astype(dtype)))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert tinynn.nextafter(tinynn.tensor([1.0]), tinynn.tensor([2.0], dtype=tinynn.float64)).dtype == np.float64
    with pytest.raises(NotImplementedError, match="only floating-point"):
        tinynn.nextafter(tinynn.tensor([1]), tinynn.tensor([2]))


@needs_torch
def test_float_power_matches_torch():
    x = rand(2, 3, seed=5, low=0.5, high=2.0)
    y = rand(2, 3, seed=6)
    assert_matches_torch(tinynn.float_power, torch.float_power, x, y)
    cases = ((np.array([1, -2, 0]), 2), (2, np.array([1, -2, 0])), (np.array([1.5], dtype=np.float32), 2.5))
    for base, exponent in cases:
        ours = tinynn.float_power(*(tinynn.tensor(v) if isinstance(v, np.ndarray) else v for v in (base, exponent)))
        theirs = torch.float_power(*(torch.tensor(v) if isinstance(v, np.ndarray) else v for v in (base, exponent)))
        assert ours.dtype == np.float64
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)
    # the gradient reaches a float32 input in float32, as in PyTorch
    t = tinynn.tensor([1.5, 2.0], requires_grad=True)
    tinynn.float_power(t, 2).sum().backward()
    assert t.grad.dtype == np.float32 and t.grad.tolist() == [3.0, 4.0]


def test_float_power_inplace_needs_float64():
    x = tinynn.tensor([2.0, 3.0], dtype=tinynn.float64)
    assert x.float_power_(2) is x and x.tolist() == [4.0, 9.0]
    with pytest.raises(RuntimeError, match="the base given to float_power_ has dtype float32"):
        tinynn.tensor([2.0]).float_power_(2)
    with pytest.raises(TypeError, match="at least one Tensor"):
        tinynn.float_power(2, 3)
