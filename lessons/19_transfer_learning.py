# %% [markdown]
# # Lesson 19: transfer learning and fine-tuning
#
# Labelled data is expensive; a network trained on one task has already learned features (strokes,
# curves, corners) that a related task can reuse. **Transfer learning**: pretrain on a task with
# plenty of data, then adapt to the new task with few labels. Three ways to adapt, compared here:
#
# - **freeze the body, train a new head**: the pretrained layers become a fixed feature extractor
#   and only a new last layer trains (few parameters, hard to overfit);
# - **fine-tune everything with per-layer learning rates**: all layers train, the early ones
#   (general features) slowly, the late ones (task-specific) fast, the new head fastest
#   ("discriminative fine-tuning", Howard & Ruder 2018). In code: optimizer **parameter groups**;
# - **train from scratch**: the same network, randomly initialised, on the few labels alone.
#
# Then **curriculum learning** (Bengio et al. 2009): show the easy examples first and the hard
# ones later, against the usual shuffled order, and see what it changes.
#
# Run: `python lessons/19_transfer_learning.py` (about 20 s of computing), or `--full` (a few
# minutes: 2 to 50 labels per digit, 3 seeds). What it finds on these small 8x8 digits: the
# pretrained body gets going **faster** (quick mode, 3 labels per digit: about 80% on digits 5-9
# after 30 steps against about 50% from scratch; `--full`, 5 labels: 71% against 67%), but after
# 150 steps a from-scratch CNN has caught up: in `--full` all four methods end within about 2
# points of each other at every budget (5 labels: head only 86.4%, per-layer 86.0%, same lr
# 85.3%, from scratch 87.9%; 50 labels: 93-94% for all). 8x8 digits 5-9 are too easy a task for
# pretraining to pay off in the end; the lesson shows where it does and where it does not.
# Curriculum learning, easy-first, is *behind* the shuffled order here (after stage 1: 86% against
# 94%; at the end 94.3% against 95.5%).

# %%
import copy

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import load_digits
from tinynn.viz import plot_curves

lesson = Lesson(19, "transfer learning and fine-tuning", full_takes="a few minutes")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## Pretraining: digits 0-4
# The source task: classify the handwritten digits 0-4 (about 720 training images). The network is
# a small CNN whose **body** (two convolution + pooling stages) turns an 8x8 image into 128
# features (local stroke detectors), and whose **head** (one Linear layer) turns them into class
# scores. (An MLP body transfers badly here: its last hidden layer collapses onto the five source
# classes, so unseen digits land on top of each other. Try it.)

# %%
lesson.section()
x_train, y_train = load_digits("train")
x_test, y_test = load_digits("test")
labels_train, labels_test = y_train.numpy(), y_test.numpy()


class ConvNet(nn.Module):
    """body: two conv + pool stages (8x8 -> 4x4 -> 2x2, 32 channels) = 128 features; head: Linear."""

    def __init__(self, classes: int = 5):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
        self.head = nn.Linear(128, classes)

    def forward(self, images):
        return self.head(self.body(images))


def accuracy(model, images, labels) -> float:
    with torch.no_grad():
        return (model(images).argmax(dim=-1) == labels).float().mean().item()


def fit(model, optimizer, images, labels, steps: int, batch: int = 64, order=None, test=None, every: int = 10):
    """``steps`` optimizer steps on minibatches (shuffled, or taken in ``order`` when given: a list
    of index arrays, one per step). Returns the test accuracy every ``every`` steps."""
    history = []
    for step in range(steps):
        idx = order[step] if order is not None else torch.randint(0, images.shape[0], (min(batch, images.shape[0]),))
        loss = F.cross_entropy(model(images[idx]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if test is not None and (step + 1) % every == 0:
            history.append(accuracy(model, *test))
    return history


old = labels_train < 5
pretrained = ConvNet(classes=5)
optimizer = torch.optim.Adam(pretrained.parameters(), lr=2e-3)
fit(pretrained, optimizer, x_train[old], y_train[old], steps=1000 if FULL else 300)
pretrain_acc = accuracy(pretrained, x_test[labels_test < 5], y_test[labels_test < 5])
print(f"pretrained on digits 0-4: held-out accuracy {pretrain_acc:.1%} (expect about 97-99%)")

# %% [markdown]
# ## The new task: digits 5-9 with few labels
# Only k labelled images per digit 5-9. The pretrained network has never seen these digits, but
# its body's features may still separate them. Four ways to adapt (each gets the same new head,
# the same training steps and the same labelled images):
#
#     head only      body frozen (requires_grad False), Adam on the head:       lr 1e-2
#     per-layer lr   param groups: layer 1 lr 1e-4, layer 2 lr 1e-3, head lr 1e-2
#     same lr        every layer at 1e-3 (the naive fine-tune)
#     from scratch   a random ConvNet, every layer at 1e-3

# %%
lesson.section()
new_test = (x_test[labels_test >= 5], y_test[labels_test >= 5] - 5)
METHODS = ("head only", "per-layer lr", "same lr", "from scratch")


def prepare(method: str, seed: int):
    """(model, optimizer) for one method; the new head is the same for every method of a seed."""
    torch.manual_seed(seed)
    head = nn.Linear(128, 5)
    model = ConvNet() if method == "from scratch" else copy.deepcopy(pretrained)
    model.head = head
    layer1, layer2 = model.body[0], model.body[3]                    # the two convolutions
    if method == "head only":
        model.body.requires_grad_(False)
        return model, torch.optim.Adam(model.head.parameters(), lr=1e-2)
    if method == "per-layer lr":
        groups = [{"params": layer1.parameters(), "lr": 1e-4},      # early: general strokes, keep
                  {"params": layer2.parameters(), "lr": 1e-3},
                  {"params": model.head.parameters(), "lr": 1e-2}]  # new: learn fast
        return model, torch.optim.Adam(groups)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def few_shot(k: int, seed: int):
    rng = np.random.default_rng(seed)
    idx = np.concatenate([rng.choice(np.flatnonzero(labels_train == c), k, replace=False) for c in range(5, 10)])
    return x_train[idx], y_train[idx] - 5


budgets = [2, 5, 10, 20, 50] if FULL else [3, 20]
seeds = range(3) if FULL else range(2)
STEPS = 150
scores = {m: {k: [] for k in budgets} for m in METHODS}
early = {m: {k: [] for k in budgets} for m in METHODS}          # accuracy after 30 steps
curves = {}
progress = Progress(len(budgets) * len(seeds), lines=4, label="budget x seed")
done = 0
for k in budgets:
    for seed in seeds:
        images, labels = few_shot(k, lesson.seed + 100 * seed)
        for method in METHODS:
            model, optimizer = prepare(method, lesson.seed + seed)
            history = fit(model, optimizer, images, labels, STEPS, batch=64, test=new_test)
            scores[method][k].append(history[-1])
            early[method][k].append(history[2])
            if k == budgets[1 if FULL else 0] and seed == seeds[0]:
                curves[method] = history
        done += 1
        progress(done, k=k, seed=seed)

print(f"held-out accuracy on digits 5-9 (mean over {len(seeds)} seeds), by labelled images per digit:")
print("  " + " " * 13 + "".join(f"{f'k={k}':>9}" for k in budgets))
mean = {m: {k: float(np.mean(scores[m][k])) for k in budgets} for m in METHODS}
mean_early = {m: {k: float(np.mean(early[m][k])) for k in budgets} for m in METHODS}
for method in METHODS:
    print(f"  {method:>13}" + "".join(f"{mean[method][k]:>9.1%}" for k in budgets)
          + "   after 30 steps:" + "".join(f"{mean_early[method][k]:>8.1%}" for k in budgets))
print(f"expect after {STEPS} steps: all four within a few points (about 83-85% at k=3, 93-95% at k=20); "
      "after 30 steps the pretrained ones ahead (quick, k=3: about 75-80% against 40-55% from scratch)")

fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
for method in METHODS:
    axes[0].plot(budgets, [100 * mean[method][k] for k in budgets], "o-", label=method)
axes[0].set(xscale="log", xlabel="labelled images per digit (log scale)", ylabel="test accuracy on 5-9 (%)",
            title="transfer from digits 0-4 vs from scratch")
axes[0].set_xticks(budgets, [str(k) for k in budgets])
axes[0].minorticks_off()
axes[0].legend()
plot_curves({m: [100 * a for a in c] for m, c in curves.items()}, x={m: list(range(10, STEPS + 1, 10)) for m in curves},
            xlabel="training step", ylabel="test accuracy (%)", title=f"learning curves, {budgets[1 if FULL else 0]} labels per digit", ax=axes[1])
fig.tight_layout()
lesson.save(fig, "transfer.png")

# %% [markdown]
# What to look for: the learning curves. The pretrained starts are ahead in the first tens of
# steps; with enough steps the from-scratch CNN catches up on this easy task (on harder tasks and bigger images the gap stays: that is why
# everyone starts from pretrained weights). The frozen body is as good as fine-tuning with 3
# labels (too little data to improve on the features; freezing cannot overfit them); with 20,
# fine-tuning with per-layer learning rates edges ahead, and the naive same-lr fine-tune is the
# weakest of the pretrained ones: the large, noisy gradients of a fresh random head disturb the
# early layers, which per-layer rates protect. (An MLP body transfers badly here: try it.)

# %% [markdown]
# ## Curriculum learning: easy examples first
# How hard is an example? Ask a *teacher*: a small linear model trained on all the training data;
# an example's difficulty is the teacher's loss on it (misfits and odd handwriting score high).
# The student (a fresh MLP on all ten digits) then trains in three stages: the easiest third,
# then the easiest two thirds, then everything, against the same number of steps in shuffled
# order (and, for contrast, the anti-curriculum: hardest first).

# %%
lesson.section()
torch.manual_seed(lesson.seed)
teacher = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
fit(teacher, torch.optim.Adam(teacher.parameters(), lr=1e-2), x_train, y_train, steps=300, batch=256)
with torch.no_grad():
    difficulty = F.cross_entropy(teacher(x_train), y_train, reduction="none").numpy()
ranked = np.argsort(difficulty)                               # easiest first
n = len(ranked)
print(f"teacher difficulty: easiest third mean loss {difficulty[ranked[:n // 3]].mean():.3f}, hardest third "
      f"{difficulty[ranked[-n // 3:]].mean():.3f}")

CURRICULUM_STEPS, BATCH = (900, 32) if FULL else (450, 32)


def staged_order(ranking, seed: int):
    """A batch index list: stage s (of 3) samples from the first (s+1)/3 of ``ranking``."""
    rng = np.random.default_rng(seed)
    per_stage = CURRICULUM_STEPS // 3
    return [torch.tensor(rng.choice(ranking[:(stage + 1) * n // 3], BATCH, replace=False))
            for stage in range(3) for _ in range(per_stage)]


def shuffled_order(seed: int):
    rng = np.random.default_rng(seed)
    return [torch.tensor(rng.choice(n, BATCH, replace=False)) for _ in range(CURRICULUM_STEPS)]


test_all = (x_test, y_test)
orders = {"curriculum (easy first)": lambda s: staged_order(ranked, s), "shuffled": shuffled_order,
          "anti-curriculum (hard first)": lambda s: staged_order(ranked[::-1], s)}
curriculum_curves = {name: [] for name in orders}
for seed in seeds:
    for name, make in orders.items():
        torch.manual_seed(lesson.seed + seed)
        student = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
        history = fit(student, torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9), x_train, y_train,
                      CURRICULUM_STEPS, order=make(lesson.seed + seed), test=test_all, every=15)
        curriculum_curves[name].append(history)
mean_curves = {name: np.mean(c, axis=0) for name, c in curriculum_curves.items()}
early = len(mean_curves["shuffled"]) // 3                      # the end of stage 1
for name, c in mean_curves.items():
    print(f"  {name:>28}: test accuracy after stage 1 {c[early - 1]:.1%}, at the end {c[-1]:.1%}")
print("expect: after stage 1 easy-first about 86%, shuffled about 92%, hardest-first about 94%; at the end "
      "shuffled and hardest-first about 96%, easy-first about 94%")
fig = plot_curves({name: [100 * a for a in c] for name, c in mean_curves.items()},
                  x={name: list(range(15, CURRICULUM_STEPS + 1, 15)) for name in mean_curves},
                  xlabel="training step (stages change at 1/3 and 2/3)", ylabel="test accuracy (%)",
                  title=f"curriculum vs shuffled order (digits 0-9, mean of {len(seeds)} seeds)")
for boundary in (CURRICULUM_STEPS // 3, 2 * CURRICULUM_STEPS // 3):
    fig.axes[0].axvline(boundary, color="gray", lw=0.8, ls=":")
lesson.save(fig, "curriculum.png")

# %% [markdown]
# What to look for: here easy-first is *behind* the shuffled order, and hardest-first is ahead
# after stage 1 (after the very first steps). On a clean dataset the easy examples are the ones a
# network already gets right, so they carry the least gradient signal; the hard ones carry the
# most (the idea behind hard-example mining). Curricula pay off when the hard examples are mostly
# noise (mislabelled data) or the task is compositional (short sequences before long ones); the
# stage schedule is one more hyperparameter to tune, and it can hurt, as here.

# %%
lesson.section()
k_small = budgets[1 if FULL else 0]
lesson.summary(pretrain_accuracy=round(pretrain_acc, 4),
               few_shot_k=k_small, pretrained_30_steps=round(float(np.mean(
                   [mean_early[m][k_small] for m in METHODS[:3]])), 4),
               scratch_30_steps=round(mean_early["from scratch"][k_small], 4), **{f"{m.replace(' ', '_').replace('-', '_')}_accuracy": round(mean[m][k_small], 4)
                                      for m in METHODS},
               accuracy_by_budget={m: {str(k): round(mean[m][k], 4) for k in budgets} for m in METHODS},
               curriculum_stage1=round(float(mean_curves["curriculum (easy first)"][early - 1]), 4),
               shuffled_stage1=round(float(mean_curves["shuffled"][early - 1]), 4),
               anti_curriculum_stage1=round(float(mean_curves["anti-curriculum (hard first)"][early - 1]), 4),
               curriculum_final=round(float(mean_curves["curriculum (easy first)"][-1]), 4),
               shuffled_final=round(float(mean_curves["shuffled"][-1]), 4))
