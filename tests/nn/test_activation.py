"""Activations (tinynn/nn/activation.py, tinynn/nn/functional/activation.py, tinynn/ops/activation.py):
float64 gradcheck and gradgradcheck of every function (the fused ops' first- and second-order
paths), PyTorch parity of values and gradients, modules' reprs, in-place variants, errors."""
import numpy as np
import pytest

import tinynn
from tinynn.backend import array_module_of
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import (assert_close, assert_matches_torch, assert_module_matches_torch, check_gradients,
                           needs_torch, rand, torch)

X = rand(3, 4, seed=3) * 2.5          # values in about [-5, 5], none within 1e-3 of a kink
WIDE = np.concatenate([np.linspace(-30, 30, 121), [-1e-10, 1e-10, -1e-5, 2e-7]])  # tails, and near 0


def _tf():
    return torch.nn.functional if torch is not None else None


def _call(fn, x, args):
    return fn(x, **args) if isinstance(args, dict) else fn(x, *args)


# (id, tinynn function, torch function name, extra positional args or keyword args): same on both sides
FUNCTIONS = [
    ("relu", F.relu, "relu", ()),
    ("relu6", F.relu6, "relu6", ()),
    ("leaky_relu", F.leaky_relu, "leaky_relu", ()),
    ("leaky_relu_0.2", F.leaky_relu, "leaky_relu", (0.2,)),
    ("elu", F.elu, "elu", ()),
    ("elu_0.5", F.elu, "elu", (0.5,)),
    ("selu", F.selu, "selu", ()),
    ("celu_2", F.celu, "celu", (2.0,)),
    ("gelu", F.gelu, "gelu", ()),
    ("gelu_tanh", F.gelu, "gelu", {"approximate": "tanh"}),
    ("silu", F.silu, "silu", ()),
    ("mish", F.mish, "mish", ()),
    ("sigmoid", F.sigmoid, "sigmoid", ()),
    ("tanh", F.tanh, "tanh", ()),
    ("hardtanh", F.hardtanh, "hardtanh", ()),
    ("hardtanh_-2_3", F.hardtanh, "hardtanh", (-2.0, 3.0)),
    ("hardsigmoid", F.hardsigmoid, "hardsigmoid", ()),
    ("hardswish", F.hardswish, "hardswish", ()),
    ("softplus", F.softplus, "softplus", ()),
    ("softplus_beta2_thr3", F.softplus, "softplus", (2.0, 3.0)),
    ("softsign", F.softsign, "softsign", ()),
    ("tanhshrink", F.tanhshrink, "tanhshrink", ()),
    ("logsigmoid", F.logsigmoid, "logsigmoid", ()),
    ("hardshrink", F.hardshrink, "hardshrink", (0.7,)),
    ("softshrink", F.softshrink, "softshrink", (0.7,)),
    ("threshold", F.threshold, "threshold", (0.3, -2.0)),
    ("softmax_0", F.softmax, "softmax", (0,)),
    ("softmax_1", F.softmax, "softmax", (1,)),
    ("softmin", F.softmin, "softmin", (1,)),
    ("log_softmax", F.log_softmax, "log_softmax", (-1,)),
    ("glu", F.glu, "glu", (1,)),
    ("normalize", F.normalize, "normalize", ()),
    ("normalize_p1_dim0", F.normalize, "normalize", (1.0, 0)),
    ("normalize_p3", F.normalize, "normalize", (3.0, 1)),
]
IDS = [case[0] for case in FUNCTIONS]


@pytest.mark.parametrize("name, fn, torch_name, args", FUNCTIONS, ids=IDS)
def test_gradcheck_first_and_second_order(name, fn, torch_name, args):
    check_gradients(lambda x: _call(fn, x, args), X)


@needs_torch
@pytest.mark.parametrize("name, fn, torch_name, args", FUNCTIONS, ids=IDS)
def test_matches_torch(name, fn, torch_name, args):
    theirs = getattr(torch.nn.functional, torch_name)
    assert_matches_torch(lambda x: _call(fn, x, args), lambda x: _call(theirs, x, args), X)
    if not name.startswith(("softmax", "softmin", "log_softmax", "normalize", "glu")):
        assert_matches_torch(lambda x: _call(fn, x, args), lambda x: _call(theirs, x, args), WIDE)


@needs_torch
@pytest.mark.parametrize("name, fn, torch_name, args", FUNCTIONS, ids=IDS)
def test_float32_matches_torch_and_stays_float32(name, fn, torch_name, args):
    x = X.astype(np.float32)
    ours = _call(fn, tinynn.tensor(x), args)
    theirs = _call(getattr(torch.nn.functional, torch_name), torch.tensor(x), args)
    assert ours.dtype == tinynn.float32
    assert_close(ours, theirs, rtol=2e-6, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("x", [0.0, 6.0, -3.0, 3.0, 1.0, -1.0])
def test_gradients_at_the_kinks_follow_torch(x):
    # which side's derivative applies exactly at a kink is a convention: PyTorch's
    for name in ["relu", "relu6", "leaky_relu", "elu", "hardtanh", "hardsigmoid", "hardswish"]:
        ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
        assert_matches_torch(ours, theirs, np.array([x]))


# ---------------------------------------------------------------------------- modules
MODULES = [
    ("ReLU", ()), ("ReLU6", ()), ("LeakyReLU", (0.2,)), ("ELU", (0.7,)), ("CELU", (1.5,)), ("SELU", ()),
    ("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()), ("Sigmoid", ()), ("Tanh", ()),
    ("Hardtanh", (-0.5, 2.0)), ("Hardsigmoid", ()), ("Hardswish", ()), ("Softplus", (2.0, 5.0)),
    ("Softsign", ()), ("Tanhshrink", ()), ("LogSigmoid", ()), ("Hardshrink", (0.4,)), ("Softshrink", ()),
    ("Threshold", (0.1, 20.0)), ("Softmax", (1,)), ("Softmin", (0,)), ("LogSoftmax", (-1,)), ("GLU", (0,)),
    ("PReLU", ()), ("PReLU", (4, 0.1)),
]
INPLACE_MODULES = [("ReLU", ()), ("ReLU6", ()), ("LeakyReLU", (0.1,)), ("ELU", (1.0,)), ("CELU", (0.5,)),
                   ("SELU", ()), ("SiLU", ()), ("Mish", ()), ("Hardtanh", (-1.0, 1.0)), ("Hardsigmoid", ()),
                   ("Hardswish", ()), ("Threshold", (0.1, 2.0))]


@needs_torch
@pytest.mark.parametrize("cls, args", MODULES, ids=[f"{c}{a}" for c, a in MODULES])
def test_module_matches_torch(cls, args):
    ours, theirs = getattr(nn, cls)(*args).double(), getattr(torch.nn, cls)(*args).double()
    assert repr(ours) == repr(theirs)
    assert_module_matches_torch(ours, theirs, [rand(2, 4, 3, seed=5) * 2])


@needs_torch
@pytest.mark.parametrize("cls, args", INPLACE_MODULES, ids=[c for c, _ in INPLACE_MODULES])
def test_inplace_module_matches_torch(cls, args):
    ours = getattr(nn, cls)(*args, inplace=True)
    theirs = getattr(torch.nn, cls)(*args, inplace=True)
    assert repr(ours) == repr(theirs)
    # on a non-leaf: the result lands in the input's tensor, and gradients still flow
    assert_module_matches_torch(ours, theirs, [rand(3, 5, seed=2) * 3], call=lambda m, x: m(x * 1))
    x = tinynn.tensor(rand(3, 5) * 3)
    assert ours(x) is x
    assert_close(x, getattr(nn, cls)(*args)(tinynn.tensor(rand(3, 5) * 3)))


@pytest.mark.parametrize("fn", [F.relu, F.leaky_relu, F.elu, F.selu, F.silu, F.hardtanh, F.hardswish])
def test_inplace_on_a_leaf_that_requires_grad_is_refused(fn):
    with pytest.raises(RuntimeError, match="leaf"):
        fn(tinynn.ones(3, requires_grad=True), inplace=True)
    y = F.relu_(tinynn.tensor([-1.0, 2.0]))
    np.testing.assert_array_equal(y.numpy(), [0.0, 2.0])


def test_prelu_gradcheck_input_and_weight():
    check_gradients(lambda x, w: F.prelu(x, w), rand(2, 3, 2, seed=1), np.array([0.25, -0.5, 1.5]))
    check_gradients(lambda x, w: F.prelu(x, w), rand(5, seed=2), np.array([0.3]))


def test_prelu_weight_and_errors():
    layer = nn.PReLU(3, init=0.1)
    assert layer.weight.shape == (3,) and np.all(layer.weight.detach().numpy() == np.float32(0.1))
    with pytest.raises(RuntimeError, match="channel"):
        layer(tinynn.randn(2, 4, 5))


def test_softmax_without_dim_warns_and_picks_pytorchs_implicit_dim():
    x = tinynn.tensor(rand(2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy().sum(1), 1.0)
    with pytest.warns(UserWarning):
        y3 = nn.Softmax()(tinynn.tensor(rand(2, 3, 4)))
    np.testing.assert_allclose(y3.numpy().sum(0), 1.0)


def test_gelu_exact_uses_an_accurate_erf():
    x = np.array([-5.0, -1.5, -0.3, 0.0, 0.7, 2.0, 6.0])
    from math import erf, sqrt
    expected = [v * 0.5 * (1 + erf(v / sqrt(2))) for v in x]
    np.testing.assert_allclose(F.gelu(tinynn.tensor(x)).numpy(), expected, rtol=1e-15, atol=1e-300)


def test_activation_errors():
    with pytest.raises(RuntimeError, match="approximate"):
        F.gelu(tinynn.ones(2), approximate="fast")
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(RuntimeError, match="floating point"):
        F.gelu(tinynn.tensor([1, 2]))
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(RuntimeError, match="even"):
        F.glu(tinynn.ones(3, 5))


# ---------------------------------------------------------------------------- distances
@needs_torch
@pytest.mark.parametrize("shapes, dim", [(((3, 4), (3, 4)), 1), (((3, 4), (1, 4)), 1), (((2, 2, 3), (2, 2, 3)), -1),
                                         (((4, 3), (4, 3)), 0)])
def test_cosine_similarity_matches_torch(shapes, dim):
    a, b = rand(*shapes[0], seed=1), rand(*shapes[1], seed=2)
    assert_matches_torch(lambda a, b: F.cosine_similarity(a, b, dim), lambda a, b: _tf().cosine_similarity(a, b, dim),
                         a, b)
    check_gradients(lambda a, b: F.cosine_similarity(a, b, dim), a, b)


@needs_torch
@pytest.mark.parametrize("p, keepdim", [(2.0, False), (1.0, True), (3.0, False)])
def test_pairwise_distance_matches_torch(p, keepdim):
    a, b = rand(4, 5, seed=1), rand(4, 5, seed=2)
    assert_matches_torch(lambda a, b: F.pairwise_distance(a, b, p, keepdim=keepdim),
                         lambda a, b: _tf().pairwise_distance(a, b, p, keepdim=keepdim), a, b)
    check_gradients(lambda a, b: F.pairwise_distance(a, b, p, keepdim=keepdim), a, b)


def test_normalize_zero_vector_stays_zero_with_finite_gradient():
    x = tinynn.tensor(np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 4.0]]), requires_grad=True)
    y = F.normalize(x, dim=1)
    np.testing.assert_allclose(y.detach().numpy(), [[0, 0, 0], [0.6, 0, 0.8]])
    y.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(x.grad.numpy()[0], 1e12)  # below eps the map is x / eps


@needs_torch
@pytest.mark.parametrize("name, args", [("relu_", ()), ("leaky_relu_", (0.3,)), ("hardtanh_", (-0.5, 0.5)),
                                        ("elu_", (0.8,)), ("selu_", ()), ("celu_", (2.0,)), ("threshold_", (0.2, 9.0))])
def test_underscore_functions_work_in_place_like_torch(name, args):
    ours, theirs = tinynn.tensor(X), torch.tensor(X)
    assert getattr(F, name)(ours, *args) is ours
    getattr(torch.nn.functional, name)(theirs, *args)
    assert_close(ours, theirs)


@pytest.mark.parametrize("fn", [F.gelu, F.silu, F.mish, F.elu, F.softplus, F.logsigmoid, F.hardswish, F.leaky_relu])
def test_zero_dim_input(fn):
    y = fn(tinynn.tensor(np.array(0.7)))
    assert y.shape == () and isinstance(y._data, array_module_of(y._data).ndarray)  # an array, not a scalar
    check_gradients(fn, np.array(0.7), second_order=False)


# ---------------------------------------------------------------------------- Softmax2d
@needs_torch
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 2, 4)])
def test_softmax2d_is_a_softmax_over_channels_and_matches_torch(shape):
    x = rand(*shape, seed=4)
    assert_matches_torch(nn.Softmax2d(), torch.nn.Softmax2d(), x)
    assert_close(nn.Softmax2d()(tinynn.tensor(x)).sum(-3), np.ones(shape[:-3] + shape[-2:]))
    check_gradients(nn.Softmax2d(), x[..., :2, :2])
    assert repr(nn.Softmax2d()) == "Softmax2d()"
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        nn.Softmax2d()(tinynn.randn(2, 3))


def test_log_sigmoid_is_one_op_for_the_activation_and_the_losses():
    """F.logsigmoid and the log-sigmoid inside binary_cross_entropy_with_logits are one op: the losses'
    class only subclasses it (for autocast), so values and gradients agree to the bit, extremes included."""
    from tinynn.ops.activation import LogSigmoid
    from tinynn.ops.loss import LossLogSigmoid, log_sigmoid

    assert issubclass(LossLogSigmoid, LogSigmoid) and LossLogSigmoid.__dict__.keys() <= {"__module__", "__doc__",
                                                                                          "__qualname__"}
    z = np.array([-1e4, -40.0, -1.0, 0.0, 1.0, 40.0, 1e4])
    a, b = tinynn.tensor(z, requires_grad=True), tinynn.tensor(z, requires_grad=True)
    F.logsigmoid(a).sum().backward()
    log_sigmoid(b).sum().backward()
    np.testing.assert_array_equal(F.logsigmoid(a).detach().numpy(), log_sigmoid(b).detach().numpy())
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    assert F.logsigmoid(a)[0].item() == -1e4 and a.grad[0].item() == 1.0 and a.grad[-1].item() == 0.0


def test_sigmoid_keeps_its_tiny_tail():
    """The stable sigmoid gives e^x / (1 + e^x) for negative x, not 1 - (something rounding to 1)."""
    y = tinynn.sigmoid(tinynn.tensor([-30.0, -100.0], dtype=tinynn.float64)).numpy()
    assert_close(y, np.exp([-30.0, -100.0]) / (1 + np.exp([-30.0, -100.0])), rtol=1e-15, atol=0)
