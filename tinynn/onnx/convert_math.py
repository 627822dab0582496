"""Converters of the arithmetic, elementwise, activation, comparison, reduction and matrix ops.

NumPy's type promotion already happened in the trace: each output's dtype is known, so every
operand is cast to it (``e.operand``), and a Python number becomes a constant of that dtype.
"""
from __future__ import annotations

import math

import numpy as np

from ..ops.linear import Linear
from ..ops import activation as act
from ..ops import arithmetic as ar
from ..ops import unary as un
from ..ops.convert import Clone, ToDevice, ToDtype
from ..ops.indexing import Where
from ..ops.linalg import Matmul
from ..ops.minmax import Clamp, Maximum, Minimum
from ..ops.reduce import Extreme, LogSoftmax, LogSumExp, Norm2, Softmax, Sum
from ..ops.shape import Contiguous
from ..ops import trig
from .context import converts
from .trace import TensorMethod


def _elementwise(onnx_op: str, arity: int):
    def convert(e):
        dtype = e.out().dtype
        return [e.node(onnx_op, [e.operand(i, dtype) for i in range(arity)])]
    return convert


for _op, _onnx, _n in ((ar.Mul, "Mul", 2), (ar.Div, "Div", 2), (ar.Neg, "Neg", 1), (ar.Pow, "Pow", 2),
                       (un.Exp, "Exp", 1), (un.Log, "Log", 1), (un.Sqrt, "Sqrt", 1), (act.Tanh, "Tanh", 1),
                       (act.Sigmoid, "Sigmoid", 1), (act.Relu, "Relu", 1), (un.Erf, "Erf", 1), (un.Abs, "Abs", 1),
                       (Maximum, "Max", 2), (Minimum, "Min", 2), (trig.Sin, "Sin", 1), (trig.Cos, "Cos", 1),
                       (trig.Tan, "Tan", 1), (trig.Atan, "Atan", 1), (trig.Sinh, "Sinh", 1), (trig.Cosh, "Cosh", 1),
                       (trig.Asin, "Asin", 1), (trig.Acos, "Acos", 1), (trig.Asinh, "Asinh", 1),
                       (trig.Acosh, "Acosh", 1), (trig.Atanh, "Atanh", 1)):
    converts(_op)(_elementwise(_onnx, _n))


@converts(ar.Add, ar.Sub)
def add_sub(e):
    """x + alpha y (x - alpha y)."""
    dtype = e.out().dtype
    x, y = e.operand(0, dtype), e.operand(1, dtype)
    alpha = e.arg(2, 1)
    if alpha != 1:
        y = e.node("Mul", [y, e.scalar(alpha, dtype)])
    return [e.node("Add" if e.call.op is ar.Add else "Sub", [x, y])]


@converts(un.Expm1, un.Log1p, un.Exp2, un.Rsqrt)
def unary_composite(e):
    dtype, x = e.out().dtype, e.operand(0, e.out().dtype)
    one = e.scalar(1, dtype)
    if e.call.op is un.Expm1:
        return [e.node("Sub", [e.node("Exp", [x]), one])]
    if e.call.op is un.Log1p:
        return [e.node("Log", [e.node("Add", [x, one])])]
    if e.call.op is un.Exp2:
        return [e.node("Pow", [e.scalar(2, dtype), x])]
    return [e.node("Reciprocal", [e.node("Sqrt", [x])])]


@converts(un.Rounding)
def rounding(e):
    how, x = e.arg(1), e.input(0)
    if e.arg(2, 0):
        raise e.fail("round(decimals=...) has no ONNX equivalent here")
    if how == "trunc":
        return [e.node("Mul", [e.node("Sign", [x]), e.node("Floor", [e.node("Abs", [x])])])]
    return [e.node({"sign": "Sign", "floor": "Floor", "ceil": "Ceil", "round": "Round"}[how], [x])]


@converts(ToDtype)
def to_dtype(e):
    return [e.cast(e.input(0), e.out().dtype)]


@converts(Clone, Contiguous, ToDevice)
def identity(e):
    return [e.node("Identity", [e.input(0)])]


@converts(Where)
def where(e):
    dtype = e.out().dtype
    cond = e.input(0)
    if e.arg(0).dtype != np.bool_:
        cond = e.cast(cond, np.bool_)
    return [e.node("Where", [cond, e.operand(1, dtype), e.operand(2, dtype)])]


@converts(Clamp)
def clamp(e):
    dtype, y = e.out().dtype, e.operand(0, e.out().dtype)
    if e.arg(1) is not None:
        y = e.node("Max", [y, e.operand(1, dtype)])
    if e.arg(2) is not None:
        y = e.node("Min", [y, e.operand(2, dtype)])
    return [y]


# ---------------------------------------------------------------------------- fused activations
@converts(act.LeakyRelu)
def leaky_relu(e):
    return [e.node("LeakyRelu", [e.input(0)], alpha=float(e.arg(1)))]


@converts(act.Elu)
def elu(e):
    """ELU, SELU and CELU have ONNX ops; any other (alpha, scale, input_scale): s x or s a (e^(c x) - 1)."""
    alpha, scale, input_scale = (float(v) for v in (e.arg(1), e.arg(2), e.arg(3)))
    x, dtype = e.input(0), e.out().dtype
    if scale == 1 and input_scale == 1:
        return [e.node("Elu", [x], alpha=alpha)]
    if input_scale == 1:
        return [e.node("Selu", [x], alpha=alpha, gamma=scale)]
    if scale == 1 and math.isclose(input_scale * alpha, 1.0) and e.opset >= 12:
        return [e.node("Celu", [x], alpha=alpha)]
    negative = e.node("Mul", [e.node("Elu", [e.node("Mul", [x, e.scalar(input_scale, dtype)])], alpha=1.0),
                              e.scalar(scale * alpha, dtype)])
    return [e.node("Where", [e.node("Greater", [x, e.scalar(0, dtype)]), e.node("Mul", [x, e.scalar(scale, dtype)]),
                             negative])]


@converts(act.Gelu)
def gelu(e):
    """x Phi(x): ONNX Gelu from opset 20; before, 0.5 x (1 + erf(x / sqrt 2)) or its tanh form."""
    approximate, x, dtype = e.arg(1), e.input(0), e.out().dtype
    if e.opset >= 20:
        return [e.node("Gelu", [x], approximate=approximate)]
    if approximate == "tanh":
        cube = e.node("Mul", [e.node("Mul", [x, x]), x])
        inner = e.node("Add", [x, e.node("Mul", [cube, e.scalar(0.044715, dtype)])])
        phi = e.node("Tanh", [e.node("Mul", [inner, e.scalar(math.sqrt(2 / math.pi), dtype)])])
    else:
        phi = e.node("Erf", [e.node("Mul", [x, e.scalar(1 / math.sqrt(2), dtype)])])
    half_x = e.node("Mul", [x, e.scalar(0.5, dtype)])
    return [e.node("Mul", [half_x, e.node("Add", [phi, e.scalar(1, dtype)])])]


@converts(act.Silu)
def silu(e):
    x = e.input(0)
    return [e.node("Mul", [x, e.node("Sigmoid", [x])])]


@converts(act.Softplus)
def softplus(e):
    """log(1 + e^(b x)) / b, and x where b x > threshold."""
    beta, threshold, x, dtype = float(e.arg(1)), float(e.arg(2)), e.input(0), e.out().dtype
    z = x if beta == 1 else e.node("Mul", [x, e.scalar(beta, dtype)])
    soft = e.node("Softplus", [z])
    if beta != 1:
        soft = e.node("Div", [soft, e.scalar(beta, dtype)])
    if math.isinf(threshold):
        return [soft]
    return [e.node("Where", [e.node("Greater", [z, e.scalar(threshold, dtype)]), x, soft])]


@converts(act.Mish)
def mish(e):
    x = e.input(0)
    if e.opset >= 18:
        return [e.node("Mish", [x])]
    return [e.node("Mul", [x, e.node("Tanh", [e.node("Softplus", [x])])])]


@converts(act.LogSigmoid)
def log_sigmoid(e):
    """log sigmoid(x) = -softplus(-x)."""
    return [e.node("Neg", [e.node("Softplus", [e.node("Neg", [e.input(0)])])])]


@converts(act.Hardtanh)
def hardtanh(e):
    dtype = e.out().dtype
    return [e.node("Clip", [e.input(0), e.scalar(e.arg(1), dtype), e.scalar(e.arg(2), dtype)])]


@converts(act.Hardsigmoid)
def hardsigmoid(e):
    return [e.node("HardSigmoid", [e.input(0)], alpha=1 / 6, beta=0.5)]


@converts(act.Hardswish)
def hardswish(e):
    x = e.input(0)
    if e.opset >= 14:
        return [e.node("HardSwish", [x])]
    return [e.node("Mul", [x, e.node("HardSigmoid", [x], alpha=1 / 6, beta=0.5)])]


# ---------------------------------------------------------------------------- comparisons (Tensor methods)
_COMPARE = {"eq": "Equal", "lt": "Less", "le": "LessOrEqual", "gt": "Greater", "ge": "GreaterOrEqual"}
_LOGICAL = {"and": "And", "or": "Or", "xor": "Xor"}


def _method(name: str) -> str:
    name = name.strip("_")
    return name[len("logical_"):] if name.startswith("logical_") else name


@converts(*(TensorMethod(n) for n in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "eq", "ne",
                                       "lt", "le", "gt", "ge")))
def compare(e):
    kind = _method(e.call.op.name)
    a, b = e.arg(0), e.arg(1)
    dtype = np.result_type(a, b) if isinstance(b, np.ndarray) else a.dtype
    x, y = e.operand(0, dtype), e.operand(1, dtype)
    if kind == "ne":
        return [e.node("Not", [e.node("Equal", [x, y])])]
    return [e.node(_COMPARE[kind], [x, y])]


@converts(*(TensorMethod(n) for n in ("__and__", "__or__", "__xor__", "logical_and", "logical_or", "logical_xor",
                                       "__invert__", "logical_not", "bitwise_not", "isnan")))
def logical(e):
    kind = _method(e.call.op.name)
    if kind == "isnan":
        return [e.node("IsNaN", [e.input(0)])]
    bools = e.out().dtype == np.bool_
    if kind in ("invert", "not", "bitwise_not"):
        if not bools:
            raise e.fail("a bitwise not of integers is not exported; only of bool tensors")
        return [e.node("Not", [e.operand(0, np.bool_)])]
    if not bools:
        raise e.fail(f"a bitwise {kind} of integers is not exported; only of bool tensors")
    return [e.node(_LOGICAL[kind], [e.operand(0, np.bool_), e.operand(1, np.bool_)])]


# ---------------------------------------------------------------------------- reductions and softmax
def _axes(e, axes):
    return None if axes is None else (axes if isinstance(axes, (tuple, list)) else (axes,))


@converts(Sum)
def sum_(e):
    x = e.operand(0, e.out().dtype)
    return [e.reduce("ReduceSum", x, _axes(e, e.arg(1)), e.arg(2))]


@converts(Extreme)
def extreme(e):
    kind = "ReduceMax" if e.arg(3) else "ReduceMin"
    return [e.reduce(kind, e.input(0), _axes(e, e.arg(1)), e.arg(2))]


@converts(LogSumExp)
def logsumexp(e):
    return [e.reduce("ReduceLogSumExp", e.input(0), _axes(e, e.arg(1)), e.arg(2))]


@converts(Norm2)
def norm2(e):
    return [e.reduce("ReduceL2", e.input(0), _axes(e, e.arg(1)), e.arg(2))]


@converts(Softmax, LogSoftmax)
def softmax(e):
    dim = e.arg(1)
    if dim is None:
        raise e.fail("softmax of a 0-dim tensor is not exported")
    return [e.node("Softmax" if e.call.op is Softmax else "LogSoftmax", [e.input(0)], axis=int(dim))]


# ---------------------------------------------------------------------------- matrix products
@converts(Matmul)
def matmul(e):
    dtype = e.out().dtype
    return [e.node("MatMul", [e.operand(0, dtype), e.operand(1, dtype)])]


@converts(Linear)
def linear(e):
    """y = x W^T + b: one Gemm for a 2-d x, else MatMul with W^T and an Add."""
    x, w = e.input(0), e.input(1)
    bias = e.input(2) if e.arg(2) is not None else None
    if e.arg(0).ndim == 2:
        return [e.node("Gemm", [x, w] + ([bias] if bias else []), transB=1)]
    y = e.node("MatMul", [x, e.node("Transpose", [w], perm=[1, 0])])
    return [e.node("Add", [y, bias]) if bias else y]
