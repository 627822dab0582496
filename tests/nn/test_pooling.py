"""Pooling (tinynn/ops/pool.py, tinynn/nn/functional/pooling.py, tinynn/nn/pooling.py): float64 gradchecks
(and second order), PyTorch parity of outputs, argmax indices and input gradients (ties included),
the 2x2 fast path, adaptive pools with sizes that don't divide, unpooling, reprs and errors, in 1, 2 and 3 dims."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

# (layer, constructor arguments, input shape); every case is gradchecked and matched against PyTorch
CASES = [
    ("MaxPool2d", dict(kernel_size=2), (2, 3, 6, 8)),                                     # the 2x2 fast path
    ("MaxPool2d", dict(kernel_size=2), (2, 2, 7, 5)),                                     # odd sizes: floor
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1), (2, 2, 7, 6)),
    ("MaxPool2d", dict(kernel_size=(2, 3), stride=(1, 2), padding=1, dilation=2), (1, 2, 7, 8)),
    ("MaxPool2d", dict(kernel_size=3, stride=2, ceil_mode=True, return_indices=True), (2, 2, 8, 6)),
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 7, 6)),   # unbatched
    ("MaxPool1d", dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True, return_indices=True), (2, 3, 9)),
    ("MaxPool1d", dict(kernel_size=2), (3, 7)),                                            # unbatched
    ("AvgPool2d", dict(kernel_size=2), (2, 3, 6, 8)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1), (2, 2, 7, 6)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), (2, 2, 7, 6)),
    ("AvgPool2d", dict(kernel_size=(3, 2), stride=2, padding=1, ceil_mode=True, count_include_pad=False), (2, 2, 7, 8)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 6, 6)),     # unbatched
    ("AvgPool2d", dict(kernel_size=2, stride=1, divisor_override=3), (1, 2, 4, 5)),
    ("AvgPool1d", dict(kernel_size=4, stride=3, padding=2, ceil_mode=True, count_include_pad=False), (2, 3, 9)),
    ("AvgPool1d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 3, 8)),
    ("AdaptiveAvgPool2d", dict(output_size=(3, 4)), (2, 2, 5, 7)),                          # overlapping windows
    ("AdaptiveAvgPool2d", dict(output_size=(None, 3)), (2, 2, 5, 7)),
    ("AdaptiveAvgPool2d", dict(output_size=1), (2, 3, 4, 5)),
    ("AdaptiveAvgPool2d", dict(output_size=(2, 3)), (2, 4, 6)),                             # divisible, unbatched
    ("AdaptiveAvgPool1d", dict(output_size=4), (2, 3, 9)),
    ("AdaptiveMaxPool2d", dict(output_size=(3, 4), return_indices=True), (2, 2, 5, 7)),
    ("AdaptiveMaxPool2d", dict(output_size=(4, 2)), (2, 2, 8, 6)),                          # divisible
    ("AdaptiveMaxPool2d", dict(output_size=(5, 5)), (2, 5, 7)),                             # unbatched
    ("AdaptiveMaxPool1d", dict(output_size=4, return_indices=True), (2, 3, 9)),
    # 3-d: the same N-d ops, with a depth axis in front
    ("MaxPool3d", dict(kernel_size=2), (2, 2, 4, 4, 6)),
    ("MaxPool3d", dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=1, dilation=(2, 1, 1), return_indices=True),
     (1, 2, 4, 5, 4)),
    ("MaxPool3d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, return_indices=True), (2, 4, 5, 4)),  # unbatched
    ("AvgPool3d", dict(kernel_size=2), (2, 2, 4, 4, 6)),
    ("AvgPool3d", dict(kernel_size=(3, 2, 3), stride=2, padding=1, ceil_mode=True, count_include_pad=False),
     (1, 2, 5, 4, 6)),
    ("AvgPool3d", dict(kernel_size=3, stride=(1, 2, 2), padding=(0, 1, 1), divisor_override=7), (2, 3, 5, 4)),   # unbatched
    ("AdaptiveAvgPool3d", dict(output_size=(2, 3, 4)), (1, 2, 3, 5, 7)),                    # overlapping windows
    ("AdaptiveAvgPool3d", dict(output_size=(None, 2, 1)), (2, 3, 4, 5)),                    # unbatched
    ("AdaptiveAvgPool3d", dict(output_size=1), (2, 2, 3, 4, 2)),                            # global average
    ("AdaptiveMaxPool3d", dict(output_size=(2, 3, 4), return_indices=True), (1, 2, 3, 5, 7)),
    ("AdaptiveMaxPool3d", dict(output_size=(1, 2, 3), return_indices=True), (2, 2, 4, 6)),  # divisible, unbatched
]
IDS = [f"{c}:{','.join(f'{k}={v}' for k, v in kw.items())}:{shape}" for c, kw, shape in CASES]


def _values(output):
    """The differentiable part of a pool's output (the values, not the argmax indices)."""
    return output[0] if isinstance(output, tuple) else output


@pytest.mark.parametrize("cls, kwargs, shape", CASES, ids=IDS)
def test_pool_gradcheck(cls, kwargs, shape):
    layer = getattr(nn, cls)(**kwargs)
    check_gradients(lambda x: _values(layer(x)), rand(*shape), second_order=False)


@needs_torch
@pytest.mark.parametrize("cls, kwargs, shape", CASES, ids=IDS)
@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
def test_pool_matches_torch(cls, kwargs, shape, ties):
    """Same values, indices and gradients; with ties the gradient goes to the first maximum, as PyTorch."""
    x = np.round(rand(*shape, low=0, high=2)) if ties else rand(*shape)
    ours, theirs = getattr(nn, cls)(**kwargs), getattr(torch.nn, cls)(**kwargs)
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, x)      # indices are compared exactly (they are outputs too)


def test_second_derivatives():
    """The backward ops (scatter to the argmax, spread over the window) are differentiable ops too."""
    check_gradients(lambda x: F.max_pool2d(x, 3, 2, 1), rand(1, 2, 5, 6))
    check_gradients(lambda x: F.max_pool2d(x, 2), rand(1, 2, 4, 4))
    check_gradients(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), rand(1, 2, 5, 6))
    check_gradients(lambda x: F.adaptive_max_pool2d(x, (2, 3)), rand(1, 2, 5, 5))
    check_gradients(lambda x: F.adaptive_avg_pool2d(x, (2, 3)), rand(1, 2, 5, 5))
    check_gradients(lambda x: F.max_pool3d(x, 2, (1, 2, 1), 1), rand(1, 1, 3, 4, 3))
    check_gradients(lambda x: F.avg_pool3d(x, 2, 1, 1, count_include_pad=False), rand(1, 1, 3, 2, 3))
    check_gradients(lambda x: F.adaptive_max_pool3d(x, (2, 2, 3)), rand(1, 1, 3, 3, 4))


def test_max_pool_gradient_goes_to_the_first_maximum_and_sums_over_overlaps():
    x = tinynn.tensor([[[[1.0, 3.0, 3.0, 0.0]]]], requires_grad=True)
    y = F.max_pool2d(x, (1, 2), stride=1)                # windows [1,3] [3,3] [3,0]: argmax 1, 1, 2
    np.testing.assert_array_equal(y.detach().numpy(), [[[[3.0, 3.0, 3.0]]]])
    y.backward(tinynn.tensor([[[[1.0, 10.0, 100.0]]]]))
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 11.0, 100.0, 0.0]]]])


def test_fast_path_equals_the_reshape_reference():
    """The 2x2 stride-2 pool (strided quarters, no padded copy) against max/mean over a reshape."""
    x = rand(2, 3, 6, 8).astype(np.float32)
    blocks = x.reshape(2, 3, 3, 2, 4, 2)
    t = tinynn.tensor(x)
    np.testing.assert_array_equal(F.max_pool2d(t, 2).numpy(), blocks.max(axis=(3, 5)))
    np.testing.assert_allclose(F.avg_pool2d(t, 2).numpy(), blocks.mean(axis=(3, 5)), rtol=1e-6)
    assert F.max_pool2d(t, 2).dtype == tinynn.float32 and F.avg_pool2d(t, 2).dtype == tinynn.float32
    values, indices = F.max_pool2d(t, 2, return_indices=True)
    np.testing.assert_array_equal(np.take_along_axis(x.reshape(2, 3, -1), indices.numpy().reshape(2, 3, -1), 2),
                                  values.numpy().reshape(2, 3, -1))


def test_3d_pools_are_the_2d_pools_over_a_depth_of_one():
    """One N-d code path: a 3-d pool over (D=1, kd=1) gives the 2-d pool's values and indices."""
    x = tinynn.tensor(rand(2, 3, 7, 6))
    x3 = x.unsqueeze(2)
    y2, i2 = F.max_pool2d(x, (3, 2), (2, 1), 1, (1, 2), True, True)
    y3, i3 = F.max_pool3d(x3, (1, 3, 2), (1, 2, 1), (0, 1, 1), (1, 1, 2), True, True)
    np.testing.assert_array_equal(y3.numpy()[:, :, 0], y2.numpy())
    np.testing.assert_array_equal(i3.numpy()[:, :, 0], i2.numpy())
    np.testing.assert_allclose(F.avg_pool3d(x3, (1, 3, 3), (1, 2, 2), (0, 1, 1), False, False).numpy()[:, :, 0],
                               F.avg_pool2d(x, 3, 2, 1, False, False).numpy(), rtol=1e-12)
    for size in [(4, 5), (3, 3)]:
        np.testing.assert_allclose(F.adaptive_avg_pool3d(x3, (1,) + size).numpy()[:, :, 0],
                                   F.adaptive_avg_pool2d(x, size).numpy(), rtol=1e-12)
        y2, i2 = F.adaptive_max_pool2d(x, size, True)
        y3, i3 = F.adaptive_max_pool3d(x3, (1,) + size, True)
        np.testing.assert_array_equal(i3.numpy()[:, :, 0], i2.numpy())


def test_float32_stays_float32():
    x = tinynn.randn(2, 3, 7, 6, requires_grad=True)
    for y in [F.max_pool2d(x, 3, 2, 1), F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), F.avg_pool2d(x, 2),
              F.adaptive_avg_pool2d(x, (4, 5)), F.adaptive_max_pool2d(x, (4, 5))]:
        x.grad = None
        y.sum().backward()
        assert y.dtype == x.grad.dtype == tinynn.float32


def test_max_pool_propagates_nan():
    x = rand(1, 1, 4, 4)
    x[0, 0, 1, 2] = np.nan
    y = F.max_pool2d(tinynn.tensor(x), 2).numpy()
    assert np.isnan(y[0, 0, 0, 1]) and np.isfinite(y).sum() == 3


@needs_torch
def test_max_unpool_matches_torch():
    x = rand(2, 3, 6, 8)
    values, indices = F.max_pool2d(tinynn.tensor(x), 2, return_indices=True)
    tv, ti = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    for size in (None, (7, 9)):
        unpool, t_unpool = nn.MaxUnpool2d(2), torch.nn.MaxUnpool2d(2)
        assert repr(unpool) == repr(t_unpool)
        assert_matches_torch(lambda v: unpool(v, indices, size), lambda v: t_unpool(v, ti, size), tv.numpy())
    v1, i1 = F.max_pool1d(tinynn.tensor(x[0]), 3, 2, return_indices=True)
    tv1, ti1 = torch.nn.functional.max_pool1d(torch.tensor(x[0]), 3, 2, return_indices=True)
    assert_matches_torch(lambda v: F.max_unpool1d(v, i1, 3, 2), lambda v: torch.nn.functional.max_unpool1d(v, ti1, 3, 2),
                         tv1.numpy())
    x3 = rand(2, 2, 4, 5, 6)
    v3, i3 = F.max_pool3d(tinynn.tensor(x3), 2, (2, 1, 2), return_indices=True)
    tv3, ti3 = torch.nn.functional.max_pool3d(torch.tensor(x3), 2, (2, 1, 2), return_indices=True)
    np.testing.assert_array_equal(i3.numpy(), ti3.numpy())
    for size in (None, (4, 5, 6)):
        unpool, t_unpool = nn.MaxUnpool3d(2, (2, 1, 2)), torch.nn.MaxUnpool3d(2, (2, 1, 2))
        assert repr(unpool) == repr(t_unpool)
        assert_matches_torch(lambda v: unpool(v, i3, size), lambda v: t_unpool(v, ti3, size), tv3.numpy())


@needs_torch
def test_functional_forms_match_torch():
    x, tf = rand(2, 3, 7, 6), torch.nn.functional
    assert_matches_torch(lambda t: F.max_pool2d(t, (3, 2), (2, 1), (1, 0), 1, True, True),
                         lambda t: tf.max_pool2d(t, (3, 2), (2, 1), (1, 0), 1, True, True), x)
    assert_matches_torch(lambda t: F.avg_pool2d(t, 3, 2, 1, True, False), lambda t: tf.avg_pool2d(t, 3, 2, 1, True, False), x)
    assert_matches_torch(lambda t: F.adaptive_max_pool2d(t, (4, 5), True), lambda t: tf.adaptive_max_pool2d(t, (4, 5), True), x)
    assert_matches_torch(lambda t: F.adaptive_avg_pool2d(t, 5), lambda t: tf.adaptive_avg_pool2d(t, 5), x)
    x1 = rand(2, 3, 10)
    assert_matches_torch(lambda t: F.max_pool1d(t, 4, 3, 2, 1, True), lambda t: tf.max_pool1d(t, 4, 3, 2, 1, True), x1)
    assert_matches_torch(lambda t: F.avg_pool1d(t, 4, 3, 2, True, False), lambda t: tf.avg_pool1d(t, 4, 3, 2, True, False), x1)
    assert_matches_torch(lambda t: F.adaptive_avg_pool1d(t, 3), lambda t: tf.adaptive_avg_pool1d(t, 3), x1)
    assert_matches_torch(lambda t: F.adaptive_max_pool1d(t, 3, True), lambda t: tf.adaptive_max_pool1d(t, 3, True), x1)
    x3 = rand(2, 2, 5, 4, 6)
    assert_matches_torch(lambda t: F.max_pool3d(t, (3, 2, 2), (2, 1, 2), (1, 0, 1), (1, 2, 1), True, True),
                         lambda t: tf.max_pool3d(t, (3, 2, 2), (2, 1, 2), (1, 0, 1), (1, 2, 1), True, True), x3)
    assert_matches_torch(lambda t: F.avg_pool3d(t, 3, 2, 1, True, False, None),
                         lambda t: tf.avg_pool3d(t, 3, 2, 1, True, False, None), x3)
    assert_matches_torch(lambda t: F.adaptive_avg_pool3d(t, (3, 3, 4)), lambda t: tf.adaptive_avg_pool3d(t, (3, 3, 4)), x3)
    assert_matches_torch(lambda t: F.adaptive_max_pool3d(t, (3, 3, 4), True),
                         lambda t: tf.adaptive_max_pool3d(t, (3, 3, 4), True), x3)


def test_errors_name_what_was_expected():
    x = tinynn.randn(1, 2, 5, 5)
    with pytest.raises(RuntimeError, match="padding should be at most half of the effective kernel size"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="padding should be at most half of the kernel size"):
        F.avg_pool2d(x, 3, padding=2)
    with pytest.raises(RuntimeError, match="too small for kernel_size \\(7, 7\\)"):
        F.max_pool2d(x, 7)
    with pytest.raises(RuntimeError, match="expected a non-empty 3-d \\(unbatched\\) or 4-d \\(batched\\) input"):
        nn.MaxPool2d(2)(tinynn.randn(5, 5))
    with pytest.raises(RuntimeError, match="expected a non-empty 2-d \\(unbatched\\) or 3-d"):
        F.avg_pool1d(x, 2)
    with pytest.raises(RuntimeError, match="kernel_size .* must be positive"):
        F.max_pool2d(x, 0)
    with pytest.raises(ValueError, match="output_size must be positive"):
        F.adaptive_avg_pool2d(x, (0, 2))
    with pytest.raises(RuntimeError, match="divisor_override must be non-zero"):
        F.avg_pool2d(x, 2, divisor_override=0)
    x3 = tinynn.randn(1, 2, 4, 4, 4)
    with pytest.raises(RuntimeError, match="expected a non-empty 4-d \\(unbatched\\) or 5-d \\(batched\\) input"):
        nn.MaxPool3d(2)(tinynn.randn(4, 4, 4))
    with pytest.raises(RuntimeError, match="padding should be at most half of the effective kernel size"):
        F.max_pool3d(x3, 2, padding=2)
    with pytest.raises(RuntimeError, match="too small for kernel_size \\(5, 5, 5\\)"):
        F.avg_pool3d(x3, 5)
    with pytest.raises(RuntimeError, match="divisor_override must be non-zero"):
        nn.AvgPool3d(2, divisor_override=0)(x3)
    with pytest.raises(RuntimeError, match="output_size must be an int or 3 values, got \\(2, 2\\)"):
        F.adaptive_avg_pool3d(x3, (2, 2))
    with pytest.raises(ValueError, match="kernel_size must be an int or a sequence of 3 ints"):
        F.max_pool3d(x3, (2, 2))
    values, indices = F.max_pool3d(x3, 2, return_indices=True)
    with pytest.raises(RuntimeError, match="an index is out of range for an output of spatial size \\(1, 1, 1\\)"):
        F.max_unpool3d(values, indices, 2, output_size=(1, 1, 1))


def test_with_indices_names_return_values_and_indices():
    x = tinynn.tensor(rand(1, 2, 6, 6))
    values, indices = F.max_pool2d_with_indices(x, 2)
    expected = F.max_pool2d(x, 2, return_indices=True)
    assert values.tolist() == expected[0].tolist() and indices.tolist() == expected[1].tolist()
    assert len(F.adaptive_max_pool1d_with_indices(tinynn.tensor(rand(1, 2, 7)), 3)) == 2
    assert F.max_pool3d_with_indices(tinynn.tensor(rand(1, 1, 4, 4, 4)), 2)[1].dtype == tinynn.int64
