# %% [markdown]
# # Lesson 20: LoRA, low-rank adaptation
#
# Fine-tuning a pretrained model changes every weight. For a model with billions of weights that
# means storing a full copy per task and an optimizer state three times its size. LoRA (Hu et al.
# 2021) observes that the *change* a fine-tuning makes to a weight matrix has low rank, and trains
# only a low-rank correction next to the frozen weight:
#
#     y = x W^T + b + (alpha / r) * x A^T B^T        A: (r, in),  B: (out, r),  r << in, out
#
# `r * (in + out)` trainable numbers instead of `in * out`. B starts at zero, so the adapted model
# starts as exactly the pretrained one; A starts random. After training, `W + (alpha / r) B A` is
# one ordinary matrix again: the adapter **merges** into the weight at no inference cost.
#
# This lesson pretrains a small vision transformer on handwritten digits 0-4, then adapts it to the
# new task of digits 5-9 from only a few labelled examples, three ways: training only a new head,
# LoRA on the attention projections (plus the new head), and full fine-tuning. Then a rank sweep,
# merging, adapter-only checkpoints, and a look at the rank of what full fine-tuning changed.
#
# Run: `python lessons/20_lora.py` (about 20 s of computing), or `--full` (a few minutes): longer
# training and more labelled examples. The headline of `--full`: **LoRA (r = 4 on q and v) reaches
# 84.4% on digits 5-9 against 86.6% for full fine-tuning (within about 2 points) while training
# 6.3% of the parameters (the adapters alone 5.4%); the frozen body with a new head gets 70.9%**.
# In the rank sweep r = 8 reaches 89.4%, above full fine-tuning, with 12% of the parameters.
# (Quick mode: about 79% LoRA, 78% full, 59% head only.)

# %%
import copy
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import load_digits
from tinynn.viz import plot_curves

lesson = Lesson(20, "LoRA", full_takes="about 3 minutes")
torch.manual_seed(lesson.seed)
FULL = lesson.full
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## One LoRA layer
# `nn.LoRALinear(base, r, lora_alpha)` wraps a pretrained `nn.Linear`: `base` is frozen, `lora_A`
# and `lora_B` train. With B = 0 its output equals the base layer's exactly.

# %%
lesson.section()
base = nn.Linear(64, 64)
adapted = nn.LoRALinear(base, r=4, lora_alpha=8)
print(adapted)
x = torch.randn(3, 64)
print(f"at the start, max |LoRALinear(x) - Linear(x)| = {(adapted(x) - base(x)).abs().max().item():.1e} "
      f"(expect exactly 0: B = 0)")
trainable, total = nn.count_parameters(adapted)
print(f"trainable {trainable} = r (in + out) = 4 * 128 of {total} (the frozen 64*64 + 64 and the adapter)")

# %% [markdown]
# ## The pretrained model: a small vision transformer on digits 0-4
# Each 8x8 digit is cut into 16 patches of 2x2 pixels, projected to 32-dimensional tokens with
# learned positions, run through two pre-norm encoder blocks and averaged. Trained on the digits
# 0-4 only, it has never seen a 5.

# %%
lesson.section()
x_train, y_train = load_digits("train")
x_test, y_test = load_digits("test")
old_train = np.flatnonzero(y_train.numpy() < 5)
old_test = np.flatnonzero(y_test.numpy() < 5)
PATCH, D, HEADS, LAYERS = 2, 32, 4, 2


def to_patches(images):
    """(N, 1, 8, 8) -> (N, 16, 4): row-major 2x2 patches, each flattened."""
    n = images.shape[0]
    grid = images.reshape(n, 8 // PATCH, PATCH, 8 // PATCH, PATCH).permute(0, 1, 3, 2, 4)
    return grid.reshape(n, (8 // PATCH) ** 2, PATCH * PATCH)


class SmallViT(nn.Module):
    def __init__(self, classes: int = 5):
        super().__init__()
        self.patch_embed = nn.Linear(PATCH * PATCH, D)
        self.position = nn.Parameter(torch.randn(1, (8 // PATCH) ** 2, D) * 0.1)
        layer = nn.TransformerEncoderLayer(D, HEADS, 2 * D, dropout=0.0, batch_first=True, norm_first=True,
                                           activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, LAYERS, norm=nn.LayerNorm(D))
        self.head = nn.Linear(D, classes)

    def forward(self, images):
        tokens = self.patch_embed(to_patches(images)) + self.position
        return self.head(self.encoder(tokens).mean(dim=1))


def accuracy(model, images, labels) -> float:
    model.eval()
    with torch.no_grad():
        right = (model(images).argmax(dim=-1) == labels).float().mean().item()
    model.train()
    return right


def train(model, images, labels, epochs: int, lr: float, batch: int, label: str, test=None):
    """AdamW on the parameters with requires_grad; returns the test accuracy after each epoch."""
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01)
    progress = Progress(epochs, lines=3, label=f"{label} epoch")
    history = []
    for epoch in range(1, epochs + 1):
        order = torch.randperm(images.shape[0])
        for start in range(0, images.shape[0], batch):
            idx = order[start:start + batch]
            loss = F.cross_entropy(model(images[idx]), labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if test is not None:
            history.append(accuracy(model, *test))
        progress(epoch, loss=loss.item(), **({"test_acc": history[-1]} if history else {}))
    return history


pretrained = SmallViT(classes=5)
train(pretrained, x_train[old_train], y_train[old_train], epochs=60 if FULL else 8, lr=4e-3, batch=64,
      label="pretrain")
pretrain_acc = accuracy(pretrained, x_test[old_test], y_test[old_test])
n_params = sum(p.numel() for p in pretrained.parameters())
print(f"pretrained on digits 0-4: held-out accuracy {pretrain_acc:.1%} (expect about 97% quick, 98% full); "
      f"{n_params:,} parameters")

# %% [markdown]
# ## The new task: digits 5-9 from a few labelled examples
# A new 5-way head (`nn.Linear(32, 5)`, random) replaces the old one. Three ways to adapt:
#
# - **head only**: freeze everything else; the body's features must already separate 5-9.
# - **LoRA**: `nn.apply_lora(model, ["self_attn"], r=4, qkv=("q", "v"))` puts adapters on the query
#   and value projections of every attention block (as the LoRA paper does; `nn.MultiheadAttention`
#   keeps q, k, v stacked in one `in_proj_weight`, and the adapter adds `s B_q A_q` and `s B_v A_v`
#   to its q and v rows) and freezes everything else; the new head trains too.
# - **full fine-tuning**: every weight trains (with a smaller learning rate, to keep what it knew).

# %%
lesson.section()
per_class = 60 if FULL else 30
new_train = np.concatenate([rng.choice(np.flatnonzero(y_train.numpy() == c), per_class, replace=False)
                            for c in range(5, 10)])
new_test = np.flatnonzero(y_test.numpy() >= 5)
few_x, few_y = x_train[new_train], y_train[new_train] - 5
test_set = (x_test[new_test], y_test[new_test] - 5)
print(f"new task: {few_x.shape[0]} labelled training images ({per_class} per digit 5-9), "
      f"{test_set[0].shape[0]} test images")
EPOCHS = 60 if FULL else 24


def adapt(method: str, r: int = 4):
    """A copy of the pretrained model with a new head, prepared for ``method``; returns (model, lr)."""
    torch.manual_seed(lesson.seed + 1)            # the same new head for every method
    model = copy.deepcopy(pretrained)
    model.head = nn.Linear(D, 5)
    if method == "head only":
        model.requires_grad_(False)
        model.head.requires_grad_(True)
        return model, 1e-2
    if method == "lora":
        nn.apply_lora(model, ["self_attn"], r=r, lora_alpha=2 * r, qkv=("q", "v"))  # freezes all but adapters
        model.head.requires_grad_(True)
        return model, 1e-2
    return model, 2e-3                              # full fine-tuning


results, curves, models = {}, {}, {}
for method in ("head only", "lora", "full"):
    model, lr = adapt(method)
    trainable, total = nn.count_parameters(model)
    curves[method] = train(model, few_x, few_y, EPOCHS, lr, batch=30, label=method, test=test_set)
    results[method] = dict(accuracy=curves[method][-1], trainable=trainable, fraction=trainable / total)
    models[method] = model
for method, res in results.items():
    print(f"  {method:>9}: test accuracy {res['accuracy']:.1%}  trainable {res['trainable']:>6,} "
          f"({res['fraction']:.1%} of {nn.count_parameters(models[method])[1]:,})")
lora_model = models["lora"]
adapter_params = sum(p.numel() for n, p in lora_model.named_parameters() if "lora_" in n)
margin = results["full"]["accuracy"] - results["lora"]["accuracy"]
nn.print_trainable_parameters(lora_model)
print(f"LoRA {results['lora']['accuracy']:.1%} vs full fine-tuning {results['full']['accuracy']:.1%}: "
      f"{100 * margin:+.1f} points, training {results['lora']['fraction']:.1%} of the parameters "
      f"(adapters alone {adapter_params:,} = {adapter_params / nn.count_parameters(lora_model)[1]:.1%}). "
      f"Expect about 79/78% quick (head only about 59%), 84/87% full (head only about 71%)")

# %% [markdown]
# ## The rank sweep
# How small can r be? Each step of r adds `r * (32 + 32)` numbers per adapted projection
# (2 projections x 2 blocks here). On a small task even r = 1 gets most of the way: the update the
# task needs has very low rank.

# %%
lesson.section()
ranks = [1, 2, 4, 8, 16] if FULL else [1, 4, 16]
sweep = {}
for r in ranks:
    if r == 4:
        sweep[r] = (results["lora"]["accuracy"], results["lora"]["trainable"])
        continue
    model, lr = adapt("lora", r=r)
    acc = train(model, few_x, few_y, EPOCHS, lr, batch=30, label=f"lora r={r}", test=test_set)[-1]
    sweep[r] = (acc, nn.count_parameters(model)[0])
for r, (acc, count) in sweep.items():
    print(f"  r = {r:>2}: test accuracy {acc:.1%}, trainable {count:,} (adapters {count - (D * 5 + 5):,})")

# %% [markdown]
# ## Merging: the adapter disappears into the weights
# `nn.merge_lora(model)` adds `(alpha / r) B A` into each frozen weight; the outputs stay the same
# to float32 rounding. `nn.merge_and_unload(model)` also puts plain `nn.MultiheadAttention`
# modules back: a model with the pretrained architecture and state-dict keys, and no adapter cost.

# %%
lesson.section()
lora_model.eval()
probe = test_set[0][:64]
with torch.no_grad():
    before = lora_model(probe)
    nn.merge_lora(lora_model)
    after = lora_model(probe)
merge_diff = (after - before).abs().max().item()
print(f"max |output after merge - before| = {merge_diff:.1e} (expect 0 here: the attention adapter adds "
      f"delta W to the weight on every forward anyway; a LoRALinear's merge moves the rounding, about 1e-7)")
plain = nn.merge_and_unload(copy.deepcopy(lora_model))
with torch.no_grad():
    unload_diff = (plain(probe) - before).abs().max().item()
print(f"merge_and_unload: {type(plain.encoder.layers[0].self_attn).__name__} again, "
      f"state-dict keys as pretrained: {list(plain.state_dict()) == list(pretrained.state_dict())}, "
      f"max |difference| {unload_diff:.1e}")
lora_model = nn.unmerge_lora(lora_model)  # the adapters apart again, for the next section

# %% [markdown]
# ## Adapter-only checkpoints
# The pretrained model is shared; a task needs only its adapters and its head. `nn.lora_state_dict`
# keeps the entries whose names contain `lora_`; we add the new head's. Loading them into a fresh
# LoRA-wrapped copy of the pretrained model reproduces the fine-tuned one.

# %%
lesson.section()
adapter_state = nn.lora_state_dict(lora_model)
adapter_state.update({f"head.{k}": v for k, v in lora_model.head.state_dict().items()})
with tempfile.TemporaryDirectory() as folder:
    torch.save(adapter_state, os.path.join(folder, "adapter.npz"))
    torch.save(models["full"].state_dict(), os.path.join(folder, "full.npz"))
    adapter_bytes = os.path.getsize(os.path.join(folder, "adapter.npz"))
    full_bytes = os.path.getsize(os.path.join(folder, "full.npz"))
    restored, _ = adapt("lora")
    nn.load_lora_state_dict(restored, torch.load(os.path.join(folder, "adapter.npz")))
restored.eval()
with torch.no_grad():
    restore_diff = (restored(probe) - before).abs().max().item()
print(f"checkpoint: adapters + head {adapter_bytes / 1024:.1f} KiB vs full model {full_bytes / 1024:.1f} KiB "
      f"({adapter_bytes / full_bytes:.1%}); restored outputs differ by {restore_diff:.1e} (expect 0)")

# %% [markdown]
# ## Is the full fine-tuning update really low-rank?
# LoRA's bet: the change `delta_W = W_finetuned - W_pretrained` has a few large singular values
# and many tiny ones. Here is the spectrum of the change full fine-tuning made to the first block's
# query projection, next to LoRA's (rank 4 at most by construction).

# %%
lesson.section()
E = D
w_pre = pretrained.encoder.layers[0].self_attn.in_proj_weight.detach().numpy()[:E]
w_full = models["full"].encoder.layers[0].self_attn.in_proj_weight.detach().numpy()[:E]
full_sv = np.linalg.svd(w_full - w_pre, compute_uv=False)
lora_sv = np.linalg.svd(lora_model.encoder.layers[0].self_attn.delta_weight("q").detach().numpy(), compute_uv=False)
energy_top4 = float((full_sv[:4] ** 2).sum() / (full_sv ** 2).sum())
print(f"full fine-tuning's delta W_q: top 4 of {E} singular values carry {energy_top4:.0%} of its energy "
      f"(expect well above 4/{E} = {4 / E:.0%}, the share of an unstructured change)")

fig, axes = plt.subplots(1, 3, figsize=(17, 4.2))
plot_curves({m: [100 * a for a in c] for m, c in curves.items()}, ylabel="test accuracy (%)",
            title="adapting to digits 5-9", ax=axes[0])
rs = list(sweep)
axes[1].plot(rs, [100 * sweep[r][0] for r in rs], "o-", label="LoRA (q, v) + head")
axes[1].axhline(100 * results["full"]["accuracy"], color="k", ls="--", label="full fine-tuning")
axes[1].axhline(100 * results["head only"]["accuracy"], color="gray", ls=":", label="head only")
axes[1].set(xscale="log", xlabel="LoRA rank r", ylabel="test accuracy (%)", title="the rank sweep")
axes[1].set_xticks(rs, [str(r) for r in rs])
axes[1].legend()
axes[2].semilogy(np.arange(1, E + 1), full_sv, "o-", ms=3, label="full fine-tuning")
axes[2].semilogy(np.arange(1, E + 1), np.maximum(lora_sv, 1e-12), "s-", ms=3, label="LoRA r=4")
axes[2].set(ylim=(max(full_sv.min(), 1e-6) / 2, full_sv.max() * 3), xlabel="singular value index",
            ylabel="singular value", title="spectrum of delta W_q (block 1)")
axes[2].legend()
fig.tight_layout()
lesson.save(fig, "lora_finetuning.png")

# %%
lesson.summary(pretrain_accuracy=round(pretrain_acc, 4), head_only_accuracy=round(results["head only"]["accuracy"], 4),
               lora_accuracy=round(results["lora"]["accuracy"], 4), full_accuracy=round(results["full"]["accuracy"], 4),
               lora_trainable=results["lora"]["trainable"], lora_fraction=round(results["lora"]["fraction"], 4),
               adapter_parameters=adapter_params, total_parameters=nn.count_parameters(lora_model)[1],
               full_trainable=results["full"]["trainable"], rank_sweep={str(r): round(a, 4) for r, (a, _) in sweep.items()},
               merge_max_difference=merge_diff, unload_max_difference=unload_diff, restore_max_difference=restore_diff,
               adapter_checkpoint_bytes=adapter_bytes, full_checkpoint_bytes=full_bytes,
               full_update_top4_energy=round(energy_top4, 4))
