# %% [markdown]
# # Lesson 5: loss functions
#
# Training needs one number that says how wrong the model is: the **loss**. The optimizer only ever
# sees the loss's *gradient*, so the choice of loss decides what "wrong" means: how much a big
# error counts against a small one (MSE, MAE, Huber), and how a probability is judged (binary and
# categorical cross-entropy, label smoothing). This lesson writes each loss by hand, checks tinynn's
# version against the formula, plots it against the prediction together with its gradient, and
# shows two things that matter in practice: outliers pulling an MSE fit away, and why the
# cross-entropy must be computed from logits.
#
# Run: `python lessons/05_loss_functions.py` (about 10 seconds); `--full` also measures how many
# outliers each regression loss tolerates (about 30 seconds).

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress

lesson = Lesson(5, "loss functions", full_takes="about 30 seconds")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## Regression losses: MSE, MAE and Huber
# With residual `r = prediction - target`, averaged over the N examples:
#
# | loss | per example | gradient d/d(prediction) |
# |---|---|---|
# | MSE (`nn.MSELoss`) | `r^2` | `2 r / N` |
# | MAE (`nn.L1Loss`) | `abs(r)` | `sign(r) / N` |
# | Huber (`nn.HuberLoss(delta)`) | `r^2 / 2` if `abs(r) <= delta`, else `delta (abs(r) - delta/2)` | `clip(r, -delta, delta) / N` |
#
# MSE's gradient grows with the error, so one big error dominates the sum; MAE's gradient has the
# same size for every error; Huber is MSE near zero (smooth, a gradient that shrinks as you
# approach the answer) and MAE far away (outliers pull with a bounded force).

# %%
lesson.section()
prediction = torch.tensor([2.5, 0.0, 2.0, 8.0, -1.0], requires_grad=True)
target = torch.tensor([3.0, -0.5, 2.0, 7.0, 4.0])
DELTA = 1.0
p, t = prediction.detach().numpy().astype(np.float64), target.numpy().astype(np.float64)
r = p - t
N = len(r)
by_hand = {  # name: (loss, gradient) from the formulas above, in float64 NumPy
    "MSE": (np.mean(r**2), 2 * r / N),
    "MAE": (np.mean(np.abs(r)), np.sign(r) / N),
    "Huber": (np.mean(np.where(np.abs(r) <= DELTA, 0.5 * r**2, DELTA * (np.abs(r) - 0.5 * DELTA))),
              np.clip(r, -DELTA, DELTA) / N),
}
modules = {"MSE": nn.MSELoss(), "MAE": nn.L1Loss(), "Huber": nn.HuberLoss(delta=DELTA)}
print(f"residuals r = {r}")
print(f"{'loss':>6} {'tinynn':>10} {'by hand':>10} {'|difference|':>13} {'max |grad difference|':>22}")
worst_difference = 0.0
for name, module in modules.items():
    prediction.grad = None
    loss = module(prediction, target)
    loss.backward()
    hand_loss, hand_grad = by_hand[name]
    loss_diff = abs(loss.item() - hand_loss)
    grad_diff = np.abs(prediction.grad.numpy() - hand_grad).max()
    worst_difference = max(worst_difference, loss_diff, grad_diff)
    print(f"{name:>6} {loss.item():10.5f} {hand_loss:10.5f} {loss_diff:13.1e} {grad_diff:22.1e}")
print(f"largest difference {worst_difference:.1e} (expect below 1e-6: float32 against float64)")
share = r[-1] ** 2 / np.sum(r**2)
print(f"the one large residual ({r[-1]:.0f}) makes {share:.0%} of the MSE: one bad point owns the loss")

# %% [markdown]
# The same three losses as a function of the residual, and their gradients. Look at the right
# panel: MSE's gradient is a line through zero (unbounded), MAE's a step (never shrinks, which is
# why MAE fits jitter around the minimum unless the learning rate decays), Huber's a line clipped
# at +-delta.

# %%
lesson.section()
residual = torch.linspace(-3, 3, 601, requires_grad=True)
zeros = torch.zeros(601)
fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(11, 4))
for name, fn in [("MSE", F.mse_loss), ("MAE", F.l1_loss), ("Huber (delta=1)", F.huber_loss)]:
    residual.grad = None
    per_example = fn(residual, zeros, reduction="none")
    per_example.sum().backward()  # each example's loss depends only on its own residual
    ax_loss.plot(residual.detach().numpy(), per_example.detach().numpy(), label=name)
    ax_grad.plot(residual.detach().numpy(), residual.grad.numpy(), label=name)
ax_loss.set(title="loss against the residual", xlabel="residual r = prediction - target", ylabel="loss", ylim=(0, 5))
ax_grad.set(title="its gradient (computed by autograd)", xlabel="residual r", ylabel="d loss / d prediction")
for ax in (ax_loss, ax_grad):
    ax.legend()
    ax.grid(alpha=0.3)
lesson.save(fig, "regression_losses.png")

# %% [markdown]
# ## Outliers: MSE against MAE against Huber
# Points on the line `y = 2x + 1` with a little noise, then eight of them (the ones with the
# largest x, where they have the most leverage over the slope) moved 20 units down, as a broken
# sensor would. We fit `y = w x + b` with each loss (the optimizer, Adam, is the next lesson's
# subject). MSE squares the outliers' errors and tilts the line towards them; MAE and Huber treat
# them as a bounded pull and stay near the true slope 2.

# %%
lesson.section()
rng = np.random.default_rng(lesson.seed)
x_np = rng.uniform(0, 10, 60)
y_np = 2 * x_np + 1 + rng.normal(0, 0.5, 60)
outliers = np.argsort(x_np)[-8:]
y_np[outliers] -= 20
x_data = torch.tensor(x_np[:, None], dtype=torch.float32)
y_data = torch.tensor(y_np[:, None], dtype=torch.float32)

LOSSES = {"MSE": nn.MSELoss(), "MAE": nn.L1Loss(), "Huber": nn.HuberLoss(delta=1.0)}


def fit_line(criterion, x, y, steps: int, label: str = ""):
    """Fit y = w x + b by minimizing ``criterion``; return (w, b)."""
    torch.manual_seed(lesson.seed)
    line = nn.Linear(1, 1)
    optimizer = torch.optim.Adam(line.parameters(), lr=0.1)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)  # a decaying step settles MAE
    progress = Progress(steps, lines=2, label=f"{label:>5} step") if label else None
    for step in range(1, steps + 1):
        loss = criterion(line(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if progress:
            progress(step, loss=loss.item(), slope=line.weight.item())
    return line.weight.item(), line.bias.item()


steps = 1500 if FULL else 600
slopes, intercepts = {}, {}
for name, criterion in LOSSES.items():
    slopes[name], intercepts[name] = fit_line(criterion, x_data, y_data, steps, label=name)

# the least-squares line in closed form: what the MSE fit should reach
exact_mse_slope, exact_mse_intercept = np.polyfit(x_np, y_np, 1)
clean = np.setdiff1d(np.arange(60), outliers)
clean_slope = np.polyfit(x_np[clean], y_np[clean], 1)[0]
print(f"true slope 2.0; least squares without the outliers: {clean_slope:.3f}")
for name in slopes:
    print(f"{name:>6} fit: slope {slopes[name]:.3f}, intercept {intercepts[name]:.3f}")
print(f"closed-form least squares (numpy.polyfit): slope {exact_mse_slope:.3f}, intercept {exact_mse_intercept:.3f} "
      "(the MSE fit should match it)")
print("expect: MSE slope far below 2 (about 0.7), MAE and Huber within about 0.1 of 2")

fig, ax = plt.subplots(figsize=(7, 4.5))
inliers = np.setdiff1d(np.arange(60), outliers)
ax.scatter(x_np[inliers], y_np[inliers], s=14, color="gray", label="data")
ax.scatter(x_np[outliers], y_np[outliers], s=30, color="black", marker="x", label="outliers")
grid = np.linspace(0, 10, 2)
ax.plot(grid, 2 * grid + 1, "k:", label="true line y = 2x + 1")
for name in slopes:
    ax.plot(grid, slopes[name] * grid + intercepts[name], label=f"{name} fit (slope {slopes[name]:.2f})")
ax.set(title="fitting a line through outliers", xlabel="x", ylabel="y")
ax.legend(fontsize=8)
lesson.save(fig, "outliers.png")

# %% [markdown]
# With `--full`: how many outliers can each loss take? The same data with 0 to 16 of the
# highest-x points moved down by 20. MSE's slope degrades with the first outliers; MAE and Huber
# hold until the outliers are most of the points at that end of the line. Then no loss can tell
# which points are the outliers: robustness has a breaking point.

# %%
lesson.section()
if FULL:
    print(f"{'outliers':>8} " + " ".join(f"{name:>8}" for name in LOSSES))
    for count in (0, 2, 4, 8, 12, 16):
        y_sweep = 2 * x_np + 1 + np.random.default_rng(lesson.seed + 1).normal(0, 0.5, 60)
        y_sweep[np.argsort(x_np)[len(x_np) - count:]] -= 20
        y_tensor = torch.tensor(y_sweep[:, None], dtype=torch.float32)
        fitted = [fit_line(criterion, x_data, y_tensor, 600)[0] for criterion in LOSSES.values()]
        print(f"{count:>8} " + " ".join(f"{slope:8.3f}" for slope in fitted))
    print("expect: MSE about 1.66 with 2 outliers and 0.75 with 8; MAE and Huber within 0.25 of 2 up to 12;\n"
          "with 16 (every point beyond x = 7.3) every fit breaks down")

# %% [markdown]
# ## Binary cross-entropy, and why it takes logits
# For a label `y` in {0, 1} and a predicted probability `p = sigmoid(z)` of the logit `z`:
#
# `BCE = -[y log p + (1 - y) log(1 - p)]`,  and  `d BCE / dz = sigmoid(z) - y`.
#
# Computed as written, in float32, it breaks for confident predictions: `sigmoid(-1e4)` rounds to
# exactly 0, and `1 - sigmoid(50)` rounds to exactly 0 (sigmoid(50) = 1 - 2e-22, and float32 has
# about 7 digits), so `log` returns `-inf` and the loss is infinite, its gradient NaN. One such
# example in a batch and training is over. Written in the logit, the loss is
#
# `BCE = log(1 + e^z) - y z = max(z, 0) + log(1 + e^-|z|) - y z`,
#
# where `e^-|z|` is at most 1: nothing can overflow, nothing is rounded to zero before the log.
# That is `nn.BCEWithLogitsLoss`. (`nn.BCELoss`, which takes probabilities, follows PyTorch and
# clamps `log` at -100: finite, but wrong whenever the true loss is above 100.)

# %%
lesson.section()
logits = torch.tensor([-1e4, -50.0, -10.0, 0.0, 10.0, 50.0, 1e4], requires_grad=True)
labels = torch.tensor([1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0])  # every example confidently wrong (or unsure)
with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # the naive form warns, as it should
    prob = torch.sigmoid(logits)
    naive = -(labels * torch.log(prob) + (1 - labels) * torch.log(1 - prob))
    naive.sum().backward()
naive_grad = logits.grad.numpy().copy()
logits.grad = None
stable = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
stable.sum().backward()
stable_grad = logits.grad.numpy().copy()
clamped = F.binary_cross_entropy(torch.sigmoid(logits.detach()), labels, reduction="none")
z64, y64 = logits.detach().numpy().astype(np.float64), labels.numpy().astype(np.float64)
exact = np.logaddexp(0, z64) - y64 * z64  # log(1 + e^z) - y z in float64
print(f"{'logit z':>9} {'y':>3} {'exact':>10} {'naive':>10} {'BCELoss':>10} {'with logits':>12} "
      f"{'naive grad':>11} {'stable grad':>12}")
for i in range(len(z64)):
    print(f"{z64[i]:9.0f} {y64[i]:3.0f} {exact[i]:10.4g} {naive[i].item():10.4g} {clamped[i].item():10.4g} "
          f"{stable[i].item():12.4g} {naive_grad[i]:11.4g} {stable_grad[i]:12.4g}")
naive_broken = int((~np.isfinite(naive.detach().numpy())).sum() + (~np.isfinite(naive_grad)).sum())
stable_error = float(np.max(np.abs(stable.detach().numpy() - exact) / np.maximum(exact, 1.0)))
print(f"naive form: {naive_broken} infinite losses or NaN gradients out of {2 * len(z64)} numbers "
      "(expect 6: the losses and gradients at z = -1e4, 50 and 1e4)")
print(f"with-logits form: largest relative error against float64 {stable_error:.1e} (expect below 1e-6), "
      f"gradients exactly sigmoid(z) - y")

# %% [markdown]
# Why not simply use MSE on the probability? Its gradient with respect to the logit is
# `2 (p - y) p (1 - p)`: when the model is confidently wrong, `p (1 - p)` is nearly zero and the
# model barely learns from its worst mistakes. The cross-entropy's `log` cancels that factor.

# %%
lesson.section()
z = torch.linspace(-10, 10, 401, requires_grad=True)
ones = torch.ones(401)
curves = {}
for name, fn in [("BCE (with logits)", lambda z: F.binary_cross_entropy_with_logits(z, ones, reduction="none")),
                 ("MSE on sigmoid(z)", lambda z: (torch.sigmoid(z) - ones) ** 2)]:
    z.grad = None
    values = fn(z)
    values.sum().backward()
    curves[name] = (values.detach().numpy(), z.grad.numpy().copy())
at_minus_10 = {name: grad[0] for name, (_, grad) in curves.items()}
print(f"gradient at z = -10 with y = 1 (confidently wrong): BCE {at_minus_10['BCE (with logits)']:.4f} (expect -1), "
      f"MSE on the probability {at_minus_10['MSE on sigmoid(z)']:.2e} (expect about -9e-5)")

fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(11, 4))
for name, (values, grad) in curves.items():
    ax_loss.plot(z.detach().numpy(), values, label=name)
    ax_grad.plot(z.detach().numpy(), grad, label=name)
ax_loss.set(title="loss for a positive example (y = 1)", xlabel="logit z", ylabel="loss")
ax_grad.set(title="its gradient", xlabel="logit z", ylabel="d loss / d z")
for ax in (ax_loss, ax_grad):
    ax.legend()
    ax.grid(alpha=0.3)
lesson.save(fig, "binary_losses.png")

# %% [markdown]
# ## Categorical cross-entropy
# For K classes the model outputs K logits; softmax turns them into probabilities and the loss is
# minus the log-probability of the right class:
#
# `CE = -log softmax(z)_y = logsumexp(z) - z_y`,   `d CE / dz = softmax(z) - onehot(y)`.
#
# `logsumexp(z) = m + log sum exp(z - m)` with `m = max z` is the stable way to write it (the
# same trick as above). `nn.CrossEntropyLoss` takes the raw logits for that reason: never put a
# softmax in the model before it.

# %%
lesson.section()
class_logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [-3.0, 0.0, 3.0], [1.0, 1.0, 1.0]], requires_grad=True)
classes = torch.tensor([0, 2, 2, 1])
K = 3
zc = class_logits.detach().numpy().astype(np.float64)
m = zc.max(axis=1, keepdims=True)
log_softmax = zc - (m + np.log(np.exp(zc - m).sum(axis=1, keepdims=True)))
onehot = np.eye(K)[classes.numpy()]
hand_ce = -(log_softmax * onehot).sum(axis=1).mean()
hand_ce_grad = (np.exp(log_softmax) - onehot) / len(zc)
ce = F.cross_entropy(class_logits, classes)
ce.backward()
ce_diff = max(abs(ce.item() - hand_ce), np.abs(class_logits.grad.numpy() - hand_ce_grad).max())
print(f"cross-entropy: tinynn {ce.item():.6f}, by hand {hand_ce:.6f}; "
      f"largest difference (loss and gradient) {ce_diff:.1e} (expect below 1e-6)")
print(f"uniform logits (the 4th example) cost log K = log 3 = {math.log(3):.4f}: "
      f"{F.cross_entropy(class_logits[3:], classes[3:]).item():.4f}")

# %% [markdown]
# ## Label smoothing
# Plain cross-entropy is only satisfied when the right class's probability is 1, which needs an
# infinite logit margin: the model keeps pushing its logits apart and grows overconfident. Label
# smoothing mixes the one-hot target with the uniform distribution:
#
# `target = (1 - eps) onehot(y) + eps / K`,  `loss = -sum_k target_k log softmax(z)_k`.
#
# Now the loss has a finite minimum. With the right logit `m` above K - 1 equal others, the
# best margin solves `softmax = target`: `m* = log((1 - eps + eps/K) / (eps/K))`.

# %%
lesson.section()
hand_smooth = -(((1 - 0.1) * onehot + 0.1 / K) * log_softmax).sum(axis=1).mean()
smooth = F.cross_entropy(class_logits.detach(), classes, label_smoothing=0.1).item()
smooth_diff = abs(smooth - hand_smooth)
print(f"label smoothing 0.1: tinynn {smooth:.6f}, by hand {hand_smooth:.6f} (difference {smooth_diff:.1e})")
worst_difference = max(worst_difference, ce_diff, smooth_diff)

K_PLOT = 10
margins = torch.linspace(-2, 12, 1401)
margin_logits = torch.zeros(1401, K_PLOT)
margin_logits[:, 0] = margins  # class 0 is right, the other nine logits stay at 0
right = torch.zeros(1401, dtype=torch.int64)
fig, ax = plt.subplots(figsize=(7, 4.5))
best_margins = {}
for eps in (0.0, 0.1, 0.2):
    per_example = F.cross_entropy(margin_logits, right, label_smoothing=eps, reduction="none").numpy()
    ax.plot(margins.numpy(), per_example, label=f"label_smoothing={eps}")
    if eps > 0:
        found = margins[int(per_example.argmin())].item()
        formula = math.log((1 - eps + eps / K_PLOT) / (eps / K_PLOT))
        best_margins[eps] = (found, formula)
        ax.axvline(formula, color=ax.get_lines()[-1].get_color(), linestyle=":", linewidth=1)
        print(f"eps {eps}: loss smallest at margin {found:.2f}, formula {formula:.2f}, "
              f"where the right class gets probability {1 - eps + eps / K_PLOT:.2f}")
ax.set(title=f"cross-entropy against the logit margin ({K_PLOT} classes)", xlabel="margin: right logit - the others",
       ylabel="loss", ylim=(0, 3))
ax.legend()
ax.grid(alpha=0.3)
lesson.save(fig, "label_smoothing.png")
print("without smoothing the loss keeps falling as the margin grows: no finite best margin")

margin_error = max(abs(found - formula) for found, formula in best_margins.values())
lesson.summary(worst_difference=float(worst_difference), mse_slope=slopes["MSE"], mae_slope=slopes["MAE"],
               huber_slope=slopes["Huber"], exact_mse_slope=float(exact_mse_slope), naive_broken=naive_broken,
               stable_error=stable_error, bce_grad_at_minus_10=float(at_minus_10["BCE (with logits)"]),
               mse_grad_at_minus_10=float(at_minus_10["MSE on sigmoid(z)"]), margin_error=float(margin_error))
