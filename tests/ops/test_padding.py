"""The padding ops (tinynn/ops/padding.py): constant padding (``Pad``, ``pad_constant``, which attention
and fold use directly), the source index of each padding mode, and ``pad_mode`` on any trailing dims."""
import numpy as np
import pytest

import tinynn
from tinynn.ops.padding import pad_constant, pad_mode, source_index
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

PADS = [((1, 2), 0.0, (2, 3)), ((1, 0, 0, 2), 1.5, (2, 3)), ((2, 1, 1, 0, 0, 1), -1.0, (2, 2, 2)),
        ((-1, 1), 0.0, (2, 3)), ((0, 0, -1, 2), 3.0, (3, 3)), ((-2, -1), 0.0, (2, 3))]


@needs_torch
@pytest.mark.parametrize("pad, value, shape", PADS, ids=str)
def test_pad_constant_matches_torch(pad, value, shape):
    assert_matches_torch(lambda t: pad_constant(t, pad, value), lambda t: torch.nn.functional.pad(t, pad, value=value),
                         rand(*shape, seed=4))


@pytest.mark.parametrize("pad, value, shape", PADS, ids=str)
def test_pad_constant_gradcheck(pad, value, shape):
    check_gradients(lambda t: pad_constant(t, pad, value), rand(*shape, seed=5))


def test_pad_constant_values_and_errors():
    out = pad_constant(tinynn.tensor([[1.0, 2.0]]), (1, 2), value=9.0)
    np.testing.assert_array_equal(out.numpy(), [[9, 1, 2, 9, 9]])
    assert pad_constant(tinynn.tensor([True]), (1, 0)).tolist() == [False, True]
    with pytest.raises(RuntimeError, match="padding length must be even"):
        pad_constant(tinynn.ones(2, 2), (1, 2, 3))
    with pytest.raises(RuntimeError, match="at most 2 \\* ndim"):
        pad_constant(tinynn.ones(2), (1, 1, 1, 1))


def test_source_index_of_each_mode():
    assert source_index(4, 2, 2, "reflect").tolist() == [2, 1, 0, 1, 2, 3, 2, 1]
    assert source_index(4, 2, 2, "replicate").tolist() == [0, 0, 0, 1, 2, 3, 3, 3]
    assert source_index(4, 2, 2, "circular").tolist() == [2, 3, 0, 1, 2, 3, 0, 1]
    assert source_index(4, -1, 3, "reflect").tolist() == [1, 2, 3, 2, 1, 0]
    assert source_index(4, -1, 2, "circular").tolist() == [1, 2, 3, 1, 2]   # wraps the 3 kept elements


def test_pad_mode_pads_trailing_dims_and_gradchecks():
    x = rand(2, 3, 4, seed=6)
    out = pad_mode(tinynn.tensor(x), ((1, 1), (2, 0)), "replicate")
    assert out.shape == (2, 5, 6)
    np.testing.assert_array_equal(out.numpy()[:, 0, :2], np.repeat(x[:, 0, :1], 2, axis=1))
    for mode in ("reflect", "replicate", "circular"):
        check_gradients(lambda t: pad_mode(t, ((1, 2), (-1, 2)), mode), x)
