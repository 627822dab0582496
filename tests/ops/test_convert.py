"""Copies and casts (tinynn/ops/convert.py): clone, dtype casts and device moves, with their gradients."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch


def test_clone_is_a_copy_with_gradient():
    x = leaf([1.0, 2.0])
    y = x.clone()
    assert not np.shares_memory(x.detach().numpy(), y.detach().numpy())
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    check_gradients(lambda t: t.clone(), rand(2, 3, seed=1))


@needs_torch
def test_clone_and_casts_match_torch():
    x = rand(2, 3, seed=2)
    assert_matches_torch(lambda t: t.clone() * 2, lambda t: t.clone() * 2, x)
    assert_matches_torch(lambda t: t.float().double() * t, lambda t: t.float().double() * t, x, rtol=1e-6)
    assert_matches_torch(lambda t: t.to(tinynn.float32).sum(), lambda t: t.to(torch.float32).sum(), x, rtol=1e-6)


def test_cast_gradient_comes_back_in_the_input_dtype():
    x = tinynn.tensor([1.5, 2.5], dtype=tinynn.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == tinynn.float32 and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype == tinynn.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 5.0])


def test_casts_to_integers_and_back():
    x = tinynn.tensor([1.7, -1.7, 2.5])
    np.testing.assert_array_equal(x.long().numpy(), [1, -1, 2])  # truncates toward zero, as in PyTorch
    assert x.long().dtype == tinynn.int64 and x.int().dtype == tinynn.int32 and x.bool().dtype == tinynn.bool
    assert x.to(tinynn.float32) is x  # same dtype: no copy, as in PyTorch
    assert x.to(tinynn.float32, copy=True) is not x
    assert x.to(tinynn.float64).dtype == tinynn.float64 and x.half().dtype == tinynn.float16


@pytest.mark.cpu_only
def test_to_the_same_device_returns_the_tensor():
    x = tinynn.ones(2)
    assert x.to("cpu") is x and x.cpu() is x
    assert x.to(device="cpu", dtype=tinynn.float64).dtype == tinynn.float64


def test_view_as_another_dtype_reinterprets_the_bytes():
    x = tinynn.tensor([1.0], dtype=tinynn.float32)
    assert x.view(tinynn.int32).item() == 0x3F800000
    with pytest.raises(RuntimeError, match="not differentiable"):
        tinynn.ones(1, requires_grad=True).view(tinynn.int32)


@pytest.mark.skipif(not tinynn.cuda.is_available(), reason="no CUDA device")
def test_device_round_trip_keeps_values_and_gradient():
    x = leaf([1.0, 2.0])
    y = x.cuda()
    assert y.device.type == "cuda"
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
