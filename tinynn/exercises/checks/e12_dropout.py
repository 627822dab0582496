"""Checks for exercise 12, inverted dropout: the rule element by element, the kept fraction and the mean,
fresh but repeatable masks, evaluation mode, p = 0 and p = 1, the gradient through the kept units only,
dtype and shape, and the range of p."""
from __future__ import annotations

import math

import numpy as np

import tinynn
from ..grading import Grader, Mismatch

SEED = 11


def _call(g: Grader, student, x: np.ndarray, p: float, training: bool = True, generator=None, requires_grad=False):
    """(x Tensor, y array, y Tensor) for dropout(x, p, training, generator), y checked to be a Tensor like x."""
    xt = tinynn.tensor(x, requires_grad=requires_grad)
    y = g.call(student.dropout, xt, p, training, generator)
    what = f"dropout(x {x.shape}, p={p}, training={training})"
    if not isinstance(y, tinynn.Tensor):
        raise Mismatch(f"{what}: returned {'None' if y is None else type(y).__name__}; expected a tinynn Tensor "
                       "(build it from tinynn operations: x * mask)")
    if tuple(y.shape) != x.shape:
        raise Mismatch(f"{what}: y has shape {tuple(y.shape)}, expected x's shape {x.shape}. Hint: draw one random "
                       "number per element: tinynn.rand(x.shape, generator=generator)")
    return xt, np.asarray(y.detach().numpy(), dtype=np.float64), y


def _expect_rule(what: str, x: np.ndarray, y: np.ndarray, p: float) -> None:
    """Each y is 0 (dropped) or x / (1 - p) (kept); the message names the first element that is neither."""
    scaled = x / (1 - p)
    ok = (y == 0) | np.isclose(y, scaled, rtol=1e-5, atol=0)
    if ok.all():
        return
    index = tuple(int(i) for i in np.argwhere(~ok)[0])
    kept = y != 0
    hint = ""
    for factor, text in ((1.0, "the kept values are not scaled: inverted dropout divides them by 1 - p, so that "
                               "E[y] = x"),
                         (1 - p, "the kept values are multiplied by 1 - p; inverted dropout divides by 1 - p"),
                         (1 / p, "the kept values are divided by p; they are divided by 1 - p, the kept fraction")):
        if np.allclose(y[kept], factor * x[kept], rtol=1e-5, atol=0):
            hint = ". Hint: " + text
            break
    raise Mismatch(f"{what}: {int((~ok).sum())} of {y.size} values are neither 0 (dropped) nor x / (1 - p) (kept); "
                   f"first at index {index}: x {x[index]:.6g}, y {y[index]:.6g}, expected 0 or {scaled[index]:.6g}"
                   + hint)


def _grade_training(g: Grader, student) -> None:
    x = g.randn(200, 100)
    with g.check("training, p = 0.3: each value is 0 (dropped) or x / (1 - p) (kept)", "dropout", 3):
        _, y, _ = _call(g, student, x, 0.3)
        _expect_rule("dropout(x (200, 100), p=0.3, training=True)", x, y, 0.3)

    with g.check("the fraction kept is 1 - p (p = 0.3, 0.5, 0.9; 20000 units)", "dropout", 2):
        for p in (0.3, 0.5, 0.9):
            _, y, _ = _call(g, student, x, p)
            kept = float(np.mean(y != 0))
            tolerance = 5 * math.sqrt(p * (1 - p) / y.size)
            if abs(kept - (1 - p)) > tolerance:
                hint = ("you keep a unit with probability p; p is the probability of DROPPING it (keep where u >= p)"
                        if abs(kept - p) <= tolerance else "the mask should be 1 with probability 1 - p")
                raise Mismatch(f"dropout(x (200, 100), p={p}): {100 * kept:.2f}% of the units kept, expected "
                               f"{100 * (1 - p):.0f}% (within {100 * tolerance:.2g}% for {y.size} units). Hint: {hint}")

    with g.check("the mean is unchanged: E[dropout(x)] = x (x = 2 everywhere, p = 0.5)", "dropout"):
        twos = np.full((200, 200), 2.0)
        _, y, _ = _call(g, student, twos, 0.5)
        tolerance = 5 * 2 * math.sqrt(0.5 / 0.5 / y.size)   # std of one y_i: x sqrt(p / (1 - p))
        if abs(y.mean() - 2) > tolerance:
            raise Mismatch(f"dropout(x = 2 everywhere (200, 200), p=0.5): the mean of y is {y.mean():.6g}, expected 2 "
                           f"(within {tolerance:.2g}). Hint: scale the kept units by 1 / (1 - p)")

    with g.check("a new mask for every element and every call; a seeded generator repeats it", "dropout", 2):
        _, first, _ = _call(g, student, x, 0.5)
        _, second, _ = _call(g, student, x, 0.5)
        if np.array_equal(first != 0, second != 0):
            raise Mismatch("dropout(x (200, 100), p=0.5) twice: the same units dropped both times. Hint: draw a new "
                           "mask at every call (tinynn.rand(x.shape, generator=generator)), don't seed inside dropout")
        same_rows = np.all((first != 0) == (first[:1] != 0), axis=1).sum()
        if same_rows > 1:
            raise Mismatch(f"dropout(x (200, 100), p=0.5): {same_rows} of 200 rows have the same mask. Hint: draw "
                           "one random number per element of x, of shape x.shape")
        tinynn.manual_seed(1)
        _, seeded, _ = _call(g, student, x, 0.5, generator=tinynn.Generator().manual_seed(SEED))
        tinynn.manual_seed(2)
        _, again, _ = _call(g, student, x, 0.5, generator=tinynn.Generator().manual_seed(SEED))
        if not np.array_equal(seeded, again):
            raise Mismatch(f"dropout(x, p=0.5, generator=tinynn.Generator().manual_seed({SEED})) twice: different "
                           "masks. Hint: draw from the generator argument: tinynn.rand(x.shape, generator=generator)")


def _grade_modes(g: Grader, student) -> None:
    x, upstream = g.randn(6, 5), g.randn(6, 5)
    with g.check("evaluation (training=False) is the identity: y = x, dL/dx = dL/dy", "dropout", 2):
        xt, y, yt = _call(g, student, x, 0.5, training=False, requires_grad=True)
        g.expect("dropout(x, p=0.5, training=False)", y, x,
                 mistakes={"x * (1 - p): inverted dropout leaves evaluation alone (it scaled while training)": x * 0.5})
        (grad,) = g.autograd_gradients("dropout(training=False)", yt, [xt], [upstream])
        g.expect_gradient("x (training=False)", g.require_gradient("x", grad), upstream)

    with g.check("p = 0 keeps everything: y = x", "dropout"):
        _, y, _ = _call(g, student, x, 0.0)
        g.expect("dropout(x, p=0, training=True)", y, x)

    with g.check("p = 1 drops everything: y = 0 (no nan from 1 / (1 - p))", "dropout"):
        xt, y, yt = _call(g, student, x, 1.0, requires_grad=True)
        if not np.all(np.isfinite(y)):
            raise Mismatch(f"dropout(x, p=1, training=True): {int((~np.isfinite(y)).sum())} of {y.size} values are "
                           "nan or inf, expected 0. Hint: with p = 1 the scale 1 / (1 - p) divides by zero: "
                           "return x * 0.0 for p = 1")
        g.expect("dropout(x, p=1, training=True)", y, np.zeros_like(x))
        if yt.requires_grad:
            (grad,) = g.autograd_gradients("dropout(p=1)", yt, [xt], [upstream])
            if grad is not None:
                g.expect_gradient("x (p=1)", grad, np.zeros_like(x))


def _grade_gradient_and_types(g: Grader, student) -> None:
    x, upstream = g.randn(40, 30), g.randn(40, 30)
    with g.check("the gradient flows only through the kept units, scaled by 1 / (1 - p) (p = 0.4)", "dropout", 3):
        xt, y, yt = _call(g, student, x, 0.4, requires_grad=True)
        _expect_rule("dropout(x (40, 30), p=0.4)", x, y, 0.4)
        (grad,) = g.autograd_gradients("dropout(x, p=0.4)", yt, [xt], [upstream])
        kept = y != 0
        expected = np.where(kept, upstream / 0.6, 0.0)
        g.expect_gradient("x", g.require_gradient("x", grad), expected,
                          mistakes={"dL/dy / (1 - p) everywhere: dropped units get no gradient": upstream / 0.6,
                                    "dL/dy on the kept units, unscaled: the gradient is scaled like y": upstream * kept,
                                    "dL/dy everywhere (the mask and the scale left out)": upstream})

    x32 = g.randn(3, 4, 5).astype(np.float32)
    with g.check("a float32 x of shape (3, 4, 5) gives a float32 y of the same shape", "dropout"):
        xt = tinynn.tensor(x32)
        y = g.call(student.dropout, xt, 0.25, True, tinynn.Generator().manual_seed(SEED))
        if not isinstance(y, tinynn.Tensor) or y.dtype != tinynn.float32 or tuple(y.shape) != (3, 4, 5):
            got = (f"a {y.dtype} Tensor of shape {tuple(y.shape)}" if isinstance(y, tinynn.Tensor) else
                   type(y).__name__)
            raise Mismatch(f"dropout(x float32 (3, 4, 5), p=0.25): returned {got}; expected float32 (3, 4, 5). "
                           "Hint: turn the boolean mask into x's dtype: keep.to(x.dtype)")
        _expect_rule("dropout(x float32 (3, 4, 5), p=0.25)", x32.astype(np.float64), y.numpy().astype(np.float64), 0.25)

    with g.check("p outside [0, 1] raises ValueError", "dropout"):
        for p in (-0.1, 1.5):
            try:
                g.call(student.dropout, tinynn.tensor(g.randn(3)), p, True, None)
            except Exception as exc:
                if "ValueError" not in str(exc):
                    raise
                continue
            raise Mismatch(f"dropout(x, p={p}): no error; expected a ValueError (p is a probability, in [0, 1])")


def grade(g: Grader, student, reference) -> None:
    _grade_training(g, student)
    _grade_modes(g, student)
    _grade_gradient_and_types(g, student)
