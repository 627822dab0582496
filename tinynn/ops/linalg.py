"""Matrix products: matmul (with batch broadcasting and 1-d operands), einsum, outer.

For C = A @ B:  dL/dA = dL/dC @ B^T  and  dL/dB = A^T @ dL/dC. Batch dims that broadcast are
summed back by the engine.
"""
from __future__ import annotations

import string

import numpy as np

from ..autograd.function import Op, autocast_off
from ..backend import array_module_of
from ..dtypes import refuse_dtype
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

    array_backward = True

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
        a2 = a.reshape((1,) + a.shape) if a_vector else a    # (k,) -> (1, k)
        b2 = b.reshape(b.shape + (1,)) if b_vector else b    # (k,) -> (k, 1)
        g = grad                                            # put back the dims a 1-d operand dropped
        if a_vector and b_vector:
            g = g.reshape(1, 1)
        elif a_vector:
            g = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
        elif b_vector:
            g = g.reshape(g.shape + (1,))
        grad_a = grad_b = None
        if need_a:
            grad_a = g @ b2.swapaxes(-1, -2)
            if a_vector:
                grad_a = grad_a.reshape(grad_a.shape[:-2] + grad_a.shape[-1:])
        if need_b:
            grad_b = a2.swapaxes(-1, -2) @ g
            if b_vector:
                grad_b = grad_b.reshape(grad_b.shape[:-1])
        return grad_a, grad_b


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy's rules: 1-d operands, and batch dims that broadcast."""
    if getattr(a, "is_sparse", False) or getattr(b, "is_sparse", False):  # a sparse COO operand: tinynn/sparse
        return a.__matmul__(b) if getattr(a, "is_sparse", False) else b.__rmatmul__(a)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("matmul: both arguments need at least 1 dimension, got a 0-d tensor")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not align ({k_a} != {k_b}): "
            f"the last dim of the first must equal the {'only' if b.ndim == 1 else 'second-to-last'} dim of the second"
        )
    _same_dtype("matmul", a, b)
    try:
        return Matmul.apply(a, b)
    except ValueError:  # NumPy's message for batch dims that don't broadcast names remapped shapes
        raise RuntimeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)}: the batch dims {tuple(a.shape[:-2])} "
            f"and {tuple(b.shape[:-2])} do not broadcast"
        ) from None


def _same_dtype(name: str, *operands) -> None:
    """PyTorch multiplies matrices of one dtype only (no promotion: float32 @ float64 is an error,
    not a silent float64 result), and not bools. Under autocast the ops cast their operands."""
    dtypes = {op.dtype for op in operands}
    if len(dtypes) > 1 and autocast_off():
        listed = " and ".join(str(op.dtype) for op in operands)
        raise RuntimeError(f"{name}: expected operands of the same dtype, got {listed}; convert one with .to()")
    if np.dtype(bool) in dtypes:
        raise refuse_dtype(name, bool, "number tensors")


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
    other operands, producing operand i's subscripts. Subscripts that appear only in operand i
    were summed away in forward, so the gradient is broadcast back along them; a repeated
    subscript (``'ii'``, a diagonal) gets the gradient on that diagonal and zeros elsewhere.
    """

    @staticmethod
    def forward(ctx, *operands, inputs, output):
        ctx.inputs, ctx.output = inputs, output
        ctx.save_for_backward(*operands)
        return _contract(inputs, output, operands)

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


def _contract(inputs, output, arrays):
    """xp.einsum, also when the output leaves out an input's '...' (PyTorch sums those dims; NumPy refuses)."""
    xp = array_module_of(arrays[0])
    drops_ellipsis = "..." not in output and any("..." in s for s in inputs)
    equation = ",".join(inputs) + "->" + ("..." + output if drops_ellipsis else output)
    result = xp.einsum(equation, *arrays, optimize=len(arrays) > 2)
    if drops_ellipsis:
        result = result.sum(axis=tuple(range(result.ndim - len(output))))
    return result


def _einsum_operand_grad(grad, operands, i, inputs, output):
    tokens = _tokens(inputs[i])
    sizes = _subscript_sizes(tokens, operands[i].shape)
    unique = list(dict.fromkeys(tokens))  # 'bii' -> ['b', 'i']
    others = [inputs[j] for j in range(len(inputs)) if j != i]
    present = set(_tokens(output)).union(*(_tokens(s) for s in others))
    kept = [t for t in unique if t in present]
    equation = ",".join([output] + others) + "->" + "".join(kept)
    result = einsum(equation, grad, *[operands[j] for j in range(len(operands)) if j != i])
    # put back, as size-1 dims, the subscripts that were summed away, then broadcast along them
    n_kept_letters = len([t for t in kept if t != "..."])
    dims = iter(result.shape)
    shape = []
    for token in unique:
        if token == "..." and token in present:
            # the result's '...' is the broadcast of every '...' but this operand's own: it may hold
            # more dims than the operand's (summed back by the engine) or fewer (an operand's extra
            # dims that the output summed away: they come back as size-1 dims, broadcast below)
            n_result = result.ndim - n_kept_letters
            shape += [1] * (len(sizes[token]) - n_result) + [next(dims) for _ in range(n_result)]
        else:
            shape += [next(dims)] if token in present else [1] * len(sizes[token])
    unique_shape = [s for t in unique for s in sizes[t]]
    offset = len(shape) - len(unique_shape)
    expanded = [unique_shape[k - offset] if s == 1 and k >= offset else s for k, s in enumerate(shape)]
    result = result.reshape(shape).expand(expanded)
    if len(unique) < len(tokens):
        result = _onto_diagonal(result, unique, tokens, sizes)
    return result


def _subscript_sizes(tokens, shape) -> dict:
    """The sizes each subscript spans in an operand of ``shape`` (a tuple: '...' may span several)."""
    n_ellipsis = len(shape) - len([t for t in tokens if t != "..."])
    sizes, dim = {}, 0
    for t in tokens:
        width = n_ellipsis if t == "..." else 1
        sizes.setdefault(t, tuple(shape[dim : dim + width]))
        dim += width
    return sizes


def _onto_diagonal(g, unique, tokens, sizes):
    """Spread g (subscripts ``unique``) onto the diagonals of the repeated subscripts in ``tokens``.

    Each repeat of a subscript i gets a fresh letter j and a factor eye[i, j]: out[.., i, j] = g[.., i] * (i == j).
    """
    fresh = iter(c for c in string.ascii_letters if c not in tokens)
    xp = array_module_of(g._data)
    out, factor_subscripts, factors = [], [], []
    for t in tokens:
        if t in out:
            letter = next(fresh)
            factor_subscripts.append(t + letter)
            factors.append(Tensor._make(xp.eye(sizes[t][0], dtype=g.dtype)))
            t = letter
        out.append(t)
    equation = ",".join(["".join(unique)] + factor_subscripts) + "->" + "".join(out)
    return einsum(equation, g, *factors)


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
        raise RuntimeError(f"einsum(): the equation '{equation}' names {len(inputs)} operands but {len(operands)} were given")
    for sub, op in zip(inputs, operands):
        tokens = _tokens(sub)
        n_letters = len([t for t in tokens if t != "..."])
        if ("..." in tokens and n_letters > op.ndim) or ("..." not in tokens and n_letters != op.ndim):
            raise RuntimeError(f"einsum(): the subscripts '{sub}' do not match an operand with {op.ndim} dims")
        for t in tokens:
            if t != "..." and t not in string.ascii_letters:
                raise RuntimeError(f"einsum(): invalid subscript '{t}' in '{equation}'")
    if output is None:
        letters = [c for s in inputs for c in s if c != "."]
        singles = sorted(c for c in set(letters) if letters.count(c) == 1)
        output = ("..." if any("..." in s for s in inputs) else "") + "".join(singles)
    _check_output(output, inputs)
    _check_sizes(inputs, operands)
    return inputs, output


def _check_output(output: str, inputs) -> None:
    seen = set()
    for t in _tokens(output):
        if t != "..." and t not in string.ascii_letters:
            raise RuntimeError(f"einsum(): invalid subscript '{t}' in the output '{output}'")
        if t in seen:
            raise RuntimeError(f"einsum(): output subscript {t} appears more than once in the output")
        if t != "..." and not any(t in s for s in inputs):
            raise RuntimeError(f"einsum(): output subscript {t} does not appear in the equation for any input operand")
        seen.add(t)


def _check_sizes(inputs, operands) -> None:
    """Each subscript has one size across the operands (or size 1, which broadcasts), and the
    dims under '...' broadcast: PyTorch's rules, checked here so that no NumPy error leaks."""
    seen = {}  # subscript -> (size, operand index)
    ellipsis_shape, ellipsis_operand = (), None
    for k, (sub, op) in enumerate(zip(inputs, operands)):
        sizes = _subscript_sizes(_tokens(sub), op.shape)
        for t, dims in sizes.items():
            if t == "...":
                try:
                    ellipsis_shape = tuple(np.broadcast_shapes(ellipsis_shape, dims))
                except ValueError:
                    raise RuntimeError(
                        f"einsum(): the dims covered by '...' in operand {k}, {dims}, do not broadcast with "
                        f"{ellipsis_shape} seen in operand {ellipsis_operand}"
                    ) from None
                ellipsis_operand = k
                continue
            repeats = [op.shape[d] for d, u in enumerate(_dims_of(sub, op.ndim)) if u == t]
            if len(set(repeats)) > 1:
                raise RuntimeError(f"einsum(): subscript {t} is repeated for operand {k} but the sizes don't "
                                   f"match, {repeats[0]} != {repeats[1]}")
            size = dims[0]
            if t in seen and size != seen[t][0] and 1 not in (size, seen[t][0]):
                raise RuntimeError(f"einsum(): subscript {t} has size {size} for operand {k} which does not "
                                   f"broadcast with previously seen size {seen[t][0]} (operand {seen[t][1]})")
            if t not in seen or seen[t][0] == 1:
                seen[t] = (size, k)


def _dims_of(subscripts: str, ndim: int) -> list:
    """The subscript of each dim of an operand with ``ndim`` dims ('...' repeated for each dim it covers)."""
    tokens = _tokens(subscripts)
    width = ndim - len([t for t in tokens if t != "..."])
    return [d for t in tokens for d in ([t] * width if t == "..." else [t])]


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation: ``einsum('bij,bjk->bik', a, b)`` is a batched matrix product."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs, output = _parse_equation(equation, operands)
    if autocast_off():
        _same_dtype("einsum", *operands)
    else:  # under autocast: one common dtype
        from ..dtypes import result_type

        dtype = result_type(*(op._data for op in operands))
        operands = tuple(op if op.dtype == dtype else op.to(dtype) for op in operands)
    return Einsum.apply(*operands, inputs=tuple(inputs), output=output)
