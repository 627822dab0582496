"""Exercise 27: DDPM: the noise schedule, the forward process q(x_t | x_0), the loss, one reverse step.

A diffusion model (Ho et al. 2020, lesson 17) learns to remove noise. Steps are numbered
t = 0 .. T-1 in code (the paper's 1 .. T).

**1. The schedule.** beta_t in (0, 1) is the variance of the noise added at step t:

    x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps_t,    alpha_t = 1 - beta_t,   eps_t ~ N(0, I)

Linear (Ho et al.): T values evenly spaced from beta_start to beta_end, both included:
beta_t = beta_start + (beta_end - beta_start) * t / (T - 1). Cosine (Nichol & Dhariwal 2021)
instead chooses the signal left after t steps, with s = 0.008 and u = 0 .. T:

    f(u) = cos^2( (u / T + s) / (1 + s) * pi / 2 ),      alpha_bar_t = f(t + 1) / f(0)
    beta_t = 1 - alpha_bar_t / alpha_bar_{t-1} = 1 - f(t + 1) / f(t),   then at most max_beta

(f(T) = 0 makes the last beta 1: the clip at 0.999 keeps sqrt(1 - beta) away from 0.)

**2. Steps compose.** A sum of independent Gaussians is Gaussian, so t + 1 steps from x_0 are one:

    x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps,    alpha_bar_t = alpha_0 alpha_1 ... alpha_t

Check the variance for unit-variance data: v_t = alpha_t v_{t-1} + beta_t stays 1, and the part
that still comes from x_0 shrinks by alpha_t each step, to alpha_bar_t. ``q_sample`` draws x_t in
one go. Its x0 is a batch (N, *) (points (N, D) or images (N, C, H, W)) with its own step per
example, t: (N,) int64; alpha_bars[t] is then (N,) and must be reshaped to (N, 1, ..., 1) to
broadcast over the rest of each example.

**3. The loss.** A network eps_theta(x_t, t) predicts the noise that was mixed in; training is
regression on it: L = mean over all elements of (eps_theta(x_t, t) - eps)^2, with x_t from q_sample.

**4. One reverse step.** Given x_t and the predicted noise eps = eps_theta(x_t, t) (t a Python int,
one step for the whole batch), x_{t-1} is drawn from a Gaussian with mean and variance

    mu      = ( x_t - beta_t / sqrt(1 - alpha_bar_t) * eps ) / sqrt(alpha_t)
    sigma^2 = beta~_t = beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)      (alpha_bar_{-1} = 1)
    x_{t-1} = mu + sigma * z,    z ~ N(0, I), and no noise at the last step t = 0 (beta~_0 = 0)

This mu is the mean of q(x_{t-1} | x_t, x_0) with x_0 replaced by its estimate from eps: when eps
is exactly the noise that made x_t from x_0, mu equals that posterior mean
sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) x_0 + sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) x_t.

Worked example, T = 3, betas [0.1, 0.2, 0.3]: alphas [0.9, 0.8, 0.7], alpha_bars [0.9, 0.72, 0.504].
At t = 1, x_0 = 1, eps = 0.5: x_1 = sqrt(0.72) + sqrt(0.28) * 0.5 = 1.113103; from x_1 = 1 with
eps = 0.5, mu = (1 - 0.2 / sqrt(0.28) * 0.5) / sqrt(0.8) = 0.906745 and beta~_1 = 0.2 * 0.1 / 0.28 = 0.071429.

Noise is an argument everywhere (the training loop or sampler draws it), so every function is
deterministic. Write them with tinynn Tensor operations (``linspace``, ``arange``, ``cos``,
``cumprod``, ``sqrt``, indexing with a tensor of steps, ``reshape``), float64 schedules; autograd
gives the gradients, which the grader checks with finite differences, together with the closed
forms above, statistics over many noise draws, and edge cases (t = 0, t = T - 1, a batch of one).
"""
from __future__ import annotations

import math

import tinynn

LESSON = 17
FORBIDDEN = []   # tinynn has no diffusion code of its own


def linear_beta_schedule(num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> tinynn.Tensor:
    """(T,) float64: beta_start .. beta_end evenly spaced, both ends included (T >= 2)."""
    # >>> solution
    return tinynn.linspace(beta_start, beta_end, num_steps, dtype=tinynn.float64)
    # <<< solution


def cosine_beta_schedule(num_steps: int, s: float = 0.008, max_beta: float = 0.999) -> tinynn.Tensor:
    """(T,) float64: beta_t = min(1 - f(t + 1) / f(t), max_beta), f(u) = cos^2((u/T + s)/(1 + s) pi/2)."""
    # >>> solution
    u = tinynn.arange(num_steps + 1, dtype=tinynn.float64)
    f = ((u / num_steps + s) / (1 + s) * (math.pi / 2)).cos() ** 2      # (T + 1,): f(0) .. f(T)
    return (1 - f[1:] / f[:-1]).clamp(max=max_beta)
    # <<< solution


def alpha_bars(betas: tinynn.Tensor) -> tinynn.Tensor:
    """(T,) -> (T,): alpha_bar_t = prod_{s <= t} (1 - beta_s)."""
    # >>> solution
    return (1 - betas).cumprod(dim=0)
    # <<< solution


def q_sample(x0: tinynn.Tensor, t: tinynn.Tensor, noise: tinynn.Tensor, alpha_bar: tinynn.Tensor) -> tinynn.Tensor:
    """x_t = sqrt(abar[t]) x0 + sqrt(1 - abar[t]) noise.  x0, noise: (N, *), t: (N,) int64, abar: (T,)."""
    # >>> solution
    abar = alpha_bar[t].reshape(-1, *([1] * (x0.ndim - 1)))           # (N, 1, ..., 1)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise
    # <<< solution


def ddpm_loss(model, x0: tinynn.Tensor, t: tinynn.Tensor, noise: tinynn.Tensor,
              alpha_bar: tinynn.Tensor) -> tinynn.Tensor:
    """mean((model(x_t, t) - noise)^2), x_t = q_sample(x0, t, noise, alpha_bar): a 0-d Tensor."""
    # >>> solution
    x_t = q_sample(x0, t, noise, alpha_bar)
    return ((model(x_t, t) - noise) ** 2).mean()
    # <<< solution


def reverse_mean(x_t: tinynn.Tensor, t: int, eps: tinynn.Tensor, betas: tinynn.Tensor,
                 alpha_bar: tinynn.Tensor) -> tinynn.Tensor:
    """mu = (x_t - beta_t / sqrt(1 - abar_t) * eps) / sqrt(1 - beta_t).  x_t, eps: (N, *), t: int."""
    # >>> solution
    beta, abar = betas[t], alpha_bar[t]
    return (x_t - beta / (1 - abar).sqrt() * eps) / (1 - beta).sqrt()
    # <<< solution


def reverse_step(x_t: tinynn.Tensor, t: int, eps: tinynn.Tensor, betas: tinynn.Tensor, alpha_bar: tinynn.Tensor,
                 noise: tinynn.Tensor) -> tinynn.Tensor:
    """x_{t-1} = mu + sqrt(beta~_t) noise, beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t); mu at t = 0."""
    # >>> solution
    mean = reverse_mean(x_t, t, eps, betas, alpha_bar)
    if t == 0:
        return mean
    variance = betas[t] * (1 - alpha_bar[t - 1]) / (1 - alpha_bar[t])
    return mean + variance.sqrt() * noise
    # <<< solution
