"""Derivatives of whole functions: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``.

All are built from ``grad``: a vector-Jacobian product is one backward pass; a Jacobian is one
backward pass per output element; a Hessian is the Jacobian of the gradient (create_graph=True).
"""
from __future__ import annotations

from ..tensor import Tensor
from . import grad_mode
from .engine import grad


def _prepare(inputs):
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    return single, tuple(x.detach().requires_grad_(True) for x in inputs)


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the output and the vector-Jacobian product."""
    single, xs = _prepare(inputs)
    with grad_mode.enable_grad():
        out = func(*xs)
        grads = grad(out, xs, grad_outputs=v, create_graph=create_graph, allow_unused=True, materialize_grads=True)
    out = out if create_graph else out.detach()
    return out, grads[0] if single else grads


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v) by the double-backward trick: J v = d/du (u^T J v)."""
    single, xs = _prepare(inputs)
    vs = (v,) if isinstance(v, Tensor) else tuple(v) if v is not None else tuple(x * 0 + 1 for x in xs)
    with grad_mode.enable_grad():
        out = func(*xs)
        u = (out * 0).detach().requires_grad_(True)
        g = grad(out, xs, grad_outputs=u, create_graph=True, allow_unused=True, materialize_grads=True)
        total = sum((gi * vi).sum() for gi, vi in zip(g, vs))
        (jv,) = grad(total, u, create_graph=create_graph, allow_unused=True, materialize_grads=True)
    return (out if create_graph else out.detach()), jv


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False):
    """The Jacobian d func / d inputs: shape output.shape + input.shape (a tuple for several inputs)."""
    single, xs = _prepare(inputs)
    with grad_mode.enable_grad():
        out = func(*xs)
        jac = tuple(jacobians_by_rows(out, xs, lambda element: grad(
            element, xs, retain_graph=True, create_graph=create_graph, allow_unused=True, materialize_grads=True)))
    return jac[0] if single else jac


def jacobians_by_rows(output: Tensor, inputs, gradients) -> list:
    """d output / d x for each x in ``inputs``, shaped output.shape + x.shape: one backward pass
    per element of ``output`` (a row of the Jacobian). ``gradients(element)`` gives one scalar
    element's gradients with respect to the inputs (zeros, not None, where it does not depend on one).
    Shared by ``jacobian`` here and ``tinynn.func.jacrev``."""
    flat = output.reshape(-1)
    rows = [[] for _ in inputs]
    for r in range(flat.numel()):
        for row, g in zip(rows, gradients(flat[r])):
            row.append(g)
    return [stack(row).reshape(tuple(output.shape) + tuple(x.shape)) if row
            else x.detach().new_zeros(tuple(output.shape) + tuple(x.shape)) for row, x in zip(rows, inputs)]


# torch.stack, for the Jacobian's rows. It is an op, and the ops sit above autograd (they import it),
# so tinynn/ops/methods.py hands it over here when the ops load.
stack = None


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False):
    """The matrix of second derivatives of a scalar function (for one input tensor)."""
    single, xs = _prepare(inputs)
    if not single:
        raise NotImplementedError("hessian: tinynn supports a single input tensor")

    def gradient(x):
        with grad_mode.enable_grad():
            (g,) = grad(func(x), x, create_graph=True)
        return g

    return jacobian(gradient, xs[0], create_graph=create_graph)


def hvp(func, inputs, v, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v): a Hessian-vector product without forming H."""
    single, xs = _prepare(inputs)
    vs = (v,) if isinstance(v, Tensor) else tuple(v)
    with grad_mode.enable_grad():
        out = func(*xs)
        gs = grad(out, xs, create_graph=True)
        total = sum((g * vi).sum() for g, vi in zip(gs, vs))
        hv = grad(total, xs, create_graph=create_graph, allow_unused=True, materialize_grads=True)
    return (out if create_graph else out.detach()), (hv[0] if single else hv)


vhp = hvp
