"""Block-wise quantization of a weight tensor: ``quantize``, ``dequantize`` and ``QuantizedTensor``.

A weight tensor of any shape is flattened and cut into blocks of ``block_size`` consecutive
values (the last block padded with zeros). Each block gets its own scale, so one large weight
only coarsens the grid of its own block:

    blocks = pad(w.flatten()).reshape(n_blocks, block_size)
    codes  = quantize each block with its scale (formats.py has the four formats)
    w_hat  = (codes' values * scale).flatten()[:w.numel()].reshape(w.shape)

For a Linear weight (out, in) with block_size = in, the blocks are exactly the rows ("per output
channel"); with block_size = w.numel() there is one scale for the whole tensor.

Memory per weight: 8 or 4 bits of code, plus the scale's bits spread over the block
(32 / 64 = 0.5 bit per weight for float32 scales and blocks of 64).

**Double quantization** (QLoRA) quantizes those scales too: subtract their mean, then quantize
them with symmetric int8 in blocks of 256, each with its own float scale. A float32 scale per 64
weights (0.5 bit/weight) becomes an int8 per 64 plus a float32 per 64 * 256 weights
(8/64 + 32/16384 ~ 0.127 bit/weight). bitsandbytes quantizes the scales with its non-linear
"dynamic" 8-bit code; we use linear int8 (the format of this module), whose added error is also
small next to the 4-bit rounding of the weights.
"""
from __future__ import annotations

import math

import numpy as np

from ..backend import array_module_of
from ..tensor import Tensor
from .formats import LEVELS_4BIT, bits_of, check_block_size, check_format
from .packing import pack_4bit_array, unpack_4bit_array

__all__ = ["DOUBLE_QUANT_BLOCK_SIZE", "QuantizedTensor", "dequantize", "quantize"]

DOUBLE_QUANT_BLOCK_SIZE = 256   # QLoRA's (and bitsandbytes') block size for the scales


# ----------------------------------------------------------------------------- array helpers
def _to_blocks(flat, block_size: int):
    """(n,) -> (ceil(n / block_size), block_size), the tail padded with zeros."""
    xp = array_module_of(flat)
    n_blocks = max(1, math.ceil(flat.shape[0] / block_size))
    pad = n_blocks * block_size - flat.shape[0]
    if pad:
        flat = xp.concatenate([flat, xp.zeros(pad, dtype=flat.dtype)])
    return flat.reshape(n_blocks, block_size)


def _absmax_scales(blocks, top: float):
    """One scale per block, max|w| / top; an all-zero block gets 1.0 (its codes are all 0 anyway)."""
    xp = array_module_of(blocks)
    absmax = xp.abs(blocks).max(axis=1)
    return xp.where(absmax > 0, absmax / top, 1.0).astype(blocks.dtype)


def _symmetric_codes(blocks, scales, top: int):
    """clamp(round(w / s), -top, top): round to nearest, so |w - q s| <= s / 2 inside the range."""
    xp = array_module_of(blocks)
    return xp.clip(xp.round(blocks / scales[:, None]), -top, top)


def _quantize_scales(scales):
    """Double quantization: scales (n,) -> (int8 codes (n,), scales of the scales, mean)."""
    xp = array_module_of(scales)
    mean = scales.mean()
    blocks = _to_blocks(scales - mean, DOUBLE_QUANT_BLOCK_SIZE)
    scale_scales = _absmax_scales(blocks, 127)
    codes = _symmetric_codes(blocks, scale_scales, 127).astype(xp.int8).reshape(-1)[:scales.shape[0]]
    return codes, scale_scales, xp.asarray(mean, dtype=scales.dtype)


def _dequantize_scales(codes, scale_scales, mean):
    blocks = _to_blocks(codes.astype(scale_scales.dtype), DOUBLE_QUANT_BLOCK_SIZE)
    return (blocks * scale_scales[:, None]).reshape(-1)[:codes.shape[0]] + mean


def _make(array) -> Tensor:
    return Tensor._make(array)


# ----------------------------------------------------------------------------- the container
class QuantizedTensor:
    """A weight tensor stored as codes and per-block scales (see ``quantize``).

    codes:        int8 (padded numel,) for "int8"; uint8 for "int8_asym";
                  uint8 (padded numel / 2,) for "int4" and "nf4" (two 4-bit codes per byte)
    scales:       (n_blocks,) float, or None when double-quantized, then instead:
    scale_codes:  int8 (n_blocks,),  scale_scales: float (ceil(n_blocks / 256),),  scale_mean: 0-d float
    zero_points:  uint8 (n_blocks,) for "int8_asym", else None

    All parts are tinynn Tensors on one device. ``dequantize()`` rebuilds the float tensor in the
    scales' dtype; ``nbytes`` is what the parts really occupy.
    """

    def __init__(self, codes: Tensor, scales: Tensor | None, shape, format: str, block_size: int,
                 zero_points: Tensor | None = None, scale_codes: Tensor | None = None,
                 scale_scales: Tensor | None = None, scale_mean: Tensor | None = None):
        self.format = check_format(format, "QuantizedTensor")
        self.block_size = check_block_size(block_size, format, "QuantizedTensor")
        self.shape = tuple(int(s) for s in shape)
        self.codes, self.scales, self.zero_points = codes, scales, zero_points
        self.scale_codes, self.scale_scales, self.scale_mean = scale_codes, scale_scales, scale_mean
        if (scales is None) == (scale_codes is None):
            raise ValueError("QuantizedTensor: give either scales, or scale_codes/scale_scales/scale_mean "
                             "(double quantization), not both or neither")
        if (format == "int8_asym") != (zero_points is not None):
            raise ValueError(f"QuantizedTensor: zero_points go with format 'int8_asym' only (format {format!r})")
        expected = self.n_blocks * block_size // (8 // bits_of(format))
        if tuple(codes.shape) != (expected,):
            raise ValueError(f"QuantizedTensor: codes of shape {tuple(codes.shape)} do not fit a {format} tensor of "
                             f"shape {self.shape} in blocks of {block_size}: expected ({expected},)")

    # ---------------------------------------------------------------- sizes
    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def n_blocks(self) -> int:
        return max(1, math.ceil(self.numel / self.block_size))

    @property
    def double_quant(self) -> bool:
        return self.scales is None

    @property
    def dtype(self):
        """The float dtype ``dequantize`` returns (that of the scales)."""
        return (self.scales if self.scales is not None else self.scale_scales).dtype

    @property
    def device(self):
        return self.codes.device

    def parts(self) -> dict:
        """The stored tensors by name (what a module keeps as buffers)."""
        names = ("codes", "scales", "zero_points", "scale_codes", "scale_scales", "scale_mean")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}

    @property
    def nbytes(self) -> int:
        """Bytes really stored: codes + scales (+ zero points), all parts counted."""
        return sum(int(t.nbytes) for t in self.parts().values())

    @property
    def bits_per_weight(self) -> float:
        return 8 * self.nbytes / self.numel

    # ---------------------------------------------------------------- values
    def block_scales(self) -> Tensor:
        """The (n_blocks,) scales as floats (dequantized first if double-quantized)."""
        return _make(self._scales_array())

    def _scales_array(self):
        if self.scales is not None:
            return self.scales._data
        return _dequantize_scales(self.scale_codes._data, self.scale_scales._data, self.scale_mean._data)

    def int_repr(self) -> Tensor:
        """The integer codes in the tensor's shape (as PyTorch's ``int_repr``), unpacked.

        int8: int8 in -127..127;  int4: int8 in -7..7;  int8_asym: uint8 in 0..255;
        nf4: uint8 indices 0..15 into ``NF4_LEVELS``.
        """
        codes = self.codes._data
        if self.format == "int4":
            codes = (unpack_4bit_array(codes).astype(np.int16) - 8).astype(np.int8)
        elif self.format == "nf4":
            codes = unpack_4bit_array(codes)
        return _make(codes[:self.numel].reshape(self.shape))

    def dequantize_array(self):
        """The float weight as a raw array of the codes' array module (what layers compute with)."""
        xp = array_module_of(self.codes._data)
        scales = self._scales_array()
        codes = self.codes._data
        if self.format in LEVELS_4BIT:   # a table lookup: code -> level, 16 entries
            table = xp.asarray(LEVELS_4BIT[self.format], dtype=scales.dtype)
            values = table[unpack_4bit_array(codes)]
        elif self.format == "int8":
            values = codes.astype(scales.dtype)
        else:                             # int8_asym: (q - z) s
            values = codes.astype(scales.dtype).reshape(self.n_blocks, self.block_size)
            values -= self.zero_points._data.astype(scales.dtype)[:, None]
        values = values.reshape(self.n_blocks, self.block_size)
        values *= scales[:, None]
        return values.reshape(-1)[:self.numel].reshape(self.shape)

    def dequantize(self) -> Tensor:
        """The float tensor w_hat (shape ``self.shape``, dtype ``self.dtype``), not requiring grad."""
        return _make(self.dequantize_array())

    def to(self, device) -> "QuantizedTensor":
        """A copy of every part on ``device``."""
        moved = {name: t.to(device) for name, t in self.parts().items()}
        return QuantizedTensor(shape=self.shape, format=self.format, block_size=self.block_size,
                               **{"scales": None, **moved})

    def __repr__(self) -> str:
        dq = ", double_quant" if self.double_quant else ""
        return (f"QuantizedTensor(shape={self.shape}, format={self.format!r}, block_size={self.block_size}{dq}, "
                f"nbytes={self.nbytes}, bits_per_weight={self.bits_per_weight:.3f})")


# ----------------------------------------------------------------------------- the functions
def quantize(tensor: Tensor, format: str = "int8", block_size: int = 64,
             double_quant: bool = False) -> QuantizedTensor:
    """Quantize a float tensor block by block.  tensor: any shape -> QuantizedTensor.

    format: "int8" (symmetric, absmax), "int8_asym" (min/max with a zero point), "int4"
        (symmetric -7..7, packed) or "nf4" (4-bit NormalFloat, packed).
    block_size: consecutive weights sharing one scale (even for the 4-bit formats).
    double_quant: also quantize the scales (int8, blocks of 256, after subtracting their mean).

    Within a block, rounding to the nearest level keeps |w - w_hat| <= s / 2 for the integer
    formats (s the block's scale), and at most half the gap between neighbouring NF4 levels times
    max|w| for NF4.
    """
    check_format(format)
    block_size = check_block_size(block_size, format)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"quantize: expected a tinynn Tensor, got {type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"quantize: expected a floating-point tensor, got dtype {tensor.dtype}")
    if tensor.numel() == 0:
        raise ValueError(f"quantize: cannot quantize an empty tensor (shape {tuple(tensor.shape)})")
    w = tensor.detach()._data
    xp = array_module_of(w)
    blocks = _to_blocks(w.reshape(-1), block_size)
    zero_points = None
    if format == "int8":
        scales = _absmax_scales(blocks, 127)
        codes = _symmetric_codes(blocks, scales, 127).astype(xp.int8).reshape(-1)
    elif format == "int4":
        scales = _absmax_scales(blocks, 7)
        codes = pack_4bit_array((_symmetric_codes(blocks, scales, 7) + 8).astype(xp.uint8).reshape(-1))
    elif format == "nf4":
        scales = _absmax_scales(blocks, 1)   # normalise each block into [-1, 1]
        table = LEVELS_4BIT["nf4"]
        midpoints = xp.asarray((table[1:] + table[:-1]) / 2, dtype=blocks.dtype)
        nearest = xp.searchsorted(midpoints, (blocks / scales[:, None]).reshape(-1))
        codes = pack_4bit_array(nearest.astype(xp.uint8))
    else:  # int8_asym: the range [min, max] (widened to include 0, so zero stays exact) onto 0..255
        low = xp.minimum(blocks.min(axis=1), 0)
        high = xp.maximum(blocks.max(axis=1), 0)
        scales = xp.where(high > low, (high - low) / 255, 1.0).astype(blocks.dtype)
        zero = xp.clip(xp.round(-low / scales), 0, 255)
        codes = xp.clip(xp.round(blocks / scales[:, None]) + zero[:, None], 0, 255).astype(xp.uint8).reshape(-1)
        zero_points = _make(zero.astype(xp.uint8))
    parts = {"scales": _make(scales)}
    if double_quant:
        scale_codes, scale_scales, mean = _quantize_scales(scales)
        parts = {"scales": None, "scale_codes": _make(scale_codes), "scale_scales": _make(scale_scales),
                 "scale_mean": _make(mean)}
    return QuantizedTensor(_make(codes), shape=tuple(tensor.shape), format=format, block_size=block_size,
                           zero_points=zero_points, **parts)


def dequantize(q: QuantizedTensor) -> Tensor:
    """The float tensor a QuantizedTensor stands for (``q.dequantize()``)."""
    if not isinstance(q, QuantizedTensor):
        raise TypeError(f"dequantize: expected a QuantizedTensor (from tinynn.quant.quantize), got {type(q).__name__}")
    return q.dequantize()
