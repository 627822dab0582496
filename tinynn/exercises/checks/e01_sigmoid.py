"""Checks for exercise 01, the sigmoid: values, stability, dtype, first and second derivatives."""
from __future__ import annotations

import numpy as np

import tinynn
from ..grading import Grader, Mismatch, numeric_gradient


def grade(g: Grader, student, reference) -> None:
    for shape in [(5,), (3, 4), (2, 3, 2)]:
        x = 3 * g.randn(*shape)
        with g.check(f"x of shape {shape}", "sigmoid"):
            g.expect("sigmoid(x)", g.call(student.sigmoid, x.copy()), reference.sigmoid(x))

    x = np.array([-1000.0, -100.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 100.0, 1000.0])
    with g.check("extreme inputs from -1000 to 1000 (no overflow)", "sigmoid"):
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            got = g.call(student.sigmoid, x.copy())
        g.expect("sigmoid(x)", got, reference.sigmoid(x))

    x32 = g.randn(2, 5, dtype=np.float32)
    with g.check("a float32 input stays float32", "sigmoid"):
        g.expect("sigmoid(x)", g.call(student.sigmoid, x32.copy()), reference.sigmoid(x32), rtol=1e-6)

    for shape in [(4,), (2, 3)]:
        x, upstream = 2 * g.randn(*shape), g.randn(*shape)
        y = reference.sigmoid(x)
        with g.check(f"Sigmoid.apply on x of shape {shape}", "Sigmoid.forward"):
            got = g.call(student.Sigmoid.apply, tinynn.tensor(x, requires_grad=True), what="Sigmoid.forward")
            g.expect("Sigmoid.apply(x)", got, reference.Sigmoid.apply(tinynn.tensor(x)))
        with g.check(f"gradient for x of shape {shape} against finite differences", "Sigmoid.backward"):
            _, (gx,) = g.function_backward(student.Sigmoid, [x], upstream)
            g.expect_gradient("x", g.require_gradient("x", gx), numeric_gradient(reference.sigmoid, [x], 0, upstream),
                              mistakes={"grad * y (the factor (1 - y) is missing)": upstream * y,
                                        "grad * (1 - y) (the factor y is missing)": upstream * (1 - y),
                                        "y * (1 - y) without the upstream grad": y * (1 - y),
                                        "grad * x * (1 - x): the input x where the output y belongs": upstream * x * (1 - x)})

    x, u, w = g.randn(3, 2), g.randn(3, 2), g.randn(3, 2)
    with g.check("second derivative: backward is made of Tensor operations", "Sigmoid.backward"):
        xt = tinynn.tensor(x, requires_grad=True)
        y = g.call(student.Sigmoid.apply, xt, what="Sigmoid.forward")
        (gx,) = g.call(tinynn.autograd.grad, y, xt, grad_outputs=tinynn.tensor(u), create_graph=True,
                       what="Sigmoid.backward")
        if not gx.requires_grad:
            raise Mismatch("dL/dx does not require grad, so it cannot be differentiated again. Hint: save the "
                           "output Tensor with ctx.save_for_backward(y) and compute backward with Tensor arithmetic")
        (gxx,) = tinynn.autograd.grad(gx, xt, grad_outputs=tinynn.tensor(w), allow_unused=True)

        def first_derivative(x):
            y = reference.sigmoid(x)
            return u * y * (1 - y)

        g.expect_gradient("x in d/dx (sum(w * dL/dx))", g.require_gradient("x (second derivative)", gxx),
                          numeric_gradient(first_derivative, [x], 0, w))

    x, upstream = 4 * g.randn(6), g.randn(6)
    with g.check("agrees with the library's tinynn.sigmoid (value and gradient)", "Sigmoid.backward"):
        xt, lt = tinynn.tensor(x, requires_grad=True), tinynn.tensor(x, requires_grad=True)
        mine = g.call(student.Sigmoid.apply, xt, what="Sigmoid.forward")
        library = tinynn.sigmoid(lt)
        g.expect("Sigmoid.apply(x)", mine, library, expected_label="tinynn.sigmoid")
        g.call((mine * tinynn.tensor(upstream)).sum().backward, what="Sigmoid.backward")
        (library * tinynn.tensor(upstream)).sum().backward()
        g.expect("gradient of x", xt.grad, lt.grad, expected_label="tinynn.sigmoid's", got_label="yours")
