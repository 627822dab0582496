"""Convolutions (tinynn/ops/conv.py, tinynn/nn/functional/conv.py, tinynn/nn/conv.py): float64 gradchecks
w.r.t. input, weight and bias (and second order), PyTorch parity of outputs and of input and parameter
gradients with weights copied through state_dict, the default initialisation, and the errors."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_close, assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch

F64 = tinynn.float64
# PyTorch warns that 'same' with an even kernel makes a padded copy; tinynn always pads a copy.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def assert_module_matches_torch(ours, theirs, x, *call_args, rtol=1e-7, atol=1e-10):
    """Copy ``ours``' weights into ``theirs`` via state_dict; compare outputs, input and parameter gradients."""
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()})
    assert_matches_torch(lambda t: ours(t, *call_args), lambda t: theirs(t, *call_args), x, rtol=rtol, atol=atol)
    torch_params = dict(theirs.named_parameters())
    assert set(torch_params) == {name for name, _ in ours.named_parameters()}
    for name, p in ours.named_parameters():
        assert_close(p.grad, torch_params[name].grad, rtol, atol, what=f"gradient of parameter {name}")


def gradcheck_module(module, x, output_size=None, second_order=False):
    """gradcheck the layer as a function of (input, weight[, bias]) at float64."""
    params = [leaf(np.asarray(p.detach())) for p in (module.weight, module.bias) if p is not None]

    def run(inp, weight, bias=None):
        if not module.transposed:
            return module._conv_forward(inp, weight, bias)
        conv = getattr(F, f"conv_transpose{module.dims}d")
        return conv(inp, weight, bias, module.stride, module.padding, module._output_padding(inp, output_size),
                    module.groups, module.dilation)

    check_gradients(run, x, *params, second_order=second_order)


# (layer constructor arguments, input shape): each is gradchecked and matched against PyTorch
CONV2D = [
    (dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1), (2, 3, 7, 6)),
    (dict(in_channels=2, out_channels=3, kernel_size=(3, 2), padding=(2, 1)), (2, 2, 4, 5)),
    (dict(in_channels=2, out_channels=3, kernel_size=(4, 3), padding="same"), (1, 2, 5, 6)),
    (dict(in_channels=2, out_channels=2, kernel_size=(2, 3), padding="same", dilation=(3, 2)), (1, 2, 5, 6)),
    (dict(in_channels=2, out_channels=3, kernel_size=3, dilation=2, padding="valid"), (2, 2, 7, 6)),
    (dict(in_channels=4, out_channels=6, kernel_size=(2, 3), groups=2, stride=(1, 2), padding=1), (2, 4, 5, 6)),
    (dict(in_channels=3, out_channels=6, kernel_size=3, groups=3, padding=1), (2, 3, 5, 5)),   # depthwise
    (dict(in_channels=3, out_channels=2, kernel_size=(1, 3), bias=False, stride=(2, 1)), (2, 3, 5, 5)),
    (dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=1), (2, 6, 5)),   # unbatched
    (dict(in_channels=2, out_channels=3, kernel_size=3, padding=(1, 2), padding_mode="reflect"), (2, 2, 4, 5)),
    (dict(in_channels=2, out_channels=3, kernel_size=(3, 4), padding="same", padding_mode="replicate"), (1, 2, 4, 5)),
    (dict(in_channels=2, out_channels=2, kernel_size=3, padding=2, stride=2, padding_mode="circular"), (2, 2, 4, 5)),
]
CONV1D = [
    (dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1), (2, 3, 8)),
    (dict(in_channels=4, out_channels=2, kernel_size=2, dilation=2, groups=2, padding="same"), (2, 4, 7)),
    (dict(in_channels=2, out_channels=2, kernel_size=3, groups=2, bias=False), (2, 2, 6)),   # depthwise
    (dict(in_channels=2, out_channels=3, kernel_size=3, padding=1), (2, 6)),                  # unbatched
    (dict(in_channels=2, out_channels=3, kernel_size=3, padding=2, padding_mode="circular"), (2, 2, 5)),
]
# (constructor arguments, input shape, output_size passed to forward)
TRANSPOSED = [
    (dict(in_channels=3, out_channels=2, kernel_size=3, stride=2, padding=1, output_padding=1), (2, 3, 3, 4), None),
    (dict(in_channels=4, out_channels=6, kernel_size=(2, 3), stride=(2, 1), groups=2), (2, 4, 3, 3), None),
    (dict(in_channels=2, out_channels=3, kernel_size=3, dilation=2, padding=1, bias=False), (2, 2, 3, 4), None),
    (dict(in_channels=2, out_channels=2, kernel_size=3, dilation=2, output_padding=1), (1, 2, 3, 3), None),
    (dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=1), (2, 2, 3, 3), (6, 6)),
    (dict(in_channels=2, out_channels=3, kernel_size=(3, 2), stride=(3, 2), padding=(1, 0)), (2, 3, 2), (3, 7, 5)),
]
TRANSPOSED_1D = [
    (dict(in_channels=2, out_channels=4, kernel_size=3, stride=2, padding=1, output_padding=1, groups=2), (2, 2, 4), None),
    (dict(in_channels=3, out_channels=2, kernel_size=2, stride=3, dilation=2), (3, 4), [12]),
]


def _layers(cls, kwargs):
    tinynn.manual_seed(0)
    return getattr(nn, cls)(**kwargs, dtype=F64), getattr(torch.nn, cls)(**kwargs, dtype=torch.float64)


def _name(case):
    args = ",".join(f"{k}={v}" for k, v in case[0].items() if k not in ("in_channels", "out_channels"))
    return f"{args}:{case[1]}"


@pytest.mark.parametrize("kwargs, shape", CONV2D, ids=map(_name, CONV2D))
def test_conv2d_gradcheck(kwargs, shape):
    gradcheck_module(nn.Conv2d(**kwargs, dtype=F64), rand(*shape))


@pytest.mark.parametrize("kwargs, shape", CONV1D, ids=map(_name, CONV1D))
def test_conv1d_gradcheck(kwargs, shape):
    gradcheck_module(nn.Conv1d(**kwargs, dtype=F64), rand(*shape))


ALL_TRANSPOSED = [("ConvTranspose2d",) + c for c in TRANSPOSED] + [("ConvTranspose1d",) + c for c in TRANSPOSED_1D]
TRANSPOSED_IDS = [f"2d:{_name(c)}" for c in TRANSPOSED] + [f"1d:{_name(c)}" for c in TRANSPOSED_1D]


@pytest.mark.parametrize("cls, kwargs, shape, size", ALL_TRANSPOSED, ids=TRANSPOSED_IDS)
def test_conv_transpose_gradcheck(cls, kwargs, shape, size):
    gradcheck_module(getattr(nn, cls)(**kwargs, dtype=F64), rand(*shape), size)


@needs_torch
@pytest.mark.parametrize("cls, kwargs, shape", [("Conv2d", k, s) for k, s in CONV2D] + [("Conv1d", k, s) for k, s in CONV1D],
                         ids=[f"2d:{_name(c)}" for c in CONV2D] + [f"1d:{_name(c)}" for c in CONV1D])
def test_conv_matches_torch(cls, kwargs, shape):
    ours, theirs = _layers(cls, kwargs)
    assert_module_matches_torch(ours, theirs, rand(*shape))


@needs_torch
@pytest.mark.parametrize("cls, kwargs, shape, size", ALL_TRANSPOSED, ids=TRANSPOSED_IDS)
def test_conv_transpose_matches_torch(cls, kwargs, shape, size):
    ours, theirs = _layers(cls, kwargs)
    args = () if size is None else (size,)
    assert_module_matches_torch(ours, theirs, rand(*shape), *args)


def test_second_derivatives_of_conv2d_and_its_transpose():
    """gradgradcheck: each op's backward is made of the three conv ops, so they differentiate again."""
    x, w, b = rand(1, 4, 5, 4), rand(4, 2, 3, 2, seed=1), rand(4, seed=2)
    check_gradients(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=(1, 0), dilation=(1, 2), groups=2), x, w, b)
    check_gradients(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1, groups=2),
                    rand(1, 4, 2, 3), rand(4, 1, 3, 3, seed=1))
    check_gradients(lambda x, w: F.conv1d(x, w, padding="same", dilation=2), rand(2, 2, 5), rand(3, 2, 2, seed=1))
    # output_padding >= stride (allowed when < dilation): the adjoint conv must stop at the input's size
    check_gradients(lambda x, w: F.conv_transpose2d(x, w, dilation=2, output_padding=1), rand(1, 2, 3, 3), rand(2, 2, 3, 3))


@needs_torch
def test_functional_forms_match_torch():
    x, w, b = rand(2, 4, 6, 5), rand(6, 2, 3, 3, seed=1), rand(6, seed=2)
    assert_matches_torch(lambda x, w, b: F.conv2d(x, w, b, 2, (1, 0), 1, 2),
                         lambda x, w, b: torch.nn.functional.conv2d(x, w, b, 2, (1, 0), 1, 2), x, w, b)
    wt = rand(4, 3, 2, 3, seed=3)
    assert_matches_torch(lambda x, w: F.conv_transpose2d(x, w, None, 2, 1, 1, 1, 1),
                         lambda x, w: torch.nn.functional.conv_transpose2d(x, w, None, 2, 1, 1, 1, 1), x, wt)
    assert_matches_torch(lambda x, w: F.conv1d(x, w, padding="same"),
                         lambda x, w: torch.nn.functional.conv1d(x, w, padding="same"), rand(2, 3, 7), rand(2, 3, 4))
    assert_matches_torch(lambda x, w: F.conv_transpose1d(x, w, stride=2, output_padding=1),
                         lambda x, w: torch.nn.functional.conv_transpose1d(x, w, stride=2, output_padding=1),
                         rand(2, 3, 4), rand(3, 2, 3))


@needs_torch
def test_state_dict_and_repr_match_torch():
    for cls, kwargs in [("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=2, padding="valid",
                                        groups=2, bias=False)),
                        ("Conv1d", dict(in_channels=2, out_channels=4, kernel_size=3, padding="same",
                                        padding_mode="reflect")),
                        ("ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1,
                                                 output_padding=1, groups=2, dilation=2))]:
        ours, theirs = _layers(cls, kwargs)
        assert repr(ours) == repr(theirs)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


@pytest.mark.parametrize("layer, fan_in", [(lambda: nn.Conv2d(4, 8, (3, 5), groups=2), 2 * 15),
                                           (lambda: nn.Conv1d(6, 30, 7), 6 * 7),
                                           (lambda: nn.ConvTranspose2d(8, 12, 3, groups=2), 6 * 9)])
def test_default_init_is_uniform_with_bound_one_over_sqrt_fan_in(layer, fan_in):
    tinynn.manual_seed(0)
    m = layer()
    bound = 1 / math.sqrt(fan_in)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert m.weight.dtype == tinynn.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.95 * bound                          # the whole interval is used
    sigma = bound / math.sqrt(3)                                   # U(-a, a) has std a/sqrt(3)
    assert abs(w.mean()) < 4 * sigma / math.sqrt(w.size)           # 4 standard errors
    assert abs(w.std() - sigma) < 0.1 * sigma
    tinynn.manual_seed(0)
    np.testing.assert_array_equal(layer().weight.detach().numpy(), w)   # reproducible from the seed


def test_float32_stays_float32():
    """No silent float64 upcast: output and gradients keep the float32 of input and weights."""
    for layer, x in [(nn.Conv2d(3, 4, 3, padding=1, groups=1), tinynn.randn(2, 3, 5, 5, requires_grad=True)),
                     (nn.ConvTranspose2d(3, 4, 3, stride=2), tinynn.randn(2, 3, 4, 4, requires_grad=True)),
                     (nn.Conv1d(2, 2, 3, padding="same", padding_mode="circular"), tinynn.randn(2, 2, 5, requires_grad=True))]:
        y = layer(x)
        y.sum().backward()
        assert y.dtype == x.grad.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == tinynn.float32


def test_conv_forward_is_a_plain_correlation():
    """A hand-computed case: a 2x2 kernel of ones sums each 2x2 window (with stride 1, no padding)."""
    x = tinynn.arange(9, dtype=F64).reshape(1, 1, 3, 3)
    y = F.conv2d(x, tinynn.ones(1, 1, 2, 2, dtype=F64), tinynn.tensor([0.5], dtype=F64))
    np.testing.assert_array_equal(y.numpy(), [[[[8.5, 12.5], [20.5, 24.5]]]])


def test_errors_name_what_was_expected():
    x = tinynn.randn(2, 4, 8, 8)
    with pytest.raises(RuntimeError, match="3 channels.*got input of shape \\(2, 4, 8, 8\\)"):
        nn.Conv2d(3, 6, 3)(x)
    with pytest.raises(ValueError, match="in_channels \\(4\\) must be divisible by groups \\(3\\)"):
        nn.Conv2d(4, 6, 3, groups=3)
    with pytest.raises(ValueError, match="out_channels \\(6\\) must be divisible by groups \\(4\\)"):
        nn.Conv2d(4, 6, 3, groups=4)
    with pytest.raises(RuntimeError, match="out_channels \\(weight.shape\\[0\\] = 6\\) must be divisible by groups=4"):
        F.conv2d(x, tinynn.randn(6, 1, 3, 3), groups=4)
    with pytest.raises(RuntimeError, match="padded input is 4 x 4 .* kernel spans 5 x 5"):
        nn.Conv2d(4, 2, 5)(tinynn.randn(1, 4, 4, 4))
    with pytest.raises(RuntimeError, match="padded input is 3 .* kernel spans 5"):
        nn.Conv1d(4, 2, 3, dilation=2)(tinynn.randn(1, 4, 3))
    with pytest.raises(ValueError, match="invalid padding string 'full'"):
        nn.Conv2d(4, 2, 3, padding="full")
    with pytest.raises(ValueError, match="'same' is not supported for strided"):
        nn.Conv2d(4, 2, 3, padding="same", stride=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(4, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="only 'zeros' padding mode"):
        nn.ConvTranspose2d(4, 2, 3, padding_mode="reflect")
    with pytest.raises(RuntimeError, match="expected 3-d \\(unbatched\\) or 4-d \\(batched\\) input"):
        nn.Conv2d(4, 2, 3)(tinynn.randn(4, 8))
    with pytest.raises(RuntimeError, match="must have the same dtype"):
        nn.Conv2d(4, 2, 3)(x.double())
    with pytest.raises(RuntimeError, match="reflect padding \\(3, 3\\) must be smaller than the input size 3"):
        nn.Conv2d(4, 2, 3, padding=3, padding_mode="reflect")(tinynn.randn(1, 4, 3, 3))
    with pytest.raises(RuntimeError, match="output_padding \\(2, 2\\) must be smaller than either stride"):
        nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=2)(x)
    with pytest.raises(ValueError, match="requested an output size of \\(20, 20\\), but valid sizes range from"):
        nn.ConvTranspose2d(4, 2, 3, stride=2)(x, output_size=(20, 20))
