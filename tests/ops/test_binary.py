"""Two-argument math and bit shifts (tinynn/ops/binary.py): gradients, PyTorch parity, dtypes, errors."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, needs_torch, rand, torch

FUNCTIONS = ["atan2", "arctan2", "logaddexp", "logaddexp2", "copysign", "hypot"]
SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1), (1, 3)), ((), (2,))]  # broadcasting included


def _pair(name, a_shape, b_shape, seed=0):
    a, b = rand(*a_shape, seed=seed), rand(*b_shape, seed=seed + 1)
    if name == "copysign":  # keep x away from its kink at 0
        a = np.where(np.abs(a) < 0.1, 0.5, a)
    return np.asarray(a), np.asarray(b)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_binary_gradcheck(name, shapes):
    check_gradients(getattr(tinynn, name), *_pair(name, *shapes))


@needs_torch
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_binary_matches_torch(name, shapes):
    assert_matches_torch(getattr(tinynn, name), getattr(torch, name), *_pair(name, *shapes, seed=3))


@needs_torch
@pytest.mark.parametrize("name", FUNCTIONS)
def test_method_and_inplace_method_match_torch(name):
    a, b = _pair(name, (3,), (3,), seed=5)
    assert_matches_torch(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), a, b)
    if hasattr(torch.Tensor, name + "_"):
        ours = tinynn.tensor(a)
        assert getattr(ours, name + "_")(tinynn.tensor(b)) is ours
        assert_close(ours, getattr(torch.tensor(a), name + "_")(torch.tensor(b)))


@needs_torch
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the nan gradients, as in PyTorch
def test_gradients_at_special_points_match_torch():
    # atan2 at the origin: PyTorch's gradient is 0; hypot at the origin: nan; copysign at x = 0: 0;
    # logaddexp of two -inf: nan; a signed zero for copysign's sign
    x = np.array([0.0, 1.0, 0.0, -2.0])
    y = np.array([0.0, 0.0, -0.0, 3.0])
    for name in ("atan2", "hypot", "copysign"):
        assert_matches_torch(getattr(tinynn, name), getattr(torch, name), x, y)
    inf = np.array([-np.inf, 1.0])
    ours_in, theirs_in = tinynn.tensor(inf, requires_grad=True), torch.tensor(inf, requires_grad=True)
    tinynn.logaddexp(ours_in, ours_in * 0 + tinynn.tensor([-np.inf, 0.0])).sum().backward()
    torch.logaddexp(theirs_in, theirs_in * 0 + torch.tensor([-np.inf, 0.0])).sum().backward()
    np.testing.assert_array_equal(np.isnan(ours_in.grad.numpy()), np.isnan(theirs_in.grad.numpy()))


def test_logaddexp_does_not_overflow():
    x = tinynn.tensor([1000.0, -1000.0, 0.0], dtype=tinynn.float64)
    y = tinynn.tensor([1000.0, -1000.0, -np.inf], dtype=tinynn.float64)
    np.testing.assert_allclose(tinynn.logaddexp(x, y).numpy(), [1000 + np.log(2), -1000 + np.log(2), 0.0])
    np.testing.assert_allclose(tinynn.logaddexp2(x, y).numpy(), [1001.0, -999.0, 0.0])


@needs_torch
@pytest.mark.parametrize("name", ["atan2", "copysign"])
@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("int32", "float32"), ("float32", "float64")], ids=str)
def test_result_dtype_matches_torch(name, dtypes):
    a, b = np.array([1, -2, 3]).astype(dtypes[0]), np.array([2, 2, -1]).astype(dtypes[1])
    ours = getattr(tinynn, name)(tinynn.tensor(a), tinynn.tensor(b))
    theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert_close(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("name", ["hypot", "logaddexp", "logaddexp2"])
def test_integer_inputs_are_refused_as_in_torch(name):
    with pytest.raises(NotImplementedError, match="not implemented for int64 tensors; expected floating point"):
        getattr(tinynn, name)(tinynn.tensor([1, 2]), tinynn.tensor([3, 4]))


def test_shapes_that_do_not_broadcast_raise():
    with pytest.raises(RuntimeError, match="atan2: shapes"):
        tinynn.atan2(tinynn.ones(2, 3), tinynn.ones(4))


# ---------------------------------------------------------------------------- bit shifts
SHIFTS = {
    "tensor << tensor": (lambda lib, a, b: a << b),
    "tensor >> tensor": (lambda lib, a, b: a >> b),
    "tensor << int": (lambda lib, a, b: a << 3),
    "int << tensor": (lambda lib, a, b: 5 << b),
    "int >> tensor": (lambda lib, a, b: 100 >> b),
    "negative int >> tensor": (lambda lib, a, b: -100 >> b.long()),
    "function left": (lambda lib, a, b: lib.bitwise_left_shift(a, b)),
    "function right": (lambda lib, a, b: lib.bitwise_right_shift(a, b)),
    "method": (lambda lib, a, b: a.bitwise_right_shift(b)),
}


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int8"])
@pytest.mark.parametrize("form", list(SHIFTS))
def test_shifts_match_torch(form, dtype):
    # shift amounts include negative ones and ones past the width: PyTorch defines them (0 or -1)
    a = np.array([1, -7, 100, 3, -1, 64, 5, 0]).astype(dtype)
    b = np.array([0, 1, 2, 7, 8, 63, 70, 3]).astype(dtype)
    if np.dtype(dtype).kind == "i":
        b[2] = -1
    ours = SHIFTS[form](tinynn, tinynn.tensor(a), tinynn.tensor(b))
    theirs = SHIFTS[form](torch, torch.tensor(a), torch.tensor(b))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
def test_inplace_shifts_match_torch():
    for op in ("__ilshift__", "__irshift__", "bitwise_left_shift_", "bitwise_right_shift_"):
        ours, theirs = tinynn.tensor([1, -8, 12]), torch.tensor([1, -8, 12])
        assert getattr(ours, op)(tinynn.tensor([2, 1, 0])) is ours
        getattr(theirs, op)(torch.tensor([2, 1, 0]))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=op)
    x = tinynn.tensor([True, False])
    assert (x << 1).dtype == tinynn.int64 and (x << 1).tolist() == [2, 0]


def test_shifting_floats_is_refused():
    with pytest.raises(NotImplementedError, match="expected integer"):
        tinynn.tensor([1.0]) << 1
    with pytest.raises(NotImplementedError, match="expected integer"):
        tinynn.tensor([1]) >> tinynn.tensor([1.0])
