"""Rounded division (tinynn/ops/division.py): floor_divide, div(rounding_mode=...), remainder, fmod."""
import numpy as np
import pytest

import tinynn
from tinynn.dtypes import DTypeNotImplementedError
from tests.helpers import assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch

# values away from the jumps of floor(x / y), so that finite differences see the smooth pieces
X = np.array([[2.3, -1.7, 0.4], [5.2, -3.9, 1.1]])
Y = np.array([[0.9, 1.3, -0.7], [-1.6, 2.2, 0.45]])
SPECIAL_X = np.array([np.inf, -np.inf, 1e-300, -2.5, 3.0, np.nan, 0.0, -0.0])
SPECIAL_Y = np.array([2.0, 40.0, -np.inf, -0.0, np.inf, 1.0, -3.0, 2.0])


@pytest.mark.parametrize("name", ["remainder", "fmod"])
def test_remainder_gradcheck(name):
    check_gradients(lambda x, y: getattr(tinynn, name)(x, y), X, Y)
    check_gradients(lambda x: getattr(tinynn, name)(x, 0.75), X)
    check_gradients(lambda y: getattr(tinynn, name)(2.5, y), Y, second_order=False)


@pytest.mark.parametrize("fn", [lambda x, y: x // y, lambda x, y: tinynn.div(x, y, rounding_mode="trunc")],
                         ids=["floor", "trunc"])
def test_rounded_quotients_have_derivative_zero(fn):
    x, y = leaf(X), leaf(Y)
    fn(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)
    np.testing.assert_array_equal(y.grad.numpy(), 0.0)
    check_gradients(fn, X, Y)


@needs_torch
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf - inf and friends, on purpose
@pytest.mark.parametrize("name", ["remainder", "fmod"])
def test_remainder_matches_torch_at_infinities_and_signed_zeros(name):
    assert_matches_torch(lambda x, y: getattr(tinynn, name)(x, y), lambda x, y: getattr(torch, name)(x, y),
                         SPECIAL_X, SPECIAL_Y)


@needs_torch
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_rounded_quotient_values_match_torch(mode):
    """inf // 2 is nan and 1e-300 // -inf is -1 (Python's and PyTorch's floor division, not floor(x / y))."""
    assert_matches_torch(lambda x, y: tinynn.div(x, y, rounding_mode=mode),
                         lambda x, y: torch.div(x, y, rounding_mode=mode), SPECIAL_X, SPECIAL_Y)


def test_integer_division_stays_integer_and_refuses_zero():
    a, b = tinynn.tensor([7, -7]), tinynn.tensor([2, 2])
    assert (a // b).tolist() == [3, -4] and (a % b).tolist() == [1, 1] and tinynn.fmod(a, b).tolist() == [1, -1]
    assert tinynn.div(a, b, rounding_mode="trunc").tolist() == [3, -3]
    with pytest.raises(RuntimeError, match="ZeroDivisionError: integer floor_divide by zero"):
        a // tinynn.tensor([1, 0])


@pytest.mark.parametrize("fn", [lambda a, b: a // b, lambda a, b: a % b, lambda a, b: tinynn.fmod(a, b)],
                         ids=["floor_divide", "remainder", "fmod"])
def test_two_bool_tensors_are_refused(fn):
    flags = tinynn.tensor([True, False])
    with pytest.raises(DTypeNotImplementedError, match="not implemented for bool tensors"):
        fn(flags, flags)


def test_remainder_result_dtypes_follow_promotion():
    assert (tinynn.ones(2, dtype=tinynn.float32) % 2.5).dtype == tinynn.float32
    assert (tinynn.tensor([3, 4]) % 2.5).dtype == tinynn.float32
    assert tinynn.fmod(tinynn.tensor([3, 4], dtype=tinynn.int32), tinynn.tensor([2])).dtype == tinynn.int64
    assert tinynn.remainder(leaf(rand(3, seed=1)), leaf(rand(3, seed=2))).dtype == tinynn.float64
