"""Gaussian-process regression as a textbook writes it: an RBF kernel from pairwise distances
(torch.cdist), the Cholesky factor of the kernel matrix, triangular solves for the posterior, and
the hyperparameters (length scale, signal and noise variance) fitted with Adam on the negative log
marginal likelihood

    -log p(y) = 1/2 y^T K^-1 y + sum(log diag L) + n/2 log(2 pi),    K = L L^T.

Then the posterior mean and variance on a grid, checked against slogdet, eigvalsh and a
least-squares (lstsq) linear baseline. float64, data drawn with NumPy, so both engines compute the
same numbers.
"""
import math

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)

n = 20  # at most 25 points, so that PyTorch's cdist takes the differences as tinynn does
x = torch.from_numpy(np.sort(rng.uniform(-3, 3, size=(n, 1)), axis=0))
y = torch.sin(x[:, 0]) + 0.1 * torch.from_numpy(rng.standard_normal(n))
grid = torch.linspace(-3, 3, 13).unsqueeze(1)

log_length = torch.tensor(0.5, requires_grad=True)
log_signal = torch.tensor(0.0, requires_grad=True)
log_noise = torch.tensor(-1.0, requires_grad=True)
optimizer = torch.optim.Adam([log_length, log_signal, log_noise], lr=0.05)


def kernel(a, b):
    distances = torch.cdist(a, b)
    return log_signal.exp() ** 2 * torch.exp(-0.5 * distances**2 / log_length.exp() ** 2)


def negative_log_likelihood():
    K = kernel(x, x) + log_noise.exp() ** 2 * torch.eye(n)
    L = torch.linalg.cholesky(K)
    alpha = torch.cholesky_solve(y.unsqueeze(1), L).squeeze(1)
    return 0.5 * y @ alpha + torch.log(torch.linalg.diagonal(L)).sum() + 0.5 * n * math.log(2 * math.pi)


losses = []
for step in range(40):
    optimizer.zero_grad()
    loss = negative_log_likelihood()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
RESULTS["losses"] = losses
RESULTS["hyperparameters"] = [log_length.exp().item(), log_signal.exp().item(), log_noise.exp().item()]
RESULTS["final_gradients"] = [p.grad.item() for p in (log_length, log_signal, log_noise)]

with torch.no_grad():
    K = kernel(x, x) + log_noise.exp() ** 2 * torch.eye(n)
    L = torch.linalg.cholesky(K)
    K_star = kernel(x, grid)                                             # (n, 13)
    v = torch.linalg.solve_triangular(L, K_star, upper=False)            # L^-1 K*
    w = torch.linalg.solve_triangular(L, y.unsqueeze(1), upper=False)    # L^-1 y
    mean = (v.T @ w).squeeze(1)
    variance = kernel(grid, grid).diagonal() - (v * v).sum(0)
    RESULTS["posterior_mean"] = mean.tolist()
    RESULTS["posterior_std"] = variance.clamp(min=0).sqrt().tolist()
    RESULTS["mean_error_vs_sine"] = (mean - torch.sin(grid[:, 0])).abs().max().item()
    sign, logabsdet = torch.linalg.slogdet(K)
    RESULTS["logdet_gap"] = (logabsdet - 2 * torch.log(torch.linalg.diagonal(L)).sum()).abs().item()
    RESULTS["logdet"] = logabsdet.item()
    eigenvalues = torch.linalg.eigvalsh(K)
    RESULTS["condition_number"] = (eigenvalues[-1] / eigenvalues[0]).item()
    RESULTS["solve_residual"] = torch.linalg.norm(K @ torch.linalg.solve(K, y) - y).item()

    features = torch.cat([torch.ones(n, 1), x], dim=1)  # a straight-line fit, for comparison
    line = torch.linalg.lstsq(features, y.unsqueeze(1)).solution.squeeze(1)
    RESULTS["line_coefficients"] = line.tolist()
    RESULTS["line_error_vs_sine"] = (line[0] + line[1] * grid[:, 0] - torch.sin(grid[:, 0])).abs().max().item()
