# %% [markdown]
# # Lesson 16: generative adversarial networks
#
# A classifier learns p(label | x). A *generative* model learns to produce new x that look like
# the data. A generative adversarial network (GAN, Goodfellow et al. 2014) does it with two
# networks playing a game:
#
# - the **generator** G turns random noise z ~ N(0, I) into a sample x = G(z);
# - the **discriminator** D looks at a point and outputs the probability D(x) that it is real.
#
# D is trained to tell real from fake; G is trained to fool D. Neither ever sees a formula for the
# data distribution: G learns it only through D's gradients. This lesson plays the game on a 2-D
# distribution (a ring of 8 Gaussians) where we can *see* and *measure* how close G gets, shows
# the gradient problem that the "non-saturating" loss fixes, shows **mode collapse** (G covering a
# few modes only), and with `--full` trains a GAN on handwritten digits.
#
# Run: `python lessons/16_generative_adversarial_networks.py` (about 20 seconds), or `--full`
# (about 5 minutes) for longer training and the digits GAN.

# %%
import math

import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import blobs, load_digits
from tinynn.metrics import histogram_distance, mmd
from tinynn.viz import plot_curves, plot_images, plot_sample_grid

lesson = Lesson(16, "generative adversarial networks", full_takes="about 5 minutes on an idle 2-core CPU")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## The target: a ring of 8 Gaussians
# Eight tight clusters on a circle of radius 2. Its *modes* (the clusters) make failures easy to
# see: a generator that reproduces 3 of them has not learned the distribution, however good
# those 3 look.
#
# To put a number on "how close", we compare 1,000 generated points with 1,000 data points by
# two distances from `tinynn.metrics`:
#
# - **MMD** (maximum mean discrepancy): `E k(x,x') + E k(y,y') - 2 E k(x,y)` with a Gaussian kernel
#   `k`; 0 when the two distributions are equal. We sum kernels of widths 0.1, 0.5 and 2 so it sees
#   both the ring and the tightness of each cluster.
# - **histogram distance**: the total variation `1/2 sum |p_b - q_b|` between 20 x 20 histograms
#   on the square [-3, 3]^2: the fraction of mass in the wrong place, from 0 to 1.
#
# Two independent samples of the target itself give the floor each distance can reach.

# %%
lesson.section()
angles = np.arange(8) * 2 * math.pi / 8
CENTERS = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)           # (8, 2)
data, _ = blobs(20_000, centers=CENTERS, cluster_std=0.05, seed=lesson.seed)  # (20000, 2)
reference = data[:1000]                                                       # the target sample we compare with
BANDWIDTHS, BOX = [0.1, 0.5, 2.0], ((-3, 3), (-3, 3))


def distances(samples) -> tuple[float, float]:
    return mmd(samples, reference, BANDWIDTHS), histogram_distance(samples, reference, bins=20, range=BOX)


def modes_covered(samples, radius: float = 0.2, min_share: float = 0.02) -> tuple[int, float]:
    """How many of the 8 clusters get at least 2% of the samples within `radius` of their centre,
    and the fraction of samples that land near any centre ("quality")."""
    points = samples.numpy()
    to_centre = np.linalg.norm(points[:, None, :] - CENTERS[None], axis=2)    # (N, 8)
    near = to_centre.min(axis=1) < radius
    counts = np.bincount(to_centre.argmin(axis=1)[near], minlength=8)
    return int((counts >= min_share * len(points)).sum()), float(near.mean())


floor_mmd, floor_hist = distances(data[1000:2000])
print(f"two samples of the target: MMD {floor_mmd:.4f}, histogram distance {floor_hist:.3f} "
      f"(the floor; expect about 0 and 0.1)")

# %% [markdown]
# ## The two players
# Small MLPs. G maps 2-D noise to a 2-D point; D maps a point to one *logit* l, with D(x) = sigmoid(l).
# (Working with logits and `binary_cross_entropy_with_logits` keeps the log-probabilities stable.)

# %%
lesson.section()
NOISE_DIM, HIDDEN = 2, 64


def mlp(inputs: int, outputs: int, hidden: int = HIDDEN) -> nn.Module:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, outputs))


def sample(generator: nn.Module, n: int = 1000):
    with torch.no_grad():
        return generator(torch.randn(n, NOISE_DIM))


# %% [markdown]
# ## The game, and why G's loss is not what the formula says
# Goodfellow et al. write the game as one value function that D maximises and G minimises:
#
#     min_G max_D  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]
#
# For a fixed G the best D is `D*(x) = p_data(x) / (p_data(x) + p_G(x))`, and with it
# `V = -log 4 + 2 JS(p_data || p_G)`: G minimises the Jensen-Shannon divergence to the data. At the
# equilibrium p_G = p_data, D outputs 1/2 everywhere: D's loss (two cross-entropies) is
# 2 log 2 = 1.39 and G's is log 2 = 0.69.
#
# In practice G does **not** minimise `log(1 - D(G(z)))`. Early on, D easily rejects G's samples:
# D(G(z)) ~ 0, where `log(1 - D)` is flat: its derivative with respect to the logit is `-D`, nearly 0,
# so G gets no signal. The **non-saturating** loss `-log D(G(z))` has the same fixed point but
# derivative `-(1 - D)`, nearly -1 exactly where G is worst. Measured on an untrained G against a
# D trained briefly to reject it:

# %%
lesson.section()
generator, discriminator = mlp(NOISE_DIM, 2), mlp(2, 1)
probe = mlp(2, 1)                                # a throw-away discriminator for this experiment
probe_opt = torch.optim.Adam(probe.parameters(), lr=1e-3)
fakes = sample(generator, 256)
for _ in range(100):                             # teach it to reject the untrained G's points
    real = data[torch.randint(0, len(data), (256,))]
    loss = (F.binary_cross_entropy_with_logits(probe(real), torch.ones(256, 1))
            + F.binary_cross_entropy_with_logits(probe(fakes), torch.zeros(256, 1)))
    probe_opt.zero_grad()
    loss.backward()
    probe_opt.step()

points = fakes.clone().requires_grad_(True)
logits = probe(points)
minimax_loss = -F.binary_cross_entropy_with_logits(logits, torch.zeros(256, 1))   # mean log(1 - D)
saturating_grad, = torch.autograd.grad(minimax_loss, points)
non_saturating_loss = F.binary_cross_entropy_with_logits(probe(points), torch.ones(256, 1))  # mean -log D
non_saturating_grad, = torch.autograd.grad(non_saturating_loss, points)
d_of_fake = torch.sigmoid(logits).mean().item()
gradient_ratio = non_saturating_grad.norm().item() / saturating_grad.norm().item()
print(f"D(G(z)) = {d_of_fake:.3f} on average (D rejects the fakes; expect below 0.05)")
print(f"gradient reaching G's samples: minimax {saturating_grad.norm().item():.2e}, "
      f"non-saturating {non_saturating_grad.norm().item():.2e}: {gradient_ratio:.0f}x larger "
      f"(expect tens of times, about (1 - D) / D)")

# %% [markdown]
# ## Training: alternate one step of D and one step of G
# Each step:
#
# 1. **D step**: a batch of real points (label 1) and of `G(z).detach()` (label 0); minimise the
#    binary cross-entropy. `.detach()` stops this loss from changing G.
# 2. **G step**: fresh fakes, labelled "real" for the loss: minimise `-log D(G(z))`, the
#    non-saturating loss. Only G's optimizer steps, so D stays as it was.
#
# Adam with beta1 = 0.5 (less momentum than the default 0.9) is the usual GAN setting: the target
# each player chases keeps moving, and old momentum points the wrong way.

# %%
lesson.section()
STEPS, BATCH = (6000 if FULL else 1500), 128
ones, zeros = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)


def train_gan(generator, discriminator, steps: int, lr_g: float = 1e-3, lr_d: float = 1e-3,
              snapshots=(), label: str = "step"):
    """Play the game for `steps` steps; return the losses of both players and sample snapshots."""
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=(0.5, 0.999))
    history = {"discriminator": [], "generator": []}
    taken = {0: sample(generator)} if 0 in snapshots else {}
    progress = Progress(steps, lines=5, label=label)
    for step in range(1, steps + 1):
        real = data[torch.randint(0, len(data), (BATCH,))]
        fake = generator(torch.randn(BATCH, NOISE_DIM))
        loss_d = (F.binary_cross_entropy_with_logits(discriminator(real), ones)
                  + F.binary_cross_entropy_with_logits(discriminator(fake.detach()), zeros))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()

        fake = generator(torch.randn(BATCH, NOISE_DIM))
        loss_g = F.binary_cross_entropy_with_logits(discriminator(fake), ones)   # -log D(G(z))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

        history["discriminator"].append(loss_d.item())
        history["generator"].append(loss_g.item())
        if step in snapshots:
            taken[step] = sample(generator)
        progress(step, loss_D=loss_d.item(), loss_G=loss_g.item())
    return history, taken


untrained = sample(generator)
untrained_mmd, untrained_hist = distances(untrained)
print(f"untrained G: MMD {untrained_mmd:.3f}, histogram distance {untrained_hist:.3f}, "
      f"modes covered {modes_covered(untrained)[0]}/8")
moments = [0, STEPS // 10, STEPS // 4, STEPS // 2, STEPS]
history, snapshots = train_gan(generator, discriminator, STEPS, snapshots=moments)

# %% [markdown]
# ## What happened
# The losses do not fall to zero as a classifier's would: each player's loss is the other's gain.
# They should hover near the equilibrium values (D about 1.39, G about 0.69), with D a little
# ahead. The samples show the story better: from a blob near the origin, G spreads out, reaches
# the ring, then sharpens onto the clusters. Longer training (`--full`) puts about 85% of the
# samples on a cluster instead of about 60%, yet its MMD stays near 0.05-0.08: MMD also weighs how
# much mass each mode gets, and a GAN fills its modes unevenly.

# %%
lesson.section()
trained = sample(generator)
gan_mmd, gan_hist = distances(trained)
gan_modes, gan_quality = modes_covered(trained)
print(f"trained G:   MMD {gan_mmd:.4f} (untrained {untrained_mmd:.3f}; expect about 0.05-0.08), "
      f"histogram distance {gan_hist:.3f} (untrained {untrained_hist:.3f}; expect about 0.55 quick, 0.4 full)")
print(f"modes covered {gan_modes}/8 (expect 7-8), {100 * gan_quality:.0f}% of samples within 0.2 of a centre "
      f"(expect about 60% quick, 85% full)")


def smooth(values, width: int = 50):
    kernel = np.ones(width) / width
    return np.convolve(values, kernel, mode="valid")


fig = plot_curves({name: smooth(values) for name, values in history.items()}, xlabel="step",
                  ylabel="loss (moving average of 50 steps)", title="the two players' losses")
for value, name in ((2 * math.log(2), "D at equilibrium: 2 log 2"), (math.log(2), "G at equilibrium: log 2")):
    fig.axes[0].axhline(value, color="0.5", linestyle=":", linewidth=1)
    fig.axes[0].text(len(history["generator"]) * 0.6, value + 0.02, name, fontsize=7, color="0.3")
lesson.save(fig, "gan_losses.png")
fig = plot_sample_grid({f"step {step}": points for step, points in snapshots.items()}, target=reference,
                       ncols=5, title="generator samples (blue) over training; the target in grey")
lesson.save(fig, "gan_training.png")

# %% [markdown]
# ## Mode collapse
# Why would G cover only some modes? G is rewarded for points that D *currently* believes are
# real. If D responds slowly, G's best move is to put all its mass on D's single favourite point
# (for a fixed D, the optimal G is a point mass at argmax D). D then learns to reject that point,
# G jumps to the next favourite, and so on: the samples hop from mode to mode and never cover
# them all. That is **mode collapse**.
#
# To provoke it, run the same game with G's learning rate 10 times D's: G over-adapts to each D.

# %%
lesson.section()
torch.manual_seed(lesson.seed + 1)
collapse_steps = 2000 if FULL else 600
fast_generator, slow_discriminator = mlp(NOISE_DIM, 2), mlp(2, 1)
collapse_moments = [collapse_steps * k // 4 for k in (1, 2, 3, 4)]
_, collapse_snapshots = train_gan(fast_generator, slow_discriminator, collapse_steps, lr_g=5e-3, lr_d=5e-4,
                                  snapshots=collapse_moments, label="unbalanced step")
collapsed = sample(fast_generator)
collapsed_modes, _ = modes_covered(collapsed)
collapsed_mmd, collapsed_hist = distances(collapsed)
modes_over_time = [modes_covered(collapse_snapshots[step])[0] for step in collapse_moments]
print(f"G 10x faster than D: modes covered over training {modes_over_time} (expect 0-2 each time), "
      f"final MMD {collapsed_mmd:.3f} (balanced game: {gan_mmd:.4f})")
panels = {f"balanced game, step {STEPS}\n{gan_modes}/8 modes": trained}
panels.update({f"G 10x faster, step {step}\n{modes_covered(collapse_snapshots[step])[0]}/8 modes":
               collapse_snapshots[step] for step in collapse_moments})
fig = plot_sample_grid(panels, target=reference, ncols=5,
                       title="mode collapse: an over-eager generator squeezes its samples into one region, "
                             "which hops around")
lesson.save(fig, "mode_collapse.png")

# %% [markdown]
# Remedies used in practice all stop G from winning by concentrating: let D keep up (more or
# faster D steps), let D see several samples at once so it can notice they are all alike
# (minibatch discrimination, PacGAN), penalise D's gradients (WGAN-GP, R1), or replace the game
# altogether with a likelihood-based model: lesson 17's diffusion models do not collapse.
#
# ## With --full: a GAN on handwritten digits
# The same game in 64 dimensions: G maps 32-D noise to an 8 x 8 image (a sigmoid keeps pixels in
# [0, 1]) and D reads the 64 pixels. Same losses, same alternation; only the sizes change.

# %%
lesson.section()
digits_summary = {}
if FULL:
    torch.manual_seed(lesson.seed)
    images, _ = load_digits("train")
    pixels = images.reshape(len(images), 64)
    digit_g = nn.Sequential(nn.Linear(32, 256), nn.LeakyReLU(0.2), nn.Linear(256, 256), nn.LeakyReLU(0.2),
                            nn.Linear(256, 64), nn.Sigmoid())
    digit_d = nn.Sequential(nn.Linear(64, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                            nn.Linear(256, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3), nn.Linear(256, 1))
    opt_g = torch.optim.Adam(digit_g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(digit_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    held_out, _ = load_digits("test")
    held_out = held_out.reshape(len(held_out), 64)

    def digit_samples(n: int):
        digit_g.eval()
        with torch.no_grad():
            out = digit_g(torch.randn(n, 32))
        digit_g.train()
        return out

    untrained_digits_mmd = mmd(digit_samples(len(held_out)), held_out)
    digit_steps, digit_batch = 6000, 64
    d_ones, d_zeros = torch.ones(digit_batch, 1), torch.zeros(digit_batch, 1)
    progress = Progress(digit_steps, lines=6, label="digits step")
    for step in range(1, digit_steps + 1):
        real = pixels[torch.randint(0, len(pixels), (digit_batch,))]
        fake = digit_g(torch.randn(digit_batch, 32))
        loss_d = (F.binary_cross_entropy_with_logits(digit_d(real), d_ones * 0.9)   # one-sided label smoothing
                  + F.binary_cross_entropy_with_logits(digit_d(fake.detach()), d_zeros))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = F.binary_cross_entropy_with_logits(digit_d(digit_g(torch.randn(digit_batch, 32))), d_ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        progress(step, loss_D=loss_d.item(), loss_G=loss_g.item())
    digits_mmd = mmd(digit_samples(len(held_out)), held_out)
    train_vs_test_mmd = mmd(pixels[: len(held_out)], held_out)
    print(f"digits: MMD to held-out digits {digits_mmd:.4f} (expect about 0.025), untrained "
          f"{untrained_digits_mmd:.3f} (expect about 0.48), training digits themselves {train_vs_test_mmd:.4f} "
          f"(the floor)")
    fig = plot_images(digit_samples(32).reshape(32, 8, 8), ncols=8, title="digits drawn by the GAN's generator")
    lesson.save(fig, "gan_digits.png")
    digits_summary = {"digits_mmd": round(digits_mmd, 5), "digits_untrained_mmd": round(untrained_digits_mmd, 4)}

# %% [markdown]
# ## Summary
# - A GAN trains a generator through a discriminator's judgement: D maximises the log-likelihood
#   of telling real from fake; G uses the non-saturating loss `-log D(G(z))` because the minimax
#   one gives it almost no gradient when it needs it most.
# - The losses hover around their equilibrium (1.39 and 0.69) rather than falling; progress is
#   measured on the samples: here MMD and the histogram distance to the target fell far below
#   the untrained generator's (MMD about 0.05-0.08 from about 1.9; with `--full`, 7-8 of 8 modes
#   and about 85% of the samples on a cluster).
# - When G adapts faster than D, it squeezes all its samples into one small region at a time
#   (wherever D is currently fooled, often between modes) and hops around: 0-1 of 8 modes covered.
# - On digits (`--full`), the same game in 64 dimensions draws recognisable digits: MMD to
#   held-out digits about 0.025, from 0.48 untrained (0.001 between two sets of real digits).

# %%
lesson.section()
lesson.summary(untrained_mmd=round(untrained_mmd, 4), gan_mmd=round(gan_mmd, 5), floor_mmd=round(floor_mmd, 5),
               untrained_hist=round(untrained_hist, 4), gan_hist=round(gan_hist, 4), floor_hist=round(floor_hist, 4),
               gan_modes=gan_modes, gan_quality=round(gan_quality, 3), collapsed_modes=collapsed_modes,
               collapsed_modes_over_time=modes_over_time, collapsed_mmd=round(collapsed_mmd, 4),
               gradient_ratio=round(gradient_ratio, 1), d_of_fake=round(d_of_fake, 4), **digits_summary)
