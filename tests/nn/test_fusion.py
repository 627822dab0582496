"""nn.utils.fusion (tinynn/nn/utils/fusion.py): folding an eval-mode BatchNorm into the preceding
convolution (1d, 2d, transposed) or linear layer gives the same outputs as the two layers, and the
same fused weights as PyTorch; flags, dtypes and the errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn.nn.utils import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights
from tests.helpers import assert_close, needs_torch, rand, torch


def _trained_bn(lib, bn_cls, c, affine=True):
    """An eval-mode batch norm with non-trivial running statistics and affine parameters."""
    bn = bn_cls(c, affine=affine).double()
    state = {"running_mean": rand(c, seed=11), "running_var": rand(c, seed=12, low=0.5, high=2.0),
             "num_batches_tracked": np.array(7)}
    if affine:
        state.update(weight=rand(c, seed=13), bias=rand(c, seed=14))
    bn.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    return bn.eval()


def _layer(lib, make):
    layer = make(lib).double().eval()
    with lib.no_grad():
        for i, p in enumerate(layer.parameters()):
            p.copy_(lib.tensor(rand(*p.shape, seed=20 + i)))
    return layer


CASES = [  # (layer, batch norm class, batch norm size, input shape, transpose)
    (lambda lib: lib.nn.Conv2d(2, 3, 3, padding=1), "BatchNorm2d", 3, (2, 2, 5, 5), False),
    (lambda lib: lib.nn.Conv2d(2, 4, 2, bias=False, groups=2), "BatchNorm2d", 4, (2, 2, 4, 4), False),
    (lambda lib: lib.nn.Conv1d(3, 2, 3), "BatchNorm1d", 2, (2, 3, 6), False),
    (lambda lib: lib.nn.ConvTranspose2d(2, 3, 2, stride=2), "BatchNorm2d", 3, (2, 2, 3, 3), True),
]


@pytest.mark.parametrize("make, bn_name, c, shape, transpose", CASES)
@pytest.mark.parametrize("affine", [True, False])
def test_fused_conv_equals_conv_then_bn(make, bn_name, c, shape, transpose, affine):
    conv, bn = _layer(tinynn, make), _trained_bn(tinynn, getattr(nn, bn_name), c, affine)
    fused = fuse_conv_bn_eval(conv, bn, transpose=transpose)
    x = tinynn.tensor(rand(*shape, seed=1))
    assert_close(fused(x), bn(conv(x)), rtol=1e-10, atol=1e-12)
    assert fused is not conv and type(fused) is type(conv)
    assert isinstance(fused.weight, nn.Parameter) and isinstance(fused.bias, nn.Parameter)
    assert list(fused.state_dict()) == ["weight", "bias"]


@needs_torch
@pytest.mark.parametrize("make, bn_name, c, shape, transpose", CASES)
def test_fused_conv_weights_match_torch(make, bn_name, c, shape, transpose):
    ours = fuse_conv_bn_eval(_layer(tinynn, make), _trained_bn(tinynn, getattr(nn, bn_name), c), transpose)
    theirs = torch.nn.utils.fuse_conv_bn_eval(_layer(torch, make), _trained_bn(torch, getattr(torch.nn, bn_name), c),
                                              transpose)
    for name, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[name], value, what=name)


@needs_torch
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("features", [3, 1])
def test_fused_linear_matches_torch_and_the_two_layers(bias, features):
    def make(lib):
        return lib.nn.Linear(4, 3, bias=bias)

    ours_pair = (_layer(tinynn, make), _trained_bn(tinynn, nn.BatchNorm1d, features))
    theirs_pair = (_layer(torch, make), _trained_bn(torch, torch.nn.BatchNorm1d, features))
    ours, theirs = fuse_linear_bn_eval(*ours_pair), torch.nn.utils.fuse_linear_bn_eval(*theirs_pair)
    for name, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[name], value, what=name)
    x = rand(5, 4, seed=2)
    if features == 3:
        assert_close(ours(tinynn.tensor(x)), ours_pair[1](ours_pair[0](tinynn.tensor(x))), rtol=1e-10, atol=1e-12)


def test_fuse_weights_flags_and_dtypes():
    conv_w = tinynn.randn(3, 2, 1, 1)          # float32, not requiring grad
    bn_rm, bn_rv = tinynn.zeros(3, dtype=tinynn.float64), tinynn.ones(3, dtype=tinynn.float64)
    w, b = fuse_conv_bn_weights(conv_w, None, bn_rm, bn_rv, 1e-5, None, None)
    assert isinstance(w, nn.Parameter) and w.dtype == tinynn.float32 and not w.requires_grad
    assert b.dtype == tinynn.float32 and not b.requires_grad
    assert_close(w, conv_w.numpy() / np.sqrt(1 + 1e-5), rtol=1e-6)
    lw = nn.Parameter(tinynn.randn(3, 2))
    w, b = fuse_linear_bn_weights(lw, None, bn_rm.float(), bn_rv.float(), 1e-5, tinynn.ones(3), tinynn.zeros(3))
    assert w.requires_grad and w.dtype == tinynn.float32 and w.grad_fn is None
    np.testing.assert_allclose(b.numpy(), 0.0)


def test_fusion_errors():
    conv, bn = nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3)
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        fuse_conv_bn_eval(conv, bn.eval())
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(3))
    with pytest.raises(AssertionError, match="running_mean and bn.running_var must not be None"):
        fuse_conv_bn_eval(conv.eval(), nn.BatchNorm2d(3, track_running_stats=False).eval())
    with pytest.raises(AssertionError, match="linear.out_features == bn.num_features"):
        fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(4).eval())
