"""Which precision each operation runs in under autocast: PyTorch's op lists, mapped to tinynn's ops.

Autocast sorts operations into three kinds (PyTorch's names in brackets):

* ``LOWER`` ("lower_precision_fp"): matrix products and convolutions. They are where float16 pays
  (half the bytes to move, and on a GPU the tensor cores), and they tolerate it: each output is a
  long sum of products that the hardware accumulates in float32. Floating inputs are cast to the
  autocast dtype (float16).
* ``FP32`` ("fp32"): operations whose result float16 would ruin: losses (a mean of many small
  terms), and on a GPU also exp/log/pow, softmax, normalizations and sums, where float16's 10-bit
  mantissa or its 65504 maximum bites. float16 inputs are cast up to float32.
* ``MATCH_INPUT``: tinynn's one normalization op serves ``layer_norm``, ``group_norm`` and
  ``batch_norm``; PyTorch's CPU kernels accept a float16 input with float32 weights and return
  the input's dtype, so the weights are cast to the input's dtype.

Every other operation runs in the dtype of its inputs, and mixed inputs promote to the widest
(float16 + float32 gives float32), by the ordinary type-promotion rules. float64 tensors are
never cast (PyTorch's rule too): autocast is about float32 models.

PyTorch keeps a list per device, and they differ: on a CPU only the losses (and ``prod``) are
float32; on a GPU many more ops are. tinynn follows each list for ops it has. Where one tinynn op
serves several PyTorch functions, the op decides (``mv`` and ``dot`` go through the matmul op, so
they run in float16 here while PyTorch's CPU list leaves them alone). Functions that tinynn
builds from several ops are seen through their parts: ``addmm`` is a float16 product plus a
float32 bias (float32, where PyTorch gives float16), and ``mse_loss``, ``l1_loss``,
``smooth_l1_loss``, ``huber_loss``, ``kl_div`` and ``nll_loss`` given float16 inputs compute in
float16 (PyTorch: float32). Recurrent cells are on neither list.
"""
from __future__ import annotations

from ..ops.linear import Linear
from ..ops import activation, arithmetic, attention, conv, linalg, loss, normalization, reduce, scan, trig, unary

LOWER = "lower_precision_fp"
FP32 = "fp32"
MATCH_INPUT = "match_input"
BANNED = "banned"
BANNED_MESSAGE = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast: a "
    "float16 probability rounds to 0 or 1 and the log explodes. Use binary_cross_entropy_with_logits "
    "(or BCEWithLogitsLoss), which is safe, or leave the loss outside the autocast region."
)

# matmul, mm, bmm, linear, einsum (PyTorch lowers it through bmm), conv1d/2d,
# conv_transpose1d/2d, scaled_dot_product_attention (its softmax(q k^T) op; P v is a matmul)
_LOWER_OPS = (linalg.Matmul, linalg.Einsum, Linear, conv.Convolution, conv.ConvInputGrad,
              attention.AttentionWeights)

# cross_entropy, binary_cross_entropy, and the log-sigmoid that binary_cross_entropy_with_logits
# and soft_margin_loss are built on (used by nothing else: F.logsigmoid has its own op)
_LOSS_OPS = (loss.CrossEntropy, loss.BinaryCrossEntropy, loss.LossLogSigmoid)

CPU_POLICY = {op: LOWER for op in _LOWER_OPS}
CPU_POLICY.update({op: FP32 for op in _LOSS_OPS})
CPU_POLICY[normalization.Normalize] = MATCH_INPUT

CUDA_POLICY = {op: LOWER for op in _LOWER_OPS}
CUDA_POLICY.update({op: FP32 for op in _LOSS_OPS})
# exp, expm1, log, log2/log10, log1p, rsqrt, tan, pow, softplus, layer_norm/group_norm,
# sum, cumsum, logsumexp, softmax, log_softmax, norms (mean, which tinynn builds on sum, gives its
# result back in its input's dtype under autocast, as PyTorch's mean does: it is on no list)
CUDA_POLICY.update({op: FP32 for op in (
    unary.Exp, unary.Expm1, unary.Log, unary.LogBase, unary.Log1p, unary.Rsqrt, trig.Tan,
    arithmetic.Pow, activation.Softplus, normalization.Normalize, reduce.Sum, scan.Cumsum,
    reduce.LogSumExp, reduce.Softmax, reduce.LogSoftmax, reduce.Norm2,
)})

# PyTorch's CUDA autocast refuses binary_cross_entropy outright (its CPU autocast runs it in float32)
CUDA_POLICY[loss.BinaryCrossEntropy] = BANNED

POLICIES = {"cpu": CPU_POLICY, "cuda": CUDA_POLICY}


def kind_of(op: type, device_type: str) -> str | None:
    """The autocast kind of ``op`` on ``device_type`` (None: it runs in its inputs' dtype)."""
    return POLICIES[device_type].get(op)
