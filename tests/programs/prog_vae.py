"""A variational autoencoder, the way VAE tutorials write it: an encoder gives the mean and log
variance of q(z|x), a sample z = mu + sigma * eps (the reparameterisation trick) goes through the
decoder, and the loss is the negative ELBO: binary cross-entropy of the reconstruction plus
KL(q(z|x) || N(0, I)), computed with torch.distributions (Independent(Normal) and kl_divergence)
and checked against the closed form written by hand.

The data: 128 binary vectors of length 12, generated from a 2-d latent variable (so a 2-d code can
explain them). So that both engines compute the same numbers, the weights, the data and the noise
eps are drawn with NumPy, and everything is float64; rsample() is exercised too (its own noise
differs between engines, so only its shape and gradient are reported).
"""
import numpy as np
import torch
import torch.distributions as D
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)

N, X_DIM, Z_DIM, HIDDEN = 128, 12, 2, 32

# --------------------------------------------------------------------------- data
latent = rng.standard_normal((N, Z_DIM))
mixing = rng.standard_normal((Z_DIM, X_DIM)) * 2.0
pixel_probs = 1 / (1 + np.exp(-(latent @ mixing)))
x = torch.from_numpy((rng.random((N, X_DIM)) < pixel_probs).astype(np.float64))


# --------------------------------------------------------------------------- model
class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(X_DIM, HIDDEN)
        self.enc_mu = nn.Linear(HIDDEN, Z_DIM)
        self.enc_logvar = nn.Linear(HIDDEN, Z_DIM)
        self.dec = nn.Linear(Z_DIM, HIDDEN)
        self.dec_out = nn.Linear(HIDDEN, X_DIM)

    def encode(self, x):
        h = F.relu(self.enc(x))
        return self.enc_mu(h), self.enc_logvar(h)

    def decode(self, z):
        return self.dec_out(F.relu(self.dec(z)))  # logits of the pixels


def numpy_weights(model):
    state = {}
    for name, p in model.state_dict().items():
        if name.endswith("weight"):  # (out, in): scaled by 1/sqrt(fan_in)
            state[name] = torch.from_numpy(rng.standard_normal(tuple(p.shape)) / np.sqrt(p.shape[1]))
        else:
            state[name] = torch.zeros(tuple(p.shape))
    return state


model = VAE()
model.load_state_dict(numpy_weights(model))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
prior = D.Independent(D.Normal(torch.zeros(Z_DIM), torch.ones(Z_DIM)), 1)


def negative_elbo(x, eps):
    mu, logvar = model.encode(x)
    std = torch.exp(0.5 * logvar)
    q = D.Independent(D.Normal(mu, std), 1)
    z = mu + std * eps                                  # what q.rsample() does, with our own noise
    recon = F.binary_cross_entropy_with_logits(model.decode(z), x, reduction="sum") / len(x)
    kl = D.kl_divergence(q, prior).mean()
    kl_by_hand = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
    return recon + kl, recon, kl, kl_by_hand, q, z


elbos, recons, kls, kl_gaps = [], [], [], []
for step in range(60):
    eps = torch.from_numpy(rng.standard_normal((N, Z_DIM)))
    loss, recon, kl, kl_by_hand, q, z = negative_elbo(x, eps)
    optimizer.zero_grad()
    loss.backward()
    if step == 0:
        RESULTS["first_enc_grad"] = model.enc.weight.grad.flatten().tolist()
        RESULTS["first_logvar_grad"] = model.enc_logvar.weight.grad.flatten().tolist()
        RESULTS["first_log_q"] = q.log_prob(z).detach()[:8].tolist()
        RESULTS["first_log_prior"] = prior.log_prob(z).detach()[:8].tolist()
    optimizer.step()
    elbos.append(-loss.item())
    recons.append(recon.item())
    kls.append(kl.item())
    kl_gaps.append(abs(kl.item() - kl_by_hand.item()))

# rsample: a differentiable draw (its noise is the engine's own)
mu, logvar = model.encode(x[:4])
sample = D.Normal(mu, torch.exp(0.5 * logvar)).rsample((3,))
sample.sum().backward()
RESULTS["rsample_shape"] = list(sample.shape)
RESULTS["rsample_reaches_encoder"] = bool(model.enc_mu.weight.grad.abs().sum().item() > 0)

RESULTS["elbo"] = elbos
RESULTS["recon"] = recons
RESULTS["kl"] = kls
RESULTS["max_kl_gap"] = max(kl_gaps)
print("ELBO:", [round(e, 3) for e in elbos[::10]], "final", round(elbos[-1], 3))
