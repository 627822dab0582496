"""prod and cumprod (tinynn/ops/product.py): gradients with and without zeros, PyTorch parity, dtypes."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, needs_torch, rand, torch

# inputs: no zeros, one zero in a row, two zeros in a row (the gradient's hard cases)
NO_ZERO = rand(3, 4, seed=0, low=0.5, high=1.5) * np.array([1, -1, 1, 1])
ONE_ZERO = NO_ZERO.copy()
ONE_ZERO[1, 2] = 0.0
TWO_ZEROS = ONE_ZERO.copy()
TWO_ZEROS[1, 0] = 0.0
TWO_ZEROS[2, 3] = 0.0
INPUTS = {"no zero": NO_ZERO, "one zero": ONE_ZERO, "two zeros": TWO_ZEROS}

PROD_FORMS = {
    "all": (lambda lib: lambda t: lib.prod(t)),
    "dim 1": (lambda lib: lambda t: lib.prod(t, 1)),
    "dim 0 keepdim": (lambda lib: lambda t: lib.prod(t, 0, keepdim=True)),
    "dim -1 method": (lambda lib: lambda t: t.prod(dim=-1)),
}
CUMPROD_FORMS = {
    "dim 1": (lambda lib: lambda t: lib.cumprod(t, 1)),
    "dim 0": (lambda lib: lambda t: lib.cumprod(t, 0)),
    "dim -1 method": (lambda lib: lambda t: t.cumprod(-1)),
}


@pytest.mark.parametrize("inputs", list(INPUTS))
@pytest.mark.parametrize("form", list(PROD_FORMS))
def test_prod_gradcheck(form, inputs):
    check_gradients(PROD_FORMS[form](tinynn), INPUTS[inputs])


@pytest.mark.parametrize("inputs", list(INPUTS))
@pytest.mark.parametrize("form", list(CUMPROD_FORMS))
def test_cumprod_gradcheck(form, inputs):
    check_gradients(CUMPROD_FORMS[form](tinynn), INPUTS[inputs])


@needs_torch
@pytest.mark.parametrize("inputs", list(INPUTS))
@pytest.mark.parametrize("form", list(PROD_FORMS))
def test_prod_matches_torch(form, inputs):
    assert_matches_torch(PROD_FORMS[form](tinynn), PROD_FORMS[form](torch), INPUTS[inputs])


@needs_torch
@pytest.mark.parametrize("inputs", list(INPUTS))
@pytest.mark.parametrize("form", list(CUMPROD_FORMS))
def test_cumprod_matches_torch(form, inputs):
    assert_matches_torch(CUMPROD_FORMS[form](tinynn), CUMPROD_FORMS[form](torch), INPUTS[inputs])


@needs_torch
@pytest.mark.parametrize("inputs", list(INPUTS))
def test_second_derivatives_match_torch(inputs):
    """Hessian-vector products of prod and cumprod, zeros included, against PyTorch's."""
    x = INPUTS[inputs]
    weights = rand(3, 4, seed=9)
    results = []
    for lib in (tinynn, torch):
        t = lib.tensor(x, requires_grad=True)
        w = lib.tensor(weights)
        y = (lib.cumprod(t, 1) * w).sum() + lib.prod(t, 1).sum() + lib.prod(t)
        (g,) = lib.autograd.grad(y, t, create_graph=True)
        (h,) = lib.autograd.grad((g * w).sum(), t)
        results.append(h)
    assert_close(*results)


def test_prod_gradient_values_with_zeros():
    x = tinynn.tensor([2.0, 0.0, 3.0], dtype=tinynn.float64, requires_grad=True)
    tinynn.prod(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 6.0, 0.0])  # only the zero has a nonzero derivative


@needs_torch
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float32"])
def test_result_dtypes_match_torch(dtype):
    x = np.array([[1, 2, 0], [3, 1, 2]]).astype(dtype)
    cases = [(lambda lib, t: lib.prod(t)), (lambda lib, t: lib.prod(t, 1)), (lambda lib, t: lib.cumprod(t, 0)),
             (lambda lib, t: lib.prod(t, 0, dtype=lib.float64)), (lambda lib, t: lib.cumprod(t, 1, dtype=lib.float64))]
    for case in cases:
        ours, theirs = case(tinynn, tinynn.tensor(x)), case(torch, torch.tensor(x))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
def test_empty_and_zero_dim_inputs_match_torch():
    for shape, dim in [((2, 0), 1), ((0, 3), 0), ((), 0)]:
        x = np.ones(shape)
        assert_close(tinynn.prod(tinynn.tensor(x), dim), torch.prod(torch.tensor(x), dim))
        assert_close(tinynn.cumprod(tinynn.tensor(x), dim), torch.cumprod(torch.tensor(x), dim))
    assert_close(tinynn.prod(tinynn.ones(0)), torch.prod(torch.ones(0)))


def test_cumprod_inplace_and_errors():
    x = tinynn.tensor([1.0, 2.0, 3.0])
    assert x.cumprod_(0) is x
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 6.0])
    with pytest.raises(IndexError, match="dimension out of range"):
        tinynn.prod(tinynn.ones(2, 3), 2)
    with pytest.raises(TypeError, match="dim must be a single int"):
        tinynn.prod(tinynn.ones(2, 3), (0, 1))
