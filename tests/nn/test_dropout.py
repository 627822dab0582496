"""Dropout family (tinynn/nn/dropout.py, tinynn/nn/functional/dropout.py): inverted scaling, masks
drawn from tinynn's generator, channel-wise masks, eval identity, in-place behaviour, alpha dropout."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tests.helpers import assert_close, check_gradients, needs_torch, rand, torch


def _seeded(fn, seed=0):
    """fn with the generator reset before each call, so every call draws the same mask."""
    def call(*args):
        tinynn.manual_seed(seed)
        return fn(*args)
    return call


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_zero_fraction_and_scale(p):
    tinynn.manual_seed(0)
    x = tinynn.ones(200, 500)
    y = F.dropout(x, p).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)  # survivors scaled by 1 / (1 - p)
    n = y.size
    assert abs((~kept).mean() - p) < 5 * np.sqrt(p * (1 - p) / n)  # binomial: within 5 sigma
    assert abs(y.mean() - 1) < 5 * np.sqrt(p / (1 - p) / n)         # E[y] = x


def test_dropout_gradient_is_the_same_mask():
    x = tinynn.tensor(rand(40, 30), requires_grad=True)
    tinynn.manual_seed(1)
    y = F.dropout(x, 0.3)
    y.backward(tinynn.ones_like(y))
    mask = y.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-12)
    assert set(np.round(np.unique(mask), 12)) <= {0.0, round(1 / 0.7, 12)}


@pytest.mark.parametrize("fn, shape", [(F.dropout, (3, 4)), (F.dropout1d, (2, 3, 4)), (F.dropout2d, (2, 3, 2, 2)),
                                       (F.dropout3d, (1, 3, 2, 1, 2))])
def test_dropout_gradcheck(fn, shape):
    check_gradients(_seeded(lambda x: fn(x, 0.4)), rand(*shape))


def test_manual_seed_reproduces_masks():
    x = tinynn.ones(50, 50)
    tinynn.manual_seed(7)
    a = F.dropout(x, 0.5).numpy()
    b = F.dropout(x, 0.5).numpy()
    tinynn.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), a)
    assert not np.array_equal(a, b)


def test_eval_mode_and_p_zero_are_the_identity():
    x = tinynn.randn(4, 5)
    layer = nn.Dropout(0.5)
    layer.eval()
    assert layer(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert nn.Dropout2d().eval()(tinynn.randn(2, 3, 4, 4)).shape == (2, 3, 4, 4)


def test_p_one_zeroes_everything():
    x = tinynn.tensor(rand(3, 4), requires_grad=True)
    y = F.dropout(x, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), 0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_p_validation(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(tinynn.ones(2), p)


@pytest.mark.parametrize("fn, shape, channel_dims", [(F.dropout1d, (4, 6, 30), 2), (F.dropout1d, (6, 30), 1),
                                                     (F.dropout2d, (4, 6, 5, 6), 2), (F.dropout2d, (6, 5, 6), 2),
                                                     (F.dropout3d, (4, 6, 2, 3, 5), 2)])
def test_channel_dropout_drops_whole_channels(fn, shape, channel_dims):
    tinynn.manual_seed(0)
    if fn is F.dropout2d and len(shape) == 3:
        with pytest.warns(UserWarning, match="3D input"):  # PyTorch reads 3-d input as (N, C, L)
            y = fn(tinynn.ones(*shape), 0.5).numpy()
    else:
        y = fn(tinynn.ones(*shape), 0.5).numpy()
    per_channel = y.reshape(shape[:channel_dims] + (-1,))
    # every channel is all zeros or all 2 (= 1 / (1 - p))
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0 < (per_channel[..., 0] == 0).mean() < 1


def test_dropout1d_rejects_wrong_ranks_and_dropout2d_3d_warn_and_run_as_pytorch():
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        F.dropout1d(tinynn.ones(2, 3, 4, 5))
    # PyTorch warns (a deprecation) and runs: (N, C, *) for dropout2d, unbatched (C, *) for dropout3d
    tinynn.manual_seed(0)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        flat = nn.Dropout2d()(tinynn.ones(40, 30)).numpy()
    assert set(np.unique(flat)) == {0.0, 2.0} and 0 < (flat[:, 0] == 0).mean() < 1
    assert not ((flat == 0).all(1) | (flat == 2).all(1)).all()          # per element: rows are mixed
    with pytest.warns(UserWarning, match="Received a 5-D input to dropout2d"):
        five = F.dropout2d(tinynn.ones(3, 8, 2, 2, 2)).numpy().reshape(3, 8, -1)
    assert ((five == 0).all(-1) | (five == 2).all(-1)).all()            # whole (N, C) channels
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout3d"):
        rows = F.dropout3d(tinynn.ones(40, 6)).numpy()
    assert ((rows == 0).all(1) | (rows == 2).all(1)).all()              # dim 0 is the channel
    with pytest.raises(RuntimeError, match="at least 2 dimensions"), pytest.warns(UserWarning, match="1-D input"):
        F.dropout2d(tinynn.ones(5))


def test_inplace_dropout_writes_into_its_input():
    x = tinynn.ones(20, 20)
    tinynn.manual_seed(3)
    y = F.dropout(x, 0.5, inplace=True)
    tinynn.manual_seed(3)
    expected = F.dropout(tinynn.ones(20, 20), 0.5)
    assert y is x
    assert_close(x, expected)
    # in a graph: the non-leaf is rebased, the gradient still flows through the mask
    leaf = tinynn.tensor(rand(5, 5), requires_grad=True)
    h = leaf * 2
    tinynn.manual_seed(4)
    out = nn.Dropout(0.5, inplace=True)(h)
    assert out is h
    out.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), 2 * (h.detach().numpy() != 0) * 2)
    with pytest.raises(RuntimeError, match="leaf"):
        F.dropout(tinynn.ones(3, requires_grad=True), 0.5, inplace=True)


def test_alpha_dropout_keeps_zero_mean_unit_variance():
    tinynn.manual_seed(0)
    x = tinynn.randn(400, 500, dtype=tinynn.float64)
    y = nn.AlphaDropout(0.3)(x).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    # dropped units all take one value: a * (-alpha') + b
    alpha = 1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.3) * (1 + 0.3 * alpha**2)) ** -0.5
    dropped_value = -a * alpha + a * alpha * 0.3
    assert 0.28 < np.isclose(y, dropped_value).mean() < 0.32
    assert nn.AlphaDropout(0.3).eval()(x) is x
    assert F.alpha_dropout(x, 0.3) is x  # training defaults to False in the functional form


def test_alpha_dropout_gradcheck():
    check_gradients(_seeded(lambda x: F.alpha_dropout(x, 0.4, training=True)), rand(3, 4))
    check_gradients(_seeded(lambda x: F.feature_alpha_dropout(x, 0.4, training=True)), rand(2, 3, 2))


def test_feature_alpha_dropout_is_channel_wise():
    tinynn.manual_seed(1)
    y = nn.FeatureAlphaDropout(0.5)(tinynn.zeros(8, 6, 10)).numpy()
    assert np.all(y.min(-1) == y.max(-1))   # x = 0: each channel is one constant (kept or dropped)
    assert len(np.unique(np.round(y, 9))) == 2


@needs_torch
@pytest.mark.parametrize("cls, args", [("Dropout", (0.3,)), ("Dropout1d", (0.5, True)), ("Dropout2d", ()),
                                       ("Dropout3d", (0.1,)), ("AlphaDropout", (0.2,)), ("FeatureAlphaDropout", ())])
def test_repr_matches_torch(cls, args):
    assert repr(getattr(nn, cls)(*args)) == repr(getattr(torch.nn, cls)(*args))


def test_dropout_float32_mask_keeps_dtype():
    y = F.dropout(tinynn.ones(4, 4, dtype=tinynn.float32), 0.5)
    assert y.dtype == tinynn.float32


def test_zero_dim_input():
    values = set()
    for seed in range(20):
        tinynn.manual_seed(seed)
        y = F.dropout(tinynn.tensor(2.0), 0.5)
        assert y.shape == ()
        values.add(y.item())
    assert values == {0.0, 4.0}
