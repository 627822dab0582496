# %% [markdown]
# # Lesson 6: gradient descent and optimizers
#
# Backpropagation gives the gradient; an **optimizer** decides what step to take with it. This
# lesson asks three questions and answers each with a measurement:
#
# 1. How much data should one gradient see? Batch, mini-batch and stochastic gradient descent
#    compared per gradient evaluation and per second.
# 2. What do the update rules do? SGD, momentum, Nesterov, RMSprop, Adam, AdamW, Lion and Adafactor
#    on the Rosenbrock function, a 2-D valley where their paths can be drawn, and then on a real
#    model (an MLP reading handwritten digits).
# 3. What does each optimizer cost in memory? Counted from `optimizer.state`.
#
# Run: `python lessons/06_optimizers.py` (about 30 seconds); `--full` runs every experiment
# longer (about 2 minutes).

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import load_digits
from tinynn.viz import plot_curves, plot_loss_surface

lesson = Lesson(6, "gradient descent and optimizers", full_takes="about 2 minutes")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## The data and the model
# The 8 x 8 handwritten digits (1,438 training and 359 test images), flattened to 64 pixels and
# standardized, read by a small MLP `64 -> 64 -> ReLU -> 10` trained with cross-entropy.

# %%
lesson.section()
train_images, train_labels = load_digits("train")
test_images, test_labels = load_digits("test")
x_train = train_images.reshape(len(train_images), -1)
x_test = test_images.reshape(len(test_images), -1)
mean, std = x_train.mean(), x_train.std()
x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
N = len(x_train)
print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)}")


def make_mlp():
    torch.manual_seed(lesson.seed)  # every run starts from the same weights: only the optimizer differs
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def training_loss(model) -> float:
    with torch.no_grad():
        return F.cross_entropy(model(x_train), train_labels).item()


# %% [markdown]
# ## Batch, mini-batch and stochastic gradient descent
# The loss is an average over the training set, so its gradient is an average of per-example
# gradients. **Batch** gradient descent computes all N of them for every step: the exact gradient,
# one step per pass over the data (an *epoch*). **Stochastic** gradient descent uses one example:
# a noisy estimate, but N steps per epoch. **Mini-batch** descent averages B examples (here 32):
# the noise shrinks like `1/sqrt(B)`, and the B examples go through the network as one matrix
# product, which costs far less than B separate steps.
#
# All three run plain `optim.SGD`; each gets the learning rate that suits its batch size (a larger
# batch's gradient is less noisy, so it can take bigger steps). We count *gradient evaluations*
# (examples processed) and the seconds spent training, and evaluate the loss on the whole
# training set along the way (not timed).


# %%
lesson.section()


def train_with_batch_size(batch_size: int, lr: float, steps: int):
    model = make_mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    checkpoints = set(np.unique(np.geomspace(1, steps, 15).astype(int)).tolist())
    history = {"examples": [0], "seconds": [0.0], "loss": [training_loss(model)], "loss_after_one_epoch": None}
    seconds, order, position = 0.0, torch.randperm(N), 0
    for step in range(1, steps + 1):
        start = time.perf_counter()
        if position + batch_size > N:  # a new epoch: reshuffle
            order, position = torch.randperm(N), 0
        batch = order[position:position + batch_size]
        position += batch_size
        loss = F.cross_entropy(model(x_train[batch]), train_labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seconds += time.perf_counter() - start
        examples = step * batch_size
        if step in checkpoints or (history["loss_after_one_epoch"] is None and examples >= N):
            history["examples"].append(examples)
            history["seconds"].append(seconds)
            history["loss"].append(training_loss(model))
            if history["loss_after_one_epoch"] is None and examples >= N:
                history["loss_after_one_epoch"] = history["loss"][-1]
                history["seconds_per_epoch"] = seconds * N / examples
    return history


epochs = {"batch": 100 if FULL else 25, "mini-batch": 30 if FULL else 10, "stochastic": 3 if FULL else 1}
settings = {  # name: (batch size, learning rate, steps)
    "batch": (N, 0.3, epochs["batch"]),
    "mini-batch": (32, 0.1, epochs["mini-batch"] * N // 32),
    "stochastic": (1, 0.01, epochs["stochastic"] * N),
}
descent = {}
for name, (batch_size, lr, steps) in settings.items():
    descent[name] = train_with_batch_size(batch_size, lr, steps)
    h = descent[name]
    print(f"{name:>10} (B = {batch_size:4d}, lr {lr}): {steps:5d} steps, {h['examples'][-1]:6d} gradient evaluations, "
          f"{h['seconds'][-1]:.1f} s; loss {h['loss'][-1]:.3f}")

print("\nafter one epoch (each method has seen every example once):")
for name, h in descent.items():
    epoch_ms = 1000 * h["seconds_per_epoch"]
    print(f"  {name:>10}: loss {h['loss_after_one_epoch']:.3f}, one epoch takes {epoch_ms:6.0f} ms")
print("expect: stochastic lowest per epoch (about 0.2), mini-batch next (about 0.7), batch barely moved (about 2.2);\n"
      "an epoch of stochastic steps takes 20-40x longer than one of mini-batch steps")

fig, (by_examples, by_time) = plt.subplots(1, 2, figsize=(12, 4.2))
# a logarithmic x axis (from 1 example to tens of thousands): the start at 0 is left out
plot_curves({name: h["loss"][1:] for name, h in descent.items()}, xlabel="gradient evaluations (examples processed)",
            ylabel="training loss", logy=True, x={name: h["examples"][1:] for name, h in descent.items()},
            title="loss per gradient evaluation", ax=by_examples)
by_examples.set_xscale("log")
by_examples.axvline(N, color="gray", linestyle=":", linewidth=1)
by_examples.text(N, by_examples.get_ylim()[1], " 1 epoch", va="top", fontsize=8, color="gray")
plot_curves({name: h["loss"] for name, h in descent.items()}, xlabel="training seconds", ylabel="training loss",
            logy=True, x={name: h["seconds"] for name, h in descent.items()}, title="loss per second", ax=by_time)
lesson.save(fig, "batch_sizes.png")

# %% [markdown]
# What to look for. Per gradient evaluation (left), the more often you step the faster you learn:
# stochastic descent has made 1,438 small steps by the end of the first epoch, batch descent one.
# Batch descent follows the exact gradient; each stochastic step follows one example's opinion,
# which is why it gets a learning rate 10x smaller than the mini-batches'. Per second (right)
# the picture turns: one stochastic step costs about as much as one mini-batch step, since both
# are dominated by the fixed cost of running the ops, not by the arithmetic, so an epoch of
# stochastic steps is 20-40x slower. Where batch descent lands per second depends on how fast
# your machine multiplies a 1,438-row matrix: this whole data set fits in one product, so on an
# idle machine it can keep up with mini-batches; with a million examples each batch step is a
# full pass over all of them, and mini-batches win outright.
# That is why everyone trains with mini-batches, and why "SGD" in practice means mini-batch SGD.

# %% [markdown]
# ## The update rules
# With gradient `g`, learning rate `lr` and step count `t`:
#
# | optimizer | update | state per parameter |
# |---|---|---|
# | SGD | `p -= lr g` | none |
# | momentum | `b = mu b + g;  p -= lr b` | `b` |
# | Nesterov | `b = mu b + g;  p -= lr (g + mu b)` (looks one step ahead) | `b` |
# | RMSprop | `v = a v + (1-a) g^2;  p -= lr g / (sqrt(v) + eps)` | `v` |
# | Adam | `m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr m_hat / (sqrt(v_hat) + eps)` | `m, v` |
# | AdamW | Adam, plus `p -= lr wd p` outside the adaptive scaling (decoupled weight decay) | `m, v` |
# | Lion | `p -= lr sign(b1 m + (1-b1) g);  m = b2 m + (1-b2) g` | `m` |
# | Adafactor | Adam's `v` for an n x m matrix kept as row and column averages, `v ~ R C^T / mean(R)`; steps relative to the parameter's size; no `m` | `n + m` numbers |
#
# `m_hat = m / (1 - b1^t)` and `v_hat = v / (1 - b2^t)` correct the averages' start at zero.
# Momentum adds up past gradients: along a direction where they agree it speeds up (by up to
# `1/(1-mu)` = 10x), across one where they alternate it cancels them. RMSprop, Adam and Adafactor
# divide by the gradient's running size, so every coordinate moves about `lr` per step whatever
# the gradient's scale; Lion's sign makes that exact.
#
# ## Eight optimizers on the Rosenbrock valley
# `f(x, y) = (1 - x)^2 + 100 (y - x^2)^2` has its minimum 0 at (1, 1) at the end of a long,
# curved, flat-bottomed valley whose walls are 100 times steeper than its floor: the classic trap
# for gradient descent. Every optimizer starts at (-1.5, 2). The three SGD variants share one
# learning rate (at twice this rate Nesterov blows up on the steep wall), so the difference
# between them is momentum alone; the adaptive ones get a learning rate near their best.


# %%
lesson.section()


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


optimizers = {  # name: (constructor, settings on the 2-D surface, settings on the MLP)
    "SGD": (torch.optim.SGD, dict(lr=1e-3), dict(lr=0.05)),
    "momentum": (torch.optim.SGD, dict(lr=1e-3, momentum=0.9), dict(lr=0.05, momentum=0.9)),
    "Nesterov": (torch.optim.SGD, dict(lr=1e-3, momentum=0.9, nesterov=True),
                 dict(lr=0.05, momentum=0.9, nesterov=True)),
    "RMSprop": (torch.optim.RMSprop, dict(lr=1e-2), dict(lr=3e-3)),
    "Adam": (torch.optim.Adam, dict(lr=0.1), dict(lr=1e-2)),
    "AdamW": (torch.optim.AdamW, dict(lr=0.1, weight_decay=0.1), dict(lr=1e-2, weight_decay=0.05)),
    "Lion": (torch.optim.Lion, dict(lr=1e-2), dict(lr=1e-3)),
    "Adafactor": (torch.optim.Adafactor, dict(lr=0.3), dict(lr=3e-2)),
}
START, MINIMUM = (-1.5, 2.0), (1.0, 1.0)
surface_steps = 2000 if FULL else 300
paths, distances = {}, {}
for name, (Optimizer, surface_settings, _) in optimizers.items():
    point = torch.tensor(START, requires_grad=True)
    optimizer = Optimizer([point], **surface_settings)
    path = [START]
    for step in range(surface_steps):
        loss = rosenbrock(point[0], point[1])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        path.append(tuple(point.detach().numpy().tolist()))
    paths[name] = path
    x_end, y_end = path[-1]
    distances[name] = math.hypot(x_end - MINIMUM[0], y_end - MINIMUM[1])

print(f"after {surface_steps} steps from {START} (minimum at {MINIMUM}):")
print(f"{'optimizer':>10} {'settings':>46} {'final point':>18} {'f':>9} {'distance':>9}")
for name, path in paths.items():
    x_end, y_end = path[-1]
    shown = ", ".join(f"{k}={v}" for k, v in optimizers[name][1].items())
    print(f"{name:>10} {shown:>46} ({x_end:7.3f}, {y_end:6.3f}) {rosenbrock(x_end, y_end):9.2e} {distances[name]:9.3f}")
print("expect in quick mode: SGD stuck near the start (distance about 2.3), RMSprop and Adafactor not\n"
      "much further (1.6-2.0); Adam, AdamW, Lion halfway along the floor (about 0.9); momentum and\n"
      "Nesterov the closest (below 0.4). With --full (2,000 steps) momentum, Nesterov and Adam reach\n"
      "(1, 1), the others are within 0.5 of it (AdamW held back by its weight decay), SGD about 0.8 away")

fig, axes = plt.subplots(2, 4, figsize=(15, 7.5))
for ax, (name, path) in zip(axes.flat, paths.items()):
    plot_loss_surface(rosenbrock, ((-2, 2), (-1, 3)), {name: path}, minimum=MINIMUM, logz=True, legend=False,
                      levels=20, resolution=100, title=f"{name}: {distances[name]:.2f} from the minimum", ax=ax)
fig.suptitle(f"{surface_steps} steps on the Rosenbrock function from {START} "
             "(circle: start, square: end, star: minimum)")
fig.tight_layout()
lesson.save(fig, "rosenbrock.png")

# %% [markdown]
# What to look for: plain SGD must keep its step small enough not to bounce off the steep walls,
# and then crawls along the flat floor. Momentum accumulates the consistent downhill direction of
# the floor while the across-valley oscillations cancel (Nesterov's look-ahead damps the first
# wild swings). The adaptive methods scale each coordinate's step to about `lr`, so they drop
# onto the floor without blowing up and then move along it at a pace that `lr` limits: Lion moves
# exactly `lr` = 0.01 per coordinate per step, at most 3 units in 300 steps. RMSprop is Adam
# without the momentum: its steps bounce across the narrow floor and nothing averages the bouncing
# away (with lr=0.03 its steps get twice as long, yet it gets no further). AdamW's weight decay
# pulls towards (0, 0), so it is minimizing a slightly different function, whose minimum is not
# quite (1, 1). Adafactor's steps are relative to the size of the parameter and large at first.
# One surface ranks nothing: the real test is a real model.
#
# ## Eight optimizers on a real model
# The same MLP from the same initial weights, mini-batches of 64, each optimizer with a
# learning rate in its usual range (SGD and momentum share one: momentum's steps are up to 10x
# larger for the same `lr`; Lion wants about 10x less than Adam).

# %%
lesson.section()
mlp_epochs = 30 if FULL else 8
BATCH = 64
histories, accuracies, states = {}, {}, {}
for name, (Optimizer, _, mlp_settings) in optimizers.items():
    model = make_mlp()
    optimizer = Optimizer(model.parameters(), **mlp_settings)
    history = {"train": [], "val": []}
    accuracy_per_epoch = []
    torch.manual_seed(lesson.seed)  # the same shuffles for everyone
    progress = Progress(mlp_epochs, lines=2, label=f"{name:>9} epoch")
    for epoch in range(1, mlp_epochs + 1):
        order, total = torch.randperm(N), 0.0
        for start in range(0, N, BATCH):
            batch = order[start:start + BATCH]
            loss = F.cross_entropy(model(x_train[batch]), train_labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        with torch.no_grad():
            logits = model(x_test)
            history["val"].append(F.cross_entropy(logits, test_labels).item())
            accuracy_per_epoch.append((logits.argmax(dim=1) == test_labels).float().mean().item())
        history["train"].append(total / N)
        progress(epoch, loss=history["train"][-1], val_loss=history["val"][-1], accuracy=accuracy_per_epoch[-1])
    histories[name], accuracies[name] = history, accuracy_per_epoch
    states[name] = (model, optimizer)

print(f"\nheld-out accuracy after {mlp_epochs} epochs (359 test digits):")
for name in optimizers:
    shown = ", ".join(f"{k}={v}" for k, v in optimizers[name][2].items())
    print(f"  {name:>10} ({shown:>35}): {accuracies[name][-1]:.1%}, train loss {histories[name]['train'][-1]:.3f}")
print("expect in quick mode: about 91% for plain SGD, 93% for Lion, 95-97% for momentum, Nesterov,\n"
      "RMSprop, Adam, AdamW and Adafactor; with --full SGD and Lion about 95%, the others 96.5-97.5%")

fig, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(13, 4.6))
plot_curves({name: h["train"] for name, h in histories.items()}, xlabel="epoch", ylabel="training loss",
            logy=True, title="training loss (MLP on digits)", ax=loss_ax)
plot_curves(accuracies, xlabel="epoch", ylabel="held-out accuracy", title="held-out accuracy", ax=accuracy_ax)
accuracy_ax.set_ylim(0.7, 1.0)
lesson.save(fig, "digits_optimizers.png")

# %% [markdown]
# Train against held-out loss for two of the runs. The training loss is averaged over each epoch
# while the model improves, so in the first epoch it sits above the held-out loss measured at the
# epoch's end; afterwards a widening gap (Adam's training loss falling while its held-out loss
# flattens) is the start of overfitting, the subject of the next lesson.

# %%
lesson.section()
fig = plot_curves({"Adam": histories["Adam"], "SGD": histories["SGD"]}, xlabel="epoch", ylabel="cross-entropy",
                  logy=True, title="train (solid) against held-out (dashed) loss")
lesson.save(fig, "train_vs_validation.png")

# %% [markdown]
# ## What each optimizer remembers
# Every number in `optimizer.state` is memory kept between steps, on top of the parameters and
# their gradients. We count the state's floats per parameter float: for the MLP just trained, and
# for one large 512 x 512 layer, where Adafactor's factored second moment (512 + 512 numbers
# instead of 512 x 512) shows its point. For a model with a billion parameters in float32, each
# 1.0 in this table is 4 GB.


# %%
lesson.section()


def state_floats(optimizer) -> int:
    """Numbers in the optimizer's per-parameter state (tensors only: step counters are one int each)."""
    return sum(value.numel() for per_param in optimizer.state.values()
               for value in per_param.values() if isinstance(value, torch.Tensor))


def parameter_floats(optimizer) -> int:
    return sum(p.numel() for group in optimizer.param_groups for p in group["params"])


big_layer = nn.Linear(512, 512)
big_input = torch.randn(4, 512)
memory = {}
print(f"{'optimizer':>10} {'state kept':>34} {'MLP (4,810 params)':>19} {'512x512 layer':>14}")
for name, (Optimizer, _, mlp_settings) in optimizers.items():
    _, optimizer = states[name]
    big_optimizer = Optimizer(big_layer.parameters(), **mlp_settings)
    big_optimizer.zero_grad()
    big_layer(big_input).pow(2).mean().backward()
    big_optimizer.step()  # the state is created on the first step
    kept = sorted({key for per_param in big_optimizer.state.values() for key, value in per_param.items()
                   if isinstance(value, torch.Tensor)})
    memory[name] = (state_floats(optimizer) / parameter_floats(optimizer),
                    state_floats(big_optimizer) / parameter_floats(big_optimizer))
    print(f"{name:>10} {', '.join(kept) or '(nothing)':>34} {memory[name][0]:19.3f} {memory[name][1]:14.4f}")
print("expect: SGD 0; momentum, Nesterov, RMSprop and Lion 1; Adam and AdamW 2; Adafactor well below\n"
      "0.1, shrinking as the matrices grow (about (n + m) / (n m) for an n x m weight)")

best = max(accuracies, key=lambda name: accuracies[name][-1])
lesson.summary(
    one_epoch_loss={name: h["loss_after_one_epoch"] for name, h in descent.items()},
    seconds_per_epoch={name: h["seconds_per_epoch"] for name, h in descent.items()},
    rosenbrock_distance=distances,
    accuracy={name: values[-1] for name, values in accuracies.items()},
    final_train_loss={name: h["train"][-1] for name, h in histories.items()},
    state_per_param_mlp={name: m[0] for name, m in memory.items()},
    state_per_param_512={name: m[1] for name, m in memory.items()},
    best_optimizer=best,
)
