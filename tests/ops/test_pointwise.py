"""clamp_min, clamp_max, deg2rad, rad2deg, sgn, heaviside, gcd, lcm, Tensor.apply_ and
Tensor.map_ (tinynn/ops/pointwise.py): values, dtypes and gradients against PyTorch, errors."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch


def test_gradchecks():
    x = rand(3, 4, seed=0)
    check_gradients(lambda t: tinynn.clamp_min(t, -0.3), x)
    check_gradients(lambda t: tinynn.clamp_max(t, 0.4), x)
    check_gradients(tinynn.clamp_min, x, rand(4, seed=1))  # a tensor bound gets its gradient too
    check_gradients(tinynn.deg2rad, x)
    check_gradients(tinynn.rad2deg, x)
    check_gradients(tinynn.sgn, x)


@needs_torch
def test_match_torch():
    x = rand(3, 4, seed=2)
    for name in ("deg2rad", "rad2deg"):
        assert_matches_torch(getattr(tinynn, name), getattr(torch, name), x)
    x[0, 0] = 0.0
    t = tinynn.tensor(x, requires_grad=True)
    tinynn.sgn(t).sum().backward()  # PyTorch's gradient of sgn is a zero tensor, too
    np.testing.assert_array_equal(tinynn.sgn(t).detach().numpy(), torch.sgn(torch.tensor(x)).numpy())
    np.testing.assert_array_equal(t.grad.numpy(), np.zeros_like(x))
    assert_matches_torch(lambda t: tinynn.clamp_min(t, 0.1), lambda t: torch.clamp_min(t, 0.1), x)
    assert_matches_torch(lambda t: t.clamp_max(-0.2), lambda t: t.clamp_max(-0.2), x)
    assert_matches_torch(tinynn.clamp_max, torch.clamp_max, x, rand(3, 1, seed=3))


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "bool", "float32", "float64"])
def test_dtypes_match_torch(dtype):
    values = np.array([1, 0, 1]).astype(dtype)
    a, b = tinynn.tensor(values), torch.tensor(values)
    pairs = [(tinynn.deg2rad(a), torch.deg2rad(b)), (tinynn.rad2deg(a), torch.rad2deg(b)),
             (tinynn.sgn(a), torch.sgn(b))]
    if dtype != "bool":
        pairs += [(tinynn.clamp_max(a, 0.5), torch.clamp_max(b, 0.5)), (tinynn.clamp_min(a, 1), torch.clamp_min(b, 1))]
    for ours, theirs in pairs:
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@needs_torch
def test_heaviside_matches_torch():
    x = np.array([[-1.5, 0.0, 2.0, math.nan], [0.0, -0.0, 3.0, -2.0]])
    v = np.array([0.5, 0.25, 0.75, 0.1])
    np.testing.assert_array_equal(tinynn.heaviside(tinynn.tensor(x), tinynn.tensor(v)).numpy(),
                                  torch.heaviside(torch.tensor(x), torch.tensor(v)).numpy())
    ints = tinynn.heaviside(tinynn.tensor([1, -2, 0]), tinynn.tensor([7]))
    assert ints.dtype == np.int64 and ints.tolist() == [1, 0, 7]
    with pytest.raises(RuntimeError, match="different dtypes"):
        tinynn.heaviside(tinynn.tensor([1.0]), tinynn.tensor([1]))
    assert not tinynn.heaviside(tinynn.ones(2, requires_grad=True), tinynn.ones(1)).requires_grad


@needs_torch
def test_gcd_lcm_match_torch():
    a = np.array([-4, 6, 0, 0, 12, 35, -9])
    b = np.array([6, -4, 5, 0, 18, 14, -6])
    for name in ("gcd", "lcm"):
        ours = getattr(tinynn, name)(tinynn.tensor(a), tinynn.tensor(b))
        theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.dtype == np.int64
    mixed = tinynn.gcd(tinynn.tensor([4], dtype=tinynn.int32), tinynn.tensor([[6], [9]]))
    assert mixed.dtype == np.int64 and mixed.tolist() == [[2], [1]]
    x = tinynn.tensor([12, 18])
    assert x.gcd_(tinynn.tensor([8, 27])) is x and x.tolist() == [4, 9]
    with pytest.raises(NotImplementedError, match="only integer tensors"):
        tinynn.gcd(tinynn.tensor([1.0]), tinynn.tensor([2.0]))
    with pytest.raises(TypeError, match="must be a Tensor"):
        tinynn.lcm(tinynn.tensor([4]), 6)


def test_inplace_methods():
    x = tinynn.tensor([-1.0, 0.5, 2.0])
    assert x.clamp_min_(0.0) is x and x.tolist() == [0.0, 0.5, 2.0]
    assert x.clamp_max_(1.0) is x and x.tolist() == [0.0, 0.5, 1.0]
    y = tinynn.tensor([180.0, 90.0], dtype=tinynn.float64)
    y.deg2rad_()
    np.testing.assert_allclose(y.numpy(), [math.pi, math.pi / 2])
    y.rad2deg_()
    np.testing.assert_allclose(y.numpy(), [180.0, 90.0])
    with pytest.raises(RuntimeError, match="can't be cast"):
        tinynn.tensor([1, 2]).deg2rad_()


def test_apply_and_map():
    x = tinynn.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.apply_(lambda v: v * v + 1) is x
    assert x.tolist() == [[2.0, 5.0], [10.0, 17.0]]
    assert x.map_(tinynn.tensor([10.0, 20.0]), lambda a, b: a - b).tolist() == [[-8.0, -15.0], [0.0, -3.0]]
    ints = tinynn.tensor([1, 2])
    assert ints.apply_(lambda v: v * 2.7).tolist() == [2, 5]  # cast back to the tensor's dtype
    with pytest.raises(RuntimeError, match="requires grad"):
        tinynn.ones(2, requires_grad=True).apply_(lambda v: v)
    with pytest.raises(TypeError, match="expected a int64 tensor for 'other'"):
        ints.map_(tinynn.tensor([1.5, 2.5]), lambda a, b: a)
    with pytest.raises(RuntimeError, match="does not broadcast"):
        tinynn.ones(2).map_(tinynn.ones(3), lambda a, b: a)
