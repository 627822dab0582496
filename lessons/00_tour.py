# %% [markdown]
# # Lesson 0: a tour of tinynn
#
# A tensor that records what you do with it, `backward()` that turns the record into gradients,
# and a loop that follows the gradients downhill: that is all of deep learning's machinery.
# Here it trains a two-layer network to separate two interleaved spirals, with nothing but
# tensor operations (the `nn` library comes later).
#
# Run: `python lessons/00_tour.py` (about 5 seconds), or `--full` for a longer run.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch  # tinynn speaks PyTorch's API
from tinynn.course import Lesson

lesson = Lesson(0, "a tour of tinynn", full_takes="about 15 seconds")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## Autograd in four lines
# `y = x^2 + 3x`, so `dy/dx = 2x + 3`: at x = 2 the gradient is 7.

# %%
lesson.section()
x = torch.tensor(2.0, requires_grad=True)
y = x**2 + 3 * x
y.backward()
print(f"y = {y.item():.1f}, dy/dx = {x.grad.item():.1f}  (expected 7.0)")

# %% [markdown]
# ## Data: two spirals
# 2-D points from two arms that wind around each other: no straight line separates them.


# %%
lesson.section()


def spirals(n_per_class: int, noise: float = 0.2):
    rng = np.random.default_rng(0)
    t = np.sqrt(rng.random(n_per_class)) * 3 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi)
    points = np.concatenate([arm, -arm]) + noise * rng.standard_normal((2 * n_per_class, 2)) / 10
    labels = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)])
    return torch.tensor(points, dtype=torch.float32), torch.tensor(labels, dtype=torch.float32)


inputs, targets = spirals(200)
print(f"data: {tuple(inputs.shape)} points, {int(targets.sum().item())} of class 1")

# %% [markdown]
# ## A two-layer network, by hand
# `logit = tanh(x W1 + b1) W2 + b2`, trained with binary cross-entropy on the logits:
# `loss = mean(log(1 + e^logit) - y * logit)`.

# %%
lesson.section()
hidden = 64
W1 = (torch.randn(2, hidden) * 4.0).requires_grad_()
b1 = torch.zeros(hidden, requires_grad=True)
W2 = (torch.randn(hidden, 1) / hidden**0.5).requires_grad_()
b2 = torch.zeros(1, requires_grad=True)
params = [W1, b1, W2, b2]


def forward(x):
    return (torch.tanh(x @ W1 + b1) @ W2 + b2).squeeze(1)


def bce_with_logits(logits, y):
    # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): never overflows
    softplus = torch.clamp(logits, min=0) + torch.log1p(torch.exp(-logits.abs()))
    return (softplus - y * logits).mean()


steps = 6000 if FULL else 2000
lr = 0.5
start = time.perf_counter()
losses = []
for step in range(steps + 1):
    loss = bce_with_logits(forward(inputs), targets)
    for p in params:
        p.grad = None
    loss.backward()
    losses.append(loss.item())
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    if step % (steps // 6) == 0:
        accuracy = ((forward(inputs) > 0).float() == targets).float().mean().item()
        print(f"step {step:5d}  loss {loss.item():.4f}  accuracy {accuracy:.1%}")
elapsed = time.perf_counter() - start

accuracy = ((forward(inputs) > 0).float() == targets).float().mean().item()
print(f"trained {steps} steps in {elapsed:.1f} s: final accuracy {accuracy:.1%} "
      f"(expect above 90% here, near 100% with --full)")

# %% [markdown]
# ## What the network learned
# The loss curve, and the decision boundary: the network's answer at every point of the plane.

# %%
lesson.section()
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.plot(losses)
left.set(xlabel="step", ylabel="loss", title="training loss", yscale="log")
xs = np.linspace(-1.3, 1.3, 200)
grid = torch.tensor(np.stack(np.meshgrid(xs, xs), axis=-1).reshape(-1, 2), dtype=torch.float32)
with torch.no_grad():
    scores = forward(grid).numpy().reshape(200, 200)
right.contourf(xs, xs, scores > 0, alpha=0.3, cmap="coolwarm")
right.scatter(inputs[:, 0].numpy(), inputs[:, 1].numpy(), c=targets.numpy(), s=8, cmap="coolwarm")
right.set(title="decision boundary", xlabel="x1", ylabel="x2")
lesson.save(fig, "spirals.png")

# %% [markdown]
# ## Checking the gradients
# Every gradient tinynn computes can be checked against finite differences:
# `(f(x + eps) - f(x - eps)) / (2 eps)`. In float64 they agree to many digits.

# %%
lesson.section()
from tinynn.autograd import gradcheck  # noqa: E402

W = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
ok = gradcheck(lambda w: torch.tanh(inputs.double()[:5] @ w).sum(), (W,))
print(f"gradcheck of tanh(x @ W).sum(): {ok}")
lesson.summary(accuracy=accuracy, final_loss=losses[-1], first_loss=losses[0], gradcheck=bool(ok))
