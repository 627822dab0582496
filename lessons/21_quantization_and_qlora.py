# %% [markdown]
# # Lesson 21: quantization and QLoRA
#
# A float32 weight takes 4 bytes. A 7-billion-parameter model is then 28 GB before a single
# activation, gradient or optimizer state. *Quantization* stores each weight as a small integer
# code plus a float *scale* shared by a block of weights:
#
#     code = round(w / s)      (clamped to the code range)        w_hat = code * s
#
# 8-bit codes take a quarter of float32's memory, 4-bit codes an eighth. This lesson:
#
# 1. quantizes a trained model's weights with four formats (symmetric and asymmetric int8, int4,
#    NF4) and measures the error and the memory of each (a table);
# 2. quantizes a whole trained model after training ("post-training quantization") and measures
#    the accuracy each format keeps;
# 3. fine-tunes the model for a new task three ways, full fine-tuning, LoRA (lesson 20) and
#    QLoRA (LoRA on a frozen 4-bit base), and measures what each needs in memory.
#
# Run: `python lessons/21_quantization_and_qlora.py` (about half a minute), or `--full` (about
# 2.5 minutes) for longer training.

# %%
import copy
import tracemalloc

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import load_digits
from tinynn.nn.lora import apply_lora, count_parameters
from tinynn.quant import NF4_LEVELS, int4_levels, memory_report, prepare_qlora, quantize, quantize_model

lesson = Lesson(21, "quantization and QLoRA", full_takes="about 2.5 minutes")
torch.manual_seed(lesson.seed)
FULL = lesson.full
np.random.seed(lesson.seed)

# %% [markdown]
# ## A model to quantize
# A 4-layer MLP (64 -> 512 -> 512 -> 512 -> 10, about 560,000 weights) reads 8 x 8 handwritten
# digits. Large pretrained networks have weights that are close to normally distributed; we
# initialise ours from a normal distribution (`kaiming_normal_`) so that its weights look like
# theirs (nn.Linear's default init is uniform, which changes which 4-bit format wins; see below).

# %%
lesson.section()
x_train, y_train = load_digits("train")
x_test, y_test = load_digits("test")
x_train, x_test = x_train.reshape(-1, 64), x_test.reshape(-1, 64)
HIDDEN = 512


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(64, HIDDEN), nn.Linear(HIDDEN, HIDDEN)
        self.fc3, self.fc4 = nn.Linear(HIDDEN, HIDDEN), nn.Linear(HIDDEN, 10)
        for layer in (self.fc1, self.fc2, self.fc3, self.fc4):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc4(F.relu(self.fc3(x)))


def accuracy(model, x, y) -> float:
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def train(model, x, y, epochs, lr, label, x_eval=None, y_eval=None):
    """Adam on the parameters that require grad; returns the eval accuracy after each epoch."""
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    progress, history = Progress(epochs, lines=3, label=f"{label} epoch"), []
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(x))
        for start in range(0, len(x), 64):
            batch = order[start:start + 64]
            loss = F.cross_entropy(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if x_eval is not None:
            history.append(accuracy(model, x_eval, y_eval))
            progress(epoch, loss=loss.item(), accuracy=history[-1])
    return history


model = MLP()
train(model, x_train, y_train, epochs=30 if FULL else 5, lr=1e-3, label="pretrain", x_eval=x_test, y_eval=y_test)
model.zero_grad()   # drop the last gradients: copies of the model below should hold weights only
float_accuracy = accuracy(model, x_test, y_test)
print(f"float32 model: test accuracy {float_accuracy:.3f}  (expect about 0.97)")

# %% [markdown]
# ## Four formats, in blocks
# Each weight matrix is flattened and cut into blocks of 64; each block gets its own scale, so
# one large weight coarsens only its own block.
#
# - **int8** (symmetric, absmax): `s = max|w| / 127`, codes in -127..127. Zero is exact.
# - **int8_asym** (zero point): the block's range [min, max] onto 0..255, `s = (max - min) / 255`,
#   `w_hat = (code - z) s` with the zero point `z = round(-min / s)`. Better when a block is
#   lopsided (all activations after a ReLU, say); for weights centred on zero it is the same grid.
# - **int4**: `s = max|w| / 7`, codes -7..7: 15 evenly spaced levels.
# - **NF4** (4-bit NormalFloat, QLoRA): `s = max|w|` and 16 levels placed at quantiles of a normal
#   distribution, dense near zero where most weights are, sparse in the tails.
#
# Rounding to the nearest level makes the error at most half a step: `s / 2` for the integer
# formats. Two 4-bit codes are packed into each byte, so 4-bit storage is really half of int8's.
# The scales cost 32 bits per block of 64, 0.5 bit per weight; *double quantization* stores them
# as int8 too (in blocks of 256, after subtracting their mean), about 0.127 bit per weight.

# %%
lesson.section()
weight = model.fc2.weight.detach()
w_rms = weight.pow(2).mean().sqrt().item()
variants = [("int8", 64, False), ("int8_asym", 64, False), ("int4", weight.numel(), False), ("int4", 64, False),
            ("nf4", 64, False), ("nf4", 64, True)]
print(f"fc2.weight {tuple(weight.shape)}: float32 takes {weight.nbytes:,} bytes (32 bits per weight)")
print(f"  {'format':<10} {'block':>7} {'dq':>3} {'bytes':>9} {'bits/w':>7} {'rms error / rms w':>18} {'max error / s':>14}")
errors = {}
for format, block, double in variants:
    q = quantize(weight, format, block_size=block, double_quant=double)
    error = (q.dequantize() - weight).abs()
    rel = error.pow(2).mean().sqrt().item() / w_rms
    step = q.block_scales()                       # the step s of each block (for NF4: max|w|, not a step)
    worst = (error.reshape(-1, block).max(dim=1).values / step).max().item()
    name = f"{format}{'+dq' if double else ''}" + (" per-tensor" if block == weight.numel() else "")
    errors[name] = rel
    worst_text = "-" if format == "nf4" else f"{worst:.3f}"
    print(f"  {format:<10} {block:>7} {'yes' if double else 'no':>3} {q.nbytes:>9,} {q.bits_per_weight:>7.3f} "
          f"{rel:>18.4f} {worst_text:>14}")
print("  (expect: int8 errors about 0.006, int4 about 0.11, NF4 about 0.09, the same with double quantization;")
print("   'max error / s' exactly 0.5 for the integer formats (half a step); NF4's steps are uneven, so that column")
print("   is left out; int4 with one scale for the whole tensor about 2 times worse than in blocks of 64)")

uniform = torch.empty(512, 512).uniform_(-1, 1)
uniform_err = {f: (quantize(uniform, f).dequantize() - uniform).pow(2).mean().sqrt().item() for f in ("int4", "nf4")}
print(f"on uniformly distributed weights instead: int4 rms error {uniform_err['int4']:.4f}, NF4 "
      f"{uniform_err['nf4']:.4f}  (expect int4 lower: NF4's levels suit normal weights, not uniform ones)")

# %% [markdown]
# The figure shows why NF4 wins on these weights: each block's weights divided by its max |w|
# pile up around zero. int4's 15 levels are evenly spaced, so most weights share a few levels
# near zero while the outer levels are rarely used; NF4 puts its levels where the weights are.

# %%
lesson.section()
blocks = weight.reshape(-1, 64)
normalised = (blocks / blocks.abs().max(1, keepdim=True).values).reshape(-1).numpy()
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
for ax, (title, levels) in zip(axes, [("int4: 15 evenly spaced levels", int4_levels()[1:] / 7),
                                      ("NF4: 16 levels at normal quantiles", NF4_LEVELS)]):
    ax.hist(normalised, bins=120, color="tab:blue", alpha=0.75)
    for level in levels:
        ax.axvline(level, color="tab:red", linewidth=1)
    ax.set_title(title)
    ax.set_xlabel("weight / max |weight| of its block of 64")
axes[0].set_ylabel("number of weights (fc2)")
fig.suptitle("Trained weights and the 4-bit levels (red)", y=1.03)
lesson.save(fig, "weight_histogram_levels.png")

# %% [markdown]
# ## Post-training quantization of the whole model
# `quantize_model` replaces every `nn.Linear` with a `QuantizedLinear`: the codes and scales are
# kept, and each forward dequantizes the weight on the fly. No retraining: we only measure.

# %%
lesson.section()
ptq = {}
for format in ("int8", "int8_asym", "int4", "nf4"):
    quantized = quantize_model(model, format=format, block_size=64)
    report = memory_report(quantized)
    ptq[format] = accuracy(quantized, x_test, y_test)
    print(f"  {format:<10} test accuracy {ptq[format]:.3f}   weights {report.total_after:>9,} bytes "
          f"({report.total_after / report.total_before:.3f} of float32)")
print(f"  (float32: {float_accuracy:.3f}; expect all four within about 0.01 of it: int8 equal, the 4-bit formats "
      "a few test images lower)")
qlora_template = quantize_model(model, "nf4", double_quant=True)
print(memory_report(qlora_template))

# %% [markdown]
# ## QLoRA: LoRA on a frozen 4-bit base
# The new task: the same digits, transposed (flipped across the diagonal). The pretrained model
# reads them poorly. We adapt it three ways:
#
# - **full fine-tuning**: every weight trains; Adam keeps two float32 numbers per weight, and
#   every weight has a gradient: 4 + 4 + 8 = 16 bytes per weight.
# - **LoRA** (lesson 20): the float32 weights frozen, trainable adapters `B A` (rank 8) on every
#   layer. Weights 4 bytes each; gradients and Adam only for the adapters.
# - **QLoRA**: as LoRA, but the frozen base is stored in NF4 with double quantization, about
#   0.5 byte per weight. In forward *and* backward each layer dequantizes its weight into a
#   temporary and drops it: only the 4-bit codes live between the two.
#
# Memory is counted twice: by formula (weights + gradients + optimizer state, from the tensors'
# sizes) and measured: the peak of NumPy allocations during one training step (Python's
# `tracemalloc` sees them), including activations and temporaries.

# %%
lesson.section()


def transpose(x):
    return x.reshape(-1, 8, 8).transpose(1, 2).reshape(-1, 64)


xt_train, xt_test = transpose(x_train), transpose(x_test)
before = accuracy(model, xt_test, y_test)
print(f"pretrained model on transposed digits: test accuracy {before:.3f}  (expect about 0.1: chance, the strokes are where the model never saw them)")
LINEARS = ["fc1", "fc2", "fc3", "fc4"]


def make(method):
    adapted = copy.deepcopy(model)
    if method == "LoRA":
        apply_lora(adapted, LINEARS, r=8, lora_alpha=16)
    elif method == "QLoRA":
        prepare_qlora(adapted, targets=LINEARS, r=8, lora_alpha=16, format="nf4", double_quant=True)
    return adapted


def memory_of(method, lr):
    """Bytes by formula and the measured peak of one training step (after a first step)."""
    tracemalloc.start()
    adapted = make(method)
    optimizer = torch.optim.Adam([p for p in adapted.parameters() if p.requires_grad], lr=lr)
    x, y = xt_train[:64], y_train[:64]
    for step in range(2):
        if step == 1:
            tracemalloc.reset_peak()
        loss = F.cross_entropy(adapted(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    trainable = [p for p in adapted.parameters() if p.requires_grad]
    weights = sum(t.nbytes for t in list(adapted.parameters()) + list(adapted.buffers()))
    grads = sum(p.nbytes for p in trainable)
    state = sum(v.nbytes for s in optimizer.state.values() for v in s.values() if isinstance(v, torch.Tensor))
    return {"weights": weights, "grads": grads, "optimizer": state, "total": weights + grads + state,
            "peak": peak, "trainable": count_parameters(adapted)[0]}


EPOCHS = 30 if FULL else 4
LRS = {"full": 1e-3, "LoRA": 3e-3, "QLoRA": 3e-3}
results, curves = {}, {}
for method in ("full", "LoRA", "QLoRA"):
    torch.manual_seed(lesson.seed + 1)
    adapted = make(method)
    curves[method] = train(adapted, xt_train, y_train, EPOCHS, LRS[method], method, xt_test, y_test)
    results[method] = memory_of(method, LRS[method])
    results[method]["accuracy"] = curves[method][-1]

print(f"\n  {'method':<6} {'trainable':>10} {'weights':>10} {'grads':>10} {'Adam state':>10} {'total':>10} "
      f"{'peak (measured)':>16} {'accuracy':>9}")
for method, r in results.items():
    print(f"  {method:<6} {r['trainable']:>10,} {r['weights']:>10,} {r['grads']:>10,} {r['optimizer']:>10,} "
          f"{r['total']:>10,} {r['peak']:>16,} {r['accuracy']:>9.3f}")
print("  (bytes. Expect: LoRA's total about 0.3 of full fine-tuning's, QLoRA's about 1/13; the measured peaks\n"
      "   in the same order, each above its total by the activations and temporaries of a step: for QLoRA\n"
      "   that includes one layer's dequantized float32 weight (1 MiB for fc2) at a time. Accuracies: about\n"
      "   0.93-0.97 for all three, LoRA and QLoRA within a few points of full fine-tuning.)")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
for method, history in curves.items():
    ax1.plot(range(1, len(history) + 1), history, marker="o", markersize=3, label=method)
ax1.axhline(before, color="gray", linestyle="--", label="before adapting")
ax1.set_xlabel("epoch")
ax1.set_ylabel("test accuracy (transposed digits)")
ax1.set_title("Fine-tuning for the new task")
ax1.legend()
names = list(results)
bottom = np.zeros(len(names))
for part, color in [("weights", "tab:blue"), ("grads", "tab:orange"), ("optimizer", "tab:green")]:
    values = np.array([results[m][part] for m in names]) / 2**20
    ax2.bar(names, values, bottom=bottom, color=color, label={"optimizer": "Adam state"}.get(part, part))
    bottom += values
ax2.scatter(names, [results[m]["peak"] / 2**20 for m in names], color="black", marker="_", s=900,
            label="measured peak of a step", zorder=3)
ax2.set_ylabel("MiB")
ax2.set_title("Training memory")
ax2.legend()
lesson.save(fig, "qlora_memory_accuracy.png")

# %% [markdown]
# ## What to take away
# - Block-wise scales keep the error local; int8 is nearly free, 4 bits cost a little accuracy,
#   and NF4 spends its 16 levels where normal weights are, beating int4 at the same size.
# - Double quantization trims the scales' overhead from 0.5 to about 0.13 bit per weight.
# - QLoRA trains only the small adapters, like LoRA, and stores the frozen base in 4 bits: the
#   memory that dominated (weights, then gradients and Adam state) shrinks by an order of
#   magnitude, while the accuracy stays close to full fine-tuning.
#
# With `--full` (5 -> 30 pretraining epochs, 8 -> 30 fine-tuning epochs) the lesson measured:
# float32 test accuracy 0.981; after post-training quantization int8 0.981, int8_asym 0.981,
# NF4 0.981, int4 0.969. On the transposed digits (0.100 before adapting): full fine-tuning 0.972,
# LoRA 0.978, QLoRA 0.972, with weights + gradients + Adam state of 9.02 MB (full), 2.66 MB (LoRA)
# and 0.70 MB (QLoRA), and measured peaks of a training step of 10.6 MB, 3.9 MB and 2.9 MB. QLoRA
# matched full fine-tuning with 4.5% of its trainable parameters and 1/13 of its training memory.

# %%
lesson.section()
lesson.summary(
    float_accuracy=round(float_accuracy, 4),
    ptq_accuracy={k: round(v, 4) for k, v in ptq.items()},
    rel_error={k: round(v, 5) for k, v in errors.items()},
    uniform_rms_error={k: round(v, 5) for k, v in uniform_err.items()},
    before_adapt_accuracy=round(before, 4),
    adapt_accuracy={m: round(r["accuracy"], 4) for m, r in results.items()},
    memory_total={m: r["total"] for m, r in results.items()},
    memory_peak={m: r["peak"] for m, r in results.items()},
    trainable={m: r["trainable"] for m, r in results.items()},
)
