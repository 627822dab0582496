"""Checks for exercise 26, the GAN losses: log sigmoid, D's loss, G's two losses, values and gradients.

Values are compared with the reference and with the library's binary cross-entropy formulations
(``F.binary_cross_entropy_with_logits`` against labels 1, 0 and 0.9); gradients with finite
differences of the reference (float64) and with their closed forms (sigmoid(r) - y) / N,
sigmoid(f) / M, -sigmoid(f) / M and (sigmoid(f) - 1) / M.
"""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn.functional as F
from ..grading import Grader, numeric_gradient, on_arrays

EXTREME = np.array([-1000.0, -800.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 800.0, 1000.0])


def _tensor(a, requires_grad: bool = False) -> tinynn.Tensor:
    return tinynn.tensor(a, requires_grad=requires_grad)


def _log_sigmoid(z):
    """log sigmoid(z) in NumPy, stable: -log(1 + e^-z)."""
    return -np.logaddexp(0.0, -z)


def _sigmoid(z):
    return np.exp(_log_sigmoid(z))


def _bce(logits: np.ndarray, label: float) -> tinynn.Tensor:
    """The library's mean binary cross-entropy of ``logits`` against a constant label."""
    return F.binary_cross_entropy_with_logits(_tensor(logits), _tensor(np.full(logits.shape, label, logits.dtype)))


def _gradients(g: Grader, what: str, fn, arrays: list, names: list) -> list:
    """The student's gradients of the 0-d loss ``fn(*tensors)`` for each array (through autograd)."""
    tensors = [_tensor(a, True) for a in arrays]
    loss = g.call(fn, *tensors, what=what)
    grads = g.autograd_gradients(what, loss, tensors, [np.array(1.0)])
    return [g.require_gradient(name, grad) for name, grad in zip(names, grads)]


def _grade_log_sigmoid(g: Grader, student, reference) -> None:
    cases = [(g.uniform(-5, 5, 3, 4), "z of shape (3, 4) in [-5, 5]"),
             (EXTREME.copy(), "extreme z: +-1000, +-800, +-30, +-0.001, 0"),
             (g.uniform(-50, 50, 6, dtype=np.float32), "float32 z in [-50, 50]")]
    for z, case in cases:
        with g.check(case, "log_sigmoid", points=2 if "extreme" in case else 1):
            got = g.call(student.log_sigmoid, _tensor(z))
            rtol = 1e-5 if z.dtype == np.float32 else 1e-7
            mistakes = {"log sigmoid(-z): the sign of z inside is flipped": _log_sigmoid(-z),
                        "log(sigmoid(z)) computed directly: -inf once sigmoid underflows to 0":
                        np.log(1 / (1 + np.exp(-z)))}
            g.expect("log sigmoid(z)", got, reference.log_sigmoid(_tensor(z)), rtol=rtol, mistakes=mistakes)
            g.expect("log sigmoid(z) against the library", got, F.logsigmoid(_tensor(z)), rtol=rtol,
                     expected_label="F.logsigmoid")

    z = g.uniform(-6, 6, 2, 5)
    with g.check("z of shape (2, 5): gradient against finite differences", "log_sigmoid"):
        (grad,) = _gradients(g, "log_sigmoid", lambda t: student.log_sigmoid(t).sum(), [z], ["z"])
        g.expect_gradient("z", grad, numeric_gradient(on_arrays(reference.log_sigmoid), [z], 0, np.ones_like(z)))
    with g.check("extreme z: the gradient is 1 - sigmoid(z), finite everywhere", "log_sigmoid"):
        z = np.array([-1000.0, -800.0, -30.0, 30.0, 800.0, 1000.0])
        (grad,) = _gradients(g, "log_sigmoid", lambda t: student.log_sigmoid(t).sum(), [z], ["z"])
        g.expect("gradient of z", grad, 1.0 - _sigmoid(z), atol=1e-12, expected_label="1 - sigmoid(z)",
                 got_label="yours")


def _grade_discriminator(g: Grader, student, reference) -> None:
    cases = [(g.randn(8), g.randn(8), 1.0, "N = M = 8"),
             (g.randn(5, 1), g.randn(3, 1), 1.0, "logits (5, 1) real and (3, 1) fake"),
             (g.randn(1), g.randn(1), 1.0, "a batch of one real and one fake"),
             (g.randn(6), g.randn(4), 0.9, "N = 6, M = 4, one-sided label smoothing: real label 0.9"),
             (np.array([1000.0, -1000.0, 30.0]), np.array([-1000.0, 1000.0]), 1.0, "extreme logits +-1000")]
    for r, f, y, case in cases:
        n, m = r.size, f.size
        with g.check(case, "discriminator_loss", points=2):
            got = g.call(student.discriminator_loss, _tensor(r), _tensor(f), y)
            real = -(y * _log_sigmoid(r) + (1 - y) * _log_sigmoid(-r))
            mistakes = {"the fakes labelled 1 (-log sigmoid(f) where it is -log sigmoid(-f))":
                        real.mean() - _log_sigmoid(f).mean(),
                        "one mean over all N + M logits (each batch needs its own mean)":
                        np.concatenate([real.ravel(), -_log_sigmoid(-f).ravel()]).mean(),
                        "sums instead of means": real.sum() - _log_sigmoid(-f).sum()}
            if y != 1.0:
                mistakes["the label smoothing left out (real label 1)"] = -(_log_sigmoid(r).mean()
                                                                             + _log_sigmoid(-f).mean())
                mistakes["the fakes smoothed too (their label stays 0)"] = (
                    real.mean() - ((1 - y) * _log_sigmoid(f) + y * _log_sigmoid(-f)).mean())
            g.expect("L_D", got, reference.discriminator_loss(_tensor(r), _tensor(f), y), mistakes=mistakes)
            library = _bce(r, y) + _bce(f, 0.0)
            g.expect("L_D against the library", got, library,
                     expected_label="F.binary_cross_entropy_with_logits(r, y) + (f, 0)")

        with g.check(case + ": gradients against finite differences and (sigmoid - label) / count",
                    "discriminator_loss"):
            grads = _gradients(g, "discriminator_loss", lambda a, b: student.discriminator_loss(a, b, y), [r, f],
                               ["real_logits", "fake_logits"])
            forward = on_arrays(lambda a, b: reference.discriminator_loss(a, b, y))
            closed = [(_sigmoid(r) - y) / n, _sigmoid(f) / m]
            for i, (name, grad) in enumerate(zip(["real_logits", "fake_logits"], grads)):
                g.expect_gradient(name, grad, numeric_gradient(forward, [r, f], i, 1.0))
                g.expect(f"gradient of {name}", grad, closed[i], atol=1e-12, got_label="yours",
                         expected_label="the closed form")


def _grade_generator(g: Grader, student, reference) -> None:
    losses = {"generator_loss_saturating": (lambda f: _log_sigmoid(-f), 0.0, lambda f: -_sigmoid(f),
                                            "log sigmoid(-f)", "-F.binary_cross_entropy_with_logits(f, 0)"),
              "generator_loss_non_saturating": (lambda f: -_log_sigmoid(f), 1.0, lambda f: _sigmoid(f) - 1.0,
                                                "-log sigmoid(f)", "F.binary_cross_entropy_with_logits(f, 1)")}
    cases = [(g.randn(6), "M = 6"), (g.randn(3, 1), "logits (3, 1)"), (g.randn(1), "a batch of one"),
             (np.array([-1000.0, 1000.0, -30.0]), "extreme logits +-1000")]
    for function, (pointwise, label, slope, formula, library_text) in losses.items():
        other = [name for name in losses if name != function][0]
        other_pointwise = losses[other][0]
        for f, case in cases:
            with g.check(case, function, points=2 if case == "M = 6" else 1):
                got = g.call(getattr(student, function), _tensor(f))
                mistakes = {f"the other generator loss, {losses[other][3]}": other_pointwise(f).mean(),
                            "a sum instead of the mean": pointwise(f).sum()}
                g.expect(f"L_G = mean {formula}", got, getattr(reference, function)(_tensor(f)), mistakes=mistakes)
                library = _bce(f, label) * (-1.0 if label == 0.0 else 1.0)
                g.expect("L_G against the library", got, library, expected_label=library_text)

            with g.check(case + ": gradient against finite differences and the closed form", function):
                (grad,) = _gradients(g, function, getattr(student, function), [f], ["fake_logits"])
                numeric = numeric_gradient(on_arrays(getattr(reference, function)), [f], 0, 1.0)
                g.expect_gradient("fake_logits", grad, numeric)
                g.expect("gradient of fake_logits", grad, slope(f) / f.size, atol=1e-12, got_label="yours",
                         expected_label="the closed form")

        f = np.full(4, -20.0)
        expected = slope(f) / f.size
        size = "vanishes (about -5e-10 per sample)" if label == 0.0 else "stays near -1/M"
        with g.check(f"a confident discriminator (fake logits -20): the gradient {size}", function):
            (grad,) = _gradients(g, function, getattr(student, function), [f], ["fake_logits"])
            g.expect("gradient of fake_logits", grad, expected, rtol=1e-6, atol=1e-15, got_label="yours",
                     expected_label="the closed form")


def grade(g: Grader, student, reference) -> None:
    _grade_log_sigmoid(g, student, reference)
    _grade_discriminator(g, student, reference)
    _grade_generator(g, student, reference)
