# %% [markdown]
# # Lesson 13: the transformer encoder
#
# Lesson 12 let a decoder attend to an encoder's states. A transformer drops the recurrence and
# lets every position attend to every other (*self-attention*), in a stack of identical blocks:
#
#     x = x + MultiHeadAttention(LayerNorm(x))     every token gathers information from the others
#     x = x + FeedForward(LayerNorm(x))            every token is transformed on its own
#
# This lesson builds that block from its parts and checks each against tinynn's module:
# multi-head attention (the head split written out), positional encodings (sinusoidal and
# learned), layer norm, residual connections, the feed-forward block, and where the layer norm
# goes (pre-norm vs post-norm). Then it trains the encoder twice: on sequences where order
# decides the answer ("is this sequence sorted?") and, cut into patches, on images of handwritten
# digits (a small vision transformer). Last, it counts parameters and FLOPs by formula.
#
# Run: `python lessons/13_transformer_encoder.py` (under a minute), or `--full` (about 3 minutes)
# for longer training.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import load_digits
from tinynn.viz import plot_attention, plot_curves, plot_gradient_norms

lesson = Lesson(13, "the transformer encoder", full_takes="about 3 minutes")
torch.manual_seed(lesson.seed)
FULL = lesson.full
np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## Multi-head attention, the head split written out
# One attention head computes one weighting of the positions. Multi-head attention runs `h` of
# them side by side on `d/h`-dimensional slices, so different heads can look for different things:
#
#     Q, K, V = x W_q^T + b_q, x W_k^T + b_k, x W_v^T + b_v        (N, L, d) each
#     split d into h heads of size d/h:  (N, L, d) -> (N, h, L, d/h)
#     head_i  = softmax(Q_i K_i^T / sqrt(d/h)) V_i
#     out     = concat(head_1..head_h) W_o^T + b_o
#
# `nn.MultiheadAttention` keeps W_q, W_k, W_v stacked in one `in_proj_weight` (3d, d).

# %%
lesson.section()
d_model, n_heads = 16, 4
mha = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
x = torch.randn(2, 6, d_model)
module_out, module_weights = mha(x, x, x, average_attn_weights=False)  # weights (N, h, L, S)


def split_heads(t, h):
    n, length, d = t.shape
    return t.reshape(n, length, h, d // h).transpose(1, 2)          # (N, h, L, d/h)


W_q, W_k, W_v = mha.in_proj_weight.chunk(3, dim=0)
b_q, b_k, b_v = mha.in_proj_bias.chunk(3, dim=0)
Q = split_heads(x @ W_q.T + b_q, n_heads)
K = split_heads(x @ W_k.T + b_k, n_heads)
V = split_heads(x @ W_v.T + b_v, n_heads)
weights = torch.softmax(Q @ K.transpose(-2, -1) / math.sqrt(d_model // n_heads), dim=-1)
heads = weights @ V                                                   # (N, h, L, d/h)
by_hand = mha.out_proj(heads.transpose(1, 2).reshape(2, 6, d_model))  # concatenate the heads
mha_diff = max((by_hand - module_out).abs().max().item(), (weights - module_weights).abs().max().item())
print(f"multi-head attention by hand vs nn.MultiheadAttention: max |difference| {mha_diff:.1e}  (expect < 1e-5)")

# %% [markdown]
# ## Positional encodings
# Self-attention treats its input as a *set*: permute the tokens and the outputs are permuted the
# same way, nothing else changes. Order has to be written into the tokens themselves. Two ways:
#
# - **sinusoidal** (Vaswani et al.): `PE(pos, 2i) = sin(pos / 10000^(2i/d))`,
#   `PE(pos, 2i+1) = cos(pos / 10000^(2i/d))`: fixed waves of geometrically spaced frequencies.
#   Because `sin a sin b + cos a cos b = cos(a - b)`, `PE(i) . PE(j)` depends only on `i - j`.
# - **learned**: an `nn.Embedding(max_len, d)` indexed by position, trained like any weight.

# %%
lesson.section()
permutation = torch.tensor([3, 0, 5, 1, 4, 2])
out_permuted, _ = mha(x[:, permutation], x[:, permutation], x[:, permutation])
out_plain, _ = mha(x, x, x)
perm_diff = (out_permuted - out_plain[:, permutation]).abs().max().item()
print(f"attention on permuted tokens = permuted attention output: max |difference| {perm_diff:.1e}  (expect < 1e-5)")


def sinusoidal_encoding(length: int, d: int):
    position = torch.arange(length).float().unsqueeze(1)               # (length, 1)
    frequency = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))  # (d/2,)
    angles = position * frequency                                      # (length, d/2)
    return torch.stack([torch.sin(angles), torch.cos(angles)], dim=-1).reshape(length, d)  # interleave


pe = sinusoidal_encoding(64, 32)
gram = pe @ pe.T
shift_3 = torch.stack([gram[i, i + 3] for i in range(60)])
print(f"sinusoidal PE(i) . PE(i+3) for i = 0..59: spread {(shift_3.max() - shift_3.min()).item():.1e} "
      f"(expect about 0: the product depends on the distance only)")

# %% [markdown]
# ## Layer norm
# Each token's vector is normalised over its own features (not over the batch, as batch norm
# does), then scaled and shifted by learned `gamma` and `beta`:
# `y = (x - mean(x)) / sqrt(var(x) + eps) * gamma + beta`.

# %%
lesson.section()
tokens = torch.randn(2, 5, d_model) * 3 + 5
layer_norm = nn.LayerNorm(d_model)
normed = layer_norm(tokens)
mean = tokens.mean(dim=-1, keepdim=True)
var = tokens.var(dim=-1, unbiased=False, keepdim=True)
ln_by_hand = (tokens - mean) / torch.sqrt(var + layer_norm.eps) * layer_norm.weight + layer_norm.bias
ln_diff = (ln_by_hand - normed).abs().max().item()
print(f"before: token means {tokens.mean(dim=-1)[0].numpy()}, stds {tokens.std(dim=-1)[0].numpy()}")
after = normed.detach()
print(f"after:  token means {after.mean(dim=-1)[0].numpy().round(3) + 0.0}, "
      f"stds {after.std(dim=-1, unbiased=False)[0].numpy()}")
print(f"layer norm by hand vs nn.LayerNorm: max |difference| {ln_diff:.1e}  (expect < 1e-5)")

# %% [markdown]
# ## The encoder block: residuals, the feed-forward block, and where the norm goes
# The **feed-forward block** is a two-layer MLP applied to each position on its own, usually four
# times wider than the model: `FF(x) = W_2 relu(W_1 x + b_1) + b_2`. Each sub-block is wrapped in a
# **residual connection** `x + f(x)`, which gives the gradient a straight path through the stack.
#
# **Post-norm** (the original transformer) normalises after each residual sum:
# `x = LN(x + f(x))`. **Pre-norm** (GPT-2 and most models since) normalises the branch's input and
# leaves the residual path untouched: `x = x + f(LN(x))`. Both, written out and checked against
# `nn.TransformerEncoderLayer(norm_first=...)`:


# %%
lesson.section()


def encoder_layer_by_hand(layer, x, norm_first: bool):
    def self_attention(h):
        return layer.self_attn(h, h, h, need_weights=False)[0]

    def feed_forward(h):
        return layer.linear2(F.relu(layer.linear1(h)))

    if norm_first:
        x = x + self_attention(layer.norm1(x))
        x = x + feed_forward(layer.norm2(x))
    else:
        x = layer.norm1(x + self_attention(x))
        x = layer.norm2(x + feed_forward(x))
    return x


block_diff = 0.0
for norm_first in (False, True):
    layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=4 * d_model, dropout=0.0,
                                       batch_first=True, norm_first=norm_first)
    diff = (encoder_layer_by_hand(layer, x, norm_first) - layer(x)).abs().max().item()
    block_diff = max(block_diff, diff)
    print(f"{'pre' if norm_first else 'post'}-norm block by hand vs nn.TransformerEncoderLayer: "
          f"max |difference| {diff:.1e}  (expect < 1e-5)")

# %% [markdown]
# ## Pre-norm vs post-norm: gradients at initialisation
# Take a 12-block stack of width 64, one batch of random inputs and labels, and measure the
# gradient norm of each block's weights. Xiong et al. (2020) showed that in a post-norm stack the
# gradients *grow* toward the output end, which is why post-norm transformers need a learning-rate
# warm-up; in a pre-norm stack they stay level or shrink, and it trains without one.

# %%
lesson.section()
depth, width = 12, 64
inputs, labels = torch.randn(32, 16, width), torch.randint(0, 10, (32,))
block_grads = {}
for name, norm_first in (("post-norm", False), ("pre-norm", True)):
    torch.manual_seed(lesson.seed)
    stack = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(width, 4, 4 * width, dropout=0.0, batch_first=True, norm_first=norm_first),
        depth, norm=nn.LayerNorm(width) if norm_first else None)  # pre-norm ends with one more LayerNorm
    readout = nn.Linear(width, 10)
    F.cross_entropy(readout(stack(inputs).mean(dim=1)), labels).backward()
    block_grads[name] = [math.sqrt(sum((p.grad**2).sum().item() for p in block.parameters()))
                         for block in stack.layers]
    print(f"  {name:>9}: gradient norm per block " + " ".join(f"{g:.2f}" for g in block_grads[name]))
top_ratio = block_grads["post-norm"][-1] / block_grads["pre-norm"][-1]
print(f"last block: post-norm gradient {top_ratio:.1f}x the pre-norm one (expect about 3-5x); "
      f"post-norm last/middle {block_grads['post-norm'][-1] / block_grads['post-norm'][depth // 2]:.1f} (expect > 1), "
      f"pre-norm {block_grads['pre-norm'][-1] / block_grads['pre-norm'][depth // 2]:.1f} (expect < 1)")
fig = plot_gradient_norms(block_grads, title=f"gradient norm per block at initialisation ({depth} blocks)",
                          xlabel="encoder block (input side on the left)")
lesson.save(fig, "pre_vs_post_norm.png")

# %% [markdown]
# ## An encoder that must use order: "is this sequence sorted?"
# Sequences of 8 tokens from 1..9. Half are sorted; the other half are the *same kind* of
# sequence with the order broken, half of those by swapping just one adjacent pair. A positive and
# a negative hold the same multiset of tokens, so without positional encodings the encoder (which
# sees a set) cannot beat 50%. With learned position embeddings it can compare neighbours.

# %%
lesson.section()
SEQ, VOCAB = 8, 10


def sorted_task(n: int, seed: int):
    """tokens (n, SEQ), labels (n,) with 1 = sorted, and which negatives differ by one swap."""
    rng = np.random.default_rng(seed)
    seqs = np.sort(rng.integers(1, VOCAB, size=(n, SEQ)), axis=1)
    labels = np.arange(n) % 2
    rng.shuffle(labels)
    one_swap = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(labels == 0):
        seqs[i, 0], seqs[i, -1] = min(seqs[i, 0], VOCAB - 2), max(seqs[i, -1], seqs[i, 0] + 1)  # not all equal
        if rng.random() < 0.5:
            j = rng.choice(np.flatnonzero(seqs[i, :-1] < seqs[i, 1:]))   # swap one rising pair
            seqs[i, [j, j + 1]] = seqs[i, [j + 1, j]]
            one_swap[i] = True
        else:
            while np.all(seqs[i, :-1] <= seqs[i, 1:]):
                seqs[i] = rng.permutation(seqs[i])
    return torch.tensor(seqs), torch.tensor(labels), one_swap


seq_train, label_train, _ = sorted_task(4000, seed=lesson.seed)
seq_test, label_test, one_swap_test = sorted_task(1000, seed=lesson.seed + 1)
sorted_rows = np.flatnonzero(label_test.numpy() == 1)
for kind, i in (("sorted", sorted_rows[0]), ("one swap", np.flatnonzero(one_swap_test)[0]),
                ("shuffled", np.flatnonzero((label_test.numpy() == 0) & ~one_swap_test)[0])):
    print(f"  {kind:>8}: {seq_test[i].tolist()}  label {label_test[i].item()}")


class SequenceClassifier(nn.Module):
    """Token + (optional) learned position embeddings -> pre-norm encoder -> mean over positions."""

    def __init__(self, d: int = 32, heads: int = 4, layers: int = 2, use_positions: bool = True):
        super().__init__()
        self.use_positions = use_positions
        self.tokens = nn.Embedding(VOCAB, d)
        self.positions = nn.Embedding(SEQ, d)
        nn.init.normal_(self.positions.weight, std=0.2)  # small: the structure in them is learned
        layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=2 * d, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d))
        self.head = nn.Linear(d, 2)

    def embed(self, seq):
        h = self.tokens(seq)
        return h + self.positions(torch.arange(seq.shape[1])) if self.use_positions else h

    def forward(self, seq):
        return self.head(self.encoder(self.embed(seq)).mean(dim=1))


def train_classifier(model, steps: int, label: str):
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    progress = Progress(steps, lines=4, label=f"{label} step")
    losses = []
    for step in range(1, steps + 1):
        batch = torch.randint(0, seq_train.shape[0], (128,))
        loss = F.cross_entropy(model(seq_train[batch]), label_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        progress(step, loss=loss.item())
    with torch.no_grad():
        right = (model(seq_test).argmax(dim=-1) == label_test).numpy()
    return right.mean(), right[one_swap_test].mean(), losses


sort_steps = 1500 if FULL else 250
with_pos = SequenceClassifier(use_positions=True)
positions_at_init = with_pos.positions.weight.detach().clone()
sort_acc, one_swap_acc, sort_losses = train_classifier(with_pos, sort_steps, "with positions")
without_pos = SequenceClassifier(use_positions=False)
nopos_acc, _, nopos_losses = train_classifier(without_pos, sort_steps // 2 if FULL else 100, "no positions")
print(f"held-out accuracy with learned positions: {sort_acc:.1%} (expect about 90% quick, 99% full); "
      f"on the one-swap negatives alone {one_swap_acc:.1%} (the hardest: about 60% quick, 98% full)")
print(f"held-out accuracy without positions:      {nopos_acc:.1%} (expect about 50%: it sees a set)")
fig = plot_curves({"learned positions": sort_losses, "no positions": nopos_losses}, xlabel="step",
                  ylabel="cross-entropy", title="is the sequence sorted? training loss")
lesson.save(fig, "sorted_training.png")

# %% [markdown]
# What did the heads learn? The first block's attention on a sorted test sequence, one map per
# head (rows: query position, columns: key position, tick labels: the tokens). Each head weights
# the positions in its own way, and nothing told it how: only the loss shaped them. Draw the maps
# for a one-swap negative (`one_swap_test` marks them) and see which heads change. (After `--full`
# training, several heads have each token look at the next larger one: the comparison that
# "sorted" needs.)

# %%
lesson.section()
example = seq_test[sorted_rows[0]].unsqueeze(0)
first_block = with_pos.encoder.layers[0]
with torch.no_grad():
    h = first_block.norm1(with_pos.embed(example))
    _, head_maps = first_block.self_attn(h, h, h, average_attn_weights=False)
tokens_shown = example[0].tolist()
fig = plot_attention(head_maps[0], x_labels=tokens_shown, y_labels=tokens_shown,
                     title=f"first block's heads on the sorted sequence {tokens_shown} (ticks: tokens)")
lesson.save(fig, "sorted_heads.png")

# %% [markdown]
# The two kinds of positional encoding, side by side: the sinusoidal waves (each row one
# frequency), their dot products (a band: near positions look alike), and the cosine similarity
# of the classifier's 8 position vectors, random at initialisation and after training. Nobody
# told it that position 3 lies between 2 and 4; look for neighbours that became alike.

# %%
lesson.section()


def cosine_similarity(vectors):
    unit = vectors / vectors.norm(dim=1, keepdim=True)
    return unit @ unit.T


learned = with_pos.positions.weight.detach()
neighbours = cosine_similarity(learned)[torch.arange(SEQ - 1), torch.arange(1, SEQ)].mean().item()
far_apart = cosine_similarity(learned)[0, SEQ - 1].item()
print(f"learned positions: mean cosine similarity of neighbours {neighbours:.2f}, of positions 0 and {SEQ - 1} "
      f"{far_apart:.2f} (at initialisation both near 0)")
fig, axes = plt.subplots(1, 4, figsize=(18, 4), layout="constrained")
for ax, matrix, title, xlabel, ylabel in (
        (axes[0], pe.T, "sinusoidal encoding (d=32, 64 positions)", "position", "dimension"),
        (axes[1], cosine_similarity(pe), "sinusoidal: cosine similarity", "position j", "position i"),
        (axes[2], cosine_similarity(positions_at_init), "learned, at initialisation: cosine", "position j",
         "position i"),
        (axes[3], cosine_similarity(learned), f"learned, after {sort_steps} steps: cosine", "position j",
         "position i")):
    image = ax.imshow(matrix.numpy(), cmap="RdBu_r", aspect="auto", vmin=-1, vmax=1)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
fig.colorbar(image, ax=axes.tolist(), label="value / cosine similarity", shrink=0.9)
lesson.save(fig, "positional_encodings.png")

# %% [markdown]
# ## The same encoder on images: a small vision transformer
# A vision transformer (Dosovitskiy et al. 2021) cuts an image into patches, flattens each patch
# and projects it to a token: an 8x8 digit becomes 16 tokens of 2x2 pixels. A learned `[CLS]`
# token is prepended, fixed sinusoidal position encodings are added, the encoder mixes the
# tokens, and the `[CLS]` token's final state is classified. Nothing in it knows that the tokens
# came from an image.

# %%
lesson.section()
x_train, y_train = load_digits("train")
x_test, y_test = load_digits("test")
PATCH = 2
n_patches = (8 // PATCH) ** 2
print(f"digits: train {tuple(x_train.shape)}, test {tuple(x_test.shape)}; {n_patches} patches of {PATCH}x{PATCH}")


def to_patches(images, p: int = PATCH):
    """(N, 1, H, W) -> (N, (H/p)(W/p), p*p): row-major patches, each flattened."""
    n, _, height, width = images.shape
    grid = images.reshape(n, height // p, p, width // p, p).permute(0, 1, 3, 2, 4)
    return grid.reshape(n, (height // p) * (width // p), p * p)


class VisionTransformer(nn.Module):
    def __init__(self, d: int = 32, heads: int = 4, layers: int = 2, ff: int = 64, classes: int = 10):
        super().__init__()
        self.patch_embed = nn.Linear(PATCH * PATCH, d)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.register_buffer("position", sinusoidal_encoding(n_patches + 1, d).unsqueeze(0))
        layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=ff, dropout=0.0, batch_first=True,
                                           norm_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d))
        self.head = nn.Linear(d, classes)

    def forward(self, images):
        tokens = self.patch_embed(to_patches(images))                     # (N, 16, d)
        cls = self.cls.expand(tokens.shape[0], 1, tokens.shape[2])
        h = self.encoder(torch.cat([cls, tokens], dim=1) + self.position)  # (N, 17, d)
        return self.head(h[:, 0])


D, HEADS, LAYERS, FF = 32, 4, 2, 64
vit = VisionTransformer(D, HEADS, LAYERS, FF)
epochs = 120 if FULL else 10
optimizer = torch.optim.AdamW(vit.parameters(), lr=3e-3, weight_decay=0.01)
steps_per_epoch = math.ceil(x_train.shape[0] / 64)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=epochs * steps_per_epoch)
progress = Progress(epochs)
vit_train_loss, vit_test_acc = [], []
for epoch in range(1, epochs + 1):
    order = torch.randperm(x_train.shape[0])
    total = 0.0
    for start in range(0, x_train.shape[0], 64):
        batch = order[start:start + 64]
        loss = F.cross_entropy(vit(x_train[batch]), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.item() * batch.shape[0]
    with torch.no_grad():
        vit_test_acc.append((vit(x_test).argmax(dim=-1) == y_test).float().mean().item())
    vit_train_loss.append(total / x_train.shape[0])
    progress(epoch, loss=vit_train_loss[-1], test_acc=vit_test_acc[-1])
vit_acc = vit_test_acc[-1]
print(f"vision transformer, held-out accuracy on {x_test.shape[0]} digits: {vit_acc:.1%} "
      f"(expect 85-93% quick, 96-97% full)")
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
plot_curves({"train": vit_train_loss}, ylabel="cross-entropy", title="ViT training loss", ax=ax_loss)
plot_curves({"test": [a * 100 for a in vit_test_acc]}, ylabel="accuracy (%)", title="ViT held-out accuracy",
            ax=ax_acc)
lesson.save(fig, "vit_training.png")

# %% [markdown]
# ## Counting parameters
# One encoder block of width d with feed-forward width f holds
#
#     attention:    in_proj 3d*d + 3d,  out_proj d*d + d      = 4d^2 + 4d
#     feed-forward: d*f + f + f*d + d                          = 2df + f + d
#     2 layer norms: 2 * (d + d)                               = 4d
#
# so `4d^2 + 2df + 9d + f` per block. The ViT adds its patch projection (p^2 d + d), the [CLS]
# token (d), a final layer norm (2d) and the classifier (10d + 10). Sinusoidal positions are a
# buffer, not parameters.

# %%
lesson.section()
per_block = 4 * D * D + 2 * D * FF + 9 * D + FF
formula = {
    "patch embedding": PATCH * PATCH * D + D,
    "[CLS] token": D,
    f"{LAYERS} encoder blocks": LAYERS * per_block,
    "final layer norm": 2 * D,
    "classifier": 10 * D + 10,
}
by_numel = {
    "patch embedding": sum(p.numel() for p in vit.patch_embed.parameters()),
    "[CLS] token": vit.cls.numel(),
    f"{LAYERS} encoder blocks": sum(p.numel() for p in vit.encoder.layers.parameters()),
    "final layer norm": sum(p.numel() for p in vit.encoder.norm.parameters()),
    "classifier": sum(p.numel() for p in vit.head.parameters()),
}
for part in formula:
    print(f"  {part:>18}: formula {formula[part]:>6,}   numel {by_numel[part]:>6,}")
params_formula, params_numel = sum(formula.values()), sum(p.numel() for p in vit.parameters())
print(f"  {'total':>18}: formula {params_formula:>6,}   numel {params_numel:>6,}  "
      f"(equal: {params_formula == params_numel})")

# %% [markdown]
# ## Counting FLOPs
# A matrix product (n, k) @ (k, m) costs 2nkm FLOPs (a multiply and an add each). For a block on
# n tokens:
#
#     Q, K, V and output projections   4 * 2 n d^2  = 8 n d^2
#     scores Q K^T and weights @ V     2 * 2 n^2 d  = 4 n^2 d      (summed over heads)
#     feed-forward                     2 * 2 n d f  = 4 n d f
#
# The n^2 term is attention's price: it grows with the square of the sequence length while
# everything else grows linearly. (Softmax, layer norms and biases add a few n d more; training
# costs about 3x the forward pass: the backward pass does two products for each one forward.)


# %%
lesson.section()


def block_flops(n: int, d: int, f: int) -> dict:
    return {"projections": 8 * n * d * d, "attention": 4 * n * n * d, "feed-forward": 4 * n * d * f}


def vit_flops(patch: int) -> int:
    n = (8 // patch) ** 2 + 1
    return (2 * (n - 1) * patch * patch * D + LAYERS * sum(block_flops(n, D, FF).values()) + 2 * D * 10)


n_tokens = n_patches + 1
parts = block_flops(n_tokens, D, FF)
print(f"one block on {n_tokens} tokens: " + ", ".join(f"{k} {v:,}" for k, v in parts.items()))
flops_per_image = vit_flops(PATCH)
print(f"ViT forward pass: {flops_per_image:,} FLOPs per image; one training epoch about "
      f"{3 * flops_per_image * x_train.shape[0] / 1e9:.2f} GFLOP")
for patch in (4, 2, 1):
    n = (8 // patch) ** 2 + 1
    share = block_flops(n, D, FF)["attention"] / sum(block_flops(n, D, FF).values())
    print(f"  patches of {patch}x{patch}: {n:>2} tokens, {vit_flops(patch):>10,} FLOPs per image, "
          f"attention's n^2 part {share:.0%} of each block")

# %%
lesson.summary(mha_max_difference=mha_diff, block_max_difference=block_diff, layer_norm_max_difference=ln_diff,
               post_over_pre_last_block_grad=round(top_ratio, 3),
               sorted_accuracy=round(float(sort_acc), 4), sorted_one_swap_accuracy=round(float(one_swap_acc), 4),
               no_position_accuracy=round(float(nopos_acc), 4), vit_accuracy=round(vit_acc, 4),
               parameters_formula=params_formula, parameters_numel=params_numel, vit_flops=flops_per_image)
