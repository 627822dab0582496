"""nn.utils.weight_norm / spectral_norm, the hook-based forms (tinynn/nn/utils/weight_norm.py,
spectral_norm.py): PyTorch's state_dict names and shapes, outputs, gradients and the effect of a few
SGD steps against PyTorch, float64 gradchecks, eval mode, removal, and the errors."""
import warnings

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn.func import functional_call
from tinynn.nn.utils import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm
from tinynn.nn.utils.weight_norm import _weight_norm, norm_except_dim
from tests.helpers import assert_close, assert_module_matches_torch, check_gradients, needs_torch, rand, torch

pytestmark = pytest.mark.filterwarnings("ignore:.*weight_norm. is deprecated:FutureWarning")


def _pair(make, lib_wrap, torch_wrap, **kw):
    """(tinynn module, torch module) built by ``make(lib)`` in float64 and wrapped, same weights."""
    ours = lib_wrap(make(tinynn).double(), **kw)
    theirs = torch_wrap(make(torch).double(), **kw)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def _train_both(ours, theirs, x, steps=3, lr=0.1):
    """A few SGD steps on sum(y^2) with both engines; returns the outputs of each step."""
    opt_a = tinynn.optim.SGD(ours.parameters(), lr=lr)
    opt_b = torch.optim.SGD(theirs.parameters(), lr=lr)
    for _ in range(steps):
        ya, yb = ours(tinynn.tensor(x)), theirs(torch.tensor(x))
        assert_close(ya, yb, what="output")
        opt_a.zero_grad()
        opt_b.zero_grad()
        (ya * ya).sum().backward()
        (yb * yb).sum().backward()
        opt_a.step()
        opt_b.step()
    for (name, p), (_, q) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert_close(p, q, what=name)


# ---------------------------------------------------------------------------- weight_norm
@pytest.mark.parametrize("dim", [0, 1, 2, -2, None, -1])
def test_norm_except_dim_shapes_and_values(dim):
    v = rand(3, 4, 5)
    g = norm_except_dim(tinynn.tensor(v), 2, dim)
    if dim in (None, -1):
        expected = np.linalg.norm(v)
    else:
        axis = dim % 3
        expected = np.sqrt((v ** 2).sum(axis=tuple(d for d in range(3) if d != axis), keepdims=True))
    assert_close(g, expected)


@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_gradcheck(dim):
    v, g = rand(3, 2, 4, seed=1), rand(1, 2, 1, seed=2) if dim in (1, -2) else rand(3, 1, 1, seed=2)
    if dim is None:
        g = rand(seed=2)
    check_gradients(lambda v, g: _weight_norm(v, g, -1 if dim is None else dim), v, g)


@needs_torch
@pytest.mark.parametrize("dim", [0, 1, None, -1, -2, 2])
def test_weight_norm_conv1d_matches_torch(dim):
    ours, theirs = _pair(lambda lib: lib.nn.Conv1d(2, 3, 4), weight_norm, torch.nn.utils.weight_norm, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert tuple(ours.weight_g.shape) == tuple(theirs.weight_g.shape)
    assert_module_matches_torch(ours, theirs, [rand(2, 2, 7)])
    _train_both(ours, theirs, rand(2, 2, 7, seed=3))


@needs_torch
def test_weight_norm_linear_training_and_removal_match_torch():
    ours, theirs = _pair(lambda lib: lib.nn.Linear(4, 3), weight_norm, torch.nn.utils.weight_norm)
    assert tuple(ours.weight_g.shape) == (3, 1)
    _train_both(ours, theirs, rand(5, 4))
    remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    assert isinstance(ours.weight, nn.Parameter) and not ours._forward_pre_hooks
    assert_close(ours.weight, theirs.weight)


def test_weight_norm_rebuilds_weight_before_each_forward():
    m = weight_norm(nn.Linear(3, 2).double())
    assert "weight" not in m._parameters and {"weight_g", "weight_v"} <= set(m._parameters)
    with tinynn.no_grad():
        m.weight_g.mul_(2.0)   # doubling the magnitude doubles the weight at the next call
    before = m.weight.detach().numpy().copy()
    m(tinynn.zeros(1, 3, dtype=tinynn.float64))
    assert_close(m.weight, 2 * before)
    row_norms = np.linalg.norm(m.weight.detach().numpy(), axis=1, keepdims=True)
    assert_close(row_norms, m.weight_g)


def test_weight_norm_warns_and_errors():
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        m = weight_norm(nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        weight_norm(m)
    with pytest.raises(ValueError, match="weight_norm of 'bias' not found"):
        remove_weight_norm(m, "bias")
    with pytest.raises(AttributeError, match="no parameter named 'kernel'"):
        weight_norm(nn.Linear(3, 2), name="kernel")
    with pytest.raises(IndexError, match="Dimension out of range"):
        weight_norm(nn.Linear(3, 2), dim=2)


# ---------------------------------------------------------------------------- spectral_norm
def _spectral_pair(make, **kw):
    return _pair(make, spectral_norm, torch.nn.utils.spectral_norm, **kw)


@needs_torch
@pytest.mark.parametrize("make, shape, kw", [
    (lambda lib: lib.nn.Linear(4, 3), (5, 4), {}),
    (lambda lib: lib.nn.Conv2d(2, 3, 2), (2, 2, 4, 4), {"n_power_iterations": 2}),
    (lambda lib: lib.nn.ConvTranspose2d(2, 3, 2), (2, 2, 3, 3), {"eps": 1e-6}),   # dim defaults to 1
])
def test_spectral_norm_training_matches_torch(make, shape, kw):
    ours, theirs = _spectral_pair(make, **kw)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    for name in ("weight_u", "weight_v"):
        assert tuple(getattr(ours, name).shape) == tuple(getattr(theirs, name).shape)
    _train_both(ours, theirs, rand(*shape), steps=4)   # u and v (buffers) compared too


@needs_torch
def test_spectral_norm_gan_pattern_two_forwards_one_backward():
    ours, theirs = _spectral_pair(lambda lib: lib.nn.Linear(4, 3))
    x1, x2 = rand(2, 4, seed=1), rand(2, 4, seed=2)
    loss_a = ours(tinynn.tensor(x1)).sum() - ours(tinynn.tensor(x2)).sum()
    loss_b = theirs(torch.tensor(x1)).sum() - theirs(torch.tensor(x2)).sum()
    loss_a.backward()
    loss_b.backward()
    assert_close(loss_a, loss_b)
    assert_close(ours.weight_orig.grad, theirs.weight_orig.grad)


def test_spectral_norm_eval_uses_stored_vectors_and_sigma_converges():
    m = spectral_norm(nn.Linear(5, 4).double(), n_power_iterations=3)
    x = tinynn.tensor(rand(2, 5))
    for _ in range(30):            # power iterations converge to the top singular pair
        m(x)
    sigma = np.linalg.svd(m.weight.detach().numpy(), compute_uv=False)[0]
    assert sigma == pytest.approx(1.0, abs=1e-8)
    m.eval()
    u_before = m.weight_u.numpy().copy()
    m(x)
    np.testing.assert_array_equal(m.weight_u.numpy(), u_before)
    remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"] and isinstance(m.weight, nn.Parameter)
    assert np.linalg.svd(m.weight.detach().numpy(), compute_uv=False)[0] == pytest.approx(1.0, abs=1e-8)


def test_spectral_norm_gradcheck_through_functional_call():
    m = spectral_norm(nn.Linear(4, 3).double()).eval()
    check_gradients(lambda w, x: functional_call(m, {"weight_orig": w}, (x,)), rand(3, 4), rand(2, 4, seed=1))


def test_spectral_norm_errors():
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        spectral_norm(nn.Linear(3, 2), n_power_iterations=0)
    m = spectral_norm(nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        spectral_norm(m)
    with pytest.raises(ValueError, match="spectral_norm of 'bias' not found"):
        remove_spectral_norm(m, "bias")
    with pytest.raises(ValueError, match="parameter `bias` is None"):
        spectral_norm(nn.Linear(3, 2, bias=False), name="bias")
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        spectral_norm(nn.Linear(3, 2), dim=2)


def test_spectral_norm_is_not_deprecated():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = spectral_norm(nn.Linear(3, 2))   # spectral_norm is not deprecated: no warning
    assert m(tinynn.randn(1, 3)).shape == (1, 2)
