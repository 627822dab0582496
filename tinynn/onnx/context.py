"""What a converter sees of one recorded call (``Emit``), and the table of converters.

A converter is ``convert(e: Emit) -> list of output names``: it reads the call's arguments
(``e.arg(i)`` the raw value, ``e.input(i)`` its ONNX name), adds nodes with ``e.node`` and
returns one ONNX name per output of the op (None for an output it does not produce). Sizes that
may follow a dynamic axis are written with ``e.dims(sizes, sizes2)`` (see builder.py).
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .builder import ExportError, GraphBuilder, arrays_in
from .trace import OpCall

CONVERTERS: dict = {}


def converts(*ops):
    """Register the decorated function as the converter of these op classes (or op keys)."""
    def register(fn):
        for op in ops:
            CONVERTERS[op] = fn
        return fn
    return register


def converter_for(op):
    if op in CONVERTERS:
        return CONVERTERS[op]
    for cls in getattr(op, "__mro__", ())[1:]:
        if cls in CONVERTERS:
            return CONVERTERS[cls]
    return None


def _raw(value):
    return value._data if isinstance(value, Tensor) else value


class Emit:
    """One call being converted: its arguments in both runs, and node-making helpers."""

    def __init__(self, builder: GraphBuilder, call: OpCall, call2: OpCall):
        self.b, self.call, self.call2 = builder, call, call2
        self.scope = "/" + call.module_path.replace(".", "/") if call.module_path else ""
        self.opset = builder.opset

    # ------------------------------------------------------------------ arguments and outputs
    def arg(self, i: int, default=None):
        """Argument i as given to the op (Tensors as raw arrays); ``default`` past the end."""
        return _raw(self.call.args[i]) if i < len(self.call.args) else default

    def arg2(self, i: int, default=None):
        return _raw(self.call2.args[i]) if i < len(self.call2.args) else default

    def kwarg(self, name: str, default=None):
        return _raw(self.call.kwargs.get(name, default))

    def input(self, i: int) -> str:
        """The ONNX name of tensor argument i."""
        return self.tensor(self.arg(i), self.arg2(i))

    def tensor(self, array, array2) -> str:
        """The ONNX name of a raw array of this call (and its twin in the second run)."""
        return self.b.name_of(self.b.lookup(array, array2, self.call))

    def operand(self, i: int, dtype) -> str:
        """Argument i as a tensor of ``dtype``: a number becomes a constant, a tensor is cast if needed."""
        value = self.arg(i)
        if not isinstance(value, np.ndarray):   # a Python or NumPy number
            return self.scalar(value, dtype)
        name = self.input(i)
        return name if value.dtype == np.dtype(dtype) else self.cast(name, dtype)

    def out(self, k: int = 0):
        return self.call.outputs[k]

    def out2(self, k: int = 0):
        return self.call2.outputs[k]

    def fail(self, why: str):
        return ExportError(f"{self.call.where()}: {why}")

    # ------------------------------------------------------------------ making nodes
    def node(self, op_type: str, inputs, n_out: int = 1, **attrs):
        names = self.b.node(op_type, inputs, self.scope, n_out, **attrs)
        return names[0] if n_out == 1 else names

    def const(self, array, hint: str = "const") -> str:
        return self.b.initializer(np.asarray(array), f"{self.scope}/{hint}" if self.scope else hint)

    def ints(self, values) -> str:
        return self.b.ints(values, f"{self.scope}/ints" if self.scope else "ints")

    def scalar(self, value, dtype) -> str:
        return self.const(np.asarray(value, dtype=dtype), "scalar")

    def cast(self, name: str, dtype) -> str:
        return self.b.cast(name, dtype, self.scope)

    def dims(self, sizes, sizes2) -> str:
        return self.b.dims(sizes, sizes2, self.scope or "/shape")

    def out_dims(self, k: int = 0) -> str:
        """Output k's shape as an int64 tensor (dynamic where it follows a dynamic axis)."""
        return self.dims(self.out(k).shape, self.out2(k).shape)

    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        """ReduceSum/Mean/Max/...: axes are an input from opset 18 (ReduceSum: 13), an attribute before."""
        axes = None if axes is None else [int(a) for a in axes]
        if self.opset >= 18 or op_type == "ReduceSum":
            inputs = [x] if axes is None else [x, self.ints(axes)]
            return self.node(op_type, inputs, keepdims=int(keepdims))
        return self.node(op_type, [x], axes=axes, keepdims=int(keepdims))

    def unsqueeze(self, x: str, axes) -> str:
        return self.node("Unsqueeze", [x, self.ints(list(axes))])

    def squeeze(self, x: str, axes) -> str:
        return self.node("Squeeze", [x, self.ints(list(axes))])

    def all_arrays(self) -> tuple:
        return arrays_in(self.call.args), arrays_in(self.call2.args)
