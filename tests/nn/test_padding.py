"""Padding layers (tinynn/nn/padding.py): every class against PyTorch's (outputs, input gradients, repr),
a gradcheck of each mode through its layer, how an int padding expands, and the input checks."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tests.helpers import assert_module_matches_torch, check_gradients, needs_torch, rand, torch

# (class, constructor arguments, input shape)
LAYERS = [
    ("ZeroPad1d", (2,), (2, 3, 4)), ("ZeroPad2d", ((1, 0, 2, -1),), (2, 3, 4)), ("ZeroPad3d", (1,), (1, 1, 2, 2, 2)),
    ("ConstantPad1d", ((1, 3), 2.5), (3, 4)), ("ConstantPad2d", (1, -1.0), (1, 2, 2, 3)),
    ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 0.5), (1, 2, 2, 2)),
    ("ReflectionPad1d", ((3, 1),), (2, 2, 4)), ("ReflectionPad2d", (2,), (1, 2, 3, 4)),
    ("ReflectionPad3d", ((1, 0, 1, 2, 0, 1),), (1, 1, 2, 3, 3)),
    ("ReplicationPad1d", (3,), (2, 3)), ("ReplicationPad2d", ((2, 0, 1, 3),), (1, 2, 2, 3)),
    ("ReplicationPad3d", (1,), (2, 2, 2, 2)),
    ("CircularPad1d", ((2, 1),), (1, 2, 3)), ("CircularPad2d", (1,), (2, 3, 3)),
    ("CircularPad3d", ((1, 1, 0, 2, 1, 0),), (1, 1, 2, 2, 3)),
]
IDS = [f"{name}{args}" for name, args, _ in LAYERS]


@pytest.mark.parametrize("name, args, shape", LAYERS, ids=IDS)
def test_padding_layer_gradcheck(name, args, shape):
    layer = getattr(nn, name)(*args)
    check_gradients(layer, rand(*shape, seed=1), second_order=False)


@needs_torch
@pytest.mark.parametrize("name, args, shape", LAYERS, ids=IDS)
def test_padding_layer_matches_torch(name, args, shape):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    assert ours.padding == theirs.padding
    assert_module_matches_torch(ours, theirs, [rand(*shape, seed=2)])


def test_padding_expands_an_int():
    assert nn.ZeroPad2d(2).padding == (2, 2, 2, 2)
    assert nn.ReflectionPad3d(1).padding == (1,) * 6
    assert nn.ConstantPad1d(3, 1.0).padding == (3, 3)
    assert repr(nn.ConstantPad2d(1, 3.5)) == "ConstantPad2d(padding=(1, 1, 1, 1), value=3.5)"
    assert repr(nn.ZeroPad2d((1, 2, 3, 4))) == "ZeroPad2d((1, 2, 3, 4))"
    out = nn.ZeroPad2d((1, 0, 0, 1))(tinynn.ones(1, 1, 1, 1))
    np.testing.assert_array_equal(out.numpy(), [[[[0, 1], [0, 0]]]])


def test_padding_layer_errors():
    with pytest.raises(ValueError, match="CircularPad1d: expected 2-d or 3-d input, got 4-d input"):
        nn.CircularPad1d(1)(tinynn.ones(1, 1, 1, 4))
    with pytest.raises(NotImplementedError, match="2 values is not supported for a 4-d input"):
        nn.ReflectionPad1d(1)(tinynn.ones(1, 1, 1, 4))
    with pytest.raises(RuntimeError, match="must be smaller than the input size 2"):
        nn.ReflectionPad2d(2)(tinynn.ones(1, 1, 2, 3))
