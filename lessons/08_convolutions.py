# %% [markdown]
# # Lesson 8: convolutions
#
# An MLP treats an image as a flat list of pixels: it would have to learn "a stroke" separately at
# every position. A **convolution** slides one small filter over the whole image instead, so the
# same few weights look for the same pattern everywhere (weight sharing), and each output only
# depends on a small neighbourhood (locality).
#
# This lesson writes 2-D convolution three ways (explicit loops, im2col + one matrix product,
# tinynn's `F.conv2d`) and checks they agree; works out the output size under padding, stride and
# pooling; then trains a LeNet-style CNN on real handwritten digits and looks inside it.
#
# Run: `python lessons/08_convolutions.py` (under a minute), or `--full` (about 1 to 3 minutes on
# 2 cores) for the >= 98% held-out accuracy.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import load_digits
from tinynn.viz import plot_curves, plot_feature_maps, plot_filters, plot_images

lesson = Lesson(8, "convolutions", full_takes="about 1 to 3 minutes")
torch.manual_seed(lesson.seed)
FULL = lesson.full
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## Convolution as explicit loops
# With input `x: (N, C, H, W)`, filters `w: (O, C, kh, kw)` and bias `b: (O,)`, each output pixel is a
# dot product between one filter and the window of the input under it:
#
# `y[n, o, i, j] = b[o] + sum over c, a, e of  x[n, c, i*s + a, j*s + e] * w[o, c, a, e]`
#
# (stride `s`; padding adds `p` rows and columns of zeros around `x` first). Deep-learning
# libraries call this convolution although, strictly, it is cross-correlation: the filter is not
# flipped. Written as four loops, exactly as the formula reads:


# %%
lesson.section()


def conv2d_loops(x, w, b, stride=1, padding=0):
    """x: (N, C, H, W), w: (O, C, kh, kw), b: (O,) -> (N, O, Ho, Wo), one output pixel at a time."""
    n_images, _, height, width = x.shape
    n_filters, _, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out_h = (height + 2 * padding - kh) // stride + 1
    out_w = (width + 2 * padding - kw) // stride + 1
    y = np.zeros((n_images, n_filters, out_h, out_w), dtype=x.dtype)
    for n in range(n_images):
        for o in range(n_filters):
            for i in range(out_h):
                for j in range(out_w):
                    window = x[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    y[n, o, i, j] = np.sum(window * w[o]) + b[o]
    return y


# A tiny example a student can check by hand: a vertical-edge filter on a 5 x 5 image whose right
# half is bright.
image = np.zeros((1, 1, 5, 5), dtype=np.float32)
image[..., 3:] = 1.0
edge_filter = np.array([[[[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]]], dtype=np.float32)
print("input (right half bright):\n", image[0, 0])
print("vertical-edge filter output (expect 3 where the window straddles the edge, 0 elsewhere):\n",
      conv2d_loops(image, edge_filter, np.zeros(1, dtype=np.float32))[0, 0])

# %% [markdown]
# ## im2col: the whole convolution as one matrix product
# The loops above compute `N * O * Ho * Wo` small dot products, each in interpreted Python. The
# trick every fast library uses: copy every window into a row of one big matrix (**im2col**,
# "image to columns"), flatten each filter into a column, and do a single matrix product, which
# NumPy hands to an optimized BLAS routine:
#
# `cols: (N*Ho*Wo, C*kh*kw)  @  w.reshape(O, C*kh*kw).T: (C*kh*kw, O)  ->  (N*Ho*Wo, O)`
#
# Building `cols` needs only `kh * kw` slicing steps, not one per window: for each filter offset
# `(a, e)`, the pixels that offset sees in every window form one strided slice of the input.


# %%
lesson.section()


def im2col(x, kh, kw, stride=1, padding=0):
    """x: (N, C, H, W) -> cols: (N*Ho*Wo, C*kh*kw), one row per window, and (Ho, Wo)."""
    n_images, channels, height, width = x.shape
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out_h = (height + 2 * padding - kh) // stride + 1
    out_w = (width + 2 * padding - kw) // stride + 1
    cols = np.zeros((n_images, channels, kh, kw, out_h, out_w), dtype=x.dtype)
    for a in range(kh):
        for e in range(kw):
            # offset (a, e) of every window at once: rows a, a+s, a+2s, ...; columns e, e+s, ...
            cols[:, :, a, e] = x[:, :, a:a + stride * out_h:stride, e:e + stride * out_w:stride]
    # (N, C, kh, kw, Ho, Wo) -> (N, Ho, Wo, C, kh, kw) -> one row per window
    cols = cols.transpose(0, 4, 5, 1, 2, 3).reshape(n_images * out_h * out_w, channels * kh * kw)
    return cols, (out_h, out_w)


def conv2d_im2col(x, w, b, stride=1, padding=0):
    n_images = x.shape[0]
    n_filters, _, kh, kw = w.shape
    cols, (out_h, out_w) = im2col(x, kh, kw, stride, padding)
    y = cols @ w.reshape(n_filters, -1).T + b          # (N*Ho*Wo, O): the one matrix product
    return y.reshape(n_images, out_h, out_w, n_filters).transpose(0, 3, 1, 2)


# %% [markdown]
# The three implementations must agree to float32 rounding (about 1e-6), with and without
# padding and stride. Then a race on a batch of 4 images of 12 x 12 with 3 channels and 8 filters.

# %%
lesson.section()
x = rng.standard_normal((4, 3, 12, 12)).astype(np.float32)
w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
b = rng.standard_normal(8).astype(np.float32)
print("max |difference| between the implementations (expect below 1e-5):")
for stride, padding in [(1, 0), (1, 1), (2, 1)]:
    loops = conv2d_loops(x, w, b, stride, padding)
    matrix = conv2d_im2col(x, w, b, stride, padding)
    library = F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=stride, padding=padding).numpy()
    print(f"  stride {stride}, padding {padding}: output {loops.shape}  loops vs im2col "
          f"{np.abs(loops - matrix).max():.1e}   loops vs tinynn F.conv2d {np.abs(loops - library).max():.1e}")
conv_max_difference = float(max(np.abs(loops - matrix).max(), np.abs(loops - library).max()))
cols, _ = im2col(x, 3, 3, stride=1, padding=1)
print(f"the im2col matrix for input {x.shape} and 3x3 filters: {cols.shape} = (N*Ho*Wo, C*kh*kw), "
      f"{cols.size / x.size:.0f} x the input's size (each pixel copied into up to 9 windows)")


def best_time(function, repeats):
    """The fastest of a few runs: the least disturbed by whatever else the machine is doing."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


x_t, w_t, b_t = torch.tensor(x), torch.tensor(w), torch.tensor(b)
time_loops = best_time(lambda: conv2d_loops(x, w, b, 1, 1), 2)
time_im2col = best_time(lambda: conv2d_im2col(x, w, b, 1, 1), 20)
time_tinynn = best_time(lambda: F.conv2d(x_t, w_t, b_t, padding=1), 20)
print(f"time for one convolution of {x.shape} with {w.shape} filters (best of several runs):")
print(f"  explicit loops  {time_loops * 1e3:8.2f} ms")
print(f"  im2col + matmul {time_im2col * 1e3:8.2f} ms   ({time_loops / time_im2col:.0f} x faster than the "
      "loops; expect hundreds of times or more)")
print(f"  tinynn F.conv2d {time_tinynn * 1e3:8.2f} ms   (the same im2col idea, with a strided view instead of "
      "copies)")
speedup = time_loops / time_im2col

# %% [markdown]
# ## Padding, stride and pooling: the output size
# Along each spatial axis, with input size `H`, kernel `k`, padding `p` and stride `s`:
#
# `H_out = floor((H + 2p - k) / s) + 1`
#
# * `p = (k - 1) / 2` with `s = 1` keeps the size ("same" padding): `3 x 3` kernels with `p = 1`.
# * stride 2 roughly halves it: the network sees less detail but a wider area per output pixel.
# * pooling uses the same formula: a `2 x 2` max pool with stride 2 keeps the largest of each
#   `2 x 2` block and halves the size, without any weights to learn.
#
# Each row below predicts the size with the formula and measures it with tinynn.

# %%
lesson.section()
print(f"{'operation':<34}{'input':>7}{'formula':>9}{'tinynn':>8}")
size_checks = []
probe_w = torch.randn(1, 1, 5, 5)
for label, size, kernel, padding, stride in [
    ("conv 3x3, no padding", 28, 3, 0, 1), ("conv 3x3, padding 1 ('same')", 28, 3, 1, 1),
    ("conv 5x5, padding 2 ('same')", 28, 5, 2, 1), ("conv 3x3, stride 2, padding 1", 28, 3, 1, 2),
    ("conv 5x5, stride 2, no padding", 13, 5, 0, 2),
]:
    formula = (size + 2 * padding - kernel) // stride + 1
    measured = F.conv2d(torch.randn(1, 1, size, size), probe_w[..., :kernel, :kernel],
                        stride=stride, padding=padding).shape[-1]
    size_checks.append(formula == measured)
    print(f"{label:<34}{size:>7}{formula:>9}{measured:>8}")
for label, size, kernel, stride in [("max pool 2x2, stride 2", 28, 2, 2), ("max pool 2x2, stride 2 (odd)", 7, 2, 2),
                                    ("max pool 3x3, stride 2", 14, 3, 2)]:
    formula = (size - kernel) // stride + 1
    measured = F.max_pool2d(torch.randn(1, 1, size, size), kernel, stride).shape[-1]
    size_checks.append(formula == measured)
    print(f"{label:<34}{size:>7}{formula:>9}{measured:>8}")
print(f"formula matches tinynn in {sum(size_checks)}/{len(size_checks)} cases (expect all)")

block = torch.tensor([[1.0, 3.0, 2.0, 0.0], [4.0, 2.0, 1.0, 1.0], [0.0, 1.0, 5.0, 6.0], [2.0, 2.0, 7.0, 1.0]])
print("max pool 2x2 of\n", block.numpy(), "\n=\n", F.max_pool2d(block.reshape(1, 1, 4, 4), 2)[0, 0].numpy(),
      "  (expect [[4, 2], [2, 7]])")

# %% [markdown]
# ## A LeNet-style CNN on handwritten digits
# LeNet (LeCun et al., 1989-1998) read handwritten ZIP codes and cheques with this shape of network:
# convolution, pool, convolution, pool, then a small MLP on the features.
#
# `28x28 -> conv 5x5 (6) -> 28x28 -> pool -> 14x14 -> conv 5x5 (16) -> 10x10 -> pool -> 5x5 -> 400
# -> 120 -> 84 -> 10`
#
# The data are real handwriting: the 8 x 8 UCI digits shipped with tinynn (1,438 training and 359
# held-out images), upscaled to LeNet's 28 x 28. Training also shifts each image by up to 3 pixels
# at random (a digit moved a little is still the same digit), a cheap way to get more varied
# training data; lesson 9 measures what such data augmentation is worth.

# %%
lesson.section()
train_images, train_labels = load_digits("train", image_size=28)
test_images, test_labels = load_digits("test", image_size=28)
mean, std = train_images.mean().item(), train_images.std().item()
print(f"digits: train {tuple(train_images.shape)}, test {tuple(test_images.shape)}, pixel mean {mean:.3f}")

model = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),    # (6, 14, 14)
    nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),              # (16, 5, 5)
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
    nn.Linear(120, 84), nn.ReLU(),
    nn.Linear(84, 10),
)
conv_params = sum(p.numel() for layer in (model[0], model[3]) for p in layer.parameters())
total_params = sum(p.numel() for p in model.parameters())
print(f"LeNet parameters: {total_params:,} in all, only {conv_params:,} of them in the two convolutions "
      f"(an MLP layer from 784 pixels to 120 units alone would need {784 * 120 + 120:,})")


def random_shift(images, max_shift):
    """Move each image by up to max_shift pixels in each direction, filling with empty paper (0)."""
    n, c, h, w = images.shape
    rows = torch.zeros(n, c, max_shift, w)
    padded = torch.cat([rows, images, rows], dim=2)
    columns = torch.zeros(n, c, h + 2 * max_shift, max_shift)
    padded = torch.cat([columns, padded, columns], dim=3)
    dy = torch.randint(0, 2 * max_shift + 1, (n,))
    dx = torch.randint(0, 2 * max_shift + 1, (n,))
    return torch.stack([padded[k, :, int(dy[k]):int(dy[k]) + h, int(dx[k]):int(dx[k]) + w] for k in range(n)])


def accuracy(model, images, labels):
    model.eval()
    with torch.no_grad():
        predicted = model((images - mean) / std).argmax(dim=1)
    model.train()
    return (predicted == labels).float().mean().item(), predicted


epochs = 30 if FULL else 8
batch_size = 64
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
steps_per_epoch = (len(train_images) + batch_size - 1) // batch_size
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=epochs * steps_per_epoch)
history = {"train loss": [], "test accuracy": []}
progress = Progress(epochs)
start = time.perf_counter()
for epoch in range(1, epochs + 1):
    order = torch.randperm(len(train_images))
    epoch_loss = 0.0
    for first in range(0, len(train_images), batch_size):
        batch = order[first:first + batch_size]
        images = (random_shift(train_images[batch], 3) - mean) / std
        loss = F.cross_entropy(model(images), train_labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        epoch_loss += loss.item() * len(batch)
    history["train loss"].append(epoch_loss / len(train_images))
    history["test accuracy"].append(accuracy(model, test_images, test_labels)[0])
    progress(epoch, loss=history["train loss"][-1], test_accuracy=history["test accuracy"][-1])
train_seconds = time.perf_counter() - start
test_accuracy, predictions = accuracy(model, test_images, test_labels)
errors = int((predictions != test_labels).sum().item())
print(f"LeNet after {epochs} epochs ({train_seconds:.0f} s): held-out accuracy {test_accuracy:.2%}, "
      f"{errors} of {len(test_labels)} wrong "
      f"({'expect 98% or more' if FULL else 'expect 95-98%; --full reaches 98% or more'})")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
plot_curves({"LeNet": history["train loss"]}, ylabel="training loss", ax=left, title="training loss")
plot_curves({"LeNet": history["test accuracy"]}, ylabel="held-out accuracy", ax=right,
            title="held-out accuracy")
lesson.save(fig, "training.png")

# %% [markdown]
# ## What the network got wrong
# The first held-out digits with the network's answers; mistakes are titled in red. The 8 x 8
# originals are coarse: some mistakes are digits a person would hesitate over too.

# %%
lesson.section()
wrong = (predictions != test_labels).numpy().nonzero()[0]
shown = np.concatenate([wrong[:8], np.setdiff1d(np.arange(24), wrong)])[:24]
lesson.save(plot_images(test_images[shown], test_labels[shown], predictions[shown], ncols=8,
                        title="held-out digits: label and prediction (red = wrong)"), "predictions.png")

# %% [markdown]
# ## Inside the CNN: learned filters and feature maps
# The first layer's six 5 x 5 filters (red = positive weight, blue = negative): after training,
# several are edge detectors (one side red, the other blue) at different orientations. The
# **feature maps** are what each filter reports at every position of one digit: bright where its
# pattern is found.
# The second layer combines them into larger parts, on a coarser 10 x 10 grid.

# %%
lesson.section()
lesson.save(plot_filters(model[0].weight, ncols=6, title="first-layer filters"), "filters.png")
digit = (test_images[:1] - mean) / std
with torch.no_grad():
    first_maps = model[:2](digit)      # conv 1 + ReLU: (1, 6, 28, 28)
    second_maps = model[:5](digit)     # ... + pool + conv 2 + ReLU: (1, 16, 10, 10)
print(f"feature maps of one test digit (a {int(test_labels[0])}): first layer {tuple(first_maps.shape)}, "
      f"second layer {tuple(second_maps.shape)}")
lesson.save(plot_feature_maps(first_maps, ncols=6, title=f"first-layer feature maps of a {int(test_labels[0])}"),
            "feature_maps_1.png")
lesson.save(plot_feature_maps(second_maps, ncols=8, title=f"second-layer feature maps of a {int(test_labels[0])}"),
            "feature_maps_2.png")

lesson.summary(accuracy=test_accuracy, first_loss=history["train loss"][0], final_loss=history["train loss"][-1],
               conv_max_difference=conv_max_difference, im2col_speedup=speedup,
               size_formula_checks=f"{sum(size_checks)}/{len(size_checks)}", epochs=epochs,
               train_seconds=round(train_seconds, 1))
