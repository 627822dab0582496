"""Checks for exercise 02, activations: the stable sigmoid's values, stability and dtype; Sigmoid, Tanh and ReLU
as autograd Functions (values, gradients against finite differences, second derivatives, the library's ops)."""
from __future__ import annotations

import numpy as np

import tinynn
from ..grading import Grader, Mismatch, numeric_gradient


def _tanh_mistakes(x, y, upstream) -> dict:
    return {"grad * (1 - y) (the derivative is 1 - y^2)": upstream * (1 - y),
            "grad * (1 - x^2): the input x where the output y belongs": upstream * (1 - x * x),
            "grad * y * (1 - y): the sigmoid's derivative": upstream * y * (1 - y),
            "1 - y^2 without the upstream grad": 1 - y * y}


def _relu_mistakes(x, upstream) -> dict:
    return {"grad * y (the output, where the mask 0/1 belongs)": upstream * np.maximum(x, 0),
            "the mask x > 0 without the upstream grad": (x > 0).astype(x.dtype),
            "grad where x < 0 (the mask inverted)": upstream * (x < 0)}


def grade(g: Grader, student, reference) -> None:
    grade_sigmoid(g, student, reference)
    grade_tanh(g, student, reference)
    grade_relu(g, student, reference)


def grade_sigmoid(g: Grader, student, reference) -> None:
    for shape in [(5,), (3, 4), (2, 3, 2)]:
        x = 3 * g.randn(*shape)
        with g.check(f"x of shape {shape}", "sigmoid"):
            g.expect("sigmoid(x)", g.call(student.sigmoid, x.copy()), reference.sigmoid(x))

    x = np.array([-1000.0, -100.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 100.0, 1000.0])
    with g.check("extreme inputs from -1000 to 1000 (no overflow)", "sigmoid", points=2):
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
        with g.check(f"Sigmoid: gradient for x of shape {shape} against finite differences", "Sigmoid.backward",
                     points=2):
            _, (gx,) = g.function_backward(student.Sigmoid, [x], upstream)
            g.expect_gradient("x", g.require_gradient("x", gx), numeric_gradient(reference.sigmoid, [x], 0, upstream),
                              mistakes={"grad * y (the factor (1 - y) is missing)": upstream * y,
                                        "grad * (1 - y) (the factor y is missing)": upstream * (1 - y),
                                        "y * (1 - y) without the upstream grad": y * (1 - y),
                                        "grad * x * (1 - x): the input x where the output y belongs": upstream * x * (1 - x)})

    def sigmoid_first_derivative(u):
        return lambda x: u * reference.sigmoid(x) * (1 - reference.sigmoid(x))

    _second_derivative(g, student.Sigmoid, "Sigmoid", sigmoid_first_derivative)
    _against_library(g, student.Sigmoid, "Sigmoid", tinynn.sigmoid, "tinynn.sigmoid", 4 * g.randn(6))


def grade_tanh(g: Grader, student, reference) -> None:
    cases = [(2 * g.randn(5), "x of shape (5,)"), (g.randn(3, 4), "x of shape (3, 4)"),
             (np.array([-800.0, -20.0, -1e-4, 0.0, 1e-4, 20.0, 800.0]), "extreme inputs from -800 to 800")]
    for x, case in cases:
        with g.check(f"Tanh.apply on {case}", "Tanh.forward"):
            with np.errstate(over="raise", invalid="raise"):
                got = g.call(student.Tanh.apply, tinynn.tensor(x, requires_grad=True), what="Tanh.forward")
            g.expect("Tanh.apply(x)", got, reference.Tanh.apply(tinynn.tensor(x)),
                     mistakes={"the sigmoid (tanh(x) = 2 sigmoid(2x) - 1)": reference.sigmoid(x)})

    x32 = g.randn(2, 3, dtype=np.float32)
    with g.check("Tanh: a float32 input stays float32", "Tanh.forward"):
        got = g.call(student.Tanh.apply, tinynn.tensor(x32), what="Tanh.forward")
        g.expect("Tanh.apply(x)", got, reference.Tanh.apply(tinynn.tensor(x32)), rtol=1e-6)

    for shape in [(4,), (2, 3)]:
        x, upstream = 1.5 * g.randn(*shape), g.randn(*shape)
        with g.check(f"Tanh: gradient for x of shape {shape} against finite differences", "Tanh.backward", points=2):
            _, (gx,) = g.function_backward(student.Tanh, [x], upstream)
            g.expect_gradient("x", g.require_gradient("x", gx), numeric_gradient(np.tanh, [x], 0, upstream),
                              mistakes=_tanh_mistakes(x, np.tanh(x), upstream))

    _second_derivative(g, student.Tanh, "Tanh", lambda u: (lambda x: u * (1 - np.tanh(x) ** 2)))
    _against_library(g, student.Tanh, "Tanh", tinynn.tanh, "tinynn.tanh", 2 * g.randn(6))


def grade_relu(g: Grader, student, reference) -> None:
    cases = [(g.randn(6), "x of shape (6,)"), (g.randn(2, 3, 2), "x of shape (2, 3, 2)"),
             (np.array([-3.0, -0.0, 0.0, 2.5]), "x with zeros (-0.0 and 0.0)")]
    for x, case in cases:
        with g.check(f"ReLU.apply on {case}", "ReLU.forward"):
            got = g.call(student.ReLU.apply, tinynn.tensor(x, requires_grad=True), what="ReLU.forward")
            g.expect("ReLU.apply(x)", got, reference.ReLU.apply(tinynn.tensor(x)),
                     mistakes={"x itself (the negative part is not cut off)": x, "min(x, 0)": np.minimum(x, 0)})

    x32 = g.randn(7, dtype=np.float32)
    with g.check("ReLU: a float32 input stays float32", "ReLU.forward"):
        got = g.call(student.ReLU.apply, tinynn.tensor(x32), what="ReLU.forward")
        g.expect("ReLU.apply(x)", got, reference.ReLU.apply(tinynn.tensor(x32)))

    # away from 0, where the derivative exists and finite differences see it
    for shape in [(5,), (3, 4)]:
        x = g.randn(*shape)
        x = np.where(np.abs(x) < 0.1, x + np.sign(x) * 0.1 + 0.05, x)
        upstream = g.randn(*shape)
        with g.check(f"ReLU: gradient for x of shape {shape} against finite differences", "ReLU.backward", points=2):
            _, (gx,) = g.function_backward(student.ReLU, [x], upstream)
            numeric = numeric_gradient(lambda x: np.maximum(x, 0), [x], 0, upstream)
            g.expect_gradient("x", g.require_gradient("x", gx), numeric, mistakes=_relu_mistakes(x, upstream))

    x, upstream = np.array([-1.0, 0.0, 2.0, 0.0]), np.array([3.0, 3.0, 3.0, -3.0])
    with g.check("ReLU: the gradient at x = 0 is 0 (as PyTorch's)", "ReLU.backward"):
        _, (gx,) = g.function_backward(student.ReLU, [x], upstream)
        g.expect("gradient of x for x = [-1, 0, 2, 0]", g.require_gradient("x", gx), np.array([0.0, 0.0, 3.0, 0.0]),
                 expect_tensor=False, mistakes={"a gradient at x = 0 (the mask x >= 0; PyTorch's is x > 0)":
                                                upstream * (x >= 0)})

    x = g.randn(3, 4)
    x.flat[[0, 5]] = 0.0
    _against_library(g, student.ReLU, "ReLU", tinynn.relu, "tinynn.relu", x)


def _second_derivative(g: Grader, cls, name: str, first_derivative) -> None:
    """d/dx of sum(w * dL/dx): only possible when backward is made of Tensor operations on saved Tensors."""
    x, u, w = g.randn(3, 2), g.randn(3, 2), g.randn(3, 2)
    with g.check(f"{name}: second derivative: backward is made of Tensor operations", f"{name}.backward"):
        xt = tinynn.tensor(x, requires_grad=True)
        y = g.call(cls.apply, xt, what=f"{name}.forward")
        (gx,) = g.call(tinynn.autograd.grad, y, xt, grad_outputs=tinynn.tensor(u), create_graph=True,
                       what=f"{name}.backward")
        if not gx.requires_grad:
            raise Mismatch("dL/dx does not require grad, so it cannot be differentiated again. Hint: save the "
                           "output Tensor with ctx.save_for_backward(y) and compute backward with Tensor arithmetic")
        (gxx,) = tinynn.autograd.grad(gx, xt, grad_outputs=tinynn.tensor(w), allow_unused=True)
        g.expect_gradient("x in d/dx (sum(w * dL/dx))", g.require_gradient("x (second derivative)", gxx),
                          numeric_gradient(first_derivative(u), [x], 0, w))


def _against_library(g: Grader, cls, name: str, library_op, library_name: str, x) -> None:
    upstream = g.randn(*x.shape)
    with g.check(f"{name}: agrees with the library's {library_name} (value and gradient)", f"{name}.backward"):
        xt, lt = tinynn.tensor(x, requires_grad=True), tinynn.tensor(x, requires_grad=True)
        mine = g.call(cls.apply, xt, what=f"{name}.forward")
        library = library_op(lt)
        g.expect(f"{name}.apply(x)", mine, library, expected_label=library_name)
        g.call((mine * tinynn.tensor(upstream)).sum().backward, what=f"{name}.backward")
        (library * tinynn.tensor(upstream)).sum().backward()
        g.expect("gradient of x", xt.grad, lt.grad, expected_label=f"{library_name}'s", got_label="yours")
