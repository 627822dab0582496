"""RMSNorm (tinynn/nn/rms_norm.py, F.rms_norm, the op RMSNormalize in tinynn/ops/normalization.py): float64 gradchecks
(first and second order), PyTorch parity of outputs, input and weight gradients, eps=None, dtypes,
state_dict names, repr and errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import (assert_close, assert_matches_torch, assert_module_matches_torch, check_gradients, leaf,
                           needs_torch, rand, torch)


def test_rms_norm_is_x_over_its_root_mean_square_times_weight():
    x, w = rand(3, 2, 4), rand(4, seed=1)
    y = F.rms_norm(leaf(x), (4,), leaf(w), eps=1e-3)
    assert_close(y, x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-3) * w)
    y2 = F.rms_norm(leaf(x), (2, 4), eps=0.0)
    assert_close(y2, x / np.sqrt((x ** 2).mean((-2, -1), keepdims=True)))


@pytest.mark.parametrize("shape,normalized,weighted,eps", [
    ((3, 4), (4,), True, 1e-5),
    ((2, 2, 3), (2, 3), True, 0.1),
    ((2, 3, 4), (4,), False, None),
])
def test_rms_norm_gradients(shape, normalized, weighted, eps):
    x, w = rand(*shape), rand(*normalized, seed=2, low=0.5, high=1.5)
    if weighted:
        check_gradients(lambda x, w: F.rms_norm(x, normalized, w, eps), x, w)
    else:
        check_gradients(lambda x: F.rms_norm(x, normalized, None, eps), x)


@needs_torch
@pytest.mark.parametrize("normalized,eps", [((4,), None), ((3, 4), 1e-3), (4, 0.5)])
def test_rms_norm_function_matches_torch(normalized, eps):
    x, w = rand(2, 3, 4), rand(*((normalized,) if isinstance(normalized, int) else normalized), seed=3)
    shape = (normalized,) if isinstance(normalized, int) else normalized
    assert_matches_torch(lambda x, w: F.rms_norm(x, normalized, w, eps),
                         lambda x, w: torch.nn.functional.rms_norm(x, shape, w, eps), x, w)
    assert_matches_torch(lambda x: F.rms_norm(x, normalized, eps=eps),
                         lambda x: torch.nn.functional.rms_norm(x, shape, eps=eps), x)


@needs_torch
@pytest.mark.parametrize("args,kwargs", [((4,), {}), ((3, 4), {"eps": 1e-6}), ([4], {"elementwise_affine": False})])
def test_rms_norm_layer_matches_torch(args, kwargs):
    ours = nn.RMSNorm(args[0] if len(args) == 1 else args, **kwargs).double()
    theirs = torch.nn.RMSNorm(args[0] if len(args) == 1 else args, **kwargs).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    if ours.weight is not None:
        with tinynn.no_grad():
            ours.weight.copy_(tinynn.tensor(rand(*ours.weight.shape, seed=4)))
    assert_module_matches_torch(ours, theirs, [rand(2, 3, 4, seed=5)])


def test_rms_norm_second_order_through_the_layer():
    layer = nn.RMSNorm(3).double()
    x = leaf(rand(2, 3))
    (g,) = tinynn.autograd.grad(layer(x).pow(3).sum(), x, create_graph=True)
    g.sum().backward()   # differentiable again: weight receives a gradient through the first backward
    assert layer.weight.grad is not None and np.isfinite(layer.weight.grad.numpy()).all()


def test_rms_norm_eps_none_is_the_dtype_epsilon():
    x = tinynn.zeros(2, 4)
    assert_close(F.rms_norm(x, (4,)), np.zeros((2, 4)))   # 0 / sqrt(0 + eps): no NaN
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(F.rms_norm(x, (4,), eps=0.0).numpy()).all()   # 0 / 0, as in PyTorch
    x = tinynn.tensor([[1e-4, 0.0]], dtype=tinynn.float64)
    eps64 = np.finfo(np.float64).eps
    assert_close(F.rms_norm(x, (2,)), [[1e-4 / np.sqrt(0.5e-8 + eps64), 0.0]])
    assert nn.RMSNorm(2).eps is None


def test_rms_norm_keeps_the_input_dtype():
    x = tinynn.randn(2, 4)
    assert F.rms_norm(x, (4,), tinynn.ones(4, dtype=tinynn.float64)).dtype == tinynn.float32
    half = F.rms_norm(x.half() * 300, (4,))   # squares overflow float16: computed in float32
    assert half.dtype == tinynn.float16 and np.isfinite(half.float().numpy()).all()
    assert_close(half.float(), F.rms_norm(x * 300, (4,)), rtol=2e-3, atol=2e-3)


def test_rms_norm_errors():
    x = tinynn.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[3\], expected input with shape \[\*3\]"):
        F.rms_norm(x, (3,))
    with pytest.raises(RuntimeError, match="Expected weight to be of same shape as normalized_shape"):
        F.rms_norm(x, (4,), tinynn.ones(3))
    with pytest.raises(RuntimeError, match="at least 1-dimensional"):
        F.rms_norm(x, ())
    with pytest.raises(RuntimeError, match="floating point"):
        F.rms_norm(tinynn.ones(2, 4, dtype=tinynn.int64), (4,))
    with pytest.raises(RuntimeError, match="expected input with shape"):
        nn.RMSNorm(5)(x)
