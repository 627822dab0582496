"""Checks for exercise 14, max pooling: forward values, the gradient's routing, overlaps and ties."""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn.functional as F
from ..grading import Grader, numeric_gradient

# (x shape, kernel, stride): 2x2 pools, sizes no window covers, overlapping windows, one window
CASES = [((2, 3, 4, 4), 2, None), ((1, 2, 5, 5), 2, None), ((1, 1, 5, 5), 3, 2), ((2, 1, 4, 6), 2, 1),
         ((1, 1, 3, 3), 3, None)]


def _distinct(g: Grader, shape) -> np.ndarray:
    """Values at least 0.5 apart, so no window has a tie and finite differences see one maximum."""
    size = int(np.prod(shape))
    return (g.rng.permutation(size) + g.uniform(0, 0.5, size)).reshape(shape) / 4


def _spread(dy, x_shape, k, s, each_gets, combine="add"):
    """Known mistakes: every position of a window gets ``each_gets(dy)`` (added, or overwritten)."""
    dx = np.zeros(x_shape)
    ho, wo = dy.shape[2:]
    for a in range(k):
        for e in range(k):
            key = (Ellipsis, slice(a, a + s * (ho - 1) + 1, s), slice(e, e + s * (wo - 1) + 1, s))
            if combine == "add":
                dx[key] += each_gets(dy)
            else:
                dx[key] = each_gets(dy)
    return dx


def _library_grad(x, dy, k, s):
    xt = tinynn.tensor(x, requires_grad=True)
    y = F.max_pool2d(xt, k, s)
    (y * tinynn.tensor(dy)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy()


def grade(g: Grader, student, reference) -> None:
    for shape, k, stride in CASES:
        case = f"x {shape}, kernel {k}, stride {stride or k}"
        x = _distinct(g, shape)
        y = reference.max_pool2d(x, k, stride)
        with g.check(case, "max_pool2d"):
            got = g.call(student.max_pool2d, x.copy(), k, stride)
            g.expect("y", got, y)
            g.expect("y against the library", got, _library_grad(x, np.ones_like(y), k, stride or k)[0],
                     expected_label="F.max_pool2d")

        dy = g.randn(*y.shape)
        with g.check(case + ": gradient against finite differences", "max_pool2d_backward", points=2):
            got = g.call(student.max_pool2d_backward, dy.copy(), x.copy(), k, stride)
            s = stride or k
            mistakes = {"dy sent to every position of its window (only the maximum gets it)":
                        _spread(dy, shape, k, s, lambda d: d),
                        "dy / k^2 to every position of the window: that is average pooling's gradient":
                        _spread(dy, shape, k, s, lambda d: d / k**2),
                        "'=' where overlapping windows need '+='": _mask_assigning(reference, dy, x, k, s)}
            numeric = numeric_gradient(lambda x: reference.max_pool2d(x, k, stride), [x], 0, dy)
            g.expect_gradient("x", got, numeric, mistakes=mistakes)
            g.expect("gradient of x against the library", got, _library_grad(x, dy, k, s)[1],
                     expected_label="F.max_pool2d's", got_label="yours")

    for shape, k, stride in [((1, 2, 4, 4), 2, None), ((1, 1, 5, 5), 3, 2)]:
        x = g.rng.integers(0, 3, size=shape).astype(np.float64)    # many ties
        dy = g.randn(*reference.max_pool2d(x, k, stride).shape)
        with g.check(f"ties: x {shape} of small integers, kernel {k}, stride {stride or k}", "max_pool2d_backward",
                     points=2):
            got = g.call(student.max_pool2d_backward, dy.copy(), x.copy(), k, stride)
            expected = reference.max_pool2d_backward(dy, x, k, stride)
            g.expect("gradient of x (on a tie only the first maximum, in row-major order, gets dy)", got, expected,
                     mistakes={"dy sent to every maximum of a tied window": _tied(reference, dy, x, k, stride or k, "all"),
                               "dy sent to the last maximum of a tied window (use a strict '>')":
                               _tied(reference, dy, x, k, stride or k, "last")})
            g.expect("gradient of x against the library", got, _library_grad(x, dy, k, stride or k)[1],
                     expected_label="F.max_pool2d's", got_label="yours")

    x32 = _distinct(g, (1, 2, 4, 4)).astype(np.float32)
    dy32 = g.randn(1, 2, 2, 2, dtype=np.float32)
    with g.check("a float32 input keeps float32", "max_pool2d_backward"):
        got = g.call(student.max_pool2d_backward, dy32.copy(), x32.copy(), 2)
        g.expect("gradient of x", got, reference.max_pool2d_backward(dy32, x32, 2))


def _mask_assigning(reference, dy, x, k, s):
    """A known mistake: each window's dy routed to its maximum, but overwriting on overlaps."""
    ho, wo = dy.shape[2:]
    y = reference.max_pool2d(x, k, s)
    dx = np.zeros_like(x)
    for a in range(k):
        for e in range(k):
            key = (Ellipsis, slice(a, a + s * (ho - 1) + 1, s), slice(e, e + s * (wo - 1) + 1, s))
            hit = x[key] == y
            dx[key] = np.where(hit, dy, dx[key])
    return dx


def _tied(reference, dy, x, k, s, which: str):
    """Known mistakes on ties: dy to every maximum of the window ("all"), or to the last one ("last")."""
    ho, wo = dy.shape[2:]
    y = reference.max_pool2d(x, k, s)
    dx = np.zeros_like(x)
    taken = np.zeros(y.shape, dtype=bool)
    offsets = [(a, e) for a in range(k) for e in range(k)]
    for a, e in offsets[::-1] if which == "last" else offsets:
        key = (Ellipsis, slice(a, a + s * (ho - 1) + 1, s), slice(e, e + s * (wo - 1) + 1, s))
        hit = x[key] == y
        if which == "last":
            hit &= ~taken
            taken |= hit
        dx[key] += dy * hit
    return dx
