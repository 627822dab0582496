"""ops/tensor_math.py: NumPy's names for tinynn ops, so that one formula runs on arrays and on Tensors.

Each function gives NumPy's numbers on a Tensor, records a graph, and honours ``out=`` as the
in-place op on that Tensor; anything else for ``out=`` is refused.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck, gradgradcheck
from tinynn.ops import tensor_math

UNARY = ["exp", "expm1", "log", "log1p", "tanh", "abs"]


def _values():
    return np.array([[0.3, -1.2, 2.0], [-0.4, 0.9, 1.5]])


@pytest.mark.parametrize("name", UNARY)
def test_unary_functions_give_numpys_numbers_and_gradients(name):
    a = np.abs(_values()) + 0.1 if name.startswith("log") else _values()
    x = tinynn.tensor(a, requires_grad=True)
    np.testing.assert_allclose(getattr(tensor_math, name)(x).detach().numpy(), getattr(np, name)(a), rtol=1e-15)
    assert gradcheck(lambda t: getattr(tensor_math, name)(t), (x,))
    assert gradgradcheck(lambda t: getattr(tensor_math, name)(t), (x,))


@pytest.mark.parametrize("name", UNARY)
def test_out_is_the_in_place_op_on_that_tensor(name):
    a = np.abs(_values()) + 0.1 if name.startswith("log") else _values()
    x = tinynn.tensor(a, requires_grad=True)

    def f(t):
        work = t * 2.0              # a temporary of the formula's own
        result = getattr(tensor_math, name)(work, out=work)
        assert result is work       # written into the temporary, as NumPy's out= does
        return work

    np.testing.assert_allclose(f(x).detach().numpy(), getattr(np, name)(2.0 * a), rtol=1e-15)
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_out_must_be_the_input_itself():
    x, other = tinynn.tensor(_values()), tinynn.tensor(_values())
    with pytest.raises(ValueError, match="out= must be the input itself"):
        tensor_math.tanh(x, out=other)
    with pytest.raises(ValueError, match="out= must be the input itself"):
        tensor_math.clip(x, 0.0, 1.0, out=other)
    with pytest.raises(ValueError, match=r"subtract\(number, b, out=b\)"):
        tensor_math.subtract(x, other, out=other)


def test_minimum_maximum_clip_and_where_take_numbers_as_numpy_does():
    a = _values()
    x = tinynn.tensor(a, requires_grad=True)
    np.testing.assert_array_equal(tensor_math.minimum(x, 0).detach().numpy(), np.minimum(a, 0))
    np.testing.assert_array_equal(tensor_math.maximum(x, 0.5).detach().numpy(), np.maximum(a, 0.5))
    np.testing.assert_array_equal(tensor_math.minimum(x, x * 0.5).detach().numpy(), np.minimum(a, a * 0.5))
    np.testing.assert_array_equal(tensor_math.clip(x, -1.0, 1.0).detach().numpy(), np.clip(a, -1.0, 1.0))
    np.testing.assert_array_equal(tensor_math.where(x > 0, 1.0, x).detach().numpy(), np.where(a > 0, 1.0, a))
    assert gradcheck(lambda t: tensor_math.where(t > 0, t * t, tensor_math.minimum(t, 0)), (x,))


def test_clip_and_subtract_in_place():
    a = _values()
    x = tinynn.tensor(a, requires_grad=True)

    def f(t):
        work = t * 1.0
        tensor_math.clip(work, -1.0, 1.0, out=work)
        tensor_math.subtract(1, work, out=work)
        return work

    np.testing.assert_allclose(f(x).detach().numpy(), 1 - np.clip(a, -1.0, 1.0), rtol=1e-15)
    assert gradcheck(f, (x,))
    np.testing.assert_array_equal(tensor_math.subtract(x, 1.0).detach().numpy(), a - 1.0)
