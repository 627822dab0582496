"""Converters of the layer ops: convolution, pooling, normalization, embedding, attention, int8 linear."""
from __future__ import annotations

import math

import numpy as np

from ..ops.embedding import EmbeddingLookup
from ..ops.attention import AttentionWeights
from ..ops.conv import ConvInputGrad, Convolution
from ..ops.normalization import Normalize
from ..ops.pool import AvgPool, MaxPool
from ..ops.linear import DequantizeLinear
from .context import converts


def _batched(e, spatial: int):
    """x with a batch dim (unbatched (C, *) inputs get one), and a function that removes it again."""
    x = e.input(0)
    if e.arg(0).ndim == spatial + 2:
        return x, (lambda y: y)
    return e.unsqueeze(x, [0]), (lambda y: e.squeeze(y, [0]))


def _pads(padding) -> list:
    return [int(lo) for lo, _ in padding] + [int(hi) for _, hi in padding]


@converts(Convolution)
def convolution(e):
    w, geo = e.arg(1), e.arg(3)
    x, unbatch = _batched(e, w.ndim - 2)
    inputs = [x, e.input(1)] + ([e.input(2)] if e.arg(2) is not None else [])
    y = e.node("Conv", inputs, kernel_shape=list(w.shape[2:]), strides=list(geo.stride), pads=_pads(geo.padding),
               dilations=list(geo.dilation), group=int(geo.groups))
    return [unbatch(y)]


@converts(ConvInputGrad)
def conv_transpose(e):
    """ConvTranspose: the gradient of a convolution with respect to its input, used as a layer."""
    w, geo, in_size = e.arg(1), e.arg(3), tuple(e.arg(4))
    x, unbatch = _batched(e, w.ndim - 2)
    kernel = w.shape[2:]
    natural = [s * (n - 1) + d * (k - 1) + 1 - lo - hi for s, n, d, k, (lo, hi)
               in zip(geo.stride, e.arg(0).shape[-len(kernel):], geo.dilation, kernel, geo.padding)]
    inputs = [x, e.input(1)] + ([e.input(2)] if e.arg(2) is not None else [])
    y = e.node("ConvTranspose", inputs, kernel_shape=list(kernel), strides=list(geo.stride), pads=_pads(geo.padding),
               dilations=list(geo.dilation), group=int(geo.groups),
               output_padding=[int(o - n) for o, n in zip(in_size, natural)])
    return [unbatch(y)]


def _check_pool_size(e, geo, spatial):
    for n, k, s, d, (lo, hi), out in zip(spatial, geo.kernel, geo.stride, geo.dilation, geo.padding, geo.out_size):
        if (n + lo + hi - d * (k - 1) - 1) // s + 1 != out:
            raise e.fail(f"a pooling window layout (kernel {geo.kernel}, stride {geo.stride}, padding {geo.padding}) "
                         "that ONNX pooling cannot reproduce")


@converts(MaxPool)
def max_pool(e):
    geo = e.arg(1)
    if e.arg(2):
        raise e.fail("max pooling with return_indices=True is not exported")
    _check_pool_size(e, geo, e.arg(0).shape[-len(geo.kernel):])
    x, unbatch = _batched(e, len(geo.kernel))
    y = e.node("MaxPool", [x], kernel_shape=list(geo.kernel), strides=list(geo.stride), pads=_pads(geo.padding),
               dilations=list(geo.dilation))
    return [unbatch(y)]


@converts(AvgPool)
def avg_pool(e):
    """y = scale * (sum over the zero-padded window): AveragePool counting the padding gives sum / K,
    so a scale other than 1 / K (padding left out, ceil_mode's cut windows) is one more Mul."""
    geo, scale = e.arg(1), e.arg(2)
    _check_pool_size(e, geo, e.arg(0).shape[-len(geo.kernel):])
    x, unbatch = _batched(e, len(geo.kernel))
    y = e.node("AveragePool", [x], kernel_shape=list(geo.kernel), strides=list(geo.stride), pads=_pads(geo.padding),
               count_include_pad=1)
    window = math.prod(geo.kernel)
    factor = np.asarray(scale, dtype=np.float64) * window
    if not np.allclose(factor, 1.0, rtol=0, atol=1e-12):
        y = e.node("Mul", [y, e.const(factor.astype(e.out().dtype), "pool_scale")])
    return [unbatch(y)]


@converts(Normalize)
def normalize(e):
    """Batch norm in eval mode -> BatchNormalization; layer norm -> LayerNormalization (opset 17+);
    any other (group norm, instance norm, training-mode statistics) -> ReduceMean arithmetic."""
    x, weight, bias, axes, eps = (e.arg(i) for i in range(5))
    stats = e.arg(5)
    axes = tuple(int(a) for a in axes)
    dtype = x.dtype
    if stats is not None:
        if axes == (0,) + tuple(range(2, x.ndim)):
            return _batch_norm(e, x, weight, bias, stats, eps)
        raise e.fail("normalization with given statistics over other axes than batch norm's is not exported")
    trailing = axes == tuple(range(x.ndim - len(axes), x.ndim))
    if trailing and e.opset >= 17 and all(p is None or p.shape == x.shape[x.ndim - len(axes):] for p in (weight, bias)):
        scale = e.input(1) if weight is not None else e.const(np.ones(x.shape[axes[0]:], dtype), "ones")
        inputs = [e.input(0), scale] + ([e.input(2)] if bias is not None else [])
        return [e.node("LayerNormalization", inputs, axis=axes[0], epsilon=float(eps)), None, None]
    mean = e.reduce("ReduceMean", e.input(0), axes, True)
    centered = e.node("Sub", [e.input(0), mean])
    var = e.reduce("ReduceMean", e.node("Mul", [centered, centered]), axes, True)
    y = e.node("Div", [centered, e.node("Sqrt", [e.node("Add", [var, e.scalar(eps, dtype)])])])
    if weight is not None:
        y = e.node("Mul", [y, e.operand(1, dtype)])
    if bias is not None:
        y = e.node("Add", [y, e.operand(2, dtype)])
    return [y, mean, var]


def _batch_norm(e, x, weight, bias, stats, eps):
    """BatchNormalization wants (C,) vectors: the module's own parameters and buffers where they match
    (so the initializers keep their state_dict names), else the reshaped arrays."""
    channels, dtype = x.shape[1], x.dtype

    def vector(array, array2, fill, attribute):
        if array is None:
            return e.const(np.full(channels, fill, dtype), "bn_default")
        owned = getattr(e.call.module, attribute, None)
        owned = getattr(owned, "_data", None)
        if owned is not None and owned.size == channels and owned.dtype == dtype \
                and np.array_equal(owned.reshape(-1), array.reshape(-1)):
            return e.tensor(owned, owned)
        return e.node("Reshape", [e.tensor(array, array2), e.ints([channels])])

    stats2 = e.arg2(5)
    inputs = [e.input(0), vector(weight, e.arg2(1), 1.0, "weight"), vector(bias, e.arg2(2), 0.0, "bias"),
              vector(stats[0], stats2[0], 0.0, "running_mean"), vector(stats[1], stats2[1], 1.0, "running_var")]
    return [e.node("BatchNormalization", inputs, epsilon=float(eps)), None, None]


@converts(EmbeddingLookup)
def embedding(e):
    return [e.node("Gather", [e.input(0), e.input(1)], axis=0)]


@converts(AttentionWeights)
def attention_weights(e):
    """P = softmax(scale q k^T + M): a bool M forbids (False -> -inf), a float M is added."""
    q, mask, scale, dead = e.arg(0), e.arg(2), float(e.arg(3)), e.arg(4)
    dtype = q.dtype
    perm = list(range(e.arg(1).ndim - 2)) + [e.arg(1).ndim - 1, e.arg(1).ndim - 2]
    scores = e.node("MatMul", [e.input(0), e.node("Transpose", [e.input(1)], perm=perm)])
    if scale != 1.0:
        scores = e.node("Mul", [scores, e.scalar(scale, dtype)])
    if mask is not None:
        if mask.dtype == np.bool_:
            scores = e.node("Where", [e.input(2), scores, e.scalar(-np.inf, dtype)])
        else:
            scores = e.node("Add", [scores, e.operand(2, dtype)])
    p = e.node("Softmax", [scores], axis=-1)
    if dead is not None:  # queries with no key left get zero weights (not NaN); recomputed from the mask
        if mask.dtype == np.bool_:
            dead_rows = e.node("Not", [e.cast(e.reduce("ReduceMax", e.cast(e.input(2), np.int32), [-1], True),
                                              np.bool_)])
        else:
            dead_rows = e.node("Equal", [e.reduce("ReduceMax", e.input(2), [-1], True), e.scalar(-np.inf, dtype)])
        p = e.node("Where", [dead_rows, e.scalar(0, dtype), p])
    return [p]


@converts(DequantizeLinear)
def dequantize_linear(e):
    """y = x W_hat^T + b with W_hat = DequantizeLinear(int8 codes, per-block scales): the int8 codes are
    the initializer, viewed as (blocks, block_size) so that each block's scale is ONNX's per-axis scale."""
    qweight = e.arg(2)
    if qweight.format not in ("int8", "int8_asym") or qweight.scales is None:
        raise e.fail(f"a {qweight.format} quantized weight{' (double-quantized)' if qweight.scales is None else ''} "
                     "is not exported; only int8 and int8_asym with plain scales (ONNX DequantizeLinear)")
    codes = e.tensor(qweight.codes._data, qweight.codes._data)
    scales = e.tensor(qweight.scales._data, qweight.scales._data)
    blocks = e.node("Reshape", [codes, e.ints([qweight.n_blocks, qweight.block_size])])
    inputs = [blocks, scales]
    if qweight.zero_points is not None:
        inputs.append(e.tensor(qweight.zero_points._data, qweight.zero_points._data))
    w = e.node("DequantizeLinear", inputs, axis=0)
    flat = e.node("Reshape", [w, e.ints([-1])])
    if qweight.n_blocks * qweight.block_size != qweight.numel:
        flat = e.node("Slice", [flat, e.ints([0]), e.ints([qweight.numel]), e.ints([0])])
    weight = e.node("Reshape", [flat, e.ints(list(qweight.shape))])
    if qweight.dtype != e.out().dtype:
        weight = e.cast(weight, e.out().dtype)
    y = e.node("MatMul", [e.input(0), e.node("Transpose", [weight], perm=[1, 0])])
    return [e.node("Add", [y, e.input(1)]) if e.arg(1) is not None else y]
