"""Elementwise functions of one tensor (tinynn/ops/unary.py): gradients, PyTorch parity, dtypes."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

# name -> (domain low, high); None: the whole line. Kinks of abs/relu at 0 are avoided below.
SMOOTH = {
    "exp": None, "expm1": None, "exp2": None, "log": (0.2, 3.0), "log1p": (-0.5, 2.0), "log2": (0.2, 3.0),
    "log10": (0.2, 3.0), "sqrt": (0.2, 3.0), "rsqrt": (0.2, 3.0), "sin": None, "cos": None,
    "tan": (-1.2, 1.2), "atan": None, "arctan": None, "tanh": None, "sigmoid": None, "erf": None,
    "abs": None, "absolute": None, "relu": None,
}
# Piecewise constant: gradient 0 (and gradcheck agrees away from the jumps); frac = x - trunc(x).
STEPS = ["floor", "ceil", "trunc", "fix", "round", "sign", "frac"]
SHAPES = [(2, 3), (3, 1, 4), ()]


def _inputs(name, shape, seed=0):
    domain = SMOOTH.get(name)
    x = rand(*shape, seed=seed) * 1.5 if domain is None else rand(*shape, seed=seed, low=domain[0], high=domain[1])
    if name in ("abs", "absolute", "relu"):
        x = np.where(np.abs(x) < 0.05, 0.3, x)
    if name in STEPS:  # keep finite differences away from the jumps at integers and halves
        x = np.floor(x * 2) / 2 + 0.25
    return np.asarray(x)  # arithmetic on a 0-d array gives a NumPy scalar


def _torch_fn(name):
    aliases = {"fix": "trunc"}
    return getattr(torch, aliases.get(name, name))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(SMOOTH) + STEPS)
def test_unary_gradcheck(name, shape):
    check_gradients(getattr(tinynn, name), _inputs(name, shape), second_order=False)


# 0-d included: an op that saves its 0-d result for backward must keep it in the graph.
@pytest.mark.parametrize("shape", [(2, 3), ()], ids=str)
@pytest.mark.parametrize("name", list(SMOOTH) + STEPS)
def test_unary_gradgradcheck(name, shape):
    check_gradients(getattr(tinynn, name), _inputs(name, shape), second_order=True)


@needs_torch
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(SMOOTH) + STEPS)
def test_unary_matches_torch(name, shape):
    assert_matches_torch(getattr(tinynn, name), _torch_fn(name), _inputs(name, shape))


@pytest.mark.parametrize("name", list(SMOOTH) + STEPS)
def test_method_is_the_function(name):
    if not hasattr(tinynn.Tensor, name):
        pytest.skip(f"{name} is a function only, as in PyTorch")
    x = tinynn.tensor(_inputs(name, (5,)))
    np.testing.assert_array_equal(getattr(x, name)().numpy(), getattr(tinynn, name)(x).numpy())


@needs_torch
@pytest.mark.parametrize("decimals", [0, 1, 2, -1])
def test_round_half_to_even_with_decimals_matches_torch(decimals):
    x = np.array([0.5, 1.5, 2.5, -0.5, 1.25, 12.345, -7.65, 149.0])
    assert_matches_torch(lambda t: tinynn.round(t, decimals=decimals),
                         lambda t: torch.round(t, decimals=decimals), x)


@needs_torch
@pytest.mark.parametrize("name", list(SMOOTH) + STEPS)
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_result_dtype_matches_torch(name, dtype):
    # integer tensors: float functions give the default float32; abs, relu, sign, rounding stay int
    if name == "frac" and dtype == "int64":
        pytest.skip("PyTorch does not define frac for integers")
    array = np.array([1, 2, 3]).astype(dtype)
    ours = getattr(tinynn, name)(tinynn.tensor(array))
    theirs = _torch_fn(name)(torch.tensor(array))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float), rtol=1e-6)


@pytest.mark.cpu_only  # CUDA's exp(-745) is 0, not the subnormal 5e-324
def test_sigmoid_tails_are_exact_without_overflow():
    x = tinynn.tensor([-745.0, -700.0, -40.0, 0.0, 40.0, 800.0], dtype=tinynn.float64)
    y = tinynn.sigmoid(x).numpy()
    expected = [5e-324, math.exp(-700.0), math.exp(-40.0) / (1 + math.exp(-40.0)), 0.5, 1.0, 1.0]
    np.testing.assert_allclose(y, expected, rtol=1e-15, atol=0)
    assert y[0] > 0  # the smallest subnormal, not rounded to 0
    assert tinynn.sigmoid(tinynn.tensor([-100.0])).dtype == tinynn.float32


def test_special_values():
    x = tinynn.tensor([0.0, 1.0, 4.0], dtype=tinynn.float64)
    np.testing.assert_array_equal(tinynn.sqrt(x).numpy(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(tinynn.exp2(tinynn.tensor([3.0], dtype=tinynn.float64)).numpy(), [8.0])
    # exact with NumPy; CUDA's log2 may be one unit in the last place off (2.9999999999999996)
    np.testing.assert_allclose(tinynn.log2(tinynn.tensor([8.0, 0.5], dtype=tinynn.float64)).numpy(), [3.0, -1.0],
                               rtol=2.3e-16, atol=0)
    np.testing.assert_array_equal(tinynn.log10(tinynn.tensor([1000.0], dtype=tinynn.float64)).numpy(), [3.0])
    np.testing.assert_array_equal(tinynn.sign(tinynn.tensor([-2.0, 0.0, 3.0])).numpy(), [-1, 0, 1])
    np.testing.assert_array_equal(tinynn.frac(tinynn.tensor([-2.75, 2.25])).numpy(), [-0.75, 0.25])


@needs_torch
def test_gradients_at_kinks_match_torch():
    x = np.array([0.0, -1.0, 2.0])
    assert_matches_torch(tinynn.abs, torch.abs, x)    # d|x|/dx = 0 at 0
    assert_matches_torch(tinynn.relu, torch.relu, x)  # relu'(0) = 0


@needs_torch
@pytest.mark.parametrize("method", ["exp_", "log_", "sqrt_", "tanh_", "sigmoid_", "relu_", "abs_", "floor_",
                                    "round_", "neg_", "reciprocal_"])
def test_inplace_in_graph_matches_torch(method):
    x = rand(2, 3, seed=1, low=0.3, high=2.0)

    def run(a):
        b = a * 1.5
        getattr(b, method)()
        return b * a

    assert_matches_torch(run, run, x)


def test_inplace_on_leaf_requiring_grad_raises():
    x = tinynn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x.exp_()
