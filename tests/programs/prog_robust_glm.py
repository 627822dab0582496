"""Generalised linear models with robust preprocessing, the way a statistics course writes them in
PyTorch: missing values imputed with the column's nanmedian, features scaled by median and
interquartile range (torch.quantile), a Poisson regression whose log-likelihood uses xlogy and
lgamma, a probit classifier trained on log_ndtr, a max-norm weight constraint (renorm), and an
evaluation with quantiles of the residuals, a trapezoid-rule ROC AUC and pairwise distances.

So that every engine computes the same numbers, everything is float64 and the data are drawn with
NumPy.
"""
import numpy as np
import torch

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)

# --------------------------------------------------------------------------- data, with gaps and outliers
n, d = 240, 4
features = rng.standard_normal((n, d)) * np.array([1.0, 3.0, 0.5, 2.0]) + np.array([0.0, 5.0, -1.0, 2.0])
features[rng.random((n, d)) < 0.05] = np.nan              # missing values
features[rng.integers(0, n, 6), 1] = 80.0                  # a few wild outliers
true_w = np.array([0.4, -0.3, 0.8, 0.2])

X = torch.from_numpy(features)
column_median = torch.nanmedian(X, dim=0).values
X = torch.where(torch.isnan(X), column_median, X)
q = torch.quantile(X, torch.tensor([0.25, 0.5, 0.75]), dim=0)      # (3, d)
X = (X - q[1]) / (q[2] - q[0])                                     # robust scaling
RESULTS["scaling_quartiles"] = q.flatten().tolist()
RESULTS["median_all"] = torch.median(X).item()
lo, hi = torch.aminmax(X)
RESULTS["range_after_scaling"] = [lo.item(), hi.item()]

clean = torch.nan_to_num(torch.from_numpy(features), nan=0.0)
linear = torch.from_numpy(np.nan_to_num(features) @ true_w) * 0.25
counts = torch.from_numpy(rng.poisson(np.exp(np.clip(linear.numpy(), -3, 3)))).to(torch.float64)
labels = (X @ torch.from_numpy(true_w) + 0.5 * torch.from_numpy(rng.standard_normal(n)) > 0).to(torch.float64)

# --------------------------------------------------------------------------- Poisson regression
w = torch.from_numpy(rng.standard_normal(d) * 0.1).requires_grad_()
b = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.Adam([w, b], lr=0.05)
poisson_losses = []
for step in range(60):
    optimizer.zero_grad()
    log_rate = torch.addmv(b, X, w)                                 # b + X @ w
    # log p(y) = y log(rate) - rate - log(y!)
    log_lik = torch.xlogy(counts, log_rate.exp()) - log_rate.exp() - torch.lgamma(counts + 1)
    loss = -log_lik.mean()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        w.copy_(torch.renorm(w.unsqueeze(0), 2, 0, 2.0).squeeze(0))  # max-norm constraint
    poisson_losses.append(loss.item())
RESULTS["poisson_losses"] = poisson_losses[::10] + [poisson_losses[-1]]
RESULTS["poisson_weights"] = w.detach().tolist()
residuals = counts - torch.addmv(b, X, w).exp().detach()
RESULTS["residual_quantiles"] = torch.quantile(residuals, torch.tensor([0.1, 0.5, 0.9])).tolist()
RESULTS["residual_nearest_median"] = torch.quantile(residuals, 0.5, interpolation="nearest").item()
RESULTS["count_mode"] = torch.mode(counts).values.item()

# --------------------------------------------------------------------------- probit classification
v = torch.zeros(d, requires_grad=True)
c = torch.zeros(1, requires_grad=True)
sgd = torch.optim.SGD([v, c], lr=0.5)
probit_losses = []
for step in range(40):
    sgd.zero_grad()
    z = X @ v + c
    # log-likelihood of a probit model: y log Phi(z) + (1 - y) log Phi(-z)
    loss = -(labels * torch.special.log_ndtr(z) + (1 - labels) * torch.special.log_ndtr(-z)).mean()
    loss.backward()
    sgd.step()
    probit_losses.append(loss.item())
RESULTS["probit_losses"] = probit_losses[::8] + [probit_losses[-1]]
with torch.no_grad():
    scores = torch.special.ndtr(X @ v + c)
    RESULTS["logit_of_mean_score"] = torch.logit(scores.mean(), eps=1e-6).item()
    # ROC curve: sort by score, running true and false positive rates, area by the trapezoid rule
    order = torch.argsort(scores, descending=True)
    hits = labels[order]
    tpr = torch.cat([torch.zeros(1), torch.cumsum(hits, 0) / hits.sum()])
    fpr = torch.cat([torch.zeros(1), torch.cumsum(1 - hits, 0) / (1 - hits).sum()])
    RESULTS["auc"] = torch.trapezoid(tpr, fpr).item()
    RESULTS["fpr_steps"] = int(torch.count_nonzero(torch.diff(fpr)).item())
    # the spread of the five most confident positives in feature space
    top = X[order[:5]]
    RESULTS["pairwise"] = torch.pdist(top).tolist()
    rows, cols = torch.triu_indices(5, 5, 1)
    RESULTS["pairwise_check"] = (top[rows] - top[cols]).norm(dim=1).tolist()
