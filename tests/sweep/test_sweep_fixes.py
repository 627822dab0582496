"""The behaviours the differential sweep made tinynn match, checked without PyTorch: the errors
say what was expected and what came, and the values are PyTorch's (written out here)."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.nn.functional as F
from tinynn.dtypes import DTypeNotImplementedError
from tests.helpers import leaf

NAN = float("nan")


def flags():
    return tinynn.tensor([True, False])


# --------------------------------------------------------------------------- refused dtypes
@pytest.mark.parametrize("call, message", [
    (lambda: tinynn.abs(flags()), "abs: not implemented for bool"),
    (lambda: tinynn.floor(flags()), "floor: not implemented for bool"),
    (lambda: tinynn.frac(tinynn.tensor([1, 2])), "frac: not implemented for int64"),
    (lambda: tinynn.round(tinynn.tensor([1, 2]), decimals=1), r"round\(decimals=1\): not implemented for int64"),
    (lambda: flags() ** flags(), "pow: not implemented for bool"),
    (lambda: flags() << flags(), "bitwise_left_shift: not implemented for bool"),
    (lambda: tinynn.hypot(tinynn.tensor([1]), tinynn.tensor([2])), "hypot: not implemented for int64"),
    (lambda: tinynn.ones(2) & tinynn.ones(2), "the operator &: not implemented for float32"),
    (lambda: tinynn.tensor([1, 2]).softmax(0), "softmax: not implemented for int64"),
    (lambda: F.gelu(tinynn.tensor([1, 2])), "gelu: not implemented for int64"),
    (lambda: F.hardshrink(tinynn.tensor([1, 2])), "hardshrink: not implemented for int64"),
    (lambda: tinynn.matmul(flags(), flags()), "matmul: not implemented for bool"),
])
def test_dtypes_without_meaning_are_refused_as_in_pytorch(call, message):
    """PyTorch's NotImplementedError ("... not implemented for 'Bool'"); also a TypeError."""
    with pytest.raises(DTypeNotImplementedError, match=message) as caught:
        call()
    assert isinstance(caught.value, NotImplementedError) and isinstance(caught.value, TypeError)


@pytest.mark.parametrize("call, error, message", [
    (lambda: tinynn.relu(flags()), RuntimeError, "relu: Boolean inputs not supported"),
    (lambda: +flags(), RuntimeError, "positive"),
    (lambda: tinynn.argmax(flags()), RuntimeError, "does not support bool"),
    (lambda: tinynn.norm(tinynn.tensor([3, 4])), RuntimeError, "norm: expected a floating point tensor, got int64"),
    (lambda: tinynn.where(tinynn.tensor([1, 0]), 1.0, 0.0), RuntimeError, "condition to be a bool tensor, got int64"),
    (lambda: tinynn.isclose(tinynn.ones(2), tinynn.ones(2, dtype=tinynn.float64)), RuntimeError,
     "same dtype, got float32 and float64"),
    (lambda: tinynn.ones(2, 3) @ tinynn.ones(3, dtype=tinynn.float64), RuntimeError,
     "matmul: expected operands of the same dtype, got float32 and float64"),
    (lambda: tinynn.einsum("i,i", tinynn.ones(2), tinynn.ones(2, dtype=tinynn.float64)), RuntimeError,
     "einsum: expected operands of the same dtype"),
    (lambda: tinynn.lerp(tinynn.ones(2), tinynn.ones(2, dtype=tinynn.float64), 0.5), RuntimeError,
     "lerp: expected dtype float32 for `end` but got dtype float64"),
    (lambda: tinynn.addcdiv(tinynn.ones(2), tinynn.tensor([1, 2]), tinynn.tensor([3, 4])), RuntimeError,
     "integer division with addcdiv"),
    (lambda: tinynn.sub(tinynn.tensor([1]), tinynn.tensor([2]), alpha=0.5), RuntimeError,
     "alpha must not be a floating point number"),
    (lambda: tinynn.tensor([1, 2]).masked_fill(flags(), -math.inf), RuntimeError, "cannot be converted to int64"),
    (lambda: F.one_hot(tinynn.tensor([0, 1], dtype=tinynn.int32)), RuntimeError, "int64.*got int32"),
    (lambda: F.cross_entropy(tinynn.ones(2, 3), tinynn.tensor([0, 1], dtype=tinynn.int32)), RuntimeError,
     r"class indices \(int64\).*got int32"),
    (lambda: tinynn.tensor([300], dtype=tinynn.uint8), RuntimeError, "300 cannot be converted to type uint8"),
    (lambda: tinynn.tensor([NAN], dtype=tinynn.int64), RuntimeError, "nan cannot be converted to int64"),
    (lambda: tinynn.zeros(2.5), TypeError, "expected a sequence of integers"),
    (lambda: tinynn.ones(2, 3).sum(1.0), TypeError, "dim must be an integer, got 1.0"),
    (lambda: tinynn.ones(3).narrow(0, 2, 2), RuntimeError, r"start \(2\) \+ length \(2\) exceeds"),
    (lambda: tinynn.ones(3).narrow(0, 4, 0), IndexError, "start out of range"),
    (lambda: tinynn.ones(()).roll(1, 0), IndexError, "no dimensions"),
    (lambda: tinynn.ones(()).flatten(1), IndexError, "dimension out of range"),
    (lambda: tinynn.zeros(0, 3).amax(0), IndexError, "reduction dim 0 to have non-zero size"),
    (lambda: tinynn.cat([]), ValueError, "non-empty list"),
])
def test_errors_name_what_was_expected(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------------- values
def test_sign_of_nan_is_zero_and_sign_of_bool_is_itself():
    assert tinynn.sign(tinynn.tensor([NAN, -2.0, 0.0])).tolist() == [0.0, -1.0, 0.0]
    assert tinynn.sign(flags()).tolist() == [True, False]


def test_nan_gradients_follow_pytorch():
    x = leaf([NAN, 1.0, -1.0])
    tinynn.relu(x).sum().backward()  # a NaN passes relu's gradient; abs's is sign(NaN) = 0
    assert x.grad.tolist() == [1.0, 1.0, 0.0]
    x = leaf([NAN, 0.2, 3.0])
    x.clamp(-1, 1).sum().backward()  # NaN is not inside the bounds
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    a, b = leaf([NAN, 1.0, 2.0]), leaf([0.0, 1.0, 1.0])
    tinynn.maximum(a, b).sum().backward()  # at a NaN both inputs get all of it; a tie splits it
    assert a.grad.tolist() == [1.0, 0.5, 1.0] and b.grad.tolist() == [1.0, 0.5, 0.0]
    x = leaf([1.0, NAN, 3.0])
    x.max().backward()  # the whole-tensor max is the NaN: it takes the gradient
    assert x.grad.tolist() == [0.0, 1.0, 0.0]
    x = leaf([NAN, 0.1, 2.0])
    F.hardshrink(x, 0.5).sum().backward()
    assert np.isnan(F.hardshrink(x.detach(), 0.5)[0].item()) and x.grad.tolist() == [0.0, 0.0, 1.0]


def test_logaddexp_gradient_at_infinity():
    x, y = leaf([math.inf, 40.0]), leaf([40.0, math.inf])
    tinynn.logaddexp(x, y).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0] and y.grad.tolist() == [0.0, 1.0]


def test_promotion_of_clamp_square_nansum_and_losses():
    ints = tinynn.tensor([-2, 0, 3])
    assert tinynn.clamp(ints, -0.5, 0.5).dtype == tinynn.float32  # the bounds take part in promotion
    assert tinynn.clamp(ints, min=0).dtype == tinynn.int64
    assert tinynn.square(flags()).tolist() == [1, 0]
    assert tinynn.nansum(ints).dtype == tinynn.int64
    assert F.mse_loss(tinynn.ones(2), tinynn.zeros(2, dtype=tinynn.float64)).dtype == tinynn.float64
    assert F.hardtanh(ints).tolist() == [-1, 0, 1] and F.threshold(ints, 0, 20).tolist() == [20, 20, 3]


def test_integer_powers_with_negative_exponent_tensors():
    base = tinynn.tensor([2, 1, -1, -1, 0])
    assert (base ** tinynn.tensor([-1, -3, -3, -2, -1])).tolist() == [0, 1, -1, 1, 0]
    with pytest.raises(RuntimeError, match="negative integer powers"):
        base ** -1


def test_any_all_with_no_dims_reduce_nothing():
    x = tinynn.tensor([[0.0, 2.0]])
    assert x.any(dim=()).tolist() == [[False, True]] and x.all(dim=()).shape == (1, 2)


def test_uint8_index_is_a_mask_and_cat_promotes_with_skipped_empties():
    x = tinynn.tensor([1.0, 2.0, 3.0])
    assert x[tinynn.tensor([1, 0, 1], dtype=tinynn.uint8)].tolist() == [1.0, 3.0]
    out = tinynn.cat([tinynn.zeros(0, dtype=tinynn.float64), tinynn.ones(2, 2)])
    assert out.dtype == tinynn.float64 and out.shape == (2, 2)


def test_norm_p0_counts_and_empty_extremes():
    assert tinynn.norm(tinynn.tensor([0.0, 2.0, -1.0]), p=0).item() == 2.0
    assert tinynn.zeros(0, 3).amax(1).shape == (0,) and tinynn.zeros(0, 3).argmax(1).shape == (0,)


def test_tensor_split_at_indices_and_linear_with_a_vector_weight():
    pieces = tinynn.arange(6).tensor_split([1, 4])
    assert [p.tolist() for p in pieces] == [[0], [1, 2, 3], [4, 5]]
    x, w = tinynn.ones(2, 3), tinynn.tensor([1.0, 2.0, 3.0])
    assert F.linear(x, w).tolist() == [6.0, 6.0]


def test_arange_with_an_integer_dtype_truncates_its_arguments_first():
    assert tinynn.arange(0, 5.5, 1.5, dtype=tinynn.int64).tolist() == [0, 1, 2, 3, 4]
    assert tinynn.arange(-1.5, 3, 1.5, dtype=tinynn.int64).tolist() == [-1, 0, 1, 2]
