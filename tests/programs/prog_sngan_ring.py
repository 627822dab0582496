"""A small GAN on a ring of 8 Gaussians, with the weight tricks GAN code uses, then deployed.

The discriminator's layers are spectrally normalized (torch.nn.utils.spectral_norm, the classic
hook-based form) so that it stays 1-Lipschitz; the generator's first layer uses weight
normalization and its square hidden layer is kept orthogonal (torch.nn.utils.parametrizations).
For deployment the parametrizations are baked in (parametrize.remove_parametrizations), the
Linear + BatchNorm1d pair is folded into one layer (fuse_linear_bn_eval), and the deployed
generator's state dict goes through torch.hub.load_state_dict_from_url (a file:// URL and a cache
directory, as a released checkpoint would).

Everything is float64 and drawn with NumPy (including the power-iteration vectors), so every engine
computes the same numbers.
"""
import pathlib
import tempfile

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils import fuse_linear_bn_eval, parametrize, spectral_norm
from torch.nn.utils.parametrizations import orthogonal, weight_norm

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)
CENTERS = 2.0 * np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], axis=1)


def real_batch(n):
    return torch.from_numpy(CENTERS[rng.integers(0, 8, n)] + 0.05 * rng.standard_normal((n, 2)))


def noise(n):
    return torch.from_numpy(rng.standard_normal((n, 2)))


def init_from_numpy(module):
    """Every Linear: weights N(0, 1/fan_in), zero bias (drawn with NumPy, the same on every engine)."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            weight = rng.standard_normal((layer.out_features, layer.in_features)) / np.sqrt(layer.in_features)
            layer.load_state_dict({"weight": torch.from_numpy(weight), "bias": torch.zeros(layer.out_features)})


def unit_vector(n):
    v = rng.standard_normal(n)
    return torch.from_numpy(v / np.linalg.norm(v))


generator = nn.Sequential(nn.Linear(2, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                          nn.Linear(32, 2))
discriminator = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2),
                              nn.Linear(64, 1))
init_from_numpy(generator)
init_from_numpy(discriminator)
weight_norm(generator[0])
orthogonal(generator[3])
for index in (0, 2, 4):
    layer = spectral_norm(discriminator[index])
    with torch.no_grad():   # the power method's starting vectors, drawn with NumPy
        layer.weight_u.copy_(unit_vector(layer.weight_u.shape[0]))
        layer.weight_v.copy_(unit_vector(layer.weight_v.shape[0]))
RESULTS["generator_keys"] = sorted(generator.state_dict())
RESULTS["discriminator_keys"] = sorted(discriminator.state_dict())

criterion = nn.BCEWithLogitsLoss()
opt_g = torch.optim.Adam(generator.parameters(), lr=2e-3, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-3, betas=(0.5, 0.999))


def distance_to_ring(samples):
    """The mean distance from each sample to its nearest mode."""
    d = np.linalg.norm(samples[:, None, :] - CENTERS[None], axis=2)
    return float(d.min(axis=1).mean())


d_losses, g_losses, distances = [], [], []
fixed_noise = noise(256)
for step in range(300):
    real, fake = real_batch(64), generator(noise(64))
    d_loss = criterion(discriminator(real), torch.ones(64, 1)) + criterion(discriminator(fake.detach()),
                                                                            torch.zeros(64, 1))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = criterion(discriminator(fake), torch.ones(64, 1))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    d_losses.append(d_loss.item())
    g_losses.append(g_loss.item())
    if step % 50 == 0 or step == 299:
        generator.eval()
        with torch.no_grad():
            distances.append(distance_to_ring(generator(fixed_noise).numpy()))
        generator.train()
        print(f"step {step}: D {d_loss.item():.4f}  G {g_loss.item():.4f}  distance to ring {distances[-1]:.4f}")
RESULTS["d_losses"], RESULTS["g_losses"], RESULTS["ring_distances"] = d_losses, g_losses, distances
RESULTS["discriminator_sigmas"] = [float(np.linalg.svd(discriminator[i].weight.detach().numpy(), compute_uv=False)[0])
                                   for i in (0, 2, 4)]
W = generator[3].weight.detach().numpy()
RESULTS["orthogonality_error"] = float(np.abs(W.T @ W - np.eye(32)).max())

# ---------------------------------------------------------------------------- deployment
generator.eval()
with torch.no_grad():
    reference = generator(fixed_noise)
    parametrize.remove_parametrizations(generator[0], "weight")
    parametrize.remove_parametrizations(generator[3], "weight")
    baked = generator(fixed_noise)
    deployed = nn.Sequential(fuse_linear_bn_eval(generator[0], generator[1]), nn.ReLU(), generator[3], nn.ReLU(),
                             generator[5]).eval()
    fused = deployed(fixed_noise)
RESULTS["baked_error"] = float((baked - reference).abs().max())
RESULTS["fused_error"] = float((fused - reference).abs().max())
RESULTS["deployed_keys"] = sorted(deployed.state_dict())

with tempfile.TemporaryDirectory() as folder:
    path = pathlib.Path(folder) / "ring_generator.pt"
    torch.save(deployed.state_dict(), path)
    state = torch.hub.load_state_dict_from_url(path.as_uri(), model_dir=str(pathlib.Path(folder) / "cache"),
                                               progress=False)
    released = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    released.load_state_dict(state)
    with torch.no_grad():
        RESULTS["released_error"] = float((released(fixed_noise) - fused).abs().max())
    RESULTS["cached"] = (pathlib.Path(folder) / "cache" / "ring_generator.pt").exists()
print("distance to ring:", [round(d, 3) for d in distances], " sigmas:", RESULTS["discriminator_sigmas"])
