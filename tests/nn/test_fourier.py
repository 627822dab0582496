"""Fourier features and NeRF's frequency encoding: the formulas, shapes, buffer vs parameter,
and float64 gradient checks (w.r.t. the coordinates, and B when learnable)."""
import math

import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck
from tinynn.nn import FourierFeatures, FrequencyEncoding
from tests.helpers import assert_close, check_gradients, leaf, rand


def test_fourier_features_formula_and_shape():
    tinynn.manual_seed(0)
    layer = FourierFeatures(2, 5, scale=3.0).double()
    v = rand(4, 7, 2, seed=1)
    B = layer.B.numpy()
    angles = 2 * math.pi * v @ B.T
    out = layer(leaf(v))
    assert out.shape == (4, 7, 10) and layer.out_features == 10
    assert_close(out, np.concatenate([np.cos(angles), np.sin(angles)], -1), 1e-12, 1e-12)


def test_fourier_features_scale_is_the_std_of_B_and_B_is_a_buffer():
    tinynn.manual_seed(1)
    layer = FourierFeatures(4, 2000, scale=10.0)
    assert abs(layer.B.numpy().std() - 10.0) < 0.3
    assert list(layer.parameters()) == [] and "B" in layer.state_dict()
    learnable = FourierFeatures(4, 3, learnable=True)
    assert [name for name, _ in learnable.named_parameters()] == ["B"]


def test_fourier_features_gradients():
    tinynn.manual_seed(2)
    check_gradients(FourierFeatures(3, 4, scale=1.0).double(), rand(5, 3, seed=3))
    layer = FourierFeatures(3, 4, scale=1.0, learnable=True).double()
    assert gradcheck(lambda v, B: layer(v), (leaf(rand(5, 3, seed=4)), layer.B))


def test_frequency_encoding_formula_and_layout():
    enc = FrequencyEncoding(2, 3).double()
    p = rand(6, 2, seed=5)
    out = enc(leaf(p)).detach().numpy()
    assert out.shape == (6, 14) and enc.out_features == 14
    expected = [p]
    for k in range(3):
        expected += [np.sin(2.0 ** k * math.pi * p), np.cos(2.0 ** k * math.pi * p)]
    assert_close(out, np.concatenate(expected, -1), 1e-12, 1e-12)
    assert FrequencyEncoding(3, 4, include_input=False).out_features == 24
    assert FrequencyEncoding(1, 4, log_sampling=False).frequencies == [1.0, 1 + 7 / 3, 1 + 14 / 3, 8.0]
    assert list(enc.parameters()) == []


def test_frequency_encoding_gradients():
    check_gradients(FrequencyEncoding(2, 3), rand(4, 2, seed=6))
    check_gradients(FrequencyEncoding(1, 2, include_input=False, log_sampling=False), rand(3, 1, seed=7))


def test_encodings_reject_bad_input():
    with pytest.raises(ValueError, match=r"expected input \(\*, 2\)"):
        FourierFeatures(2, 3)(tinynn.ones(4, 3))
    with pytest.raises(ValueError, match=r"expected input \(\*, 3\)"):
        FrequencyEncoding(3, 3)(tinynn.ones(4, 2))
    with pytest.raises(ValueError, match="scale must be positive"):
        FourierFeatures(2, 3, scale=0.0)
