"""quantize / dequantize: error bounds per format, packed storage sizes, double quantization, errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinynn
from tests.helpers import rand
from tinynn.quant import FORMATS, NF4_LEVELS, QuantizedTensor, dequantize, quantize

INTEGER_TOP = {"int8": 127, "int4": 7}


def _blockwise(array: np.ndarray, block_size: int) -> np.ndarray:
    """The block index of each element of ``array`` (flattened order), in its shape."""
    return (np.arange(array.size) // block_size).reshape(array.shape)


@pytest.mark.parametrize("format", ["int8", "int8_asym", "int4"])
@pytest.mark.parametrize("shape, block_size, dtype", [((37, 23), 64, np.float32), ((5, 8), 8, np.float64),
                                                      ((1000,), 256, np.float32), ((3, 4), 64, np.float64)])
def test_integer_formats_round_to_within_half_a_step(format, shape, block_size, dtype):
    w = rand(*shape, seed=1).astype(dtype) * 0.3 + (0.2 if format == "int8_asym" else 0.0)
    q = quantize(tinynn.tensor(w), format, block_size)
    w_hat = q.dequantize().numpy()
    assert w_hat.shape == w.shape and w_hat.dtype == w.dtype
    scales = q.block_scales().numpy()
    assert scales.shape == (math.ceil(w.size / block_size),)
    step = scales[_blockwise(w, block_size)]
    error = np.abs(w_hat - w)
    assert np.all(error <= step / 2 * (1 + 1e-5) + 1e-12)
    assert error.max() > step.max() / 20        # rounding really happened: not a float copy
    if format in INTEGER_TOP:                   # symmetric: s = max|w| / top per block
        blocks = np.abs(np.pad(w.reshape(-1), (0, scales.size * block_size - w.size))).reshape(-1, block_size)
        np.testing.assert_allclose(scales, blocks.max(1) / INTEGER_TOP[format], rtol=1e-6)
    else:                                       # asymmetric: the codes span 0..255 in each block
        codes = q.int_repr().numpy()
        assert codes.dtype == np.uint8 and codes.min() == 0 and codes.max() == 255


def test_int8_codes_are_the_absmax_formula():
    w = rand(4, 16, seed=2).astype(np.float32)
    q = quantize(tinynn.tensor(w), "int8", block_size=16)          # one block per row
    scales = np.abs(w).max(1, keepdims=True) / 127
    np.testing.assert_array_equal(q.block_scales().numpy(), scales[:, 0])
    np.testing.assert_array_equal(q.int_repr().numpy(), np.clip(np.round(w / scales), -127, 127).astype(np.int8))
    int4 = quantize(tinynn.tensor(w), "int4", block_size=16).int_repr().numpy()
    assert int4.dtype == np.int8 and int4.min() == -7 and int4.max() == 7
    np.testing.assert_array_equal(int4, np.round(w / (np.abs(w).max(1, keepdims=True) / 7)))


def test_nf4_picks_the_nearest_level():
    w = rand(6, 32, seed=3)
    q = quantize(tinynn.tensor(w), "nf4", block_size=32)
    absmax = np.abs(w).max(1, keepdims=True)
    np.testing.assert_allclose(q.block_scales().numpy(), absmax[:, 0])
    nearest = np.abs(w[..., None] / absmax[..., None] - NF4_LEVELS).argmin(-1)
    np.testing.assert_array_equal(q.int_repr().numpy(), nearest)
    np.testing.assert_allclose(q.dequantize().numpy(), NF4_LEVELS[nearest] * absmax, rtol=1e-12)
    half_gap = np.diff(NF4_LEVELS).max() / 2
    assert np.all(np.abs(q.dequantize().numpy() - w) <= half_gap * absmax + 1e-12)


def test_nf4_beats_int4_on_normal_weights():
    """Same 4 bits and the same scales' storage, but levels placed where normal weights are."""
    w = tinynn.tensor(rand(256, 256, seed=4).astype(np.float32) * 0.02)
    rms = {f: (quantize(w, f, 64).dequantize() - w).pow(2).mean().sqrt().item() for f in ("int4", "nf4")}
    assert rms["nf4"] < 0.9 * rms["int4"], rms
    int8 = (quantize(w, "int8", 64).dequantize() - w).pow(2).mean().sqrt().item()
    assert int8 < rms["nf4"] / 10                 # 8 bits: 16 times finer steps


@pytest.mark.parametrize("format, code_bytes", [("int8", 1.0), ("int8_asym", 1.0), ("int4", 0.5), ("nf4", 0.5)])
def test_storage_is_really_packed(format, code_bytes):
    w = tinynn.randn(128, 96)                     # 12288 weights = 192 blocks of 64
    q = quantize(w, format, 64)
    assert q.codes.nbytes == 12288 * code_bytes   # 4-bit: exactly half a byte per weight
    extra = 192 if format == "int8_asym" else 0    # one uint8 zero point per block
    assert q.nbytes == 12288 * code_bytes + 192 * 4 + extra
    assert q.bits_per_weight == pytest.approx(8 * q.nbytes / 12288)
    assert q.codes.dtype == (tinynn.int8 if format == "int8" else tinynn.uint8)


def test_padding_of_the_last_block():
    w = tinynn.randn(5, 7)                        # 35 weights: blocks of 16 -> 3 blocks, 13 padded
    q = quantize(w, "nf4", 16)
    assert q.n_blocks == 3 and tuple(q.codes.shape) == (24,) and tuple(q.scales.shape) == (3,)
    assert tuple(q.int_repr().shape) == (5, 7)
    assert (q.dequantize() - w).abs().max().item() < 0.2 * w.abs().max().item()


@pytest.mark.parametrize("format", FORMATS)
def test_double_quant_shrinks_the_scales_with_little_error(format):
    w = tinynn.tensor(rand(512, 256, seed=5).astype(np.float32) * 0.05)   # 2048 blocks of 64
    plain, double = quantize(w, format, 64), quantize(w, format, 64, double_quant=True)
    assert plain.scales.nbytes == 2048 * 4
    assert double.double_quant and double.scales is None
    scale_bytes = double.scale_codes.nbytes + double.scale_scales.nbytes + double.scale_mean.nbytes
    assert scale_bytes == 2048 * 1 + 8 * 4 + 4    # int8 per block, float32 per 256 blocks, the mean
    assert plain.nbytes - double.nbytes == 2048 * 4 - scale_bytes
    exact, approx = plain.block_scales().numpy(), double.block_scales().numpy()
    step = double.scale_scales.numpy()[np.arange(2048) // 256]            # the scales' own step
    assert np.all(np.abs(approx - exact) <= step / 2 * (1 + 1e-5))
    assert np.abs(approx - exact).max() / exact.mean() < 0.02
    np.testing.assert_array_equal(double.int_repr().numpy(), plain.int_repr().numpy())  # same codes
    rms = [(q.dequantize() - w).pow(2).mean().sqrt().item() for q in (plain, double)]
    assert rms[1] < rms[0] * (1.05 if format in ("int4", "nf4") else 1.5)


def test_zero_tensor_and_zero_blocks():
    w = tinynn.zeros(2, 64)
    for format in FORMATS:
        q = quantize(w, format, 64)
        assert (q.dequantize() == 0).all().item(), format
        np.testing.assert_array_equal(q.block_scales().numpy(), [1.0, 1.0])


def test_dequantize_function_and_repr():
    w = tinynn.randn(8, 8)
    q = quantize(w, "int8", 32)
    np.testing.assert_array_equal(dequantize(q).numpy(), q.dequantize().numpy())
    assert not dequantize(q).requires_grad
    assert "format='int8'" in repr(q) and "block_size=32" in repr(q)
    with pytest.raises(TypeError, match="expected a QuantizedTensor"):
        dequantize(w)


def test_bad_arguments_name_what_is_valid():
    w = tinynn.randn(4, 8)
    with pytest.raises(ValueError, match=r"unknown format 'fp4'; expected one of 'int8', 'int8_asym', 'int4', 'nf4'"):
        quantize(w, "fp4")
    with pytest.raises(ValueError, match="block_size must be a positive integer"):
        quantize(w, "int8", 0)
    with pytest.raises(ValueError, match="block_size must be a positive integer"):
        quantize(w, "int8", 16.0)
    with pytest.raises(ValueError, match="block_size must be\\s+even, got 15"):
        quantize(w, "nf4", 15)
    quantize(w, "int8", 15)                       # odd blocks are fine for 8-bit codes
    with pytest.raises(TypeError, match="floating-point tensor, got dtype int64"):
        quantize(tinynn.tensor([1, 2, 3]))
    with pytest.raises(TypeError, match="expected a tinynn Tensor, got ndarray"):
        quantize(np.ones(4))
    with pytest.raises(ValueError, match="empty tensor"):
        quantize(tinynn.zeros(0))
    q = quantize(w, "int8", 8)
    with pytest.raises(ValueError, match="expected \\(32,\\)"):
        QuantizedTensor(q.codes[:8], q.scales, (4, 8), "int8", 8)
