"""Gradient checking: compare backward's gradients with central finite differences.

For an input element x_j and an output element y_r, the numerical derivative is

    dy_r/dx_j  ~  (y_r(x + eps e_j) - y_r(x - eps e_j)) / (2 eps)          (error O(eps^2))

and the analytical one is row r of the Jacobian that backward computes when fed the unit
gradient e_r. They agree when |analytical - numerical| <= atol + rtol * |numerical| everywhere.
Run it in float64: in float32 the rounding error of the difference quotient (~1e-7 / eps) swamps it.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import backend
from ..backend import array_module_of
from ..tensor import Tensor
from . import grad_mode
from .engine import grad as autograd_grad


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when the analytical and numerical gradients disagree."""


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, fast_mode: bool = False, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, masked=None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` (a tensor or a tuple) against finite differences.

    Returns True, or raises ``GradcheckError`` (returns False if ``raise_exception=False``) with a
    report naming the input, the element, and the analytical and numerical values.
    ``fast_mode=True`` compares one random projection v^T J u instead of the whole Jacobian.
    """
    inputs = _as_tuple(inputs)
    _warn_if_not_double(inputs)
    try:
        if fast_mode:
            _check_projection(func, inputs, eps, atol, rtol)
        else:
            _check_jacobians(func, inputs, eps, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, fast_mode: bool = False, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_batched_grad: bool = False,
                  masked=None) -> bool:
    """Check second derivatives: gradcheck the function ``(inputs, v) -> v^T dfunc/dinputs``."""
    inputs = _as_tuple(inputs)
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    with grad_mode.no_grad():
        outputs = [o for o in _as_tuple(func(*inputs)) if _is_differentiable(o)]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._make(backend.to_device(rng.standard_normal(o.shape).astype(o.dtype), o.device), requires_grad=True)
            for o in outputs
        )
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_inputs = len(inputs)

    def first_derivatives(*args):
        xs, vs = args[:n_inputs], args[n_inputs:]
        diff_xs = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        with grad_mode.enable_grad():  # gradcheck evaluates this under no_grad for the numerical part
            ys = [o for o in _as_tuple(func(*xs)) if _is_differentiable(o)]
            grads = autograd_grad(ys, diff_xs, grad_outputs=list(vs), create_graph=True, allow_unused=True)
        return tuple(g if g is not None else x * 0 for g, x in zip(grads, diff_xs))

    del diff
    return gradcheck(first_derivatives, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, fast_mode=fast_mode)


# ---------------------------------------------------------------------------- full Jacobians
def _check_jacobians(func, inputs, eps, atol, rtol):
    diff_inputs = _differentiable_inputs(inputs)
    outputs = _run(func, inputs)
    analytical = _analytical_jacobians(func, inputs, diff_inputs, outputs)
    numerical = _numerical_jacobians(func, inputs, diff_inputs, outputs, eps)
    for k, output in enumerate(outputs):
        for (i, tensor), a, n in zip(diff_inputs, analytical[k], numerical[k]):
            bad = np.abs(a - n) > atol + rtol * np.abs(n)
            if bad.any():
                r, j = (int(v[0]) for v in np.nonzero(bad))
                raise GradcheckError(_report(k, output, i, tensor, r, j, a, n, atol, rtol, bad))


def _analytical_jacobians(func, inputs, diff_inputs, outputs):
    """For each output k and input i: the (output.numel, input.numel) Jacobian from backward."""
    with grad_mode.enable_grad():
        graph_outputs = [o for o in _as_tuple(func(*inputs)) if _is_differentiable(o)]
    tensors = [t for _, t in diff_inputs]
    jacobians = []
    for k, out in enumerate(graph_outputs):
        rows = [np.zeros((out.numel(), t.numel())) for t in tensors]
        if out.requires_grad:
            for r in range(out.numel()):
                unit = array_module_of(out._data).zeros(out.shape, dtype=out.dtype)
                unit.reshape(-1)[r] = 1
                grads = autograd_grad(out, tensors, grad_outputs=Tensor._make(unit),
                                      retain_graph=True, allow_unused=True)
                for row, g, t in zip(rows, grads, tensors):
                    if g is not None:
                        if tuple(g.shape) != tuple(t.shape):
                            raise GradcheckError(
                                f"the gradient for an input of shape {tuple(t.shape)} has shape {tuple(g.shape)}"
                            )
                        row[r] = _host(g._data).reshape(-1)
        jacobians.append(rows)
    del outputs
    return jacobians


def _numerical_jacobians(func, inputs, diff_inputs, outputs, eps):
    """For each output k and input i: the Jacobian by central differences."""
    jacobians = [[np.zeros((o.numel(), t.numel())) for _, t in diff_inputs] for o in outputs]
    for col, (i, tensor) in enumerate(diff_inputs):
        flat = tensor._data.reshape(-1)  # a view: perturbing it perturbs the input
        for j in range(flat.size):
            original = flat[j].item()
            flat[j] = original + eps
            plus = _run(func, inputs)
            flat[j] = original - eps
            minus = _run(func, inputs)
            flat[j] = original
            for k, (p, m) in enumerate(zip(plus, minus)):
                diff = (p._data - m._data) / (2 * eps)   # _run gives host float64 arrays
                jacobians[k][col][:, j] = diff.reshape(-1)
    return jacobians


# ---------------------------------------------------------------------------- fast mode
def _check_projection(func, inputs, eps, atol, rtol):
    """Compare v^T J u (one number per input) computed both ways, for random u and v."""
    diff_inputs = _differentiable_inputs(inputs)
    rng = np.random.default_rng(0)
    outputs = _run(func, inputs)
    vs = [rng.standard_normal(o.shape) for o in outputs]
    with grad_mode.enable_grad():
        graph_outputs = [o for o in _as_tuple(func(*inputs)) if _is_differentiable(o)]
    for i, tensor in diff_inputs:
        u = rng.standard_normal(tensor.shape)
        u /= np.linalg.norm(u) or 1.0
        u_here = backend.to_device(u, tensor.device)   # the step, on the input's device
        original = tensor._data.copy()
        tensor._data[...] = original + eps * u_here
        plus = _run(func, inputs)
        tensor._data[...] = original - eps * u_here
        minus = _run(func, inputs)
        tensor._data[...] = original
        numerical = sum(
            float(np.sum(v * (p._data - m._data) / (2 * eps)))
            for v, p, m in zip(vs, plus, minus)
        )
        pairs = [(o, v) for o, v in zip(graph_outputs, vs) if o.requires_grad]
        analytical = 0.0
        if pairs:
            (g,) = autograd_grad([o for o, _ in pairs], [tensor],
                                 grad_outputs=[Tensor._make(backend.to_device(v.astype(o.dtype), o.device))
                                               for o, v in pairs],
                                 retain_graph=True, allow_unused=True)
            if g is not None:
                analytical = float(np.sum(_host(g._data) * u))
        if abs(analytical - numerical) > atol + rtol * abs(numerical):
            try:  # the slow check finds the element to report
                _check_jacobians(func, inputs, eps, atol, rtol)
            except GradcheckError as err:
                raise GradcheckError(f"(fast mode found a mismatch; the full check says:)\n{err}") from None
            raise GradcheckError(
                f"Jacobian mismatch with respect to input {i} in the random projection v^T J u:\n"
                f"  analytical: {analytical:.10g}\n  numerical:  {numerical:.10g}"
            )


# ---------------------------------------------------------------------------- helpers
def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _is_differentiable(o) -> bool:
    return isinstance(o, Tensor) and o.dtype.kind == "f"


def _differentiable_inputs(inputs):
    diff = [(i, t) for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient (requires_grad=True)")
    return diff


def _run(func, inputs):
    """The differentiable outputs as float64 copies (an output may be a view of an input)."""
    with grad_mode.no_grad():
        outputs = [o for o in _as_tuple(func(*inputs)) if _is_differentiable(o)]
    return [Tensor._make(_host(o._data)) for o in outputs]


def _host(array) -> np.ndarray:
    """A float64 NumPy copy of an array on any device: the Jacobians are assembled on the host."""
    return np.array(backend.to_device(array, backend.CPU), dtype=np.float64)


def _warn_if_not_double(inputs):
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != np.float64:
            warnings.warn(
                f"gradcheck: input {i} requires grad but is {t.dtype}, not float64: finite differences in "
                "low precision are inaccurate, so the check may fail on a correct gradient. Use .double().",
                UserWarning,
                stacklevel=3,
            )


def _position(flat_index: int, shape) -> tuple:
    return tuple(int(v) for v in np.unravel_index(flat_index, shape)) if shape else ()


def _report(k, output, i, tensor, r, j, analytical, numerical, atol, rtol, bad) -> str:
    a, n = analytical[r, j], numerical[r, j]
    op = output.grad_fn.name() if getattr(output, "grad_fn", None) is not None else "the function"
    count = int(bad.sum())
    lines = [
        f"Jacobian mismatch for output {k} with respect to input {i}:",
        f"  d output{list(_position(r, output.shape))} / d input{list(_position(j, tensor.shape))}",
        f"  analytical (backward): {a:.10g}",
        f"  numerical (finite differences): {n:.10g}",
        f"  difference {abs(a - n):.3g} > atol + rtol * |numerical| = {atol + rtol * abs(n):.3g}",
        f"  {count} of {bad.size} Jacobian entries disagree.",
    ]
    if np.allclose(analytical, 0) and not np.allclose(numerical, 0):
        lines.append("  Hint: backward returned zeros (or nothing) for this input; is the gradient connected?")
    elif np.allclose(analytical, 2 * numerical) or np.allclose(2 * analytical, numerical):
        lines.append("  Hint: off by a factor of 2 everywhere: a missing or extra 1/2 in the derivative?")
    elif np.allclose(analytical, -numerical):
        lines.append("  Hint: the sign is flipped everywhere.")
    lines.append(f"  The output was made by {op}.")
    return "\n".join(lines)
