"""A denoising diffusion model (DDPM, Ho et al. 2020) on 2-d points, as diffusion tutorials write it:
a linear beta schedule with alphas_cumprod = torch.cumprod(1 - betas, 0), the forward process
x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps with abar gathered per sample (alphas_cumprod[t]),
sinusoidal timestep embeddings, an MLP that predicts the noise, the simple MSE loss, and ancestral
sampling. The data lie on a ring; the samples' angles (torch.atan2) are binned with torch.histc
to see whether the model covers the ring, and the training loss is broken down by timestep bucket
(torch.bucketize).

Data, noise and weights are drawn with NumPy and everything is float64, so every engine that speaks
PyTorch's API computes the same numbers.
"""
import math

import numpy as np
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)

T = 50
betas = torch.linspace(1e-4, 0.2, T)
alphas = 1.0 - betas
alphas_cumprod = torch.cumprod(alphas, dim=0)
alphas_cumprod_prev = torch.cat([torch.ones(1), alphas_cumprod[:-1]])
posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)


def ring(n):
    angle = rng.uniform(-math.pi, math.pi, n)
    radius = 1.0 + 0.05 * rng.standard_normal(n)
    return torch.from_numpy(np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1))


def timestep_embedding(t, dim=16):
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half) / half)
    args = t[:, None].double() * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)


class Denoiser(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2 + 16, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, 2))

    def forward(self, x, t):
        return self.net(torch.cat([x, timestep_embedding(t)], dim=-1))


model = Denoiser()
model.load_state_dict({k: torch.from_numpy(rng.standard_normal(tuple(v.shape)) * 0.3)
                       for k, v in model.state_dict().items()})
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

data = ring(512)
buckets = torch.tensor([10, 25, 40])               # timesteps 0-9, 10-24, 25-39, 40-49
losses, bucket_losses = [], []
for step in range(150):
    idx = torch.from_numpy(rng.integers(0, len(data), 64))
    x0 = data[idx]
    t = torch.from_numpy(rng.integers(0, T, 64))
    noise = torch.from_numpy(rng.standard_normal((64, 2)))
    abar = alphas_cumprod[t][:, None]
    xt = abar.sqrt() * x0 + (1 - abar).sqrt() * noise
    per_sample = ((model(xt, t) - noise) ** 2).mean(dim=1)
    loss = per_sample.mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if step >= 100:  # the loss per timestep bucket over the last 50 steps
        which = torch.bucketize(t, buckets, right=True)
        sums = torch.zeros(4).scatter_add(0, which, per_sample.detach())
        counts = torch.bincount(which, minlength=4)
        bucket_losses.append((sums / counts.clamp(min=1)).tolist())
RESULTS["losses"] = losses
RESULTS["bucket_losses"] = np.mean(bucket_losses, axis=0).tolist()
RESULTS["alphas_cumprod_ends"] = [alphas_cumprod[0].item(), alphas_cumprod[-1].item()]

with torch.no_grad():
    x = torch.from_numpy(rng.standard_normal((256, 2)))
    for i in reversed(range(T)):
        t = torch.full((256,), i, dtype=torch.long)
        eps = model(x, t)
        mean = (x - betas[i] / (1 - alphas_cumprod[i]).sqrt() * eps) / alphas[i].sqrt()
        noise = torch.from_numpy(rng.standard_normal((256, 2))) if i > 0 else torch.zeros(256, 2)
        x = mean + posterior_variance[i].sqrt() * noise
radius = torch.hypot(x[:, 0], x[:, 1])
angle = torch.atan2(x[:, 1], x[:, 0])
RESULTS["sample_radius_mean"] = radius.mean().item()
RESULTS["sample_radius_std"] = radius.std().item()
RESULTS["angle_histogram"] = torch.histc(angle, bins=8, min=-math.pi, max=math.pi).tolist()
