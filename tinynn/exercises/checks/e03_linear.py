"""Checks for exercise 03, the Linear layer: forward values, then each gradient against finite differences."""
from __future__ import annotations

import tinynn
import tinynn.nn.functional as F
from ..grading import Grader, numeric_gradient, on_arrays

# (N, in, out, bias): batch of one, one feature, no bias, and a square W (a transposed dL/dW keeps its shape)
CASES = [(4, 3, 2, True), (1, 3, 2, True), (5, 1, 1, True), (3, 4, 2, False), (2, 3, 3, True)]


def grade(g: Grader, student, reference) -> None:
    reference_forward = on_arrays(reference.LinearFunction.apply)
    for n, n_in, n_out, has_bias in CASES:
        x, w = g.randn(n, n_in), g.randn(n_out, n_in)
        b = g.randn(n_out) if has_bias else None
        upstream = g.randn(n, n_out)
        case = f"x: {x.shape}, W: {w.shape}, " + (f"b: {b.shape}" if has_bias else "no bias")
        inputs = [x, w] + ([b] if has_bias else [])

        with g.check(case, "LinearFunction.forward"):
            tensors = [tinynn.tensor(a, requires_grad=True) for a in inputs]
            got = g.call(student.LinearFunction.apply, *tensors, what="LinearFunction.forward")
            g.expect("y", got, reference.LinearFunction.apply(*[tinynn.tensor(a) for a in inputs]))

        with g.check(case + ": gradients against finite differences", "LinearFunction.backward", points=2):
            _, grads = g.function_backward(student.LinearFunction, inputs, upstream)
            names = ["x", "weight", "bias"]
            mistakes = {"x": {"grad @ W.T (dL/dx needs grad @ W)": upstream @ w.T} if n_in == n_out else {},
                        "weight": {"x.T @ grad, the transpose of grad.T @ x": x.T @ upstream}}
            for i, name in enumerate(names[:len(inputs)]):
                numeric = numeric_gradient(reference_forward, inputs, i, upstream)
                g.expect_gradient(name, g.require_gradient(name, grads[i]), numeric, mistakes=mistakes.get(name))

    x, w, b, upstream = g.randn(3, 4), g.randn(2, 4), g.randn(2), g.randn(3, 2)
    with g.check("agrees with the library's tinynn.nn.functional.linear (value and gradients)", "LinearFunction.backward"):
        mine = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
        library = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = g.call(student.LinearFunction.apply, *mine, what="LinearFunction.forward")
        y_library = F.linear(*library)
        g.expect("y", y, y_library, expected_label="F.linear")
        g.call((y * tinynn.tensor(upstream)).sum().backward, what="LinearFunction.backward")
        (y_library * tinynn.tensor(upstream)).sum().backward()
        for name, a, e in zip(("x", "weight", "bias"), mine, library):
            g.expect(f"gradient of {name}", a.grad, e.grad, expected_label="F.linear's", got_label="yours")
