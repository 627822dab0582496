"""Checks for exercise 04, unbroadcast: each broadcasting rule, scalars, a batch of one, an empty batch,
float32, the gradients of a broadcast add and multiply against finite differences, and shapes that
cannot broadcast."""
from __future__ import annotations

import numpy as np

from ..grading import Grader, Mismatch, StudentError, numeric_gradient

# (grad's shape, the input's shape, points, what it is)
CASES = [((3, 4), (3, 4), 1, "nothing was broadcast"),
         ((3, 4), (4,), 2, "a bias added to every row (a leading dim added)"),
         ((3, 4), (1, 4), 2, "a dim stretched from 1 (keep it as 1)"),
         ((3, 4), (3, 1), 2, "the last dim stretched from 1"),
         ((2, 3, 4), (3, 1), 2, "a leading dim added and the last one stretched"),
         ((3, 4), (), 1, "a 0-d scalar"),
         ((1, 4), (4,), 1, "a batch of one: a leading dim of size 1 still goes"),
         ((5, 1), (1,), 1, "one feature"),
         ((0, 4), (4,), 1, "an empty batch: the sum of nothing is 0")]


def _broadcast_axes(grad_shape, shape) -> tuple:
    """(the leading axes broadcasting added, the axes of ``shape`` it stretched from 1)."""
    extra = len(grad_shape) - len(shape)
    stretched = tuple(i for i, s in enumerate(shape) if s == 1 and grad_shape[extra + i] != 1)
    return tuple(range(extra)), stretched


def _mistakes(grad: np.ndarray, shape: tuple) -> dict:
    """What unbroadcast returns with a mean, or with the first copy, where the copies must be added."""
    if grad.size == 0 or grad.shape == shape:
        return {}
    leading, stretched = _broadcast_axes(grad.shape, shape)
    mean = grad.mean(axis=leading).mean(axis=stretched, keepdims=True)
    first = grad[(0,) * len(leading)]
    first = first[tuple(slice(0, 1) if i in stretched else slice(None) for i in range(first.ndim))]
    return {"the mean over the broadcast dims, where the gradient is their SUM": mean,
            "the first copy only, where the gradients of all copies must be added": first}


def grade(g: Grader, student, reference) -> None:
    for grad_shape, shape, points, what in CASES:
        grad = g.randn(*grad_shape)
        with g.check(f"grad {grad_shape} -> shape {shape}: {what}", "unbroadcast", points=points):
            given = grad.copy()
            got = g.call(student.unbroadcast, given, shape)
            if not np.array_equal(given, grad):
                raise Mismatch("unbroadcast changed its argument grad in place: leave it unchanged "
                               "(grad.sum(...) makes a new array)")
            if shape == () and not isinstance(got, np.ndarray):
                raise Mismatch(f"unbroadcast(grad, ()): you returned a {type(got).__name__}, expected a 0-d "
                               "np.ndarray. Hint: wrap the result with np.asarray(...)")
            g.expect("unbroadcast(grad, shape)", got, reference.unbroadcast(grad, shape),
                     mistakes=_mistakes(grad, shape))

    grad32 = g.randn(2, 3, dtype=np.float32)
    with g.check("a float32 grad stays float32", "unbroadcast"):
        got = g.call(student.unbroadcast, grad32.copy(), (3,))
        g.expect("unbroadcast(grad, (3,))", got, reference.unbroadcast(grad32, (3,)), rtol=1e-6)

    x, b, upstream = g.randn(4, 3), g.randn(1, 3), g.randn(4, 3)
    with g.check("dL/db for z = x + b, x: (4, 3), b: (1, 3), against finite differences", "unbroadcast",
                 points=2):
        got = g.call(student.unbroadcast, upstream.copy(), b.shape)
        g.expect_gradient("b", got, numeric_gradient(lambda b: x + b, [b], 0, upstream))

    x, w, upstream = g.randn(2, 3, 4), g.randn(3, 1), g.randn(2, 3, 4)
    with g.check("dL/dw for z = x * w, x: (2, 3, 4), w: (3, 1): unbroadcast(grad * x, w.shape), against "
                 "finite differences", "unbroadcast", points=2):
        got = g.call(student.unbroadcast, upstream * x, w.shape)
        g.expect_gradient("w", got, numeric_gradient(lambda w: x * w, [w], 0, upstream))

    for grad_shape, shape in [((3, 4), (2,)), ((3,), (2, 3)), ((3, 4), (3, 2))]:
        with g.check(f"grad {grad_shape} -> shape {shape} cannot be: a ValueError", "unbroadcast"):
            _expect_value_error(g, student.unbroadcast, g.randn(*grad_shape), shape)


def _expect_value_error(g: Grader, unbroadcast, grad: np.ndarray, shape: tuple) -> None:
    try:
        got = g.call(unbroadcast, grad, shape)
    except StudentError as exc:
        if "raised ValueError" in str(exc):
            return
        raise Mismatch(f"{exc}; expected a ValueError saying the shapes do not broadcast") from None
    shown = getattr(got, "shape", type(got).__name__)
    raise Mismatch(f"unbroadcast(grad of shape {grad.shape}, {shape}) returned {shown}, but {shape} cannot have "
                   f"been broadcast to {grad.shape}: raise a ValueError. Hint: compare each dim of shape with "
                   "grad's (lined up from the right): it must be 1 or equal")
