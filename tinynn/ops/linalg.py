"""Matrix products: matmul (with batch broadcasting and 1-d operands), einsum, outer.

For C = A @ B:  dL/dA = dL/dC @ B^T  and  dL/dB = A^T @ dL/dC. Batch dims that broadcast are
summed back by the engine.
"""
from __future__ import annotations

import string

from ..autograd.function import Op
from ..backend import array_module_of
from ..tensor import Tensor
from .arithmetic import promote

__all__ = [
    "addmm",
    "bmm",
    "dot",
    "einsum",
    "ger",
    "inner",
    "matmul",
    "mm",
    "mv",
    "outer",
    "vdot",
]


class Matmul(Op):
    """C = A @ B;  dL/dA = G @ B^T,  dL/dB = A^T @ G (1-d operands act as a row / a column)."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return array_module_of(a).matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a_vector, b_vector = a.ndim == 1, b.ndim == 1
        a2 = a.unsqueeze(0) if a_vector else a    # (k,) -> (1, k)
        b2 = b.unsqueeze(-1) if b_vector else b   # (k,) -> (k, 1)
        g = grad
        if a_vector:
            g = g.unsqueeze(-2 if not b_vector else 0)
        if b_vector:
            g = g.unsqueeze(-1)
        grad_a = grad_b = None
        if need_a:
            grad_a = matmul(g, b2.mT)
            if a_vector:
                grad_a = grad_a.squeeze(-2)
        if need_b:
            grad_b = matmul(a2.mT, g)
            if b_vector:
                grad_b = grad_b.squeeze(-1)
        return grad_a, grad_b


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy's rules: 1-d operands, and batch dims that broadcast."""
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("matmul: both arguments need at least 1 dimension, got a 0-d tensor")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not align ({k_a} != {k_b}): "
            f"the last dim of the first must equal the {'only' if b.ndim == 1 else 'second-to-last'} dim of the second"
        )
    return Matmul.apply(a, b)


def mm(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2-d tensors, got {a.ndim}-d and {b.ndim}-d")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"bmm: expected 3-d tensors, got {a.ndim}-d and {b.ndim}-d")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {a.shape[0]} and {b.shape[0]}")
    return matmul(a, b)


def mv(a: Tensor, v: Tensor) -> Tensor:
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"mv: expected a 2-d matrix and a 1-d vector, got {a.ndim}-d and {v.ndim}-d")
    return matmul(a, v)


def dot(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return matmul(a, b)


vdot = inner = dot


def outer(a: Tensor, b: Tensor) -> Tensor:
    """The outer product of two vectors: out[i, j] = a[i] * b[j]."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return a.unsqueeze(1) * b.unsqueeze(0)


ger = outer


def addmm(bias: Tensor, a: Tensor, b: Tensor, *, beta=1, alpha=1) -> Tensor:
    product = matmul(a, b)
    return beta * bias + alpha * product if (beta, alpha) != (1, 1) else bias + product


# ---------------------------------------------------------------------------- einsum
class Einsum(Op):
    """y = einsum(equation, *operands).

    The gradient for operand i is itself an einsum: the output gradient contracted with the
    other operands, producing operand i's subscripts. Letters that appear only in operand i were
    summed away in forward, so the gradient is broadcast back along them.
    """

    @staticmethod
    def forward(ctx, *operands, inputs, output):
        ctx.inputs, ctx.output = inputs, output
        ctx.save_for_backward(*operands)
        equation = ",".join(inputs) + "->" + output
        return array_module_of(operands[0]).einsum(equation, *operands, optimize=len(operands) > 2)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        grads = []
        for i, need in enumerate(ctx.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            grads.append(_einsum_operand_grad(grad, operands, i, ctx.inputs, ctx.output))
        return tuple(grads)


def _einsum_operand_grad(grad, operands, i, inputs, output):
    target = inputs[i]
    letters = [c for c in target if c != "."]
    if len(set(letters)) != len(letters):
        raise NotImplementedError(
            f"einsum: the gradient of an operand with a repeated subscript ('{target}', a diagonal) is not supported"
        )
    others = [inputs[j] for j in range(len(inputs)) if j != i]
    present = set(output) | set("".join(others))
    kept = "".join(c for c in _tokens(target) if c == "..." or c in present)
    equation = ",".join([output] + others) + "->" + kept
    result = einsum(equation, grad, *[operands[j] for j in range(len(operands)) if j != i])
    if kept == target:
        return result
    # put back, as size-1 dims, the letters that were summed away, then broadcast along them
    n_kept_letters = len([c for c in _tokens(kept) if c != "..."])
    dims = iter(result.shape)
    shape = []
    for token in _tokens(target):
        if token == "...":
            shape += [next(dims) for _ in range(result.ndim - n_kept_letters)]
        else:
            shape.append(next(dims) if token in present else 1)
    op_shape = operands[i].shape
    offset = len(shape) - len(op_shape)  # the ellipsis may have broadcast to more dims
    expanded = [op_shape[k - offset] if s == 1 and k >= offset else s for k, s in enumerate(shape)]
    return result.reshape(shape).expand(expanded)


def _tokens(subscripts: str):
    """The letters of a subscript string, with '...' kept as one token."""
    out, k = [], 0
    while k < len(subscripts):
        if subscripts.startswith("...", k):
            out.append("...")
            k += 3
        else:
            out.append(subscripts[k])
            k += 1
    return out


def _parse_equation(equation: str, operands):
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, output = eq.split("->")
    else:
        lhs, output = eq, None
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"einsum(): the equation '{equation}' names {len(inputs)} operands but {len(operands)} were given")
    for sub, op in zip(inputs, operands):
        tokens = _tokens(sub)
        n_letters = len([t for t in tokens if t != "..."])
        if ("..." in tokens and n_letters > op.ndim) or ("..." not in tokens and n_letters != op.ndim):
            raise ValueError(f"einsum(): the subscripts '{sub}' do not match an operand with {op.ndim} dims")
        for t in tokens:
            if t != "..." and t not in string.ascii_letters:
                raise ValueError(f"einsum(): invalid subscript '{t}' in '{equation}'")
    if output is None:
        letters = [c for s in inputs for c in s if c != "."]
        singles = sorted(c for c in set(letters) if letters.count(c) == 1)
        output = ("..." if any("..." in s for s in inputs) else "") + "".join(singles)
    return inputs, output


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation: ``einsum('bij,bjk->bik', a, b)`` is a batched matrix product."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs, output = _parse_equation(equation, operands)
    dtype = operands[0].dtype
    if any(op.dtype != dtype for op in operands):
        from ..dtypes import result_type

        dtype = result_type(*(op._data for op in operands))
        operands = tuple(op.to(dtype) for op in operands)
    return Einsum.apply(*operands, inputs=tuple(inputs), output=output)
