"""Checks for exercise 15, batch norm: the statistics, the forward pass, the closed-form backward against
finite differences, then batch_norm against tinynn.nn.functional.batch_norm: running statistics,
evaluation mode, missing weight, bias or running statistics, float32."""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn.functional as F
from ..grading import Grader, Mismatch, numeric_gradient, on_arrays

# (x shape, eps): a batch of two, one channel, 4-d and 3-d inputs, a large eps (eps inside the sqrt shows)
CASES = [((8, 3), 1e-5), ((4, 3, 3, 3), 1e-5), ((2, 1, 5), 1e-5), ((5, 2, 4), 0.5), ((2, 4), 1e-5)]


def _axes(shape: tuple) -> tuple:
    return (0,) + tuple(range(2, len(shape)))


def _per_channel(v: np.ndarray, shape: tuple) -> np.ndarray:
    return v.reshape((1, shape[1]) + (1,) * (len(shape) - 2))


def _numpy_forward(x, w, b, eps, mistake=None):
    axes = _axes(x.shape)
    n = x.size // x.shape[1]
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True) * (n / (n - 1) if mistake == "unbiased" else 1)
    rstd = 1 / (np.sqrt(var) + eps) if mistake == "eps outside" else 1 / np.sqrt(var + eps)
    xhat = (x - mean) * rstd
    return xhat * _per_channel(w, x.shape) + _per_channel(b, x.shape), xhat, rstd


def _grad_x_mistakes(x, w, eps, g) -> dict:
    """dL/dx with one of the three paths left out, or the weight forgotten."""
    _, xhat, rstd = _numpy_forward(x, w, np.zeros_like(w), eps)
    axes = _axes(x.shape)
    gw = g * _per_channel(w, x.shape)

    def mean(a):
        return a.mean(axes, keepdims=True)

    return {"rstd * g * weight: the mean and the variance treated as constants": rstd * gw,
            "rstd * (gw - mean(gw)): the path through the variance, - xhat * mean(gw * xhat), is missing":
                rstd * (gw - mean(gw)),
            "rstd * (gw - xhat * mean(gw * xhat)): the path through the mean, - mean(gw), is missing":
                rstd * (gw - xhat * mean(gw * xhat)),
            "the closed form with g instead of gw = g * weight": rstd * (g - mean(g) - xhat * mean(g * xhat)),
            "the means taken over the batch axis only; a channel's values span (0, 2, 3, ...)":
                rstd * (gw - gw.mean(0, keepdims=True) - xhat * (gw * xhat).mean(0, keepdims=True))}


def _case(shape, eps) -> str:
    return f"x {shape}, eps {eps:g}"


def _grade_function(g: Grader, student, reference) -> None:
    for shape, eps in CASES[:3]:
        x = g.randn(*shape) * 2 + 1
        n = x.size // shape[1]
        with g.check(f"x {shape}", "batch_statistics", 2 if len(shape) == 4 else 1):
            got = g.call(student.batch_statistics, tinynn.tensor(x))
            mean, var = x.mean(_axes(shape)), x.var(_axes(shape))
            g.expect_values("batch_statistics", ["mean", "var"], got, (mean, var),
                            mistakes=[{"the mean over dim 0 only": x.mean(0)},
                                      {"the unbiased variance (divided by n - 1); normalizing uses the biased one "
                                       "(divided by n)": var * n / (n - 1)}])

    for shape, eps in CASES:
        x, w, b = g.randn(*shape) * 2 + 1, g.randn(shape[1]), g.randn(shape[1])
        with g.check(_case(shape, eps), "BatchNormFunction.forward", 2 if shape == (4, 3, 3, 3) else 1):
            tensors = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
            got = g.call(student.BatchNormFunction.apply, *tensors, eps, what="BatchNormFunction.forward")
            g.expect("y", got, tinynn.tensor(_numpy_forward(x, w, b, eps)[0]),
                     mistakes={"the batch normalized with the unbiased variance (n - 1)":
                               _numpy_forward(x, w, b, eps, "unbiased")[0],
                               "1 / (sqrt(var) + eps); eps goes inside the square root":
                               _numpy_forward(x, w, b, eps, "eps outside")[0],
                               "xhat without the weight and bias": _numpy_forward(x, np.ones_like(w),
                                                                                  np.zeros_like(b), eps)[0]})
            library = F.batch_norm(tinynn.tensor(x), None, None, tinynn.tensor(w), tinynn.tensor(b), training=True,
                                   eps=eps)
            g.expect("y against the library", got, library, expected_label="F.batch_norm's")

    for shape, eps in CASES:
        x, w, b = g.randn(*shape) * 2 + 1, g.randn(shape[1]), g.randn(shape[1])
        upstream = g.randn(*shape)
        with g.check(_case(shape, eps) + ": gradients against finite differences", "BatchNormFunction.backward",
                     3 if shape == (4, 3, 3, 3) else 1):
            _, grads = g.function_backward(student.BatchNormFunction, [x, w, b, eps], upstream)
            reference_forward = on_arrays(lambda x, w, b: reference.BatchNormFunction.apply(x, w, b, eps))
            xhat = _numpy_forward(x, w, b, eps)[1]
            mistakes = {"x": _grad_x_mistakes(x, w, eps, upstream),
                        "weight": {"the sum of g; dL/dweight sums g * xhat": upstream.sum(_axes(shape))},
                        "bias": {"the sum of g * xhat; that is dL/dweight, dL/dbias sums g":
                                 (upstream * xhat).sum(_axes(shape))}}
            for i, name in enumerate(["x", "weight", "bias"]):
                numeric = numeric_gradient(reference_forward, [x, w, b], i, upstream)
                g.expect_gradient(name, g.require_gradient(name, grads[i]), numeric, rtol=1e-5, atol=1e-6,
                                  mistakes=mistakes[name])

    x, w, b, upstream = g.randn(4, 3, 2, 2), g.randn(3), g.randn(3), g.randn(4, 3, 2, 2)
    with g.check("gradients through autograd agree with the library's F.batch_norm", "BatchNormFunction.backward"):
        mine = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
        library = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = g.call(student.BatchNormFunction.apply, *mine, 1e-5, what="BatchNormFunction.forward")
        g.call((y * tinynn.tensor(upstream)).sum().backward, what="BatchNormFunction.backward")
        y_library = F.batch_norm(library[0], None, None, library[1], library[2], training=True)
        (y_library * tinynn.tensor(upstream)).sum().backward()
        for name, a, e in zip(("x", "weight", "bias"), mine, library):
            g.expect(f"gradient of {name}", g.require_gradient(name, a.grad), e.grad, rtol=1e-6, atol=1e-9,
                     expected_label="F.batch_norm's", got_label="yours")


def _running(g: Grader, channels: int):
    return g.randn(channels).astype(np.float32), (np.abs(g.randn(channels)) + 0.5).astype(np.float32)


def _expect_running(g: Grader, what: str, x, got_mean, got_var, before_mean, before_var, library_mean, library_var,
                    momentum) -> None:
    """The student's running statistics (tensors updated in place) against the library's."""
    axes = _axes(x.shape)
    n = x.size // x.shape[1]
    for name, got, before, expected in (("running_mean", got_mean, before_mean, library_mean),
                                        ("running_var", got_var, before_var, library_var)):
        now = got.numpy()
        if np.array_equal(now, before) and not np.array_equal(expected.numpy(), before):
            raise Mismatch(f"{what}: {name} is unchanged. Hint: update the tensor given, in place, under "
                           f"tinynn.no_grad(): {name}.mul_(1 - momentum).add_(momentum * batch_stat); assigning a "
                           "new tensor to the name does not reach the caller's")
        stat = x.mean(axes) if name == "running_mean" else x.var(axes) * n / (n - 1)
        mistakes = {"momentum the other way round, momentum * running + (1 - momentum) * batch":
                    momentum * before + (1 - momentum) * stat}
        if name == "running_var":
            mistakes["the biased batch variance; the running variance uses the unbiased one, var * n / (n - 1)"] = \
                (1 - momentum) * before + momentum * x.var(axes)
        g.expect(f"{what}: {name}", now, expected, rtol=1e-5, atol=1e-6, expected_label="F.batch_norm's",
                 mistakes=mistakes, expect_tensor=False)


def _grade_batch_norm(g: Grader, student) -> None:
    for shape, momentum, points in [((8, 3), 0.1, 2), ((4, 2, 3, 3), 0.3, 2)]:
        text = f"x {shape}, momentum {momentum}"
        with g.check(f"training, {text}: y and the running statistics after two calls", "batch_norm", points):
            (mean0, var0), w, b = _running(g, shape[1]), g.randn(shape[1]), g.randn(shape[1])
            mine = [tinynn.tensor(mean0.copy()), tinynn.tensor(var0.copy())]
            library = [tinynn.tensor(mean0.copy()), tinynn.tensor(var0.copy())]
            for call in (1, 2):
                x = g.randn(*shape) * 3 + 2
                before = [t.numpy().copy() for t in mine]
                y = g.call(student.batch_norm, tinynn.tensor(x), *mine, tinynn.tensor(w), tinynn.tensor(b), True,
                           momentum)
                y_library = F.batch_norm(tinynn.tensor(x), *library, tinynn.tensor(w), tinynn.tensor(b), True, momentum)
                g.expect(f"call {call}: y", y, y_library, expected_label="F.batch_norm's")
                _expect_running(g, f"batch_norm({text}, training=True), after call {call}", x, *mine, *before,
                                *library, momentum)

    x, w, b, upstream = g.randn(6, 3, 2) * 2 + 1, g.randn(3), g.randn(3), g.randn(6, 3, 2)
    with g.check("training: the gradients through batch_norm are the library's", "batch_norm"):
        mine = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
        library = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = g.call(student.batch_norm, mine[0], tinynn.zeros(3), tinynn.ones(3), mine[1], mine[2], True)
        grads = g.autograd_gradients("batch_norm(training=True)", y, mine, [upstream])
        (F.batch_norm(library[0], None, None, library[1], library[2], True) * tinynn.tensor(upstream)).sum().backward()
        for name, got, e in zip(("x", "weight", "bias"), grads, library):
            g.expect(f"gradient of {name}", g.require_gradient(name, got), e.grad, expected_label="F.batch_norm's",
                     got_label="yours", rtol=1e-6, atol=1e-9, expect_tensor=False)

    for shape in [(5, 3, 2, 2), (1, 3)]:
        with g.check(f"evaluation, x {shape}: the running statistics normalize, unchanged; gradients", "batch_norm",
                     2 if shape[0] > 1 else 1):
            (mean0, var0), w, b = _running(g, shape[1]), g.randn(shape[1]), g.randn(shape[1])
            x, upstream = g.randn(*shape) * 2 + 1, g.randn(*shape)
            running = [tinynn.tensor(mean0.copy()), tinynn.tensor(var0.copy())]
            mine = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
            library = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
            y = g.call(student.batch_norm, mine[0], *running, mine[1], mine[2], False)
            y_library = F.batch_norm(library[0], tinynn.tensor(mean0), tinynn.tensor(var0), library[1], library[2],
                                     False)
            mistakes = {"the batch's statistics; evaluation uses the running ones": _numpy_forward(x, w, b, 1e-5)[0]} \
                if shape[0] > 1 else {}
            g.expect("y", y, y_library, expected_label="F.batch_norm's", mistakes=mistakes)
            for name, t, before in (("running_mean", running[0], mean0), ("running_var", running[1], var0)):
                if not np.array_equal(t.numpy(), before):
                    raise Mismatch(f"batch_norm(training=False): {name} changed; evaluation only reads the running "
                                   "statistics")
            grads = g.autograd_gradients("batch_norm(training=False)", y, mine, [upstream])
            (y_library * tinynn.tensor(upstream)).sum().backward()
            for name, got, e in zip(("x", "weight", "bias"), grads, library):
                g.expect(f"gradient of {name}", g.require_gradient(name, got), e.grad, expect_tensor=False,
                         expected_label="F.batch_norm's", got_label="yours", rtol=1e-6, atol=1e-9)

    x = g.randn(4, 3) * 2 + 1
    with g.check("training without weight, bias or running statistics (None): weight 1, bias 0", "batch_norm"):
        y = g.call(student.batch_norm, tinynn.tensor(x), None, None, None, None, True)
        g.expect("y", y, F.batch_norm(tinynn.tensor(x), None, None, None, None, True), expected_label="F.batch_norm's")

    x32 = (g.randn(4, 2, 3) * 2 + 1).astype(np.float32)
    with g.check("float32 x, weight and bias give a float32 y", "batch_norm"):
        w32, b32 = g.randn(2).astype(np.float32), g.randn(2).astype(np.float32)
        args = [tinynn.tensor(x32), tinynn.zeros(2), tinynn.ones(2), tinynn.tensor(w32), tinynn.tensor(b32)]
        y = g.call(student.batch_norm, *args, True)
        library_args = [tinynn.tensor(x32), tinynn.zeros(2), tinynn.ones(2), tinynn.tensor(w32), tinynn.tensor(b32)]
        g.expect("y", y, F.batch_norm(*library_args, True), rtol=1e-5, atol=1e-6, expected_label="F.batch_norm's")


def grade(g: Grader, student, reference) -> None:
    _grade_function(g, student, reference)
    _grade_batch_norm(g, student)
