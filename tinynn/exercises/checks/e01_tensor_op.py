"""Checks for exercise 01, Mul, Exp and Sum: values, gradients against finite differences, a second
derivative, float32, and a small graph of the three against tinynn's own operations."""
from __future__ import annotations

import numpy as np

import tinynn
from ..grading import Grader, Mismatch, numeric_gradient

# (x shape, dim, keepdim): everything, each dim of a square x (a gradient laid along the wrong axis
# keeps its shape there), a negative dim with keepdim, a 0-d x, and an empty batch
SUM_CASES = [((3, 4), None, False), ((3, 3), 0, False), ((3, 3), 1, False), ((2, 3, 4), -1, True),
             ((), None, False), ((0, 3), 0, False)]


def _sum_mistakes(x_shape, dim, upstream) -> dict:
    """dL/dx with grad laid along the other axis of a square x: the classic reshape slip."""
    if len(x_shape) != 2 or dim is None or x_shape[0] != x_shape[1]:
        return {}
    other = upstream[:, None] if dim == 0 else upstream[None, :]   # right: [None, :] for dim 0
    return {"grad laid along the wrong axis (reshape grad so that the summed dim has size 1)":
            np.broadcast_to(other, x_shape)}


def grade(g: Grader, student, reference) -> None:
    _grade_mul(g, student, reference)
    _grade_exp(g, student, reference)
    _grade_sum(g, student, reference)
    _grade_against_library(g, student)


def _grade_mul(g: Grader, student, reference) -> None:
    for shape in [(5,), (2, 3), (1, 4), ()]:
        x, y, upstream = g.randn(*shape), g.randn(*shape), g.randn(*shape)
        case = f"x and y of shape {shape}"
        with g.check(case, "Mul.forward"):
            got = g.call(student.Mul.apply, tinynn.tensor(x, requires_grad=True), tinynn.tensor(y),
                         what="Mul.forward")
            g.expect("Mul.apply(x, y)", got, reference.Mul.apply(tinynn.tensor(x), tinynn.tensor(y)))
        if shape == ():
            continue
        with g.check(case + ": gradients against finite differences", "Mul.backward", points=2):
            _, (gx, gy) = g.function_backward(student.Mul, [x, y], upstream)
            numeric = [numeric_gradient(lambda a, b: a * b, [x, y], i, upstream) for i in (0, 1)]
            g.expect_gradient("x", g.require_gradient("x", gx), numeric[0],
                              mistakes={"grad * x: dz/dx is the OTHER input, y": upstream * x,
                                        "y without the upstream grad": y})
            g.expect_gradient("y", g.require_gradient("y", gy), numeric[1],
                              mistakes={"grad * y: dz/dy is the OTHER input, x": upstream * y,
                                        "x without the upstream grad": x})


def _grade_exp(g: Grader, student, reference) -> None:
    for shape in [(6,), (2, 3)]:
        x, upstream = g.randn(*shape), g.randn(*shape)
        with g.check(f"x of shape {shape}", "Exp.forward"):
            got = g.call(student.Exp.apply, tinynn.tensor(x, requires_grad=True), what="Exp.forward")
            g.expect("Exp.apply(x)", got, reference.Exp.apply(tinynn.tensor(x)))
        with g.check(f"gradient for x of shape {shape} against finite differences", "Exp.backward", points=2):
            _, (gx,) = g.function_backward(student.Exp, [x], upstream)
            g.expect_gradient("x", g.require_gradient("x", gx), numeric_gradient(np.exp, [x], 0, upstream),
                              mistakes={"grad * x: the input x where the output exp(x) belongs": upstream * x,
                                        "exp(x) without the upstream grad": np.exp(x),
                                        "grad alone (the factor exp(x) is missing)": upstream})

    x32 = g.randn(2, 4, dtype=np.float32)
    with g.check("a float32 input gives a float32 output", "Exp.forward"):
        got = g.call(student.Exp.apply, tinynn.tensor(x32), what="Exp.forward")
        g.expect("Exp.apply(x)", got, reference.Exp.apply(tinynn.tensor(x32)), rtol=1e-6)

    x, u, w = g.randn(3, 2), g.randn(3, 2), g.randn(3, 2)
    with g.check("second derivative: backward is made of Tensor operations", "Exp.backward"):
        xt = tinynn.tensor(x, requires_grad=True)
        y = g.call(student.Exp.apply, xt, what="Exp.forward")
        (gx,) = g.call(tinynn.autograd.grad, y, xt, grad_outputs=tinynn.tensor(u), create_graph=True,
                       what="Exp.backward")
        if not gx.requires_grad:
            raise Mismatch("dL/dx does not require grad, so it cannot be differentiated again. Hint: save the "
                           "output Tensor with ctx.save_for_backward(y) and compute grad * y with Tensors, not NumPy")
        (gxx,) = tinynn.autograd.grad(gx, xt, grad_outputs=tinynn.tensor(w), allow_unused=True)
        g.expect_gradient("x in d/dx (sum(w * dL/dx))", g.require_gradient("x (second derivative)", gxx),
                          numeric_gradient(lambda x: u * np.exp(x), [x], 0, w))


def _grade_sum(g: Grader, student, reference) -> None:
    for x_shape, dim, keepdim in SUM_CASES:
        x = g.randn(*x_shape)
        case = f"x of shape {x_shape}, dim={dim}, keepdim={keepdim}"
        expected = reference.Sum.apply(tinynn.tensor(x), dim, keepdim)
        with g.check(case, "Sum.forward"):
            got = g.call(student.Sum.apply, tinynn.tensor(x, requires_grad=True), dim, keepdim, what="Sum.forward")
            g.expect("Sum.apply(x)", got, expected)
        upstream = g.randn(*expected.shape)
        with g.check(case + ": gradient against finite differences", "Sum.backward", points=2):
            _, grads = g.function_backward(student.Sum, [x, dim, keepdim], upstream)
            numeric = numeric_gradient(lambda a: np.sum(a, axis=dim, keepdims=keepdim), [x], 0, upstream)
            g.expect_gradient("x", g.require_gradient("x", grads[0]), numeric,
                              mistakes=_sum_mistakes(x_shape, dim, upstream))

    x32 = g.randn(3, 2, dtype=np.float32)
    with g.check("a float32 input gives a float32 sum", "Sum.forward"):
        got = g.call(student.Sum.apply, tinynn.tensor(x32), 0, what="Sum.forward")
        g.expect("Sum.apply(x, 0)", got, reference.Sum.apply(tinynn.tensor(x32), 0), rtol=1e-6)


def _grade_against_library(g: Grader, student) -> None:
    """Sum(Exp(Mul(x, w))) with w broadcast over x's rows, through loss.backward(), against tinynn's ops."""
    x, w = 0.5 * g.randn(3, 4), 0.5 * g.randn(4)
    with g.check("Sum(Exp(Mul(x, w))) with w: (4,) broadcast over x: (3, 4), through loss.backward(), agrees "
                 "with tinynn's (x * w).exp().sum()", "Sum.backward", points=2):
        mine = [tinynn.tensor(a, requires_grad=True) for a in (x, w)]
        library = [tinynn.tensor(a, requires_grad=True) for a in (x, w)]

        def my_loss():
            return student.Sum.apply(student.Exp.apply(student.Mul.apply(*mine)))

        loss = g.call(my_loss, what="Sum(Exp(Mul(x, w)))")
        expected = (library[0] * library[1]).exp().sum()
        g.expect("the loss", loss, expected, expected_label="tinynn's")
        g.call(loss.backward, what="loss.backward() through your Functions")
        expected.backward()
        for name, a, e in zip(("x", "w"), mine, library):
            g.expect(f"gradient of {name}", a.grad, e.grad, expected_label="tinynn's", got_label="yours")
