"""Checks for exercise 22, layer norm: forward values against F.layer_norm, the closed-form backward
against float64 finite differences, and the gradients against the library's."""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn.functional as F
from ..grading import Grader, numeric_gradient, on_arrays


def _layer_norm(x, w, b, eps, mistake: str = ""):
    """Layer norm in NumPy, optionally with a known mistake, for the hints."""
    axis = 0 if mistake == "axis 0" else -1
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True, ddof=1 if mistake == "unbiased" and x.shape[axis] > 1 else 0)
    if mistake == "eps outside":
        xhat = (x - mean) / (np.sqrt(var) + eps)
    else:
        xhat = (x - mean) / np.sqrt(var + eps)
    return xhat if mistake == "no affine" else xhat * w + b


FORWARD_MISTAKES = {"unbiased": "the unbiased variance (divided by D - 1); layer norm divides by D",
                    "eps outside": "1 / (sqrt(var) + eps); eps goes inside the square root",
                    "no affine": "xhat without the scale (weight) and shift (bias)",
                    "axis 0": "statistics over dimension 0 (the batch); layer norm uses the last dimension"}


def _grad_x(x, w, eps, upstream, mistake: str = ""):
    """dL/dx in NumPy, optionally with a known mistake, for the hints."""
    mean = x.mean(axis=-1, keepdims=True)
    rstd = 1 / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    xhat = (x - mean) * rstd
    g = upstream if mistake == "no weight" else upstream * w
    through_mean = 0 if mistake in ("mean constant", "both constant") else g.mean(axis=-1, keepdims=True)
    through_var = 0 if mistake in ("rstd constant", "both constant") else xhat * (g * xhat).mean(axis=-1, keepdims=True)
    return rstd * (g - through_mean - through_var)


GRAD_X_MISTAKES = {"mean constant": "the mean treated as a constant (the '- mean(g)' term is missing)",
                   "rstd constant": "rstd treated as a constant (the '- xhat * mean(g * xhat)' term is missing)",
                   "both constant": "grad * weight * rstd: mean and rstd both treated as constants",
                   "no weight": "the formula with g = grad; it needs g = grad * weight"}


def _cases(g: Grader) -> list:
    """(x, weight, bias, eps, description)."""
    cases = []
    for shape, eps, what in [((4, 5), 1e-5, "a batch"), ((2, 3, 6), 1e-5, "a sequence batch"),
                             ((1, 5), 1e-5, "a batch of 1"), ((7,), 1e-5, "a single row"),
                             ((3, 1), 1e-5, "one feature (xhat is 0, y is bias)"), ((3, 4), 0.5, "a large eps")]:
        d = shape[-1]
        cases.append((g.randn(*shape) * 2 + 1, g.randn(d), g.randn(d), eps, f"{what}: x {shape}, eps {eps:g}"))
    x = g.randn(3, 4)
    x[1] = 2.5   # var = 0 in this row: only eps keeps rstd finite
    cases.append((x, g.randn(4), g.randn(4), 1e-3, "a constant row (var 0): x (3, 4), eps 0.001"))
    return cases


def grade(g: Grader, student, reference) -> None:
    reference_forward = on_arrays(reference.LayerNormFunction.apply)
    for x, w, b, eps, case in _cases(g):
        with g.check(case, "LayerNormFunction.forward"):
            tensors = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
            got = g.call(student.LayerNormFunction.apply, *tensors, eps, what="LayerNormFunction.forward")
            mistakes = {text: _layer_norm(x, w, b, eps, m) for m, text in FORWARD_MISTAKES.items()
                        if m != "axis 0" or (x.ndim > 1 and x.shape[0] > 1)}
            g.expect("y", got, reference.LayerNormFunction.apply(*[tinynn.tensor(a) for a in (x, w, b)], eps),
                     mistakes=mistakes)
            library = F.layer_norm(tinynn.tensor(x), x.shape[-1], tinynn.tensor(w), tinynn.tensor(b), eps)
            g.expect("y against the library", got, library, expected_label="F.layer_norm")

        upstream = g.randn(*x.shape)
        with g.check(case + ": gradients against finite differences", "LayerNormFunction.backward", points=2):
            _, grads = g.function_backward(student.LayerNormFunction, [x, w, b, eps], upstream)
            mistakes = {"x": {text: _grad_x(x, w, eps, upstream, m) for m, text in GRAD_X_MISTAKES.items()},
                        "weight": {"the sum of grad (that is dL/dbias); dL/dweight sums grad * xhat":
                                   upstream.reshape(-1, x.shape[-1]).sum(0)}}
            for i, name in enumerate(("x", "weight", "bias")):
                numeric = numeric_gradient(reference_forward, [x, w, b, eps], i, upstream)
                g.expect_gradient(name, g.require_gradient(name, grads[i]), numeric, mistakes=mistakes.get(name))

    x, w, b, upstream = g.randn(2, 3, 6), g.randn(6), g.randn(6), g.randn(2, 3, 6)
    with g.check("agrees with tinynn.nn.functional.layer_norm through autograd (x (2, 3, 6), value and gradients)",
                 "LayerNormFunction.backward", points=2):
        mine = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
        library = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = g.call(student.LayerNormFunction.apply, *mine, 1e-5, what="LayerNormFunction.forward")
        y_library = F.layer_norm(library[0], 6, library[1], library[2], 1e-5)
        g.expect("y", y, y_library, expected_label="F.layer_norm")
        g.call((y * tinynn.tensor(upstream)).sum().backward, what="LayerNormFunction.backward")
        (y_library * tinynn.tensor(upstream)).sum().backward()
        for name, a, e in zip(("x", "weight", "bias"), mine, library):
            g.expect(f"gradient of {name}", g.require_gradient(name, a.grad), e.grad,
                     expected_label="F.layer_norm's", got_label="yours", rtol=1e-6, atol=1e-9)
