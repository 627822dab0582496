# %% [markdown]
# # Lesson 17: diffusion models
#
# Lesson 16's GAN learned to generate through a game. A **diffusion model** (Ho et al. 2020,
# "DDPM") learns something much plainer: how to remove a little noise. The recipe:
#
# 1. a fixed **forward process** adds Gaussian noise to data, step by step, until nothing but
#    noise is left;
# 2. a network is trained, by plain regression, to predict the noise that was added;
# 3. to generate, start from pure noise and run the process **backwards**, removing the predicted
#    noise one step at a time.
#
# There is no adversary, so no mode collapse and no delicate balance: the loss is a mean squared
# error that falls like any regression's. This lesson does all three on a 2-D distribution (two
# interleaving moons), then samples in far fewer steps with **DDIM**, and finally trains a
# class-conditional model and steers it with **classifier-free guidance**.
#
# Run: `python lessons/17_diffusion_models.py` (about 30 seconds), or `--full` (about 4 minutes)
# for bigger models trained longer.

# %%
import math
import time

import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import moons
from tinynn.metrics import histogram_distance, mmd
from tinynn.viz import plot_curves, plot_density_comparison, plot_diffusion_trajectories, plot_sample_grid

lesson = Lesson(17, "diffusion models", full_takes="about 4 minutes on an idle 2-core CPU")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## The data, and how we measure "close"
# Two moons (20,000 points, two classes), standardised to mean 0 and standard deviation 1 per axis
# so that they live on the same scale as the noise N(0, I) the process ends in. As in lesson 16,
# 2,000 generated points are compared with 2,000 data points by the total-variation distance of
# 20 x 20 histograms on [-3, 3]^2, and the first 1,000 of each by MMD (Gaussian kernels of widths
# 0.05, 0.2 and 1; its cost grows as N^2). Two reference values: pure noise (where sampling
# starts) and a second sample of the data (the floor).

# %%
lesson.section()
points, classes = moons(20_000, noise=0.05, seed=lesson.seed)
data = (points - points.mean(dim=0)) / points.std(dim=0)                   # (20000, 2)
N_EVAL, BANDWIDTHS, BOX = 2000, [0.05, 0.2, 1.0], ((-3, 3), (-3, 3))
reference, reference_classes = data[:N_EVAL], classes[:N_EVAL]


def distances(samples) -> tuple[float, float]:
    return (mmd(samples[:1000], reference[:1000], BANDWIDTHS),
            histogram_distance(samples, reference, bins=20, range=BOX))


noise_mmd, noise_hist = distances(torch.randn(N_EVAL, 2))
floor_mmd, floor_hist = distances(data[N_EVAL:2 * N_EVAL])
print(f"pure noise vs data: MMD {noise_mmd:.4f}, histogram distance {noise_hist:.3f}")
print(f"data vs data:       MMD {floor_mmd:.4f}, histogram distance {floor_hist:.3f} "
      f"(the floor; expect about 0 and 0.1)")

# %% [markdown]
# ## The forward process q(x_t | x_0)
# Pick a **noise schedule** beta_1 .. beta_T (here T = 100, rising linearly from 1e-4 to 0.12).
# Each step shrinks the point a little and adds fresh noise:
#
#     x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps_t,        eps_t ~ N(0, I)
#
# Steps of Gaussian noise compose into one Gaussian, so any x_t can be drawn from x_0 directly:
#
#     x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps,      abar_t = prod_{s<=t} (1 - beta_s)
#
# abar_t falls from 1 (clean data) to about 0.002 at t = T: the data has dissolved into N(0, I).
# (Indices here run 0 .. T-1 in code.) Below: the step-by-step chain and the closed form agree,
# and the moons dissolve.

# %%
lesson.section()
T = 100
betas = torch.linspace(1e-4, 0.12, T)
alphas = 1.0 - betas
alpha_bars = torch.exp(torch.cumsum(torch.log(alphas), dim=0))     # abar_t = prod_{s<=t} alpha_s
print("abar at t = 1, 10, 50, 100: " + ", ".join(f"{alpha_bars[t].item():.4f}" for t in (0, 9, 49, 99)))


def noisy(x0, t, noise):
    """Sample q(x_t | x_0) in one go: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise; t: (N,) ints."""
    abar = alpha_bars[t].unsqueeze(1)                                  # (N, 1): one t per point
    return abar.sqrt() * x0 + (1.0 - abar).sqrt() * noise


x0 = data[:N_EVAL]
chain = x0
for t in range(50):                                                   # 50 small steps, one by one
    chain = alphas[t].sqrt() * chain + betas[t].sqrt() * torch.randn(N_EVAL, 2)
closed = noisy(x0, torch.full((N_EVAL,), 49, dtype=torch.int64), torch.randn(N_EVAL, 2))
chain_vs_closed = mmd(chain[:1000], closed[:1000], BANDWIDTHS)
print(f"x_50 by 50 steps vs in one step: MMD {chain_vs_closed:.4f} (expect about 0: the same distribution)")

dissolving = {}
for t in (0, 10, 25, 50, 99):
    x_t = noisy(x0, torch.full((N_EVAL,), t, dtype=torch.int64), torch.randn(N_EVAL, 2))
    dissolving[f"t = {t + 1}, abar {alpha_bars[t].item():.3f}"] = x_t
    print(f"  t = {t + 1:>3}: MMD to pure noise {mmd(x_t[:1000], torch.randn(1000, 2), BANDWIDTHS):.4f}")
fig = plot_sample_grid(dissolving, ncols=5, limits=(-3.5, 3.5, -3.5, 3.5),
                       title="the forward process: the data dissolves into Gaussian noise")
lesson.save(fig, "forward_process.png")

# %% [markdown]
# ## The denoiser and the DDPM loss
# A network eps_theta(x_t, t) looks at a noisy point and the step t and predicts the noise eps that
# was mixed in. Ho et al. showed that a simplified variational bound reduces to plain regression:
#
#     L = E_{x_0, t, eps} || eps - eps_theta( sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t ) ||^2
#
# One training step: draw data x_0, a random t per point, noise eps; build x_t in closed form;
# regress. The network must know t (the noise level), so t enters through a **sinusoidal time
# embedding** (lesson 13's positional encoding, for a step instead of a position), concatenated
# with the point. The network is an MLP.
#
# The loss will not go near 0: at large t a point is mostly noise, and predicting eps exactly is
# impossible. What matters is that the prediction is as good as it can be on average.

# %%
lesson.section()
EMBED = 16
HIDDEN, BATCH = (128, 512) if FULL else (64, 256)
STEPS, COND_STEPS = (5000, 4000) if FULL else (1500, 1200)


def time_embedding(t, dim: int = EMBED):
    """(N,) integer steps -> (N, dim): [sin(t w_k), cos(t w_k)] with w_k = 1000^(-k / (dim/2))."""
    frequencies = torch.exp(torch.arange(dim // 2).float() * (-math.log(1000.0) / (dim // 2)))
    angles = t.float().unsqueeze(1) * frequencies
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class Denoiser(nn.Module):
    """eps_theta(x_t, t [, class]): an MLP on [x_t, embedding]. With ``num_classes``, a learned
    class embedding (plus one extra "no class" entry, id ``num_classes``) is added to the time one."""

    def __init__(self, hidden: int, num_classes: int = 0):
        super().__init__()
        self.null_class = num_classes
        self.class_embedding = nn.Embedding(num_classes + 1, EMBED) if num_classes else None
        self.net = nn.Sequential(nn.Linear(2 + EMBED, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, x, t, labels=None):
        embedding = time_embedding(t)
        if self.class_embedding is not None:
            embedding = embedding + self.class_embedding(labels)
        return self.net(torch.cat([x, embedding], dim=1))


def train(model: Denoiser, steps: int, drop_labels: float = 0.0, label: str = "step") -> list[float]:
    """DDPM training; with drop_labels > 0, that fraction of labels is replaced by "no class"."""
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    progress, losses = Progress(steps, lines=4, label=label), []
    for step in range(1, steps + 1):
        index = torch.randint(0, len(data), (BATCH,))
        x0, t, noise = data[index], torch.randint(0, T, (BATCH,)), torch.randn(BATCH, 2)
        labels = None
        if model.class_embedding is not None:
            dropped = torch.rand(BATCH) < drop_labels
            labels = torch.where(dropped, torch.full((BATCH,), model.null_class, dtype=torch.int64), classes[index])
        loss = F.mse_loss(model(noisy(x0, t, noise), t, labels), noise)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        progress(step, loss=loss.item())
    return losses


model = Denoiser(HIDDEN)
start = time.perf_counter()
losses = train(model, STEPS)
print(f"trained in {time.perf_counter() - start:.1f} s; loss over the last 100 steps {np.mean(losses[-100:]):.3f} "
      f"(expect about 0.3; it started near 1, the variance of eps)")

# %% [markdown]
# ## Ancestral sampling (DDPM): walking back from noise
# The reverse step is Gaussian too. With the predicted noise, the mean of x_{t-1} given x_t is
#
#     mu = ( x_t - beta_t / sqrt(1 - abar_t) * eps_theta(x_t, t) ) / sqrt(alpha_t)
#
# and we add fresh noise of variance beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t) (none at
# the last step). Start from x_T ~ N(0, I) and take all T = 100 steps. Every step asks the network
# once, for all points in a batch. The paths are jittery: each step adds fresh noise, and the
# network's drift wins only on average.


# %%
lesson.section()


def predict_noise(model, x, t: int, labels=None, guidance: float | None = None):
    """eps_theta(x, t). With ``guidance`` s (classifier-free guidance, below):
    eps_uncond + s (eps_cond - eps_uncond), both from one batched call."""
    steps = torch.full((len(x),), t, dtype=torch.int64)
    if guidance is None:
        return model(x, steps, labels)
    null = torch.full((len(x),), model.null_class, dtype=torch.int64)
    both = model(torch.cat([x, x]), torch.cat([steps, steps]), torch.cat([labels, null]))
    conditional, unconditional = both[: len(x)], both[len(x):]
    return unconditional + guidance * (conditional - unconditional)


def ddpm_sample(model, n: int, labels=None, guidance=None, keep_path: bool = False):
    with torch.no_grad():
        x = torch.randn(n, 2)
        path = [x]
        for t in range(T - 1, -1, -1):
            eps = predict_noise(model, x, t, labels, guidance)
            x = (x - betas[t] / (1.0 - alpha_bars[t]).sqrt() * eps) / alphas[t].sqrt()
            if t > 0:
                variance = betas[t] * (1.0 - alpha_bars[t - 1]) / (1.0 - alpha_bars[t])
                x = x + variance.sqrt() * torch.randn(n, 2)
            path.append(x)
    return (x, torch.stack(path)) if keep_path else x


start = time.perf_counter()
ddpm_points, ddpm_path = ddpm_sample(model, N_EVAL, keep_path=True)
ddpm_seconds = time.perf_counter() - start
ddpm_mmd, ddpm_hist = distances(ddpm_points)
print(f"DDPM, {T} steps, {ddpm_seconds:.2f} s: MMD {ddpm_mmd:.4f} (noise {noise_mmd:.4f}; expect about 0.012 quick, "
      f"0.000 full), histogram distance {ddpm_hist:.3f} (noise {noise_hist:.3f}; expect about 0.38 quick, 0.12 full)")
fig = plot_curves({"DDPM loss": np.convolve(losses, np.ones(50) / 50, mode="valid")}, xlabel="step",
                  ylabel="MSE of the predicted noise (moving average of 50)", title="training the denoiser")
lesson.save(fig, "diffusion_loss.png")
fig = plot_diffusion_trajectories(ddpm_path, target=reference, num_paths=12,
                                  title=f"DDPM sampling: 12 points walked back from noise in {T} noisy steps")
lesson.save(fig, "ddpm_trajectories.png")

# %% [markdown]
# ## DDIM: the same model, far fewer steps
# Song et al. (2021) noticed that the trained network defines a *deterministic* path as well. At
# step t, estimate the clean point, then jump straight to any earlier noise level s < t using the
# same predicted noise:
#
#     x0_hat = ( x_t - sqrt(1 - abar_t) eps ) / sqrt(abar_t)
#     x_s    = sqrt(abar_s) x0_hat + sqrt(1 - abar_s) eps
#
# No retraining, no fresh noise (this is DDIM with eta = 0), and the jumps can skip steps: 10 or
# 20 network calls instead of 100. Without the noise, each starting point has one smooth path
# to its sample (see the figure of DDIM paths).


# %%
lesson.section()


def ddim_sample(model, n: int, steps: int, labels=None, guidance=None, keep_path: bool = False):
    times = np.linspace(T - 1, 0, steps).round().astype(int)       # e.g. 99, 94, ..., 0
    with torch.no_grad():
        x = torch.randn(n, 2)
        path = [x]
        for i, t in enumerate(times):
            eps = predict_noise(model, x, int(t), labels, guidance)
            x0_hat = (x - (1.0 - alpha_bars[t]).sqrt() * eps) / alpha_bars[t].sqrt()
            abar_next = alpha_bars[int(times[i + 1])] if i + 1 < steps else torch.tensor(1.0)
            x = abar_next.sqrt() * x0_hat + (1.0 - abar_next).sqrt() * eps
            path.append(x)
    return (x, torch.stack(path)) if keep_path else x


samplers = {f"DDPM, {T} steps": (ddpm_points, ddpm_seconds)}
_, ddim_path = ddim_sample(model, 40, 20, keep_path=True)
fig = plot_diffusion_trajectories(ddim_path, target=reference, num_paths=40,
                                  title="DDIM sampling: 40 deterministic paths, 20 steps each")
lesson.save(fig, "ddim_trajectories.png")
for steps in (20, 10):
    start = time.perf_counter()
    generated = ddim_sample(model, N_EVAL, steps)
    samplers[f"DDIM, {steps} steps"] = (generated, time.perf_counter() - start)
results = {}
for name, (generated, seconds) in samplers.items():
    results[name] = distances(generated)
    print(f"  {name:>16}: {seconds:5.2f} s  MMD {results[name][0]:.4f}  histogram distance {results[name][1]:.3f}")
ddim20_mmd, ddim20_hist = results["DDIM, 20 steps"]
ddim10_mmd, ddim10_hist = results["DDIM, 10 steps"]
ddim_speedup = ddpm_seconds / samplers["DDIM, 20 steps"][1]
print(f"DDIM with 20 steps is {ddim_speedup:.1f}x faster than DDPM (expect about 5x: 20 network calls instead of "
      f"100) at a similar distance (expect MMD about 0.015 quick, 0.002 full); with 10 steps it blurs more")
panels = {"data": reference}
panels.update({name: generated for name, (generated, _) in samplers.items()})
fig = plot_sample_grid(panels, ncols=4, limits=(-2.5, 2.5, -2.5, 2.5),
                       title="samples from one trained denoiser, three samplers")
lesson.save(fig, "samplers.png")
fig = plot_density_comparison(panels, bins=60, range=BOX, ncols=4, title="where the samples fall (histograms)")
lesson.save(fig, "sampler_densities.png")

# %% [markdown]
# ## Class-conditional generation and classifier-free guidance
# Give the denoiser a class label: eps_theta(x_t, t, c), here "upper moon" (0) or "lower moon" (1).
# Classifier-free guidance (Ho & Salimans, 2022) trains **one** network both ways: for 20% of the
# training examples the label is replaced by a "no class" token, so the same network also learns
# the unconditional eps_theta(x_t, t). At sampling time it extrapolates from the unconditional
# prediction toward the conditional one with a guidance scale s:
#
#     eps_guided = eps_theta(x_t, t) + s ( eps_theta(x_t, t, c) - eps_theta(x_t, t) )
#
# s = 0 ignores the class, s = 1 is the plain conditional model, s > 1 pushes harder toward what
# makes the sample look like class c. (Image models use s of 3 to 10.) The effect to look for:
# the fraction of samples on the requested moon rises with s while their spread shrinks, and for
# large s the samples crowd onto thin curves and overshoot off the data: fidelity to the class is
# bought with diversity. (The sampler here is DDIM with 20 steps, each a batched call for the
# conditional and the unconditional prediction together.)

# %%
lesson.section()
torch.manual_seed(lesson.seed + 1)
conditional = Denoiser(HIDDEN, num_classes=2)
train(conditional, COND_STEPS, drop_labels=0.2, label="conditional step")
requested = torch.cat([torch.zeros(N_EVAL // 2, dtype=torch.int64), torch.ones(N_EVAL // 2, dtype=torch.int64)])
reference_np, reference_classes_np = reference.numpy(), reference_classes.numpy()


def moon_of(samples) -> tuple[np.ndarray, np.ndarray]:
    """For each sample: the class of its nearest data point and the distance to it."""
    gaps = np.linalg.norm(samples.numpy()[:, None, :] - reference_np[None], axis=2)   # (N, 2000)
    nearest = gaps.argmin(axis=1)
    return reference_classes_np[nearest], gaps.min(axis=1)


scales = [0.0, 1.0, 3.0, 7.0]
guided, guidance_accuracy, guidance_spread, guidance_offset = {}, [], [], []
for scale in scales:
    generated = ddim_sample(conditional, N_EVAL, 20, labels=requested, guidance=scale)
    moon, gap = moon_of(generated)
    accuracy = float((moon == requested.numpy()).mean())
    spread = float(np.mean([generated.numpy()[requested.numpy() == c].std(axis=0).mean() for c in (0, 1)]))
    guided[f"guidance s = {scale:g}\n{100 * accuracy:.1f}% on the asked moon"] = generated
    guidance_accuracy.append(accuracy)
    guidance_spread.append(spread)
    guidance_offset.append(float(gap.mean()))
    print(f"  s = {scale:>3g}: {100 * accuracy:5.1f}% on the requested moon, spread per class {spread:.3f}, "
          f"mean distance to the nearest data point {gap.mean():.3f}")
print("expect: about 50% at s = 0 (the class is ignored), over 90% at s = 1, about 100% from s = 3 with a smaller\n"
      "spread than at s = 0 and 1; at s = 7 the samples pile onto thin curves and begin to leave the data\n"
      "(their distance to the nearest data point grows again)")
fig = plot_sample_grid(guided, target=reference, labels={name: requested for name in guided}, ncols=4,
                       title="classifier-free guidance: colour = requested class (blue upper, orange lower moon)")
lesson.save(fig, "guidance.png")

# %% [markdown]
# ## Summary
# - The forward process turns data into noise in closed form; the network learns only to predict
#   the noise (a regression loss), and sampling runs the process backwards.
# - DDPM sampling here brought the MMD to the data far below that of pure noise: about 0.012
#   against 0.079 in quick mode; with `--full`, 0.000, as close as a second sample of the data,
#   and a histogram distance of 0.12 against 0.66 for noise (0.11 between two data samples).
#   DDIM gets near it with 20 steps instead of 100 (`--full`: MMD 0.002, histogram 0.15).
# - Classifier-free guidance: one network, labels dropped 20% of the time in training, and one
#   number at sampling time trading diversity for faithfulness to the class.

# %%
lesson.section()
lesson.summary(noise_mmd=round(noise_mmd, 5), floor_mmd=round(floor_mmd, 5), ddpm_mmd=round(ddpm_mmd, 5),
               ddim20_mmd=round(ddim20_mmd, 5), ddim10_mmd=round(ddim10_mmd, 5), noise_hist=round(noise_hist, 4),
               floor_hist=round(floor_hist, 4), ddpm_hist=round(ddpm_hist, 4), ddim20_hist=round(ddim20_hist, 4),
               ddim10_hist=round(ddim10_hist, 4), chain_vs_closed_mmd=round(chain_vs_closed, 5),
               final_loss=round(float(np.mean(losses[-100:])), 4), first_loss=round(float(np.mean(losses[:20])), 4),
               ddim_speedup=round(ddim_speedup, 2), guidance_scales=scales,
               guidance_accuracy=[round(a, 4) for a in guidance_accuracy],
               guidance_spread=[round(s, 4) for s in guidance_spread],
               guidance_offset=[round(s, 4) for s in guidance_offset])
