"""nn.init (tinynn/nn/init.py): gains and fans against PyTorch, distributions checked statistically on
large tensors (mean, std, bounds), deterministic fills against PyTorch, seeding, no graph recorded."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn.nn import init
from tests.helpers import needs_torch, torch

SHAPE = (400, 500)   # 200,000 draws: sample std within ~0.3% of the true one
N = SHAPE[0] * SHAPE[1]


def _values(t):
    return t.detach().numpy().astype(np.float64)


def _assert_stats(values, mean, std, rel_std_tol=0.01):
    assert abs(values.mean() - mean) < 5 * std / math.sqrt(values.size) + 1e-12, values.mean()
    assert abs(values.std() - std) < rel_std_tol * std, (values.std(), std)


# ---------------------------------------------------------------------------- gains and fans
NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


@needs_torch
@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_calculate_gain_matches_torch(nonlinearity):
    assert init.calculate_gain(nonlinearity) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity), rel=1e-15)


@needs_torch
@pytest.mark.parametrize("param", [0.2, 1, 0.0, math.sqrt(5)])
def test_leaky_relu_gain_with_param_matches_torch(param):
    assert init.calculate_gain("leaky_relu", param) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", param), rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


@needs_torch
@pytest.mark.parametrize("shape", [(3, 5), (8, 4, 3), (6, 2, 3, 5), (4, 3, 2, 2, 2)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(tinynn.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(tinynn.empty(5))


# ---------------------------------------------------------------------------- distributions
def test_uniform_and_normal():
    tinynn.manual_seed(0)
    u = _values(init.uniform_(tinynn.empty(SHAPE), -2.0, 3.0))
    assert u.min() >= -2.0 and u.max() < 3.0
    _assert_stats(u, 0.5, 5 / math.sqrt(12))
    n = _values(init.normal_(tinynn.empty(SHAPE), 1.5, 0.3))
    _assert_stats(n, 1.5, 0.3)


@pytest.mark.parametrize("shape", [SHAPE, (200, 100, 3, 3)])
def test_xavier(shape):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(tinynn.empty(shape))
    std = 1.7 * math.sqrt(2 / (fan_in + fan_out))
    u = _values(init.xavier_uniform_(tinynn.empty(shape), gain=1.7))
    assert np.abs(u).max() <= math.sqrt(3) * std
    _assert_stats(u, 0, std)
    _assert_stats(_values(init.xavier_normal_(tinynn.empty(shape), gain=1.7)), 0, std)


@pytest.mark.parametrize("mode, nonlinearity, a", [("fan_in", "leaky_relu", 0), ("fan_out", "relu", 0),
                                                   ("fan_in", "leaky_relu", math.sqrt(5)), ("fan_out", "tanh", 0)])
def test_kaiming(mode, nonlinearity, a):
    shape = (300, 80, 3, 3)  # a conv weight: fan_in = 720, fan_out = 2700
    fan = 80 * 9 if mode == "fan_in" else 300 * 9
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    u = _values(init.kaiming_uniform_(tinynn.empty(shape), a=a, mode=mode, nonlinearity=nonlinearity))
    assert np.abs(u).max() <= math.sqrt(3) * std
    _assert_stats(u, 0, std)
    n = _values(init.kaiming_normal_(tinynn.empty(shape), a=a, mode=mode, nonlinearity=nonlinearity))
    _assert_stats(n, 0, std)


def test_kaiming_errors_and_empty_tensor():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(tinynn.empty(3, 4), mode="fan_avg")
    with pytest.warns(UserWarning, match="no-op"):
        init.kaiming_normal_(tinynn.empty(0, 3))


def _no_warning():
    import contextlib
    import warnings

    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("error")
    return stack


def _truncated_normal_moments(mean, std, a, b):
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda v: math.exp(-v * v / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda v: (1 + math.erf(v / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    shift = (pdf(alpha) - pdf(beta)) / z
    var = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - shift**2
    return mean + std * shift, std * math.sqrt(var)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 4.0), (0.0, 0.02, -2.0, 2.0),
                                             (0.0, 1.0, 1.0, 3.0), (0.0, 1.0, 4.0, 5.0)])
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    tinynn.manual_seed(0)
    far_tail = mean < a - 2 * std or mean > b + 2 * std  # PyTorch warns there (tinynn stays accurate to ~8 std)
    with pytest.warns(UserWarning, match="more than 2 std") if far_tail else _no_warning():
        values = _values(init.trunc_normal_(tinynn.empty(SHAPE, dtype=tinynn.float64), mean, std, a, b))
    assert values.min() >= a and values.max() <= b
    expected_mean, expected_std = _truncated_normal_moments(mean, std, a, b)
    _assert_stats(values, expected_mean, expected_std)


@pytest.mark.parametrize("shape, gain", [((50, 30), 1.0), ((30, 50), 2.0), ((16, 4, 3, 3), 0.5)])
def test_orthogonal(shape, gain):
    w = _values(init.orthogonal_(tinynn.empty(shape, dtype=tinynn.float64), gain=gain)).reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w.T @ w if rows >= cols else w @ w.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_is_uniform_over_signs():
    # without the sign fix, QR's diagonal convention would bias the entries; with it, each entry of
    # a 2x2 rotation/reflection is symmetric around 0
    tinynn.manual_seed(0)
    firsts = [_values(init.orthogonal_(tinynn.empty(2, 2)))[0, 0] for _ in range(400)]
    assert abs(np.mean(firsts)) < 0.1


# ---------------------------------------------------------------------------- deterministic fills
@needs_torch
@pytest.mark.parametrize("name, shape, args", [("eye_", (3, 5), ()), ("eye_", (4, 2), ()),
                                               ("dirac_", (6, 4, 3, 3), (2,)), ("dirac_", (4, 4, 5), ()),
                                               ("dirac_", (2, 3, 3, 3, 3), ()), ("constant_", (2, 3), (0.7,)),
                                               ("ones_", (4,), ()), ("zeros_", (2, 2), ())])
def test_deterministic_fills_match_torch(name, shape, args):
    ours = getattr(init, name)(tinynn.empty(shape), *args)
    theirs = getattr(torch.nn.init, name)(torch.empty(shape), *args)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_sparse_zeros_per_column():
    tinynn.manual_seed(0)
    w = _values(init.sparse_(tinynn.empty(40, 30), sparsity=0.25, std=0.5))
    assert np.all((w == 0).sum(axis=0) == 10)
    assert abs(w[w != 0].std() - 0.5) < 0.05


# ---------------------------------------------------------------------------- seeding and autograd
@pytest.mark.parametrize("fn", [init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_,
                                init.trunc_normal_, init.orthogonal_])
def test_seeding_and_generator_argument(fn):
    tinynn.manual_seed(5)
    a = _values(fn(tinynn.empty(4, 6)))
    tinynn.manual_seed(5)
    b = _values(fn(tinynn.empty(4, 6)))
    np.testing.assert_array_equal(a, b)
    g = tinynn.Generator().manual_seed(11)
    c = _values(fn(tinynn.empty(4, 6), generator=g))
    d = _values(fn(tinynn.empty(4, 6), generator=tinynn.Generator().manual_seed(11)))
    np.testing.assert_array_equal(c, d)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("fn", [init.uniform_, init.normal_, init.xavier_normal_, init.kaiming_uniform_,
                                init.trunc_normal_, init.orthogonal_, init.eye_, init.ones_])
def test_works_on_parameters_without_recording_a_graph(fn):
    p = nn.Parameter(tinynn.zeros(5, 3))
    before = p._version
    out = fn(p)
    assert out is p and p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p._version > before
    assert np.any(_values(p) != 0)
