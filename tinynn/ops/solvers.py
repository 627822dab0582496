"""Square systems: solve, inv, det, slogdet (and PyTorch's top-level inverse, det, logdet, slogdet).

All four rest on the LU factorization P A = L U that LAPACK computes: A^-1 B is two triangular
solves, det A is the product of U's diagonal (times the permutation's sign). Their derivatives:

    X = A^-1 B:   gB = A^-T gX,  gA = -gB X^T        Y = A^-1:   gA = -Y^T gY Y^T
    d = det A:    gA = g d A^-T = g adj(A)^T         log|det A|: gA = g A^-T
"""
from __future__ import annotations

import collections

import numpy as np

from ..autograd.function import Op
from ..backend import array_module_of, device, device_of, to_device
from ..tensor import Tensor
from .decompositions import failure_message
from .matrix_checks import LinAlgError, batch_shape, check_matrices, common_float
from .spectral import SVD, eye_like

__all__ = ["det", "inverse", "logdet", "slogdet"]

inverse_info = collections.namedtuple("inverse_info", ["inverse", "info"])
sign_logabsdet = collections.namedtuple("sign_logabsdet", ["sign", "logabsdet"])

_SINGULAR_INV = ("The diagonal element {order} is zero, the inversion could not be completed because the "
                 "input matrix is singular.")
_SINGULAR_SOLVE = "The solver failed because the input matrix is singular."


def first_zero_pivot(matrix: np.ndarray) -> int:
    """1 + the index of the first exactly zero diagonal element of U in P A = L U (0 if none).

    Gaussian elimination with partial pivoting, as LAPACK's getrf does, for one matrix: it only
    runs to name the culprit after LAPACK has refused a singular matrix.
    """
    u = np.array(matrix, dtype=np.float64)
    n = u.shape[-1]
    for j in range(n):
        p = j + int(np.argmax(np.abs(u[j:, j])))
        if u[p, j] == 0:
            return j + 1
        u[[j, p]] = u[[p, j]]
        u[j + 1:, j:] -= np.outer(u[j + 1:, j] / u[j, j], u[j, j:])
    return 0


def _per_matrix(a, compute):
    """Run ``compute`` on each matrix of the batch (on the CPU), collecting (result, info)."""
    host = to_device(a, device("cpu"))
    flat = host.reshape((-1,) + host.shape[-2:])
    results, info = np.empty_like(flat), np.zeros(flat.shape[0], dtype=np.int32)
    for i, matrix in enumerate(flat):
        try:
            results[i] = compute(matrix)
        except np.linalg.LinAlgError:
            results[i] = np.nan
            info[i] = first_zero_pivot(matrix)
    dev = device_of(a)
    return to_device(results.reshape(a.shape), dev), to_device(info.reshape(a.shape[:-2]), dev)


# ---------------------------------------------------------------------------- inverse
class Inverse(Op):
    """(Y, info) = (A^-1, 0) per matrix; info = k when U's k-th diagonal element is zero (Y: NaN).

    dY = -Y dA Y, so gA = -Y^T gY Y^T. With ``raise_as`` set, a singular matrix raises instead.
    """

    @staticmethod
    def forward(ctx, a, raise_as=None):
        xp = array_module_of(a)
        try:
            y, info = xp.linalg.inv(a), xp.zeros(a.shape[:-2], dtype=np.int32)
        except np.linalg.LinAlgError:
            y, info = _per_matrix(a, np.linalg.inv)
        if raise_as is not None and bool((info != 0).any()):
            raise LinAlgError(failure_message(raise_as, info, _SINGULAR_INV))
        ctx.save_for_backward(y)
        return y, info

    @staticmethod
    def backward(ctx, grad, _):
        (y,) = ctx.saved_tensors
        return -(y.mT @ grad @ y.mT)


def _no_out(out, name):
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported by tinynn; assign the result instead")


def inv(A: Tensor, *, out=None) -> Tensor:
    """A^-1 for square A: (*, n, n). A singular matrix raises LinAlgError naming the zero pivot."""
    _no_out(out, "linalg.inv")
    check_matrices(A, "linalg.inv")
    return Inverse.apply(A, "linalg.inv")[0]


def inv_ex(A: Tensor, *, check_errors: bool = False, out=None):
    """(inverse, info): info is 0, or k when the k-th pivot of A's LU factorization is zero.

    PyTorch leaves inf/nan from the failed factorization in a singular matrix's inverse; tinynn
    fills it with NaN.
    """
    _no_out(out, "linalg.inv_ex")
    check_matrices(A, "linalg.inv_ex")
    return inverse_info(*Inverse.apply(A, "linalg.inv" if check_errors else None))


def inverse(input: Tensor, *, out=None) -> Tensor:
    """``torch.inverse``: the same as ``torch.linalg.inv``."""
    return inv(input, out=out)


# ---------------------------------------------------------------------------- solve
class Solve(Op):
    """X = A^-1 B for square A: (*, n, n) and B: (*, n, k); batch dims broadcast.

    From A X = B:  dX = A^-1 (dB - dA X),  so  gB = A^-T gX  and  gA = -gB X^T.
    """

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module_of(a)
        batch = batch_shape(a.shape, b.shape, "linalg.solve")
        a_full = xp.broadcast_to(a, batch + a.shape[-2:])
        try:
            x = xp.linalg.solve(a_full, xp.broadcast_to(b, batch + b.shape[-2:]))
        except np.linalg.LinAlgError:
            _, info = _per_matrix(a_full, np.linalg.inv)
            raise LinAlgError(failure_message("linalg.solve", info, _SINGULAR_SOLVE)) from None
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        grad_b = solve(a.mT, grad)
        grad_a = -(grad_b @ x.mT) if ctx.needs_input_grad[0] else None
        return grad_a, grad_b


def solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:
    """X with A X = B (``left=True``) or X A = B (``left=False``), A square: (*, n, n).

    B is (*, n, k), or a vector (*, n) when it is 1-d or has A's shape without its last dim (then X
    is a vector too). Batch dims broadcast. A singular A raises LinAlgError.
    """
    name = "linalg.solve"
    _no_out(out, name)
    check_matrices(A, name, "A")
    if not isinstance(B, Tensor):
        raise TypeError(f"{name}: argument 'B' must be a Tensor, not {type(B).__name__}")
    n = A.shape[-1]
    vector = left and (B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1]))
    B2 = B.unsqueeze(-1) if vector or B.ndim == 1 else B  # a 1-d B with left=False fails below, as in PyTorch
    if B2.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    check_matrices(B2, name, "B", square=False)
    if (B2.shape[-2] if left else B2.shape[-1]) != n:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B2.shape[-2]}x{B2.shape[-1]})")
    A, B2 = common_float(A, B2)
    if left:
        x = Solve.apply(A, B2)
    else:  # X A = B  is  A^T X^T = B^T
        x = Solve.apply(A.mT, B2.mT).mT
    return x.squeeze(-1) if vector else x


# ---------------------------------------------------------------------------- determinants
class Det(Op):
    """d = det A.  dd = d tr(A^-1 dA), so gA = g d A^-T, which is g adj(A)^T (the cofactors).

    The cofactors exist for a singular A too: with A = U S Vh, adj(A)^T = det(U) det(Vh) U adj(S) Vh,
    adj(S) holding on its diagonal the products of all singular values but one. That formula
    serves a batch holding an exactly singular matrix, as in PyTorch.
    """

    @staticmethod
    def forward(ctx, a):
        d = array_module_of(a).linalg.det(a)
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, grad, *_):
        a, d = ctx.saved_tensors
        g = grad.unsqueeze(-1).unsqueeze(-1)
        if bool(array_module_of(d._data).all(d._data != 0)):
            return g * d.unsqueeze(-1).unsqueeze(-1) * inv(a).mT
        return g * cofactors(a)


def cofactors(a: Tensor) -> Tensor:
    """adj(A)^T through the SVD (see Det), differentiable where the singular values are distinct."""
    u, s, vh = SVD.apply(a, False)
    xp = array_module_of(a._data)
    orientation = xp.linalg.det(u._data) * xp.linalg.det(vh._data)  # +-1, a constant of the gauge
    n = s.shape[-1]
    others = s.unsqueeze(-2) * (1 - eye_like(s, n)) + eye_like(s, n)  # row i: s with s_i replaced by 1
    products = others[..., 0]
    for j in range(1, n):
        products = products * others[..., j]
    scale = Tensor._make(orientation).unsqueeze(-1).unsqueeze(-1)
    return scale * ((u * products.unsqueeze(-2)) @ vh)


class Slogdet(Op):
    """(sign, log|det A|).  d log|det A| = tr(A^-1 dA), so gA = g A^-T; the sign has no gradient."""

    @staticmethod
    def forward(ctx, a):
        sign, logabs = array_module_of(a).linalg.slogdet(a)
        ctx.save_for_backward(a)
        ctx.mark_non_differentiable(sign)
        return sign, logabs

    @staticmethod
    def backward(ctx, _, grad):
        (a,) = ctx.saved_tensors
        y, _ = Inverse.apply(a)
        return grad.unsqueeze(-1).unsqueeze(-1) * y.mT


def det(A: Tensor, *, out=None) -> Tensor:
    """det A for square A: (*, n, n) -> (*). ``torch.det`` and ``torch.linalg.det``."""
    _no_out(out, "linalg.det")
    check_matrices(A, "linalg.det")
    return Det.apply(A)


def slogdet(A: Tensor, *, out=None):
    """(sign, logabsdet) with det A = sign * exp(logabsdet): accurate where det A over- or underflows.

    For a singular A: sign 0, logabsdet -inf.
    """
    _no_out(out, "linalg.slogdet")
    check_matrices(A, "linalg.slogdet")
    return sign_logabsdet(*Slogdet.apply(A))


def logdet(input: Tensor) -> Tensor:
    """``torch.logdet``: log det A; nan where det A < 0, -inf where it is 0."""
    check_matrices(input, "logdet")
    sign, logabs = Slogdet.apply(input)
    xp = array_module_of(sign._data)
    nan_where_negative = Tensor._make(xp.where(sign._data < 0, xp.nan, 0.0).astype(sign._data.dtype))
    return logabs + nan_where_negative
