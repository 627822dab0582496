# %% [markdown]
# # Lesson 9: modern CNNs
#
# LeNet (lesson 8) has two convolutions. The networks that won ImageNet from 2015 on have dozens
# to hundreds, and three ideas made that possible and cheap:
#
# * **residual blocks** (ResNet, He et al. 2015): each block learns a *correction* `F(x)` added to
#   its input, `y = relu(x + F(x))`, with batch norm inside `F`;
# * **channel attention** (squeeze-and-excitation, Hu et al. 2017): a block reweights its own
#   channels by how useful they look for this image;
# * **global average pooling**: average each channel's map to one number, instead of flattening
#   into a huge linear layer, so the network works at any image size.
#
# Then we measure *why* skip connections let deep networks train (gradient norms, layer by
# layer), and two training tricks: data augmentation and progressive resizing.
#
# Run: `python lessons/09_modern_cnns.py` (under a minute), or `--full` (about 3 to 5 minutes on
# 2 cores) for longer training and clearer differences.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import load_digits
from tinynn.viz import gradient_norms, plot_curves, plot_gradient_norms, plot_images

lesson = Lesson(9, "modern CNNs", full_takes="about 3 to 5 minutes")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## The residual block
# Two 3 x 3 convolutions, each followed by batch norm (lesson 7: normalize each channel over the
# batch, then scale and shift with learned `gamma, beta`), and the input added back:
#
# `y = relu(x + BN(conv(relu(BN(conv(x))))))`
#
# When the block changes the number of channels or the resolution (stride 2), `x` no longer has
# `F(x)`'s shape, so the shortcut becomes a 1 x 1 convolution (a "projection") with the same
# stride. The convolutions have no bias: the batch norm right after them would cancel it.


# %%
lesson.section()


class SqueezeExcitation(nn.Module):
    """Channel attention: s = sigmoid(W2 relu(W1 mean_hw(x))), y = x * s per channel.

    squeeze: global average pooling, one number per channel, (N, C, H, W) -> (N, C);
    excite: a small bottleneck MLP (C -> C/r -> C) with a sigmoid gives each channel a weight in (0, 1).
    """

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        self.squeeze_to = nn.Linear(channels, channels // reduction)
        self.expand_to = nn.Linear(channels // reduction, channels)

    def channel_weights(self, x):
        summary = x.mean(dim=(2, 3))                                            # (N, C)
        return torch.sigmoid(self.expand_to(torch.relu(self.squeeze_to(summary))))

    def forward(self, x):
        return x * self.channel_weights(x)[:, :, None, None]                   # broadcast over H, W


class ResidualBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, attention: bool = True):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.attention = SqueezeExcitation(out_channels) if attention else nn.Identity()
        if stride == 1 and in_channels == out_channels:
            self.shortcut = nn.Identity()
        else:   # a projection: match the channels and the resolution of F(x)
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_channels))

    def forward(self, x):
        correction = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(self.shortcut(x) + self.attention(correction))


def count(module):
    return sum(p.numel() for p in module.parameters())


x = torch.randn(2, 16, 8, 8)
same, down = ResidualBlock(16, 16), ResidualBlock(16, 32, stride=2)
print(f"residual block 16 -> 16:            {tuple(x.shape)} -> {tuple(same(x).shape)}, {count(same):,} parameters")
print(f"residual block 16 -> 32, stride 2:  {tuple(x.shape)} -> {tuple(down(x).shape)}, {count(down):,} parameters "
      f"(of which {count(down.shortcut)} in the 1x1 projection)")
se = same.attention
with torch.no_grad():
    weights = se.channel_weights(x)
print(f"squeeze-and-excitation on 16 channels: {count(se)} parameters "
      f"({100 * count(se) / count(same):.0f}% of the block); channel weights for the first image, "
      f"all in (0, 1): {np.round(weights[0, :6].numpy(), 2)} ...")

# %% [markdown]
# ## Global average pooling
# A classifier head that flattens a `(32, 4, 4)` map into a linear layer has `512 * 10` weights and
# only accepts 4 x 4 maps. Averaging each channel over space first leaves 32 numbers whatever the
# image size, so the head has `32 * 10` weights and the same network runs on 8 x 8 or 16 x 16
# images: that is what makes progressive resizing (below) possible.

# %%
lesson.section()
width = 12


def small_resnet(attention: bool = True):
    """stem conv -> residual block -> residual block (stride 2, twice the channels) -> GAP -> linear."""
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
        ResidualBlock(width, width, attention=attention),
        ResidualBlock(width, 2 * width, stride=2, attention=attention),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),               # global average pooling: (N, C, H, W) -> (N, C)
        nn.Linear(2 * width, 10),
    )


model = small_resnet()
print(f"small ResNet with squeeze-and-excitation: {count(model):,} parameters; GAP head {count(model[-1])} "
      f"parameters, a flatten head on 8x8 inputs would need {2 * width * 4 * 4 * 10 + 10:,}")
for size in (8, 16, 28):
    print(f"  input {size:>2} x {size:<2} -> output {tuple(model.eval()(torch.randn(2, 1, size, size)).shape)}")

# %% [markdown]
# ## Why skip connections let deep networks train
# Backpropagation multiplies the gradient by each layer's Jacobian on the way back to the input.
# In a deep plain stack those factors compound: a little below 1 each and the first layers'
# gradient *vanishes* (they stop learning); a little above 1 and it explodes. A residual block's
# Jacobian is `I + dF/dx`: the identity gives the gradient a direct path to every earlier layer.
#
# Three networks with the same convolutions (a stem, then blocks of two 3 x 3 convs, 8 channels):
# **plain** (conv, ReLU, no skip, no batch norm), **plain + batch norm**, and **residual + batch
# norm**. For each we read the gradient norm of every conv layer's weights after one backward pass
# on 128 digits, at initialisation, and print first layer / last layer: near 1 is healthy.

# %%
lesson.section()
train_8, train_labels = load_digits("train")            # 8 x 8, pixels in [0, 1]
test_8, test_labels = load_digits("test")
mean, std = train_8.mean().item(), train_8.std().item()
deep_channels = 8


class DeepBlock(nn.Module):
    """Two conv layers, with or without batch norm, with or without the skip connection."""

    def __init__(self, residual: bool, batch_norm: bool):
        super().__init__()
        self.residual = residual
        self.conv1 = nn.Conv2d(deep_channels, deep_channels, 3, padding=1, bias=not batch_norm)
        self.conv2 = nn.Conv2d(deep_channels, deep_channels, 3, padding=1, bias=not batch_norm)
        self.bn1 = nn.BatchNorm2d(deep_channels) if batch_norm else nn.Identity()
        self.bn2 = nn.BatchNorm2d(deep_channels) if batch_norm else nn.Identity()

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(x + y) if self.residual else torch.relu(y)


def deep_cnn(blocks: int, residual: bool, batch_norm: bool):
    return nn.Sequential(nn.Conv2d(1, deep_channels, 3, padding=1), nn.ReLU(),
                         *[DeepBlock(residual, batch_norm) for _ in range(blocks)],
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(deep_channels, 10))


VARIANTS = {"plain": (False, False), "plain + batch norm": (False, True), "residual + batch norm": (True, True)}
probe_images, probe_labels = (train_8[:128] - mean) / std, train_labels[:128]


def conv_gradient_norms(model):
    """Gradient norm of each conv layer's weight, input side first (the final linear layer left out)."""
    model.zero_grad()
    F.cross_entropy(model(probe_images), probe_labels).backward()
    return [norm for name, norm in gradient_norms(model)][:-1]


print("first-layer / last-layer gradient norm at initialisation, by depth (conv layers):")
print(f"{'conv layers':>12}" + "".join(f"{name:>24}" for name in VARIANTS))
for blocks in (2, 4, 8, 16):
    ratios = []
    for name, (residual, batch_norm) in VARIANTS.items():
        torch.manual_seed(lesson.seed)
        norms = conv_gradient_norms(deep_cnn(blocks, residual, batch_norm))
        ratios.append(norms[0] / norms[-1])
    print(f"{2 * blocks + 1:>12}" + "".join(f"{r:>24.3g}" for r in ratios))
print("expect: plain falls by orders of magnitude with depth (the gradient vanishes), plain + batch norm "
      "grows with depth (it grows toward the input: a mild explosion), residual stays within about 2x of 1")

# %% [markdown]
# At 17 conv layers, layer by layer, and then what it means for training: the same three networks
# trained with plain SGD with momentum (Adam would partly hide the problem by rescaling each
# parameter's step) on the same batches.

# %%
lesson.section()
deep_blocks = 8
steps = 200 if FULL else 40
norms_by_variant, losses_by_variant, ratio = {}, {}, {}
for name, (residual, batch_norm) in VARIANTS.items():
    torch.manual_seed(lesson.seed)
    net = deep_cnn(deep_blocks, residual, batch_norm)
    norms_by_variant[name] = conv_gradient_norms(net)
    ratio[name] = norms_by_variant[name][0] / norms_by_variant[name][-1]
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    batches = torch.Generator().manual_seed(lesson.seed)
    losses = []
    start = time.perf_counter()
    for step in range(steps):
        batch = torch.randint(0, len(train_8), (32,), generator=batches)
        loss = F.cross_entropy(net((train_8[batch] - mean) / std), train_labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    losses_by_variant[name] = losses
    print(f"  {name:<22} first/last gradient {ratio[name]:9.3g}   training loss: first 10 steps "
          f"{np.mean(losses[:10]):.3f}, last 10 steps {np.mean(losses[-10:]):.3f}  "
          f"({time.perf_counter() - start:.1f} s)")
print("expect: the plain network's loss stays at ln(10) = 2.303 (chance), the residual one falls fastest")

fig = plot_gradient_norms(norms_by_variant, title=f"gradient norm per conv layer at initialisation "
                                                   f"({2 * deep_blocks + 1} conv layers)")
lesson.save(fig, "gradient_norms.png")
smoothed = {name: np.convolve(losses, np.ones(5) / 5, mode="valid") for name, losses in losses_by_variant.items()}
lesson.save(plot_curves(smoothed, xlabel="step", ylabel="training loss (5-step average)",
                        title=f"{2 * deep_blocks + 1} conv layers, SGD with momentum"), "deep_training.png")

# %% [markdown]
# ## Data augmentation
# More data is the surest cure for overfitting; augmentation makes it from the data we have, by
# transformations that keep the label. For digits, shifting by a pixel keeps a 3 a 3. A horizontal
# flip, standard for photos (a mirrored cat is a cat), does *not*: a mirrored 2 or 7 is no digit,
# and a mirrored 3 looks like an epsilon. Both are tensor operations on a whole batch:
# shift = pad with zeros and crop at a random offset; flip = `x.flip(3)` for a random half.
#
# What augmentation buys is *invariance*: the network learns that the transformation does not
# change the answer. It only raises the accuracy on test data that vary in that way. The UCI
# digits were centred when they were scanned, train and test alike, so we test twice: on the
# held-out digits as they are, and on the same digits moved by up to one pixel (as a digit cut
# out of a form by a slightly different crop would be).


# %%
lesson.section()


def random_shift(images, max_shift=1):
    """Move each image by up to max_shift pixels in each direction, filling with empty paper (0)."""
    n, c, h, w = images.shape
    rows = torch.zeros(n, c, max_shift, w)
    padded = torch.cat([rows, images, rows], dim=2)
    columns = torch.zeros(n, c, h + 2 * max_shift, max_shift)
    padded = torch.cat([columns, padded, columns], dim=3)
    dy = torch.randint(0, 2 * max_shift + 1, (n,))
    dx = torch.randint(0, 2 * max_shift + 1, (n,))
    return torch.stack([padded[k, :, int(dy[k]):int(dy[k]) + h, int(dx[k]):int(dx[k]) + w] for k in range(n)])


def random_flip(images):
    """Mirror a random half of the images left to right."""
    flip = torch.rand(images.shape[0]) < 0.5
    return torch.where(flip[:, None, None, None], images.flip(3), images)


def shift_and_flip(images):
    return random_flip(random_shift(images))


torch.manual_seed(lesson.seed)
examples = train_8[:8]
gallery = torch.cat([examples, random_shift(examples), random_shift(examples), examples.flip(3)])
lesson.save(plot_images(gallery, torch.cat([train_labels[:8]] * 4), ncols=8,
                        title="rows: originals, two random shifts, mirrored (same labels: is a mirrored 7 still a 7?)"),
            "augmentation.png")


def test_accuracy(model, images, mean, std):
    model.eval()
    with torch.no_grad():
        predicted = model((images - mean) / std).argmax(dim=1)
    model.train()
    return (predicted == test_labels).float().mean().item()


def train(model, epochs, data_by_epoch, test_data, augment=None, label=""):
    """Adam with a one-cycle schedule; data_by_epoch(epoch) gives that epoch's (images, mean, std).

    Returns the training seconds (the held-out tests after each epoch not counted) and, per epoch,
    the training seconds so far, the pixels trained on so far (the work, whatever the machine's
    speed) and the accuracy on test_data = (images, mean, std).
    """
    batch_size = 32
    steps_per_epoch = (len(train_labels) + batch_size - 1) // batch_size
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=5e-3, total_steps=epochs * steps_per_epoch)
    progress = Progress(epochs, lines=3, label=f"{label:<22} epoch")
    seconds, pixels, history = 0.0, 0, {"seconds": [], "pixels": [], "accuracy": []}
    model.train()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        images, mean, std = data_by_epoch(epoch)
        order = torch.randperm(len(images))
        total = 0.0
        for first in range(0, len(images), batch_size):
            batch = order[first:first + batch_size]
            x = images[batch] if augment is None else augment(images[batch])
            loss = F.cross_entropy(model((x - mean) / std), train_labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(batch)
        seconds += time.perf_counter() - start
        pixels += images.numel()
        history["seconds"].append(seconds)
        history["pixels"].append(pixels)
        history["accuracy"].append(test_accuracy(model, *test_data))
        progress(epoch, loss=total / len(images), size=f"{images.shape[-1]}x{images.shape[-1]}",
                 test_accuracy=history["accuracy"][-1])
    return seconds, history


epochs = 20 if FULL else 3
torch.manual_seed(lesson.seed + 1)
shifted_test_8 = random_shift(test_8)            # one fixed shifted copy of the held-out digits
augmentation_results = {}
for name, augment in [("no augmentation", None), ("random shifts", random_shift), ("shifts + flips", shift_and_flip)]:
    torch.manual_seed(lesson.seed)
    model = small_resnet()
    _, history = train(model, epochs, lambda epoch: (train_8, mean, std), (test_8, mean, std), augment, label=name)
    augmentation_results[name] = (history["accuracy"][-1], test_accuracy(model, shifted_test_8, mean, std))
print(f"held-out accuracy after {epochs} epochs on 8 x 8 digits:")
print(f"  {'training data':<18}{'as scanned':>12}{'shifted by <= 1 px':>20}")
for name, (centred, shifted) in augmentation_results.items():
    print(f"  {name:<18}{centred:>12.2%}{shifted:>20.2%}")
print("expect: as scanned, all within a few points (98-99% with --full; flips lowest, and shifts no better "
      "than none: the test digits are centred too); on shifted digits, no augmentation falls to about 55-75% "
      "while shifts keep 90% or more")

# %% [markdown]
# ## Progressive resizing
# Early in training the network only learns coarse shapes, which small images show as well as large
# ones at a fraction of the cost (a conv layer's work grows with the pixel count). So train on
# small images first, then finish on large ones (fast.ai's trick for ImageNet). Global average
# pooling lets the same weights run at both sizes. Here: the digits upscaled to 16 x 16, against
# the first half of the epochs at 8 x 8 (4 times fewer pixels), then 16 x 16. Both are tested at
# 16 x 16 after every epoch, and plotted against training time. Watch the progressive run while it
# is on small images: tested at 16 x 16 it is poor (3 x 3 filters see a digit twice as large
# differently, and batch norm's running statistics belong to the small images), yet the first
# epoch at the large size recovers: what it learned on small images carries over.

# %%
lesson.section()
train_16, _ = load_digits("train", image_size=16)
test_16, _ = load_digits("test", image_size=16)
mean_16, std_16 = train_16.mean().item(), train_16.std().item()
resize_epochs = 10 if FULL else 2
small_first = resize_epochs // 2


def large_throughout(epoch):
    return train_16, mean_16, std_16


def small_then_large(epoch):
    return (train_8, mean, std) if epoch <= small_first else (train_16, mean_16, std_16)


resize_results = {}
for name, schedule in [("16x16 throughout", large_throughout), ("8x8 then 16x16", small_then_large)]:
    torch.manual_seed(lesson.seed)
    model = small_resnet()
    resize_results[name] = train(model, resize_epochs, schedule, (test_16, mean_16, std_16), label=name)
(plain_seconds, plain_history), (progressive_seconds, progressive_history) = resize_results.values()
plain_accuracy, progressive_accuracy = plain_history["accuracy"][-1], progressive_history["accuracy"][-1]
print(f"{resize_epochs} epochs, tested on 16 x 16:")
print(f"  16 x 16 throughout        accuracy {plain_accuracy:.2%}   training time {plain_seconds:5.1f} s")
pixel_ratio = progressive_history["pixels"][-1] / plain_history["pixels"][-1]
print(f"  8 x 8 first, then 16 x 16 accuracy {progressive_accuracy:.2%}   training time {progressive_seconds:5.1f} s "
      f"({progressive_seconds / plain_seconds:.0%} of the time, {pixel_ratio:.0%} of the pixels)")
print("expect: about the same accuracy (within a point or two; 98-99% with --full) in less time: about 60% in "
      "principle (half the epochs at a quarter of the pixels), 50-85% as measured on a busy machine")

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
positions = np.arange(len(augmentation_results))
for offset, column, label in [(-0.2, 0, "held-out, as scanned"), (0.2, 1, "held-out, shifted by <= 1 px")]:
    heights = [values[column] for values in augmentation_results.values()]
    bars = left.bar(positions + offset, heights, width=0.4, label=label)
    left.bar_label(bars, labels=[f"{h:.1%}" for h in heights], fontsize=8)
left.set(xticks=positions, ylabel="accuracy", ylim=(0, 1.1), title=f"data augmentation ({epochs} epochs, 8 x 8 digits)")
left.set_xticklabels(list(augmentation_results), fontsize=9)
left.set_xlabel("augmentation during training")
left.legend(loc="lower left", fontsize=8)
plot_curves({name: history["accuracy"] for name, (_, history) in resize_results.items()},
            x={name: history["seconds"] for name, (_, history) in resize_results.items()},
            xlabel="training time (s)", ylabel="held-out accuracy (16 x 16)", ax=right,
            title="progressive resizing: accuracy against time")
lesson.save(fig, "training_tricks.png")

lesson.summary(ratio_plain=ratio["plain"], ratio_plain_bn=ratio["plain + batch norm"],
               ratio_residual=ratio["residual + batch norm"],
               final_loss_plain=float(np.mean(losses_by_variant["plain"][-10:])),
               final_loss_residual=float(np.mean(losses_by_variant["residual + batch norm"][-10:])),
               accuracy_plain=augmentation_results["no augmentation"][0],
               accuracy_shifts=augmentation_results["random shifts"][0],
               accuracy_flips=augmentation_results["shifts + flips"][0],
               shifted_accuracy_plain=augmentation_results["no augmentation"][1],
               shifted_accuracy_shifts=augmentation_results["random shifts"][1],
               accuracy_16=plain_accuracy, accuracy_progressive=progressive_accuracy,
               pixel_ratio_progressive=pixel_ratio, time_ratio_progressive=progressive_seconds / plain_seconds)
