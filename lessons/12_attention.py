# %% [markdown]
# # Lesson 12: attention
#
# A recurrent encoder squeezes a whole sentence into one state vector, and a decoder that sees
# only that vector has to remember everything. **Attention** lets the decoder look back: at each
# output step it scores every encoder state, turns the scores into weights with a softmax, and
# reads a weighted average of the states (the *context*). The weights are a probability
# distribution over source positions, so we can *see* where the model looks.
#
# This lesson writes attention out twice:
# 1. **Scaled dot-product attention** `softmax(Q K^T / sqrt(d)) V`, the transformer's kind, checked
#    against `F.scaled_dot_product_attention`, with the two masks every model needs (padding and
#    causal).
# 2. **Additive (Bahdanau) attention** in a GRU encoder-decoder that learns to *reverse* a
#    sequence. Output step t must read input position T-1-t, so the right attention map is known
#    in advance (an anti-diagonal) and we can measure how often the model's argmax lands on it.
#
# Run: `python lessons/12_attention.py` (under a minute), or `--full` (about 2 minutes) to train
# until the alignment is essentially perfect.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import reverse_task
from tinynn.viz import plot_attention, plot_curves

lesson = Lesson(12, "attention", full_takes="about 2 minutes")
torch.manual_seed(lesson.seed)
FULL = lesson.full
np.set_printoptions(precision=2, suppress=True)

# %% [markdown]
# ## Scaled dot-product attention, written out
# Queries `Q (L, d)`, keys `K (S, d)` and values `V (S, d_v)`:
#
#     scores  = Q K^T / sqrt(d)        (L, S): how well query i matches key j
#     weights = softmax(scores)        each row sums to 1
#     out     = weights V              (L, d_v): each query's weighted average of the values
#
# A mask marks the (query, key) pairs that may not attend; their score becomes -inf, so their
# weight becomes exactly 0. In `F.scaled_dot_product_attention` a boolean mask says
# **True = may attend** (PyTorch's convention).


# %%
lesson.section()


def attention(q, k, v, allowed=None):
    """softmax(q k^T / sqrt(d)) v; allowed: bool (..., L, S), True where query i may see key j."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if allowed is not None:
        scores = scores.masked_fill(allowed.logical_not(), float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


q, k, v = torch.randn(2, 5, 16), torch.randn(2, 7, 16), torch.randn(2, 7, 8)
ours, _ = attention(q, k, v)
theirs = F.scaled_dot_product_attention(q, k, v)
sdpa_diff = (ours - theirs).abs().max().item()
print(f"ours vs F.scaled_dot_product_attention: max |difference| = {sdpa_diff:.1e}  (expect < 1e-5)")

# %% [markdown]
# **Why divide by sqrt(d)?** If the entries of q and k have unit variance, q . k is a sum of d
# products and has variance d. Unscaled, the scores of a 256-dimensional head spread over +-16:
# the softmax then puts nearly all weight on one key, and its gradient all but vanishes.

# %%
lesson.section()
d = 256
q_big, k_big = torch.randn(1, 8, d), torch.randn(1, 8, d)
raw = q_big @ k_big.transpose(-2, -1)
for name, scores in (("unscaled", raw), ("scaled by 1/sqrt(d)", raw / math.sqrt(d))):
    top = torch.softmax(scores, dim=-1).max(dim=-1).values.mean().item()
    print(f"  {name:>20}: score std {scores.std().item():5.2f}   mean largest weight {top:.2f}")
print("  (expect std about 16 and a largest weight near 1 unscaled; std about 1 and a spread-out softmax scaled)")

# %% [markdown]
# ## Masks on a small example
# **Padding mask.** Sequences in a batch have different lengths and are padded to the longest.
# Padding positions are not data: no query may attend to them, so the mask forbids those *keys*
# (whole columns). Here the second sequence has 3 real tokens out of 5.
#
# **Causal mask.** A model that predicts the next token must not peek at the future: query i may
# attend only to keys j <= i, a lower-triangular mask.

# %%
lesson.section()
L = 5
lengths = torch.tensor([5, 3])
positions = torch.arange(L)
padding_allowed = (positions.unsqueeze(0) < lengths.unsqueeze(1))  # (batch, S): True for real tokens
padding_allowed = padding_allowed.unsqueeze(1).expand(2, L, L)     # the same columns for every query
causal_allowed = torch.tril(torch.ones(L, L, dtype=torch.bool))    # (L, S): key j <= query i

x = torch.randn(2, L, 4)
_, w_padding = attention(x, x, x, padding_allowed)
_, w_causal = attention(x, x, x, causal_allowed)
_, w_both = attention(x, x, x, padding_allowed & causal_allowed)
print("padding mask, sequence 2 (length 3): columns 3 and 4 get weight 0, each row sums to 1")
print(w_padding[1].numpy())
print("causal mask, sequence 1: nothing above the diagonal")
print(w_causal[0].numpy())

mask_diffs = [
    (w_padding @ x - F.scaled_dot_product_attention(x, x, x, attn_mask=padding_allowed)).abs().max().item(),
    (w_causal @ x - F.scaled_dot_product_attention(x, x, x, is_causal=True)).abs().max().item(),
]
print(f"masked outputs vs F.scaled_dot_product_attention (attn_mask=..., is_causal=True): "
      f"max |difference| {max(mask_diffs):.1e}  (expect < 1e-5)")
sdpa_diff = max(sdpa_diff, *mask_diffs)

fig = plot_attention(torch.stack([w_padding[1], w_causal[0], w_both[1]]),
                     titles=["padding (length 3)", "causal", "padding + causal"],
                     title="masked attention weights: forbidden pairs get exactly 0")
lesson.save(fig, "masks.png")

# %% [markdown]
# ## A task with a known alignment: reversing a sequence
# `reverse_task` gives random token sequences (tokens 1..9) and their reversal. Token 0 never
# occurs, so the decoder uses it as its start symbol.

# %%
lesson.section()
T, VOCAB = 8, 10
src_train, tgt_train = reverse_task(4000, length=T, vocab_size=VOCAB, seed=lesson.seed)
src_test, tgt_test = reverse_task(500, length=T, vocab_size=VOCAB, seed=lesson.seed + 1)
print(f"train {tuple(src_train.shape)}, test {tuple(src_test.shape)};  example: "
      f"{src_train[0].tolist()} -> {tgt_train[0].tolist()}")

# %% [markdown]
# ## The encoder-decoder with additive attention
# **Encoder**: embed the tokens and run a bidirectional GRU; state `h_j` (forward and backward
# halves concatenated) describes token j in its context.
#
# **Additive attention** (Bahdanau et al. 2015) scores each encoder state against the decoder's
# state `s` with a one-hidden-layer network:
#
#     e_j = v^T tanh(W_q s + W_k h_j)      alpha = softmax(e)      context = sum_j alpha_j h_j
#
# **Decoder**: a GRU cell whose input is the previous output token and the context; the next
# token is predicted from the new state and the context. During training the previous token is
# the true one (*teacher forcing*); at test time it is the decoder's own previous guess.


# %%
lesson.section()


class Encoder(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.rnn = nn.GRU(embed, hidden, batch_first=True, bidirectional=True)

    def forward(self, src):                     # src (N, T) -> states (N, T, 2 * hidden)
        states, _ = self.rnn(self.embed(src))
        return states


class AdditiveAttention(nn.Module):
    def __init__(self, query_size: int, key_size: int, size: int):
        super().__init__()
        self.W_q = nn.Linear(query_size, size, bias=False)
        self.W_k = nn.Linear(key_size, size)
        self.v = nn.Linear(size, 1, bias=False)

    def forward(self, query, keys, projected_keys=None):
        """query (N, Dq), keys (N, S, Dk) -> context (N, Dk), weights (N, S)."""
        if projected_keys is None:
            projected_keys = self.W_k(keys)     # the same for every decoder step: computed once
        scores = self.v(torch.tanh(projected_keys + self.W_q(query).unsqueeze(1))).squeeze(-1)
        weights = torch.softmax(scores, dim=-1)
        context = (weights.unsqueeze(-1) * keys).sum(dim=1)
        return context, weights


class Decoder(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int, enc_size: int, attn_size: int):
        super().__init__()
        self.hidden = hidden
        self.embed = nn.Embedding(vocab, embed)
        self.attention = AdditiveAttention(hidden, enc_size, attn_size)
        self.cell = nn.GRUCell(embed + enc_size, hidden)
        self.out = nn.Linear(hidden + enc_size, vocab)

    def forward(self, states, steps: int, targets=None):
        """Teacher forcing when targets (N, steps) are given, greedy decoding otherwise.
        Returns logits (N, steps, vocab) and attention weights (N, steps, S)."""
        n = states.shape[0]
        s = torch.zeros(n, self.hidden)
        token = torch.zeros(n, dtype=torch.int64)  # start symbol 0
        keys = self.attention.W_k(states)
        all_logits, all_weights = [], []
        for t in range(steps):
            context, weights = self.attention(s, states, keys)
            s = self.cell(torch.cat([self.embed(token), context], dim=-1), s)
            logits = self.out(torch.cat([s, context], dim=-1))
            all_logits.append(logits)
            all_weights.append(weights)
            token = targets[:, t] if targets is not None else logits.argmax(dim=-1)
        return torch.stack(all_logits, dim=1), torch.stack(all_weights, dim=1)


HIDDEN = 32
encoder = Encoder(VOCAB, embed=16, hidden=HIDDEN)
decoder = Decoder(VOCAB, embed=16, hidden=HIDDEN, enc_size=2 * HIDDEN, attn_size=32)
params = list(encoder.parameters()) + list(decoder.parameters())
print(f"parameters: {sum(p.numel() for p in params):,}")

# %% [markdown]
# ## Measuring the alignment
# For reversal, output step t should attend to source position T-1-t. The *alignment accuracy* is
# the fraction of (sequence, output step) pairs whose largest attention weight sits there.
# Before training the weights are nearly uniform, so about 1 in T = 12.5% land right by chance.

# %%
lesson.section()
correct_source = torch.arange(T - 1, -1, -1)  # output step t reads source position T-1-t


def evaluate(src, tgt):
    """Greedy decoding on held-out data: token accuracy, whole-sequence accuracy, alignment."""
    with torch.no_grad():
        logits, weights = decoder(encoder(src), T)
    right = logits.argmax(dim=-1) == tgt
    aligned = weights.argmax(dim=-1) == correct_source
    return (right.float().mean().item(), right.all(dim=1).float().mean().item(),
            aligned.float().mean().item(), weights)


_, _, align_before, weights_before = evaluate(src_test, tgt_test)
print(f"before training: alignment accuracy {align_before:.1%}  (expect about 12.5%, chance)")

# %% [markdown]
# ## Training
# Cross-entropy over every output step, Adam, minibatches of 128. Watch the loss fall and the
# alignment sharpen: the model is never told where to look, only what to output.

# %%
lesson.section()
steps = 1000 if FULL else 200
optimizer = torch.optim.Adam(params, lr=1e-2)
progress = Progress(steps, label="step")
losses, alignments = [], []
for step in range(1, steps + 1):
    batch = torch.randint(0, src_train.shape[0], (128,))
    src, tgt = src_train[batch], tgt_train[batch]
    logits, weights = decoder(encoder(src), T, targets=tgt)
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), tgt.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(params, 1.0)
    optimizer.step()
    losses.append(loss.item())
    alignments.append((weights.argmax(dim=-1) == correct_source).float().mean().item())
    progress(step, loss=losses[-1], alignment=alignments[-1])

token_acc, seq_acc, alignment, weights_after = evaluate(src_test, tgt_test)
print(f"held-out, greedy decoding: token accuracy {token_acc:.1%}, whole sequences right {seq_acc:.1%}  "
      f"(expect above 95% quick, 100% full)")
print(f"alignment accuracy: {alignment:.1%} of query positions attend most to the right source position "
      f"(expect about 90% quick, near 100% full)")

# %% [markdown]
# ## The attention maps
# One held-out example, before and after training: rows are output steps (labelled with the token
# produced), columns the input tokens. The anti-diagonal is the reversal the model discovered.
# The mean map over all 500 held-out sequences shows it is not one lucky example.

# %%
lesson.section()
example = 0
src_tokens = src_test[example].tolist()
out_tokens = tgt_test[example].tolist()
fig = plot_attention(torch.stack([weights_before[example], weights_after[example]]),
                     x_labels=src_tokens, y_labels=out_tokens,
                     titles=["before training", f"after {steps} steps"],
                     title=f"reversing {src_tokens}: attention weights")
lesson.save(fig, "attention_example.png")

mean_map = weights_after.mean(dim=0)
fig = plot_attention(mean_map, x_labels=[f"x{j}" for j in range(T)], y_labels=[f"y{t}" for t in range(T)],
                     title=f"mean attention over {src_test.shape[0]} held-out sequences")
lesson.save(fig, "attention_mean.png")
print("mean weight on the correct source position, per output step:",
      mean_map[torch.arange(T), correct_source].numpy())

fig, (ax_loss, ax_align) = plt.subplots(1, 2, figsize=(10, 3.5))
plot_curves({"train": losses}, xlabel="step", ylabel="cross-entropy", logy=True, title="training loss",
            ax=ax_loss)
plot_curves({"train batches": np.array(alignments) * 100}, xlabel="step", ylabel="alignment accuracy (%)",
            title="argmax attention on the right position", ax=ax_align)
ax_align.axhline(100 / T, color="gray", linestyle="--", label="chance (1/T)")
ax_align.legend()
lesson.save(fig, "training.png")

# %% [markdown]
# ## What to try
# - `copy_task` instead of `reverse_task`: the map becomes the main diagonal.
# - A unidirectional GRU in the encoder: state j then also summarises everything before j, so the
#   decoder can read token j from later states too, and the map is free to blur.
# - Replace the additive score with a scaled dot product, `(W_q s) . (W_k h_j) / sqrt(d)`.

# %%
lesson.section()
lesson.summary(alignment_accuracy=round(alignment, 4), alignment_before=round(align_before, 4),
               token_accuracy=round(token_acc, 4), sequence_accuracy=round(seq_acc, 4),
               first_loss=round(losses[0], 4), final_loss=round(float(np.mean(losses[-10:])), 4),
               sdpa_max_difference=sdpa_diff)
