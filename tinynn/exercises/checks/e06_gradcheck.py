"""Checks for exercise 06, gradient checking: numerical_gradient against derivatives known exactly, and
gradcheck on correct operations (True) and on broken autograd Functions (False, naming the worst element)."""
from __future__ import annotations

import contextlib
import io
import re

import numpy as np

import tinynn
import tinynn.nn.functional as F
from tinynn.autograd import Function
from ..grading import Grader, Mismatch

EXACT = {"rtol": 1e-7, "atol": 1e-7}   # central differences get this close; one-sided ones do not


class _SquareWithoutTwo(Function):
    """y = x^2 with the classic slip: dy/dx = x instead of 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return tinynn.tensor(x.detach().numpy() ** 2)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x


class _MulWithErrors(Function):
    """z = x * w with backward's gradients off by ``ctx.errors`` (arrays, or None for a missing gradient)."""

    errors = (0.0, 0.0)

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return tinynn.tensor(x.detach().numpy() * w.detach().numpy())

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        gx, gw = grad * w, grad * x
        ex, ew = ctx.errors
        gx = None if ex is None else gx + tinynn.tensor(ex)
        gw = None if ew is None else gw + tinynn.tensor(ew)
        return gx, gw


def _mul_with_errors(errors, u):
    """f(x, w) = sum(u * (x * w)) through a _MulWithErrors whose backward is off by ``errors``."""
    cls = type("MulWithErrors", (_MulWithErrors,), {"errors": errors})
    return lambda x, w: (cls.apply(x, w) * u).sum()


def _printed(text: str) -> str:
    """The report with NumPy 2's np.int64(1) read as 1."""
    return re.sub(r"np\.int\d+\((-?\d+)\)", r"\1", text)


def _run_gradcheck(g: Grader, student, f, inputs, **options):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = g.call(student.gradcheck, f, inputs, what="gradcheck", **options)
    if not isinstance(result, (bool, np.bool_)):
        raise Mismatch(f"gradcheck returned {result!r}, expected True or False")
    return bool(result), _printed(out.getvalue())


def grade(g: Grader, student, reference) -> None:
    _grade_numerical_gradient(g, student)
    _grade_gradcheck(g, student)


def _grade_numerical_gradient(g: Grader, student) -> None:
    x = g.uniform(0.5, 2.0, 3, 4)
    cube = lambda x: (x * x * x).sum()  # noqa: E731
    with g.check("f(x) = sum(x^3), x: (3, 4): the derivative 3 x^2", "numerical_gradient", points=2):
        got = g.call(student.numerical_gradient, cube, [tinynn.tensor(x)], 0, 1e-6)
        eps = 1e-6
        one_sided = ((x + eps) ** 3 - x ** 3) / eps
        g.expect("df/dx", got, 3 * x ** 2, **EXACT,
                 mistakes={"one-sided differences (f(x + eps) - f(x)) / eps: use (f(x + eps) - f(x - eps)) / (2 eps)":
                           one_sided})

    x, w, u = g.randn(1, 3), g.randn(3, 2), g.randn(1, 2)
    f = lambda x, w: (tinynn.tensor(u) * (x @ w).tanh()).sum()  # noqa: E731
    for index, name in [(0, "x: (1, 3), a batch of one"), (1, "w: (3, 2)")]:
        with g.check(f"f(x, w) = sum(u * tanh(x @ w)) with respect to {name}", "numerical_gradient"):
            inputs = [tinynn.tensor(x, requires_grad=True), tinynn.tensor(w, requires_grad=True)]
            got = g.call(student.numerical_gradient, f, inputs, index)
            (expected,) = tinynn.autograd.grad(f(*inputs), [inputs[index]])
            g.expect(f"df/d{name[0]}", got, expected.numpy(), expect_tensor=False, **EXACT)

    s, x = np.array(0.7), g.randn(4)
    with g.check("a 0-d input: f(s, x) = sum(exp(s * x)), df/ds = sum(x exp(s x))", "numerical_gradient"):
        inputs = [tinynn.tensor(s), tinynn.tensor(x)]
        got = g.call(student.numerical_gradient, lambda s, x: (s * x).exp().sum(), inputs, 0)
        g.expect("df/ds", got, np.array(np.sum(x * np.exp(s * x))), **EXACT)

    logits, target = g.randn(3, 4), np.array([1, 0, 3])
    with g.check("cross-entropy of logits: (3, 4) with an integer target among the inputs", "numerical_gradient"):
        inputs = [tinynn.tensor(logits, requires_grad=True), tinynn.tensor(target)]
        got = g.call(student.numerical_gradient, F.cross_entropy, inputs, 0)
        (expected,) = tinynn.autograd.grad(F.cross_entropy(*inputs), [inputs[0]])
        g.expect("d loss / d logits", got, expected.numpy(), expect_tensor=False, **EXACT)

    x = g.uniform(0.1, 1.0, 2, 3)
    with g.check("leaves the inputs exactly as they were", "numerical_gradient"):
        inputs = [tinynn.tensor(x, requires_grad=True)]
        g.call(student.numerical_gradient, lambda x: (x * x).exp().sum(), inputs, 0)
        after = inputs[0].detach().numpy()
        if not np.array_equal(after, x):
            j = tuple(int(k) for k in np.argwhere(after != x)[0])
            raise Mismatch(f"numerical_gradient changed inputs[0]: element {j} was {x[j]!r}, is now {after[j]!r}. "
                           "Hint: move a copy of the array, or put the saved value back (x + eps - eps is not "
                           "always exactly x)")


def _grade_gradcheck(g: Grader, student) -> None:
    x, w, u = g.randn(4, 3), g.randn(3, 2), g.randn(4, 2)
    correct = [
        ("sum(u * sigmoid(x @ w))", lambda x, w: (tinynn.tensor(u) * (x @ w).sigmoid()).sum(),
         [tinynn.tensor(x, requires_grad=True), tinynn.tensor(w, requires_grad=True)]),
        ("cross-entropy with a constant integer target", F.cross_entropy,
         [tinynn.tensor(g.randn(3, 4), requires_grad=True), tinynn.tensor(np.array([2, 0, 3]))]),
        ("an input f does not use (its gradient is None, i.e. 0)", lambda x, unused: (x * x).sum(),
         [tinynn.tensor(g.randn(3), requires_grad=True), tinynn.tensor(g.randn(2), requires_grad=True)]),
    ]
    for what, f, inputs in correct:
        with g.check(f"True for a correct gradient: {what}", "gradcheck"):
            passed, printed = _run_gradcheck(g, student, f, inputs)
            if not passed:
                raise Mismatch(f"gradcheck returned False for tinynn's own (correct) {what}; it printed: "
                               f"{printed.strip() or 'nothing'}")

    x = g.randn(2, 3)
    with g.check("True although the inputs' .grad already hold numbers (gradcheck must not read them)", "gradcheck"):
        inputs = [tinynn.tensor(x, requires_grad=True)]
        inputs[0].grad = tinynn.tensor(np.ones_like(x))
        passed, _ = _run_gradcheck(g, student, lambda x: (x * x).sum(), inputs)
        if not passed:
            raise Mismatch("gradcheck returned False for a correct sum(x * x) whose x.grad held ones beforehand. "
                           "Hint: loss.backward() ADDS to .grad; use tinynn.autograd.grad, which leaves .grad alone")

    x = g.randn(3)
    with g.check("False for y = x^2 whose backward forgot the factor 2", "gradcheck", points=2):
        passed, _ = _run_gradcheck(g, student, lambda x: _SquareWithoutTwo.apply(x).sum(),
                                   [tinynn.tensor(x, requires_grad=True)])
        if passed:
            raise Mismatch("gradcheck returned True, but backward gives x where the derivative of x^2 is 2x")

    x, w, u = g.randn(2, 3), g.randn(2, 3), g.randn(2, 3)
    error_x, error_w = np.zeros((2, 3)), np.zeros((2, 3))
    error_x[0, 0], error_w[1, 2] = 0.05, 1.0
    with g.check("False for a backward with two wrong elements, and the report names the worst: input 1, "
                 "element (1, 2)", "gradcheck", points=2):
        inputs = [tinynn.tensor(x, requires_grad=True), tinynn.tensor(w, requires_grad=True)]
        passed, printed = _run_gradcheck(g, student, _mul_with_errors((error_x, error_w), u), inputs)
        if passed:
            raise Mismatch("gradcheck returned True, but backward's dL/dw[1, 2] is off by 1 and dL/dx[0, 0] by 0.05")
        for needed, what in [("input 1", "the input (input 1, w)"), ("(1, 2)", "the element (1, 2)")]:
            if needed not in printed and not (needed == "(1, 2)" and "[1, 2]" in printed):
                raise Mismatch(f"gradcheck's report does not name {what}, where the difference (1) is largest. "
                               f"It printed: {printed.strip() or 'nothing'}")

    with g.check("False for a backward that returns None for an input that needs a gradient", "gradcheck"):
        inputs = [tinynn.tensor(x, requires_grad=True), tinynn.tensor(w, requires_grad=True)]
        passed, _ = _run_gradcheck(g, student, _mul_with_errors((np.zeros((2, 3)), None), u), inputs)
        if passed:
            raise Mismatch("gradcheck returned True, but backward gave no gradient for w (None counts as zeros)")

    with g.check("atol and rtol: an error of 1e-4 relative passes with rtol=1e-3 and fails with rtol=1e-6; "
                 "an error of 1e-6 absolute passes with atol=1e-5 and fails with atol=1e-8", "gradcheck"):
        relative = _mul_with_errors((1e-4 * u * w, np.zeros((2, 3))), u)
        absolute = _mul_with_errors((np.full((2, 3), 1e-6), np.zeros((2, 3))), u)
        for f, options, expected in [(relative, {"atol": 0.0, "rtol": 1e-3}, True),
                                     (relative, {"atol": 0.0, "rtol": 1e-6}, False),
                                     (absolute, {"atol": 1e-5, "rtol": 0.0}, True),
                                     (absolute, {"atol": 1e-8, "rtol": 0.0}, False)]:
            inputs = [tinynn.tensor(x, requires_grad=True), tinynn.tensor(w, requires_grad=True)]
            passed, _ = _run_gradcheck(g, student, f, inputs, **options)
            if passed != expected:
                raise Mismatch(f"gradcheck(..., atol={options['atol']}, rtol={options['rtol']}) returned {passed} for "
                               f"an error of {'1e-4 relative' if f is relative else '1e-6 absolute'}, expected "
                               f"{expected}. Hint: an element passes when |a - n| <= atol + rtol * |n|")
