"""Linear, Bilinear, Identity, Flatten, Unflatten (tinynn/nn/linear.py, tinynn/nn/functional/linear.py):
float64 gradchecks w.r.t. inputs and weights, PyTorch parity through state_dict, default init, errors."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_close, assert_module_matches_torch, check_gradients, needs_torch, rand, torch


# ---------------------------------------------------------------------------- F.linear
@pytest.mark.parametrize("x_shape", [(4, 3), (2, 3, 3), (3,)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_gradcheck(x_shape, with_bias):
    x, w, b = rand(*x_shape, seed=1), rand(2, 3, seed=2), rand(2, seed=3)
    if with_bias:
        check_gradients(lambda x, w, b: F.linear(x, w, b), x, w, b)
    else:
        check_gradients(lambda x, w: F.linear(x, w), x, w)


@needs_torch
@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4), (4,), (2, 1, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_module_matches_torch(x_shape, bias):
    ours = nn.Linear(4, 3, bias=bias).double()
    theirs = torch.nn.Linear(4, 3, bias=bias).double()
    assert_module_matches_torch(ours, theirs, [rand(*x_shape)])


def test_linear_values_are_x_wT_plus_b():
    x, w, b = rand(5, 4), rand(3, 4, seed=1), rand(3, seed=2)
    y = F.linear(tinynn.tensor(x), tinynn.tensor(w), tinynn.tensor(b))
    np.testing.assert_allclose(y.numpy(), x @ w.T + b, rtol=1e-12)


def test_linear_2d_is_a_single_node():
    # the common case is one fused op: its backward feeds x, W and b directly
    layer = nn.Linear(4, 3).double()
    y = layer(tinynn.tensor(rand(5, 4), requires_grad=True))
    assert y.grad_fn.name() == "LinearBackward"
    assert [edge[0] for edge in y.grad_fn.next_edges[1:]] == [layer.weight, layer.bias]


def test_linear_float32_stays_float32():
    layer = nn.Linear(4, 3)
    y = layer(tinynn.randn(2, 4))
    y.sum().backward()
    assert y.dtype == tinynn.float32 and layer.weight.grad.dtype == tinynn.float32


def test_linear_default_init_bounds_and_spread():
    tinynn.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.shape == (300, 400) and b.shape == (300,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound      # U(-b, b) has std b / sqrt(3)
    assert abs(w.mean()) < 5 * bound / math.sqrt(3 * w.size)
    assert np.abs(b).max() <= bound and abs(b.std() - bound / math.sqrt(3)) < 0.1 * bound


def test_linear_dtype_and_no_bias():
    layer = nn.Linear(3, 2, bias=False, dtype=tinynn.float64)
    assert layer.weight.dtype == tinynn.float64 and layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert "bias" not in layer.state_dict()
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=False)"


def test_linear_errors_name_the_shapes():
    layer = nn.Linear(4, 3)
    with pytest.raises(RuntimeError, match=r"\(2, 5\).*expects 4"):
        layer(tinynn.randn(2, 5))
    with pytest.raises(RuntimeError, match="float64.*float32"):
        layer(tinynn.randn(2, 4, dtype=tinynn.float64))
    with pytest.raises(RuntimeError, match="2-d"):
        F.linear(tinynn.randn(2, 4), tinynn.randn(1, 3, 4))
    x, w = tinynn.randn(2, 4), tinynn.randn(4)  # a 1-d weight is one output feature, its dim dropped (PyTorch)
    np.testing.assert_allclose(F.linear(x, w, tinynn.tensor(0.5)).numpy(), x.numpy() @ w.numpy() + 0.5, rtol=1e-6)


def test_linear_reset_parameters_is_seeded():
    tinynn.manual_seed(3)
    a = nn.Linear(5, 2)
    tinynn.manual_seed(3)
    b = nn.Linear(5, 2)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    np.testing.assert_array_equal(a.bias.detach().numpy(), b.bias.detach().numpy())


# ---------------------------------------------------------------------------- bilinear
def test_bilinear_gradcheck():
    x1, x2, w, b = rand(3, 2, seed=1), rand(3, 3, seed=2), rand(2, 2, 3, seed=3), rand(2, seed=4)
    check_gradients(lambda x1, x2, w, b: F.bilinear(x1, x2, w, b), x1, x2, w, b)


def test_bilinear_values_match_einsum():
    x1, x2, w = rand(2, 4, 3, seed=1), rand(2, 4, 5, seed=2), rand(6, 3, 5, seed=3)
    y = F.bilinear(tinynn.tensor(x1), tinynn.tensor(x2), tinynn.tensor(w))
    np.testing.assert_allclose(y.numpy(), np.einsum("...i,kij,...j->...k", x1, w, x2), rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias):
    ours = nn.Bilinear(3, 4, 2, bias=bias).double()
    theirs = torch.nn.Bilinear(3, 4, 2, bias=bias).double()
    assert_module_matches_torch(ours, theirs, [rand(2, 5, 3, seed=1), rand(2, 5, 4, seed=2)])
    assert repr(ours) == repr(theirs)


def test_bilinear_init_bound():
    tinynn.manual_seed(0)
    layer = nn.Bilinear(25, 4, 30)
    bound = 1 / math.sqrt(25)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound
    assert abs(layer.weight.detach().numpy().std() - bound / math.sqrt(3)) < 0.05 * bound
    assert np.abs(layer.bias.detach().numpy()).max() <= bound


def test_bilinear_rejects_mismatched_inputs():
    layer = nn.Bilinear(3, 4, 2)
    with pytest.raises(RuntimeError, match="last dims"):
        layer(tinynn.randn(2, 3), tinynn.randn(2, 5))
    with pytest.raises(RuntimeError, match="leading dims"):
        layer(tinynn.randn(2, 3), tinynn.randn(3, 4))


# ---------------------------------------------------------------------------- shape helpers
def test_identity_returns_its_input_and_ignores_arguments():
    x = tinynn.randn(2, 3)
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == "Identity()"


@needs_torch
@pytest.mark.parametrize("start_end", [(1, -1), (0, 1), (2, 3), (-3, -2)])
def test_flatten_matches_torch(start_end):
    x = rand(2, 3, 4, 5)
    ours, theirs = nn.Flatten(*start_end), torch.nn.Flatten(*start_end)
    assert_module_matches_torch(ours, theirs, [x])
    assert repr(ours) == repr(theirs)


@needs_torch
@pytest.mark.parametrize("dim_sizes", [(1, (3, 4)), (-1, (2, -1)), (0, (2, 1))])
def test_unflatten_matches_torch(dim_sizes):
    x = rand(2, 12, 4) if dim_sizes[0] != -1 else rand(3, 12)
    ours, theirs = nn.Unflatten(*dim_sizes), torch.nn.Unflatten(*dim_sizes)
    assert_module_matches_torch(ours, theirs, [x])
    assert repr(ours) == repr(theirs)


def test_flatten_unflatten_round_trip_and_errors():
    x = tinynn.randn(2, 3, 4, 5)
    flat = nn.Flatten()(x)
    assert flat.shape == (2, 60)
    assert_close(nn.Unflatten(1, (3, 4, 5))(flat), x)
    with pytest.raises(RuntimeError):
        nn.Unflatten(1, (7, 9))(flat)
    with pytest.raises(TypeError):
        nn.Unflatten(1.0, (3, 20))


def test_flatten_unflatten_gradcheck():
    check_gradients(lambda x: nn.Flatten(0, 1)(x), rand(2, 3, 2))
    check_gradients(lambda x: nn.Unflatten(-1, (2, 2))(x), rand(3, 4))
