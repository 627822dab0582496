# %% [markdown]
# # Lesson 7: training a real classifier
#
# Lessons 1-6 built the pieces: layers, losses, gradients, optimizers. This lesson puts them
# together the way real training code does, on real handwriting, and covers the craft around the
# model: feeding the data, normalizing it, initializing the weights, regularizing, stopping at the
# right time, saving checkpoints, scheduling the learning rate, clipping and accumulating
# gradients, and, when a run goes wrong, recognizing what went wrong from its symptoms.
#
# Run: `python lessons/07_training_a_classifier.py` (about 30 seconds, the 8x8 digits), or
# `--full` (1-2 minutes: a bigger MLP trained to >= 97% held-out accuracy, about 98%; on a
# machine with internet it trains on MNIST instead, 60,000 images for 15 epochs: 5-15 minutes).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch  # tinynn speaks PyTorch's API
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import load_digits, load_mnist
from tinynn.optim.lr_scheduler import CosineAnnealingLR, LinearLR, OneCycleLR, SequentialLR, StepLR
from tinynn.utils.data import DataLoader, TensorDataset, random_split
from tinynn.viz import plot_curves, plot_images

lesson = Lesson(7, "training a real classifier",
                full_takes="1-2 minutes on the 8x8 digits, 5-15 with MNIST downloaded")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## 1. The data: a dataset, a split, and data loaders
# Three pieces of `tinynn.utils.data`, exactly as in PyTorch:
# - a **Dataset** answers `len(dataset)` and `dataset[i] -> (image, label)`; `TensorDataset`
#   wraps tensors that share their first dimension;
# - `random_split` cuts it into a **training** part (the model learns from it) and a
#   **validation** part (we watch it to make decisions: when to stop, which settings are best);
#   the **test** set stays locked away until the very end, so its number is an honest estimate;
# - a **DataLoader** cuts a dataset into mini-batches, reshuffled every epoch (`shuffle=True`), so
#   each epoch sees the examples in a new order and the gradient noise does not repeat.
#
# The data: the 8x8 handwritten digits that ship with tinynn (1,797 real scans; 359 held out for
# testing). With `--full` and internet access the lesson uses MNIST (28x28, 70,000 images).

# %%
lesson.section()


def load_data():
    """(name, train images, train labels, test images, test labels): MNIST in --full when it can
    be downloaded, else the shipped 8x8 digits."""
    if FULL:
        try:
            train = load_mnist(train=True, quiet=True)
            test = load_mnist(train=False, quiet=True)
            return "MNIST", *train, *test
        except (RuntimeError, OSError) as error:  # no internet: tinynn's DownloadError
            print(f"note: MNIST could not be downloaded ({str(error).splitlines()[0]}); "
                  "falling back to the 8x8 digits that ship with tinynn")
    return "8x8 digits", *load_digits("train"), *load_digits("test")


data_name, train_images, train_labels, test_images, test_labels = load_data()
print(f"{data_name}: {len(train_images)} training images of shape {tuple(train_images.shape[1:])}, "
      f"{len(test_images)} test images; pixel values in [{train_images.min().item():.0f}, "
      f"{train_images.max().item():.0f}]")
print("images per class in the training data:", np.bincount(train_labels.numpy(), minlength=10).tolist())
lesson.save(plot_images(train_images[:24], train_labels[:24], ncols=12,
                        title=f"{data_name}: the first 24 training images"), "digits.png")

# an MLP reads a flat vector: (N, 1, H, W) -> (N, H*W)
inputs = train_images.reshape(len(train_images), -1)
test_inputs = test_images.reshape(len(test_images), -1)
n_features = inputs.shape[1]

dataset = TensorDataset(inputs, train_labels)
train_split, val_split = random_split(dataset, [0.85, 0.15], generator=torch.Generator().manual_seed(lesson.seed))
print(f"split: {len(train_split)} train / {len(val_split)} validation / {len(test_images)} test")
image, label = train_split[0]
print(f"train_split[0]: an image of shape {tuple(image.shape)} and its label {label.item()}; "
      f"train_split is a {type(train_split).__name__}: indices into the dataset, {train_split.indices[:5]}...")

batch_size = 64
subset_loader = DataLoader(train_split, batch_size=batch_size, shuffle=True)
x, y = next(iter(subset_loader))
print(f"one batch: x {tuple(x.shape)} {x.dtype}, y {tuple(y.shape)} {y.dtype}; "
      f"{len(subset_loader)} batches per epoch")
print("labels of the first batch, epoch 1:", next(iter(subset_loader))[1][:12].tolist())
print("labels of the first batch, epoch 2:", next(iter(subset_loader))[1][:12].tolist(), " (reshuffled)")

# %% [markdown]
# A `Subset` fetches a batch sample by sample: `train_split[i]` for each of the 64 indices, then
# `torch.stack`. That is the right design when each sample is a file read from disk. Our data is
# already one tensor in memory, so we gather each split once, `dataset[indices]`, into its own
# `TensorDataset`: the DataLoader then takes each batch with one indexing operation. Timed:

# %%
lesson.section()
train_set = TensorDataset(*dataset[train_split.indices])
train_inputs, train_targets = train_set.tensors
val_inputs, val_targets = dataset[val_split.indices]
train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
for name, loader in (("Subset", subset_loader), ("TensorDataset", train_loader)):
    start = time.perf_counter()
    batches = sum(1 for _ in loader)
    print(f"  one epoch of {batches} batches from a {name:13s}: {1000 * (time.perf_counter() - start):6.1f} ms")
print("  (expect the gathered TensorDataset to be 10-50x faster; the batches hold the same samples)")

# %% [markdown]
# ## 2. Input normalization
# Pixels are all positive (mean about 0.3 here), and pixels near the border are almost always 0.
# Gradient descent works best when every input feature has mean 0 and spread 1: then no
# direction of the weight space is much steeper than another. So standardize each pixel,
# `x' = (x - mean) / std`, with the **training split's statistics only**: the validation and test
# sets must be treated like data the model has never seen, so computing their statistics would
# leak them into training.
#
# Two practical details: pixels that never change have std 0, so the std is clamped from below,
# and the statistics live inside the model as *buffers*, so they travel with every checkpoint.

# %%
lesson.section()
train_pixels = train_inputs  # the training split only
pixel_mean = train_pixels.mean(0)
pixel_std = train_pixels.std(0).clamp(min=0.1)  # constant pixels: std 0 -> would divide by 0
print(f"training pixels before: mean {train_pixels.mean().item():.3f}, std {train_pixels.std().item():.3f}; "
      f"{int((train_pixels.std(0) < 0.01).sum().item())} pixels are (almost) constant")


class Standardize(nn.Module):
    """x -> (x - mean) / std, with statistics stored as buffers (saved in the state_dict)."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)

    def forward(self, x):
        return (x - self.mean) / self.std


standardize = Standardize(pixel_mean, pixel_std)
after = standardize(train_pixels)
val_after = standardize(val_inputs)
print(f"training pixels after: mean {after.mean().item():.3f}, std {after.std().item():.3f} "
      "(expect 0, and just under 1: the constant pixels stay 0)")
print(f"validation pixels after: mean {val_after.mean().item():.3f} (near 0, not exactly: its own statistics differ)")

# %% [markdown]
# Does it matter? The same small network, the same plain SGD (learning rate 0.05), the same 100
# steps, with and without the standardization layer:

# %%
lesson.section()


def train_steps(model, optimizer, steps, loader=None, zero_grad=True, stop_when_not_finite=False):
    """A bare training loop over `steps` mini-batches; returns the loss of every step."""
    losses = []
    while len(losses) < steps:
        for x, y in loader or train_loader:
            loss = F.cross_entropy(model(x), y)
            if stop_when_not_finite and not torch.isfinite(loss).item():
                return losses + [loss.item()]
            if zero_grad:
                optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if len(losses) == steps:
                break
    return losses


def evaluate(model, x, y):
    """(mean cross-entropy, accuracy) of `model` on inputs x and labels y, in eval mode, no gradients."""
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits, y).item()
        accuracy = (logits.argmax(1) == y).float().mean().item()
    model.train()
    return loss, accuracy


def small_mlp(width=64, standardized=True):
    layers = [Standardize(pixel_mean, pixel_std)] if standardized else []
    return nn.Sequential(*layers, nn.Linear(n_features, width), nn.ReLU(), nn.Linear(width, 10))


normalization_loss = {}
for standardized in (False, True):
    torch.manual_seed(lesson.seed)
    model = small_mlp(standardized=standardized)
    losses = train_steps(model, torch.optim.SGD(model.parameters(), lr=0.05), steps=100)
    normalization_loss[standardized] = float(np.mean(losses[-10:]))
    val_accuracy = evaluate(model, val_inputs, val_targets)[1]
    print(f"  {'standardized' if standardized else 'raw pixels  '}: loss after 100 steps "
          f"{normalization_loss[standardized]:.3f}, validation accuracy {val_accuracy:.1%}")
print("  (expect the standardized inputs to reach a clearly lower loss, about 0.7 against 1.9 on the digits)")

# %% [markdown]
# ## 3. Weight initialization: Xavier vs He
# A layer `h = relu(W x)` with `W` drawn at random with variance `s^2` and `n` inputs gives
# `Var(W x) = n s^2 Var(x)`; ReLU then zeroes half of it. Two classic choices of `s^2`:
# - **Xavier / Glorot**: `s^2 = 2 / (n_in + n_out)`, about `1/n`, right for tanh and sigmoid;
#   after each ReLU the variance halves, so the signal shrinks by `sqrt(2)` per layer;
# - **He / Kaiming**: `s^2 = 2 / n_in`, the factor 2 paying back what ReLU removes: the signal keeps
#   its scale through any depth.
#
# In a 10-layer ReLU network the difference compounds: `2^-10` in variance. Below: the standard
# deviation of each layer's activations on a batch of digits, and the loss after 100 SGD steps.

# %%
lesson.section()


def deep_relu_mlp(init, depth=10, width=64):
    layers, fan_in = [Standardize(pixel_mean, pixel_std)], n_features
    for _ in range(depth):
        linear = nn.Linear(fan_in, width)
        init(linear.weight)
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.ReLU()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(width, 10))


inits = {"Xavier": nn.init.xavier_normal_,
         "He": lambda weight: nn.init.kaiming_normal_(weight, nonlinearity="relu")}
init_std, init_losses = {}, {}
probe = train_inputs[:256]
for name, init in inits.items():
    torch.manual_seed(lesson.seed)
    model = deep_relu_mlp(init)
    stds, h = [], probe
    with torch.no_grad():
        for layer in model:
            h = layer(h)
            if isinstance(layer, nn.ReLU):
                stds.append(h.std().item())
    init_std[name] = stds
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    init_losses[name] = train_steps(model, optimizer, steps=100)
    print(f"  {name:6s} activation std, layers 1..10: {' '.join(f'{s:.3f}' for s in stds)}")
for name in inits:
    print(f"  {name:6s} loss after 100 steps: {np.mean(init_losses[name][-10:]):.3f}")
std_ratio = init_std["He"][-1] / init_std["Xavier"][-1]
print(f"  the 10th layer's signal is {std_ratio:.0f}x larger under He (expect 20-40x); Xavier's loss is "
      "still near log(10) = 2.3 (expect above 1.5), He's well below 1")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
for name, stds in init_std.items():
    left.plot(range(1, len(stds) + 1), stds, marker="o", label=name)
left.set(yscale="log", xlabel="layer", ylabel="activation std (log scale)",
         title="signal through a 10-layer ReLU MLP at initialization")
left.legend()
left.grid(True, alpha=0.3)
plot_curves(init_losses, xlabel="SGD step", ylabel="training loss", ax=right,
            title="training loss under each initialization")
lesson.save(fig, "initialization.png")

# %% [markdown]
# ## 4. Regularizers: dropout, batch norm, weight decay
# - **Dropout(p)** zeroes each activation with probability `p` during training and scales the
#   survivors by `1/(1-p)`, so the expected value is unchanged; at evaluation (`model.eval()`) it
#   does nothing. The network cannot rely on any single unit, which fights overfitting.
# - **BatchNorm1d** standardizes each feature over the batch, `(h - mean_batch) / std_batch`, then
#   applies a learned scale and shift. It keeps every layer's input well scaled (so training
#   tolerates larger learning rates) and keeps running averages of mean and variance for use at
#   evaluation, when there may be no batch to average over.
# - **Weight decay** pulls every weight toward 0 each step: AdamW does `w <- w - lr * wd * w`
#   beside the Adam update, which prefers small weights, that is, smoother functions.
#
# This is why `model.train()` and `model.eval()` exist: dropout and batch norm behave
# differently in the two modes.

# %%
lesson.section()
dropout = nn.Dropout(p=0.5)
ones = torch.ones(10_000)
dropped = dropout(ones)
print(f"Dropout(0.5) in training mode: {(dropped == 0).float().mean().item():.1%} zeroed, survivors = "
      f"{dropped.max().item():.1f}, mean {dropped.mean().item():.3f} (expect about 50%, 2.0 and 1.0)")
dropout.eval()
print(f"Dropout in eval mode: mean {dropout(ones).mean().item():.3f}, nothing zeroed")

batchnorm = nn.BatchNorm1d(3)
activations = torch.randn(256, 3) * torch.tensor([1.0, 5.0, 0.2]) + torch.tensor([3.0, -2.0, 10.0])
normalized = batchnorm(activations)
print(f"BatchNorm1d on features with means (3, -2, 10) and stds (1, 5, 0.2): output means "
      f"{[round(v, 3) for v in normalized.mean(0).tolist()]}, stds {[round(v, 3) for v in normalized.std(0).tolist()]}")
print(f"  running mean after one batch (momentum 0.1 moves it 10% of the way from 0): "
      f"{[round(v, 2) for v in batchnorm.running_mean.tolist()]}")

# %% [markdown]
# ## 5. Learning-rate schedules
# A constant learning rate is a compromise: large enough to make progress early, small enough to
# settle at the end. Schedules change it during training (`scheduler.step()` after each optimizer
# step here):
# - **step**: divide by 10 (`gamma=0.1`) every so many steps;
# - **warmup + cosine**: rise linearly from almost 0 (early gradients of a random network are
#   large and unreliable; Adam's statistics are not yet estimated), then follow half a cosine down
#   to 0: `lr_t = lr_max * (1 + cos(pi t / T)) / 2`. Built from `LinearLR` then `CosineAnnealingLR`
#   joined by `SequentialLR`; this is what we train with below;
# - **one-cycle**: up to a high peak and then far down, within a single run.

# %%
lesson.section()
epochs = (15 if data_name == "MNIST" else 60) if FULL else 15
steps_total = epochs * len(train_loader)
warmup_steps = max(1, steps_total // 20)
peak_lr = 1e-3 if FULL else 3e-3


def warmup_cosine(optimizer):
    return SequentialLR(optimizer, [LinearLR(optimizer, start_factor=0.01, total_iters=warmup_steps),
                                    CosineAnnealingLR(optimizer, T_max=steps_total - warmup_steps)],
                        milestones=[warmup_steps])


schedules = {
    "step (x0.1 every third)": lambda opt: StepLR(opt, step_size=steps_total // 3, gamma=0.1),
    "warmup + cosine": warmup_cosine,
    "one-cycle": lambda opt: OneCycleLR(opt, max_lr=peak_lr, total_steps=steps_total),
}
lr_curves = {}
for name, make in schedules.items():
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=peak_lr)
    scheduler = make(optimizer)
    lrs = []
    for _ in range(steps_total):
        lrs.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    lr_curves[name] = lrs
    print(f"  {name:24s} lr at steps 0, 5%, 25%, 50%, 90%: "
          + ", ".join(f"{lrs[int(f * steps_total)]:.1e}" for f in (0, 0.05, 0.25, 0.5, 0.9)))
lesson.save(plot_curves(lr_curves, xlabel="optimizer step", ylabel="learning rate",
                        title=f"learning-rate schedules over {steps_total} steps"), "lr_schedules.png")

# %% [markdown]
# ## 6. Gradient clipping and gradient accumulation
# **Clipping**: if the total gradient norm `||g||` (all parameters together) exceeds `max_norm`,
# scale every gradient by `max_norm / ||g||`: the direction is kept, a rare huge step is not taken.
# `clip_grad_norm_` returns the norm *before* clipping, which is worth logging: spikes in it are
# the first sign of instability.

# %%
lesson.section()
torch.manual_seed(lesson.seed)
model = small_mlp()
x, y = next(iter(train_loader))
F.cross_entropy(model(x), y).backward()
pre_clip = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5).item()
post_clip = nn.utils.get_total_norm([p.grad for p in model.parameters()]).item()
print(f"gradient norm before clipping {pre_clip:.3f}, after clip_grad_norm_(max_norm=0.5): {post_clip:.3f}")

# %% [markdown]
# **Accumulation**: when a batch of 256 does not fit in memory, run 4 micro-batches of 64 and call
# `backward()` on each *without* `zero_grad()` in between: gradients add up in `.grad`. Dividing
# each micro-batch's mean loss by 4 makes the sum equal the mean over all 256:
# `grad(mean of 256) = sum_k grad(mean of micro-batch k) / 4`. Only the float32 rounding differs.
#
# One catch: batch norm computes its statistics per micro-batch, so with batch norm the two are
# no longer the same function, and the gradients differ for real.

# %%
lesson.section()
big_x, big_y = next(iter(DataLoader(train_set, batch_size=256, shuffle=True)))


def gradients(model, micro_batches):
    """The gradient of the mean loss over big_x, in `micro_batches` accumulated pieces."""
    model.zero_grad()
    for x, y in zip(big_x.chunk(micro_batches), big_y.chunk(micro_batches)):
        (F.cross_entropy(model(x), y) / micro_batches).backward()
    return [p.grad.clone() for p in model.parameters()]


def largest_difference(grads_a, grads_b):
    return max((a - b).abs().max().item() for a, b in zip(grads_a, grads_b))


torch.manual_seed(lesson.seed)
model = small_mlp()
full_batch, accumulated = gradients(model, 1), gradients(model, 4)
accumulation_error = largest_difference(full_batch, accumulated)
largest_gradient = max(g.abs().max().item() for g in full_batch)
print(f"full batch of 256 vs 4 accumulated micro-batches of 64: largest difference {accumulation_error:.1e} "
      f"(largest gradient entry {largest_gradient:.3f}; expect 1e-7 or less: float32 rounding)")
w_full, w_acc = full_batch[0][0, :3].tolist(), accumulated[0][0, :3].tolist()
print(f"  e.g. first weights' gradients: {[f'{v:.7f}' for v in w_full]} vs {[f'{v:.7f}' for v in w_acc]}")

torch.manual_seed(lesson.seed)
bn_model = nn.Sequential(Standardize(pixel_mean, pixel_std), nn.Linear(n_features, 64), nn.BatchNorm1d(64),
                         nn.ReLU(), nn.Linear(64, 10))
batchnorm_error = largest_difference(gradients(bn_model, 1), gradients(bn_model, 4))
print(f"  the same with a BatchNorm1d layer: largest difference {batchnorm_error:.1e} (not rounding: "
      "each micro-batch is normalized with its own statistics)")

# %% [markdown]
# ## 7. The real run: early stopping and checkpoints
# Everything together: standardized inputs, He-initialized `Linear -> BatchNorm -> ReLU ->
# Dropout` blocks, AdamW with weight decay, warmup + cosine, gradient clipping (logged), and the
# label smoothing of lesson 5 (targets 0.9 / 0.01 instead of 1 / 0: no reward for overconfidence).
# The losses we report are the plain cross-entropy. `--full` uses a wider MLP with more dropout
# (0.5) and a lower peak learning rate, for 60 epochs.
#
# **Early stopping**: after each epoch, measure the validation loss. While it improves, save a
# **checkpoint** (`tinynn.save` of the model's `state_dict()`, plus the epoch and validation
# accuracy); when it has not improved for `patience` epochs, stop. Then restore the best
# checkpoint: the model we keep is the one from the best epoch, not the last.

# %%
lesson.section()


def make_mlp(width, depth=2, dropout=0.2, batchnorm=True):
    layers, fan_in = [Standardize(pixel_mean, pixel_std)], n_features
    for _ in range(depth):
        linear = nn.Linear(fan_in, width)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if batchnorm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU())
        if dropout:
            layers.append(nn.Dropout(dropout))
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(fan_in, 10))


def fit(model, optimizer, epochs, loader, scheduler=None, patience=None, checkpoint=None, max_norm=None,
        label_smoothing=0.0, quiet=False):
    """Train for up to `epochs` epochs; returns the per-epoch history and the best epoch."""
    history = {"train loss": [], "val loss": [], "train accuracy": [], "val accuracy": [], "grad norm": []}
    best_loss, best_epoch, waited = float("inf"), 0, 0
    progress = Progress(epochs, lines=6)
    for epoch in range(1, epochs + 1):
        model.train()
        for x, y in loader:
            loss = F.cross_entropy(model(x), y, label_smoothing=label_smoothing)
            optimizer.zero_grad()
            loss.backward()
            if max_norm is not None:
                history["grad norm"].append(nn.utils.clip_grad_norm_(model.parameters(), max_norm).item())
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
        train_loss, train_accuracy = evaluate(model, *loader.dataset.tensors)  # the whole training set
        val_loss, val_accuracy = evaluate(model, val_inputs, val_targets)
        for key, value in zip(history, (train_loss, val_loss, train_accuracy, val_accuracy)):
            history[key].append(value)
        if not quiet:
            progress(epoch, train_loss=train_loss, val_loss=val_loss, val_acc=val_accuracy)
        if val_loss < best_loss:
            best_loss, best_epoch, waited = val_loss, epoch, 0
            if checkpoint is not None:
                torch.save({"model": model.state_dict(), "epoch": epoch, "val_accuracy": val_accuracy}, checkpoint)
        else:
            waited += 1
            if patience is not None and waited >= patience:
                print(f"  early stopping after epoch {epoch}: no better validation loss for {patience} epochs")
                break
    return history, best_epoch


width, dropout_p = (512, 0.5) if FULL else (128, 0.2)
patience = 20 if FULL else 5
checkpoint_path = lesson.figures / "best_mlp.pt"
torch.manual_seed(lesson.seed)
model = make_mlp(width, dropout=dropout_p)
n_parameters = sum(p.numel() for p in model.parameters())
print(f"MLP {n_features}-{width}-{width}-10 with batch norm and dropout {dropout_p}: {n_parameters:,} parameters; "
      f"up to {epochs} epochs, patience {patience}")
optimizer = torch.optim.AdamW(model.parameters(), lr=peak_lr, weight_decay=0.05)
history, best_epoch = fit(model, optimizer, epochs, train_loader, scheduler=warmup_cosine(optimizer),
                          patience=patience, checkpoint=checkpoint_path, max_norm=5.0, label_smoothing=0.1)
norms = np.array(history["grad norm"])
print(f"best epoch {best_epoch} of {len(history['val loss'])} run: validation loss "
      f"{history['val loss'][best_epoch - 1]:.4f}, accuracy {history['val accuracy'][best_epoch - 1]:.1%} "
      "(with label smoothing even the training loss stays near 0.1: certainty is never rewarded)")
print(f"gradient norm before clipping: median {np.median(norms):.2f}, largest {norms.max():.2f}; "
      f"clipped at 5.0 in {(norms > 5.0).mean():.0%} of {len(norms)} steps")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
plot_curves({"MLP": {"train": history["train loss"], "val": history["val loss"]}}, ylabel="cross-entropy",
            logy=True, ax=left, title="loss (best epoch marked)")
plot_curves({"MLP": {"train": history["train accuracy"], "val": history["val accuracy"]}}, ylabel="accuracy",
            ax=right, title="accuracy")
for ax in (left, right):
    ax.axvline(best_epoch, color="gray", linestyle=":", label="best epoch")
    ax.legend(fontsize=8)
lesson.save(fig, "training_curves.png")

# %% [markdown]
# Restore: build a fresh model (new random weights) and load the checkpoint into it. Its
# validation accuracy must be exactly the one saved with it: the checkpoint holds every weight,
# and the batch-norm running statistics and the pixel mean and std as buffers.

# %%
lesson.section()
checkpoint = torch.load(checkpoint_path)
restored = make_mlp(width, dropout=dropout_p)
print(f"a fresh model before loading: validation accuracy {evaluate(restored, val_inputs, val_targets)[1]:.1%}")
restored.load_state_dict(checkpoint["model"])
restored_val_accuracy = evaluate(restored, val_inputs, val_targets)[1]
print(f"restored from {checkpoint_path.name} (epoch {checkpoint['epoch']}): validation accuracy "
      f"{restored_val_accuracy:.4%}, saved {checkpoint['val_accuracy']:.4%}, "
      f"equal: {restored_val_accuracy == checkpoint['val_accuracy']}")

test_loss, test_accuracy = evaluate(restored, test_inputs, test_labels)
expected = ">= 97%" if FULL else "about 96-97%; --full reaches >= 97%"
print(f"held-out test accuracy: {test_accuracy:.2%} ({round(test_accuracy * len(test_labels))}/{len(test_labels)}; "
      f"expect {expected}), test loss {test_loss:.3f}")
restored.eval()
with torch.no_grad():
    predictions = restored(test_inputs).argmax(1)
wrong = (predictions != test_labels).nonzero().reshape(-1)[:16]
lesson.save(plot_images(test_images[wrong], test_labels[wrong], predictions[wrong], ncols=8,
                        title="test digits the MLP gets wrong"), "mistakes.png")

# %% [markdown]
# ## 8. A debugging checklist, on deliberately broken runs
# When training goes wrong, the symptom usually says which way:
#
# | symptom | likely cause | fix |
# |---|---|---|
# | loss does not fall at all | learning rate far too small | raise it (about 1e-3 for Adam) |
# | loss falls, then jumps about or climbs | `zero_grad()` forgotten: gradients pile up | zero them every step |
# | loss grows 10x per step, then inf, NaN | learning rate far too large | lower it; clip; `isfinite` check |
# | train accuracy ~100%, validation far lower | overfitting: too little data | more data, regularization, early stop |
# | training accuracy itself is low | underfitting: model too small | a bigger model; train longer |

# %%
lesson.section()
debug_steps = 150


def fresh(width=64):
    torch.manual_seed(lesson.seed)
    return small_mlp(width)


print("1. loss not falling")
model = fresh()
tiny_lr = train_steps(model, torch.optim.Adam(model.parameters(), lr=1e-6), debug_steps)
model = fresh()
no_zero_grad = train_steps(model, torch.optim.SGD(model.parameters(), lr=0.1), debug_steps, zero_grad=False)
model = fresh()
healthy = train_steps(model, torch.optim.SGD(model.parameters(), lr=0.1), debug_steps)
print(f"   symptom (Adam, lr 1e-6): loss {tiny_lr[0]:.3f} -> {tiny_lr[-1]:.3f} after {debug_steps} steps, "
      f"{1 - tiny_lr[-1] / tiny_lr[0]:.2%} lower")
late = no_zero_grad[-50:]
print(f"   symptom (SGD lr 0.1, no zero_grad): loss {no_zero_grad[0]:.3f} -> {np.mean(no_zero_grad[20:30]):.3f} "
      f"around step 25, then over the last 50 steps it swings between {min(late):.2f} and {max(late):.1f} "
      f"(mean {np.mean(late):.2f}): "
      "every step adds all past gradients again")
print(f"   fix (zero_grad every step, and a learning rate that moves: SGD 0.1 here, about 1e-3 for Adam): "
      f"loss {healthy[0]:.3f} -> {np.mean(healthy[-10:]):.3f} (mean of the last 10 steps)")

print("2. NaN loss")
model = fresh()
optimizer = torch.optim.SGD(model.parameters(), lr=10.0)
with np.errstate(over="ignore", invalid="ignore"):  # NumPy's "overflow" warnings are a symptom too
    exploding = train_steps(model, optimizer, debug_steps, stop_when_not_finite=True)
    nan_step = len(exploding) - 1
    print(f"   symptom (SGD, lr 10): loss {exploding[0]:.2f}, {exploding[5]:.3g} at step 5, "
          f"{exploding[-2]:.3g} at step {nan_step - 1}; the isfinite check stops at step {nan_step}: "
          f"loss = {exploding[-1]}")
    # Where does it break? Let it go on under anomaly detection: backward stops at the first op
    # whose gradient is not finite and names it (and the line of our code that created it).
    anomaly = "none"
    with torch.autograd.detect_anomaly():
        for extra_step in range(1, 6):
            x, y = next(iter(train_loader))
            optimizer.zero_grad()
            try:
                F.cross_entropy(model(x), y).backward()
            except RuntimeError as error:
                anomaly = str(error).splitlines()[0]
                break
            optimizer.step()
print(f"   detect_anomaly, {extra_step} step(s) later: {anomaly}")
model = fresh()
fixed = train_steps(model, torch.optim.SGD(model.parameters(), lr=0.1), debug_steps, stop_when_not_finite=True)
print(f"   fix (lr 0.1): all {len(fixed)} losses finite, {fixed[0]:.3f} -> {fixed[-1]:.3f}")

print("3. overfitting")
tiny_loader = DataLoader(TensorDataset(train_inputs[:50], train_targets[:50]), batch_size=50, shuffle=True)
torch.manual_seed(lesson.seed)
model = make_mlp(256, dropout=0, batchnorm=False)
tiny_parameters = sum(p.numel() for p in model.parameters())
patience_tiny = 25
overfit, overfit_best = fit(model, torch.optim.Adam(model.parameters(), lr=3e-3), 100, tiny_loader,
                            patience=patience_tiny, quiet=True)
overfit_gap = overfit["train accuracy"][-1] - overfit["val accuracy"][-1]
print(f"   symptom (50 training images, {tiny_parameters:,} parameters, no regularization): train accuracy "
      f"{overfit['train accuracy'][-1]:.1%}, validation {overfit['val accuracy'][-1]:.1%}: a gap of "
      f"{overfit_gap:.1%}; the validation loss bottomed at epoch {overfit_best} "
      f"({min(overfit['val loss']):.3f}) and rose to {overfit['val loss'][-1]:.3f} while the training loss "
      f"fell to {overfit['train loss'][-1]:.1e}")
main_gap = history["train accuracy"][best_epoch - 1] - history["val accuracy"][best_epoch - 1]
print(f"   fix (all {len(train_set)} training images, with dropout and weight decay: the run of section 7): "
      f"gap {main_gap:.1%}. Early stopping cut the tiny run short, {patience_tiny} epochs after its best epoch")

print("4. underfitting")
torch.manual_seed(lesson.seed)
model = small_mlp(width=2)
underfit, _ = fit(model, torch.optim.Adam(model.parameters(), lr=1e-2), 8, train_loader, quiet=True)
torch.manual_seed(lesson.seed)
model = small_mlp(width=64)
wider, _ = fit(model, torch.optim.Adam(model.parameters(), lr=1e-2), 8, train_loader, quiet=True)
print(f"   symptom (hidden width 2, 8 epochs): train accuracy {underfit['train accuracy'][-1]:.1%}, "
      f"validation {underfit['val accuracy'][-1]:.1%}: low on the training data itself")
print(f"   fix (hidden width 64): train {wider['train accuracy'][-1]:.1%}, validation {wider['val accuracy'][-1]:.1%}")

fig, axes = plt.subplots(2, 2, figsize=(11, 8))
plot_curves({"lr 1e-6": tiny_lr, "no zero_grad": no_zero_grad, "fixed": healthy}, xlabel="step",
            ylabel="training loss", ax=axes[0, 0], title="1. loss not falling")
plot_curves({"lr 10": exploding[:-1], "lr 0.1 (fixed)": fixed}, xlabel="step", ylabel="training loss", logy=True,
            ax=axes[0, 1], title=f"2. exploding loss: not finite at step {nan_step}")
plot_curves({"50 images": {"train": overfit["train loss"], "val": overfit["val loss"]}}, ylabel="cross-entropy",
            ax=axes[1, 0], logy=True, title="3. overfitting: validation loss turns up")
axes[1, 0].axvline(overfit_best, color="gray", linestyle=":")
plot_curves({"width 2": {"train": underfit["train accuracy"], "val": underfit["val accuracy"]},
             "width 64": {"train": wider["train accuracy"], "val": wider["val accuracy"]}},
            ylabel="accuracy", ax=axes[1, 1], title="4. underfitting: even training accuracy is low")
fig.tight_layout()
lesson.save(fig, "debugging.png")

# %% [markdown]
# ## What to remember
# Split before you look (the test set only at the end); compute normalization statistics on the
# training split; He initialization for ReLU networks; regularize (dropout, batch norm, weight
# decay) and stop early on the validation loss, keeping the best checkpoint; schedule the
# learning rate; log the gradient norm and clip it; and read a failing run by its symptoms.

# %%
lesson.section()
lesson.summary(
    data=data_name,
    test_accuracy=test_accuracy,
    best_epoch=best_epoch,
    epochs_run=len(history["val loss"]),
    saved_val_accuracy=checkpoint["val_accuracy"],
    restored_val_accuracy=restored_val_accuracy,
    normalization_loss_raw=normalization_loss[False],
    normalization_loss_standardized=normalization_loss[True],
    xavier_last_std=init_std["Xavier"][-1],
    he_last_std=init_std["He"][-1],
    xavier_loss=float(np.mean(init_losses["Xavier"][-10:])),
    he_loss=float(np.mean(init_losses["He"][-10:])),
    pre_clip_norm=pre_clip,
    post_clip_norm=post_clip,
    accumulation_error=accumulation_error,
    batchnorm_accumulation_error=batchnorm_error,
    tiny_lr_loss_ratio=tiny_lr[-1] / tiny_lr[0],
    no_zero_grad_late_loss=float(np.mean(late)),
    healthy_final_loss=float(np.mean(healthy[-10:])),
    nan_step=nan_step,
    anomaly_detected=anomaly != "none",
    overfit_gap=overfit_gap,
    overfit_epochs_run=len(overfit["val loss"]),
    overfit_best_epoch=overfit_best,
    main_gap=main_gap,
    underfit_train_accuracy=underfit["train accuracy"][-1],
    wider_train_accuracy=wider["train accuracy"][-1],
)
