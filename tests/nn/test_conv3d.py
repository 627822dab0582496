"""3-d convolutions (Conv3d, ConvTranspose3d, F.conv3d, F.conv_transpose3d): the N-d path of tinynn/ops/conv.py
that also serves 1-d and 2-d. float64 gradchecks w.r.t. input, weight and bias (second order too), PyTorch parity
of outputs and of input and parameter gradients (weights copied through state_dict), reprs, initialisation, errors."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch
from tests.nn.test_conv import assert_module_matches_torch, gradcheck_module

F64 = tinynn.float64
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

# (layer constructor arguments, input shape): each is gradchecked and matched against PyTorch
CONV3D = [
    (dict(in_channels=2, out_channels=3, kernel_size=2), (2, 2, 3, 4, 3)),
    (dict(in_channels=2, out_channels=2, kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=(1, 0, 1)), (1, 2, 3, 5, 4)),
    (dict(in_channels=4, out_channels=2, kernel_size=2, dilation=(2, 1, 1), groups=2, bias=False), (1, 4, 4, 3, 3)),
    (dict(in_channels=2, out_channels=2, kernel_size=(2, 1, 2), padding="same", dilation=(1, 1, 2)), (1, 2, 3, 3, 4)),
    (dict(in_channels=2, out_channels=2, kernel_size=2, padding="valid", groups=2), (2, 3, 3, 3)),          # unbatched
    (dict(in_channels=2, out_channels=2, kernel_size=2, padding=1, padding_mode="reflect"), (1, 2, 3, 3, 3)),
    (dict(in_channels=1, out_channels=2, kernel_size=(2, 2, 3), padding="same", padding_mode="replicate"), (1, 1, 3, 3, 4)),
    (dict(in_channels=2, out_channels=1, kernel_size=2, stride=2, padding=(1, 2, 1), padding_mode="circular"),
     (1, 2, 3, 3, 3)),
]
# (constructor arguments, input shape, output_size passed to forward)
TRANSPOSED_3D = [
    (dict(in_channels=2, out_channels=2, kernel_size=2, stride=2, padding=1, output_padding=1), (1, 2, 2, 3, 2), None),
    (dict(in_channels=4, out_channels=2, kernel_size=(2, 1, 2), stride=(1, 2, 1), groups=2, bias=False),
     (1, 4, 2, 2, 3), None),
    (dict(in_channels=2, out_channels=1, kernel_size=2, dilation=(2, 1, 1), output_padding=(1, 0, 0)), (1, 2, 2, 2, 2), None),
    (dict(in_channels=2, out_channels=2, kernel_size=3, stride=2, padding=1), (2, 2, 2, 2), (3, 4, 3)),    # unbatched
]


def _name(case):
    args = ",".join(f"{k}={v}" for k, v in case[0].items() if k not in ("in_channels", "out_channels"))
    return f"{args}:{case[1]}"


def _layers(cls, kwargs):
    tinynn.manual_seed(0)
    return getattr(nn, cls)(**kwargs, dtype=F64), getattr(torch.nn, cls)(**kwargs, dtype=torch.float64)


@pytest.mark.parametrize("kwargs, shape", CONV3D, ids=map(_name, CONV3D))
def test_conv3d_gradcheck(kwargs, shape):
    gradcheck_module(nn.Conv3d(**kwargs, dtype=F64), rand(*shape))


@pytest.mark.parametrize("kwargs, shape, size", TRANSPOSED_3D, ids=map(_name, TRANSPOSED_3D))
def test_conv_transpose3d_gradcheck(kwargs, shape, size):
    gradcheck_module(nn.ConvTranspose3d(**kwargs, dtype=F64), rand(*shape), size)


@needs_torch
@pytest.mark.parametrize("kwargs, shape", CONV3D, ids=map(_name, CONV3D))
def test_conv3d_matches_torch(kwargs, shape):
    ours, theirs = _layers("Conv3d", kwargs)
    assert_module_matches_torch(ours, theirs, rand(*shape))


@needs_torch
@pytest.mark.parametrize("kwargs, shape, size", TRANSPOSED_3D, ids=map(_name, TRANSPOSED_3D))
def test_conv_transpose3d_matches_torch(kwargs, shape, size):
    ours, theirs = _layers("ConvTranspose3d", kwargs)
    assert_module_matches_torch(ours, theirs, rand(*shape), *(() if size is None else (size,)))


def test_second_derivatives_of_conv3d_and_its_transpose():
    x, w, b = rand(1, 2, 3, 2, 3), rand(2, 1, 2, 1, 2, seed=1), rand(2, seed=2)
    check_gradients(lambda x, w, b: F.conv3d(x, w, b, stride=(1, 1, 2), padding=(1, 0, 1), groups=2), x, w, b)
    check_gradients(lambda x, w: F.conv_transpose3d(x, w, stride=2, output_padding=(1, 0, 0)),
                    rand(1, 2, 2, 2, 1), rand(2, 1, 2, 2, 2, seed=1))


@needs_torch
def test_functional_forms_match_torch():
    x, w, b = rand(2, 4, 4, 5, 3), rand(6, 2, 2, 3, 2, seed=1), rand(6, seed=2)
    tf = torch.nn.functional
    assert_matches_torch(lambda x, w, b: F.conv3d(x, w, b, (2, 1, 1), (1, 0, 1), (1, 1, 2), 2),
                         lambda x, w, b: tf.conv3d(x, w, b, (2, 1, 1), (1, 0, 1), (1, 1, 2), 2), x, w, b)
    wt = rand(4, 3, 2, 3, 2, seed=3)
    assert_matches_torch(lambda x, w: F.conv_transpose3d(x, w, None, 2, 1, (1, 0, 1), 1, (1, 2, 1)),
                         lambda x, w: tf.conv_transpose3d(x, w, None, 2, 1, (1, 0, 1), 1, (1, 2, 1)), x, wt)


def test_one_path_for_every_dimension():
    """conv3d over a depth-1 volume with a depth-1 kernel is conv2d, and conv2d over a height-1 image is conv1d."""
    x, w, b = rand(2, 4, 5, 6), rand(6, 2, 3, 2, seed=1), rand(6, seed=2)
    kw = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
    y2 = F.conv2d(tinynn.tensor(x), tinynn.tensor(w), tinynn.tensor(b), **kw)
    y3 = F.conv3d(tinynn.tensor(x[:, :, None]), tinynn.tensor(w[:, :, None]), tinynn.tensor(b),
                  stride=(1,) + kw["stride"], padding=(0,) + kw["padding"], dilation=(1,) + kw["dilation"], groups=2)
    np.testing.assert_allclose(y3.numpy()[:, :, 0], y2.numpy(), rtol=1e-12, atol=1e-12)
    y1 = F.conv1d(tinynn.tensor(x[:, :, 0]), tinynn.tensor(w[:, :, 0]), None, 2, 1, 2, 2)
    y2 = F.conv2d(tinynn.tensor(x[:, :, :1]), tinynn.tensor(w[:, :, :1]), None, (1, 2), (0, 1), (1, 2), 2)
    np.testing.assert_allclose(y2.numpy()[:, :, 0], y1.numpy(), rtol=1e-12, atol=1e-12)


def test_conv3d_of_ones_counts_each_window():
    """A hand-computed case: a 2x2x2 kernel of ones over ones with padding 1 counts the real voxels in each window."""
    y = F.conv3d(tinynn.ones(1, 1, 2, 2, 2, dtype=F64), tinynn.ones(1, 1, 2, 2, 2, dtype=F64), padding=1)
    per_axis = np.array([1, 2, 1])
    np.testing.assert_array_equal(y.numpy()[0, 0], np.einsum("i,j,k->ijk", per_axis, per_axis, per_axis))


@needs_torch
def test_state_dict_and_repr_match_torch():
    for cls, kwargs in [("Conv3d", dict(in_channels=4, out_channels=6, kernel_size=(3, 2, 1), stride=2, padding=(1, 0, 0),
                                        groups=2, bias=False, padding_mode="circular")),
                        ("Conv3d", dict(in_channels=2, out_channels=4, kernel_size=3, padding="same", dilation=2)),
                        ("ConvTranspose3d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1,
                                                 output_padding=1, groups=2, dilation=2))]:
        ours, theirs = _layers(cls, kwargs)
        assert repr(ours) == repr(theirs)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


@pytest.mark.parametrize("layer, fan_in", [(lambda: nn.Conv3d(4, 8, (3, 2, 2), groups=2), 2 * 12),
                                           (lambda: nn.ConvTranspose3d(6, 4, 3, groups=2), 2 * 27)])
def test_default_init_is_uniform_with_bound_one_over_sqrt_fan_in(layer, fan_in):
    tinynn.manual_seed(0)
    m = layer()
    bound = 1 / math.sqrt(fan_in)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert m.weight.dtype == tinynn.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.9 * bound


def test_float32_stays_float32():
    for layer, x in [(nn.Conv3d(2, 3, 2, padding=1), tinynn.randn(1, 2, 3, 3, 3, requires_grad=True)),
                     (nn.ConvTranspose3d(2, 3, 2, stride=2), tinynn.randn(1, 2, 2, 2, 2, requires_grad=True))]:
        y = layer(x)
        y.sum().backward()
        assert y.dtype == x.grad.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == tinynn.float32


def test_errors_name_what_was_expected():
    x = tinynn.randn(1, 3, 4, 4, 4)
    with pytest.raises(RuntimeError, match="expected 4-d \\(unbatched\\) or 5-d \\(batched\\) input"):
        nn.Conv3d(3, 2, 2)(tinynn.randn(4, 4, 4))
    with pytest.raises(RuntimeError, match="2 channels, but got input of shape \\(1, 3, 4, 4, 4\\)"):
        nn.Conv3d(2, 2, 2)(x)
    with pytest.raises(RuntimeError, match="expected a 5-d weight"):
        F.conv3d(x, tinynn.randn(2, 3, 2, 2))
    with pytest.raises(RuntimeError, match="padded input is 4 x 4 x 4 .* kernel spans 5 x 2 x 2"):
        F.conv3d(x, tinynn.randn(2, 3, 5, 2, 2))
    with pytest.raises(RuntimeError, match="'same' is not supported for strided"):
        F.conv3d(x, tinynn.randn(2, 3, 2, 2, 2), stride=2, padding="same")
    with pytest.raises(ValueError, match="'same' is not supported for strided"):
        nn.Conv3d(3, 2, 2, stride=2, padding="same")
    with pytest.raises(RuntimeError, match="invalid padding string 'full'"):
        F.conv3d(x, tinynn.randn(2, 3, 2, 2, 2), padding="full")
    with pytest.raises(RuntimeError, match="stride must be positive"):
        F.conv3d(x, tinynn.randn(2, 3, 2, 2, 2), stride=(1, 0, 1))
    with pytest.raises(ValueError, match="stride must be an int or a sequence of 3 ints"):
        F.conv3d(x, tinynn.randn(2, 3, 2, 2, 2), stride=(1, 2))
    with pytest.raises(RuntimeError, match="output_padding \\(2, 2, 2\\) must be smaller than either stride"):
        F.conv_transpose3d(x, tinynn.randn(3, 2, 2, 2, 2), stride=2, output_padding=2)
    with pytest.raises(TypeError, match="padding must be an int or a tuple of ints, got 'same'"):
        F.conv_transpose3d(x, tinynn.randn(3, 2, 2, 2, 2), padding="same")
    with pytest.raises(ValueError, match="only 'zeros' padding mode"):
        nn.ConvTranspose3d(3, 2, 2, padding_mode="reflect")
    with pytest.raises(ValueError, match="in_channels \\(3\\) must be divisible by groups \\(2\\)"):
        nn.Conv3d(3, 2, 2, groups=2)
    with pytest.raises(ValueError, match="requested an output size of \\(20, 20, 20\\)"):
        nn.ConvTranspose3d(3, 2, 2, stride=2)(x, output_size=(20, 20, 20))
