"""Checks for exercise 27, DDPM: the schedules, alpha_bar, q_sample, the loss, the reverse mean and step.

Everything is compared with the reference and with the closed forms computed here in NumPy (the
schedule formulas, the variance recursion v_t = alpha_t v_{t-1} + beta_t = 1 - alpha_bar_t, the mean
and variance of q(x_t | x_0) over many noise draws, the posterior mean of q(x_{t-1} | x_t, x_0));
gradients through the student's Tensor operations against finite differences (float64).
"""
from __future__ import annotations

import numpy as np

import tinynn
from ..grading import Grader, Mismatch, numeric_gradient, on_arrays

T = 20
BETAS = np.linspace(0.01, 0.3, T)          # the schedule the later checks use (not the student's)
ABAR = np.cumprod(1 - BETAS)
DRAWS = 20_000


def _tensor(a, requires_grad: bool = False) -> tinynn.Tensor:
    return tinynn.tensor(a, requires_grad=requires_grad)


def _steps(t) -> tinynn.Tensor:
    return tinynn.tensor(np.asarray(t, dtype=np.int64))


def _f(u, steps: int, s: float):
    return np.cos((u / steps + s) / (1 + s) * np.pi / 2) ** 2


def _expect_float64(what: str, got) -> None:
    if isinstance(got, tinynn.Tensor) and got.dtype != tinynn.float64:
        raise Mismatch(f"{what}: dtype {got.dtype} but expected float64. Hint: schedules are float64 (tiny betas "
                       "and a product of a thousand numbers need the precision): pass dtype=tinynn.float64")


def _grade_schedules(g: Grader, student, reference) -> None:
    for steps, start, end in [(10, 1e-4, 0.02), (1000, 1e-4, 0.02), (2, 0.1, 0.3)]:
        with g.check(f"T = {steps}, beta from {start} to {end}", "linear_beta_schedule"):
            got = g.call(student.linear_beta_schedule, steps, start, end)
            _expect_float64("betas", got)
            closed = start + (end - start) * np.arange(steps) / (steps - 1)
            g.expect("betas", got, reference.linear_beta_schedule(steps, start, end),
                     mistakes={"t / T where t / (T - 1) belongs (beta_end is never reached)":
                               start + (end - start) * np.arange(steps) / steps})
            g.expect("betas against the closed form", got, closed, expected_label="the formula")

    for steps, s, max_beta in [(10, 0.008, 0.999), (50, 0.008, 0.2), (3, 0.05, 0.999)]:
        with g.check(f"T = {steps}, s = {s}, max_beta = {max_beta}", "cosine_beta_schedule",
                     points=2 if steps == 10 else 1):
            got = g.call(student.cosine_beta_schedule, steps, s, max_beta)
            _expect_float64("betas", got)
            f = _f(np.arange(steps + 1), steps, s)
            unclipped = 1 - f[1:] / f[:-1]
            shifted = np.concatenate([[0.0], unclipped[:-1]])
            g.expect("betas", got, reference.cosine_beta_schedule(steps, s, max_beta),
                     mistakes={"betas without the clip at max_beta": unclipped,
                               "alpha_bar_t = f(t) / f(0), one step early (then beta_0 = 0)":
                               np.minimum(shifted, max_beta)})
            g.expect("betas against the closed form", got, np.minimum(unclipped, max_beta),
                     expected_label="min(1 - f(t + 1) / f(t), max_beta)")


def _grade_alpha_bars(g: Grader, student, reference) -> None:
    cases = [(BETAS, f"linear betas, T = {T}"), (np.array([0.3]), "one step, beta 0.3"),
             (np.minimum(1 - _f(np.arange(1, 13), 12, 0.008) / _f(np.arange(12), 12, 0.008), 0.999),
              "cosine betas, T = 12")]
    for betas, case in cases:
        with g.check(case, "alpha_bars", points=2 if betas is BETAS else 1):
            got = g.call(student.alpha_bars, _tensor(betas))
            variance, chain = 0.0, []
            for beta in betas:   # the variance of the step-by-step chain started from x_0 = 0
                variance = (1 - beta) * variance + beta
                chain.append(1 - variance)
            g.expect("alpha_bar", got, reference.alpha_bars(_tensor(betas)),
                     mistakes={"the cumulative sum of the alphas": np.cumsum(1 - betas),
                               "the cumulative product of the betas": np.cumprod(betas),
                               "the product shifted by one (alpha_bar_0 = 1)":
                               np.concatenate([[1.0], np.cumprod(1 - betas)[:-1]])})
            g.expect("alpha_bar against the step-by-step chain", got, np.array(chain),
                     expected_label="1 - (the chain's variance after t + 1 steps)")


def _q_mistakes(x0, t, noise) -> dict:
    shape = (-1,) + (1,) * (x0.ndim - 1)
    abar, early = ABAR[t].reshape(shape), np.where(t > 0, ABAR[t - 1], 1.0).reshape(shape)
    return {"no square roots: abar x0 + (1 - abar) noise": abar * x0 + (1 - abar) * noise,
            "the noise scaled by the variance 1 - abar, where its square root belongs":
            np.sqrt(abar) * x0 + (1 - abar) * noise,
            "alpha_bar[t - 1]: one step off": np.sqrt(early) * x0 + np.sqrt(1 - early) * noise,
            "x0 and the noise swapped": np.sqrt(abar) * noise + np.sqrt(1 - abar) * x0}


def _grade_q_sample(g: Grader, student, reference) -> None:
    abar = _tensor(ABAR)
    cases = [((4, 2), [0, 5, 12, T - 1], "x0 (4, 2), t = [0, 5, 12, 19]"),
             ((3, 1, 4, 4), [2, 7, T - 1], "images x0 (3, 1, 4, 4), t = [2, 7, 19]"),
             ((1, 3), [0], "a batch of one, t = 0")]
    for shape, t, case in cases:
        x0, noise, t = g.randn(*shape), g.randn(*shape), np.array(t)
        with g.check(case, "q_sample", points=3 if shape == (4, 2) else 1):
            got = g.call(student.q_sample, _tensor(x0), _steps(t), _tensor(noise), abar)
            g.expect("x_t", got, reference.q_sample(_tensor(x0), _steps(t), _tensor(noise), abar),
                     mistakes=_q_mistakes(x0, t, noise))

    x0, t = np.array([[1.5, -2.0, 0.5]]), 7
    noise = g.randn(DRAWS, 3)
    with g.check(f"the mean and variance of x_t over {DRAWS} draws of the noise (t = {t})", "q_sample", points=2):
        got = g.call(student.q_sample, _tensor(np.repeat(x0, DRAWS, 0)), _steps(np.full(DRAWS, t)), _tensor(noise),
                     abar)
        samples = got.detach().numpy() if isinstance(got, tinynn.Tensor) else np.asarray(got)
        if samples.shape != (DRAWS, 3):
            g.expect("x_t", got, np.zeros((DRAWS, 3)))   # reports the shape
        spread = 6 * np.sqrt((1 - ABAR[t]) / DRAWS)
        g.expect("the mean of x_t", samples.mean(0), np.sqrt(ABAR[t]) * x0[0], rtol=0, atol=spread,
                 expected_label="sqrt(alpha_bar_t) x0")
        g.expect("the variance of x_t", samples.var(0), np.full(3, 1 - ABAR[t]), rtol=6 * np.sqrt(2 / DRAWS),
                 expected_label="1 - alpha_bar_t")

    x0, noise, t = g.randn(3, 2), g.randn(3, 2), np.array([1, 9, 15])
    with g.check("x0 (3, 2): gradients for x0 and noise against finite differences", "q_sample"):
        tensors = [_tensor(x0, True), _tensor(noise, True)]
        out = g.call(student.q_sample, tensors[0], _steps(t), tensors[1], abar)
        upstream = g.randn(3, 2)
        grads = g.autograd_gradients("q_sample", out, tensors, [upstream])
        forward = on_arrays(lambda a, b: reference.q_sample(a, _steps(t), b, abar))
        for i, name in enumerate(("x0", "noise")):
            g.expect_gradient(name, g.require_gradient(name, grads[i]),
                              numeric_gradient(forward, [x0, noise], i, upstream))


class _LinearDenoiser:
    """eps_theta(x, t) = x W^T + b + embedding[t]: a model small enough for finite differences."""

    def __init__(self, weight, bias, embedding):
        self.weight, self.bias, self.embedding = weight, bias, embedding

    def __call__(self, x, t):
        return x @ self.weight.T + self.bias + self.embedding[t]


def _grade_loss(g: Grader, student, reference) -> None:
    abar = _tensor(ABAR)
    x0, noise, t = g.randn(5, 3), g.randn(5, 3), np.array([0, 4, 8, 12, T - 1])
    w, b, emb = 0.5 * g.randn(3, 3), g.randn(3), 0.1 * g.randn(T, 3)
    with g.check("points (5, 3), a linear denoiser", "ddpm_loss", points=2):
        model = _LinearDenoiser(_tensor(w), _tensor(b), _tensor(emb))
        got = g.call(student.ddpm_loss, model, _tensor(x0), _steps(t), _tensor(noise), abar)
        x_t = reference.q_sample(_tensor(x0), _steps(t), _tensor(noise), abar).numpy()
        predict = lambda x: x @ w.T + b + emb[t]   # noqa: E731
        g.expect("L", got, reference.ddpm_loss(model, _tensor(x0), _steps(t), _tensor(noise), abar),
                 mistakes={"the prediction compared with x0 instead of the noise": ((predict(x_t) - x0) ** 2).mean(),
                           "the model given x0 instead of x_t": ((predict(x0) - noise) ** 2).mean(),
                           "a sum instead of the mean": ((predict(x_t) - noise) ** 2).sum()})

    with g.check("gradients for the denoiser's weight and bias against finite differences", "ddpm_loss"):
        params = [_tensor(w, True), _tensor(b, True)]
        model = _LinearDenoiser(params[0], params[1], _tensor(emb))
        loss = g.call(student.ddpm_loss, model, _tensor(x0), _steps(t), _tensor(noise), abar)
        grads = g.autograd_gradients("ddpm_loss", loss, params, [np.array(1.0)])

        def forward(w_, b_):
            model = _LinearDenoiser(w_, b_, _tensor(emb))
            return reference.ddpm_loss(model, _tensor(x0), _steps(t), _tensor(noise), abar)

        for i, name in enumerate(("weight", "bias")):
            g.expect_gradient(name, g.require_gradient(name, grads[i]),
                              numeric_gradient(on_arrays(forward), [w, b], i, 1.0))


def _grade_reverse(g: Grader, student, reference) -> None:
    betas, abar = _tensor(BETAS), _tensor(ABAR)
    for shape, t in [((5, 2), T - 1), ((5, 2), 7), ((5, 2), 0), ((2, 1, 3, 3), 3)]:
        x_t, eps = g.randn(*shape), g.randn(*shape)
        beta, a = BETAS[t], ABAR[t]
        with g.check(f"x_t {shape}, t = {t}", "reverse_mean", points=2 if t == 7 else 1):
            got = g.call(student.reverse_mean, _tensor(x_t), t, _tensor(eps), betas, abar)
            g.expect("mu", got, reference.reverse_mean(_tensor(x_t), t, _tensor(eps), betas, abar),
                     mistakes={"beta_t / (1 - alpha_bar_t): the square root is missing":
                               (x_t - beta / (1 - a) * eps) / np.sqrt(1 - beta),
                               "divided by sqrt(alpha_bar_t) where sqrt(alpha_t) belongs":
                               (x_t - beta / np.sqrt(1 - a) * eps) / np.sqrt(a),
                               "the estimate of x_0, (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t)":
                               (x_t - np.sqrt(1 - a) * eps) / np.sqrt(a),
                               "eps added where it is subtracted":
                               (x_t + beta / np.sqrt(1 - a) * eps) / np.sqrt(1 - beta)})

    for t in (5, 0):
        x0, eps = g.randn(4, 2), g.randn(4, 2)
        x_t = np.sqrt(ABAR[t]) * x0 + np.sqrt(1 - ABAR[t]) * eps
        before = ABAR[t - 1] if t > 0 else 1.0
        posterior = (np.sqrt(before) * BETAS[t] / (1 - ABAR[t]) * x0
                     + np.sqrt(1 - BETAS[t]) * (1 - before) / (1 - ABAR[t]) * x_t)
        with g.check(f"t = {t}, eps the true noise: mu is the posterior mean of q(x_(t-1) | x_t, x_0)",
                     "reverse_mean", points=2):
            got = g.call(student.reverse_mean, _tensor(x_t), t, _tensor(eps), betas, abar)
            g.expect("mu", got, posterior, expected_label="the posterior mean")

    x_t, eps, t = g.randn(3, 2), g.randn(3, 2), 11
    with g.check(f"t = {t}: gradients for x_t and eps against finite differences", "reverse_mean"):
        tensors = [_tensor(x_t, True), _tensor(eps, True)]
        out = g.call(student.reverse_mean, tensors[0], t, tensors[1], betas, abar)
        upstream = g.randn(3, 2)
        grads = g.autograd_gradients("reverse_mean", out, tensors, [upstream])
        forward = on_arrays(lambda a, b: reference.reverse_mean(a, t, b, betas, abar))
        for i, name in enumerate(("x_t", "eps")):
            g.expect_gradient(name, g.require_gradient(name, grads[i]),
                              numeric_gradient(forward, [x_t, eps], i, upstream))

    for t in (7, 1, 0):
        x_t, eps, noise = g.randn(4, 2), g.randn(4, 2), g.randn(4, 2)
        mu = reference.reverse_mean(_tensor(x_t), t, _tensor(eps), betas, abar).numpy()
        tilde = BETAS[t] * (1 - ABAR[t - 1]) / (1 - ABAR[t]) if t > 0 else 0.0
        wrapped = BETAS[t] * (1 - ABAR[t - 1]) / (1 - ABAR[t])    # at t = 0, ABAR[-1] is the LAST element
        with g.check(f"t = {t}" + (": the last step adds no noise" if t == 0 else ""), "reverse_step",
                     points=2 if t != 1 else 1):
            got = g.call(student.reverse_step, _tensor(x_t), t, _tensor(eps), betas, abar, _tensor(noise))
            mistakes = {"noise added at t = 0 (there alpha_bar[t - 1] is alpha_bar[-1], the last element)":
                        mu + np.sqrt(wrapped) * noise} if t == 0 else {
                        "sigma = beta~_t, the variance, where its square root belongs": mu + tilde * noise,
                        "sigma^2 = beta_t, not beta~_t": mu + np.sqrt(BETAS[t]) * noise,
                        "the noise left out": mu}
            g.expect("x_(t-1)", got, reference.reverse_step(_tensor(x_t), t, _tensor(eps), betas, abar, _tensor(noise)),
                     mistakes=mistakes)

    t, x_t, eps = 7, np.array([[0.3, -1.0]]), np.array([[0.5, 0.2]])
    noise = g.randn(DRAWS, 2)
    with g.check(f"the mean and variance of x_(t-1) over {DRAWS} draws (t = {t})", "reverse_step"):
        got = g.call(student.reverse_step, _tensor(np.repeat(x_t, DRAWS, 0)), t, _tensor(np.repeat(eps, DRAWS, 0)),
                     betas, abar, _tensor(noise))
        samples = got.detach().numpy() if isinstance(got, tinynn.Tensor) else np.asarray(got)
        if samples.shape != (DRAWS, 2):
            g.expect("x_(t-1)", got, np.zeros((DRAWS, 2)))   # reports the shape
        tilde = BETAS[t] * (1 - ABAR[t - 1]) / (1 - ABAR[t])
        mu = (x_t[0] - BETAS[t] / np.sqrt(1 - ABAR[t]) * eps[0]) / np.sqrt(1 - BETAS[t])
        g.expect("the mean of x_(t-1)", samples.mean(0), mu, rtol=0, atol=6 * np.sqrt(tilde / DRAWS),
                 expected_label="mu")
        g.expect("the variance of x_(t-1)", samples.var(0), np.full(2, tilde), rtol=6 * np.sqrt(2 / DRAWS),
                 expected_label="beta~_t")


def grade(g: Grader, student, reference) -> None:
    _grade_schedules(g, student, reference)
    _grade_alpha_bars(g, student, reference)
    _grade_q_sample(g, student, reference)
    _grade_loss(g, student, reference)
    _grade_reverse(g, student, reference)
