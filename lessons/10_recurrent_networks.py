# %% [markdown]
# # Lesson 10: recurrent networks
#
# A feedforward network sees its whole input at once. Text, sound and time series arrive one
# step at a time, and their length varies. A **recurrent network** reads a sequence step by step
# and keeps a running summary of what it has seen, the hidden state `h_t`:
#
#     h_t = tanh(W_x x_t + W_h h_{t-1} + b)          (the same W_x, W_h, b at every step)
#
# This lesson writes that cell out, unrolls it in time, checks it against `nn.RNN`, computes
# backpropagation through time by hand, trains a character-level language model on text, and
# measures the problem that motivates the next lesson: the gradient that reaches back in time
# shrinks geometrically with every step.
#
# Run: `python lessons/10_recurrent_networks.py` (about 15 seconds), or `--full` for a bigger,
# longer-trained character model (about 5 minutes).

# %%
import time

import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import CharTokenizer, fables
from tinynn.viz import plot_curves, plot_gradient_norms

lesson = Lesson(10, "recurrent networks", full_takes="about 5 minutes on an idle 2-core CPU")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## 1. The cell, unrolled in time
# One step of the cell maps the input `x_t` (N, input_size) and the previous state `h_{t-1}`
# (N, hidden) to the new state `h_t` (N, hidden). Unrolling means running the same cell in a
# Python loop, feeding each step's state into the next:
#
#     h_0 = 0 -> [cell] -> h_1 -> [cell] -> h_2 -> ... -> h_T
#                  ^x_1           ^x_2                 ^x_T
#
# `nn.RNN` does exactly this. Its weights have PyTorch's names: `weight_ih_l0` is `W_x` (input to
# hidden, layer 0), `weight_hh_l0` is `W_h`, and it keeps two biases, `bias_ih_l0` and
# `bias_hh_l0`, that are simply added (one `b` would do; cuDNN's formula has two). We take the
# weights out of an `nn.RNN` by those names and check that our loop computes the same states.

# %%
lesson.section()
input_size, hidden_size, seq_len, batch = 3, 5, 7, 2
rnn = nn.RNN(input_size, hidden_size)          # input (T, N, input_size), like PyTorch
weights = rnn.state_dict()
for name, value in weights.items():
    print(f"  {name:13s} {tuple(value.shape)}")
W_x, W_h = weights["weight_ih_l0"], weights["weight_hh_l0"]
b = weights["bias_ih_l0"] + weights["bias_hh_l0"]


def rnn_unrolled(xs, h, W_x, W_h, b):
    """Run h_t = tanh(x_t W_x^T + h_{t-1} W_h^T + b) over xs (T, N, input); return [h_1, ..., h_T]."""
    states = []
    for x_t in xs:                              # iterating a tensor walks its first axis: time
        h = torch.tanh(x_t @ W_x.T + h @ W_h.T + b)
        states.append(h)
    return states


xs = torch.randn(seq_len, batch, input_size)
h0 = torch.zeros(batch, hidden_size)
ours = torch.stack(rnn_unrolled(xs, h0, W_x, W_h, b))        # (T, N, hidden)
output, h_n = rnn(xs)                                         # output: every h_t; h_n: the last
rnn_match = max((ours - output).abs().max().item(), (ours[-1] - h_n[0]).abs().max().item())
print(f"unrolled loop vs nn.RNN: output {tuple(output.shape)}, h_n {tuple(h_n.shape)}, "
      f"largest difference {rnn_match:.1e}  (expect below 1e-6: float32 rounding)")

# %% [markdown]
# ## 2. Backpropagation through time
# Unrolled, the RNN is just a deep feedforward network whose layers share their weights, so
# backpropagation works unchanged: it is called *backpropagation through time* (BPTT). Let the
# loss read every state, `L = sum_t l_t(h_t)`. The gradient that reaches `h_t` has two parts,
# the direct one and the one carried back from the future through `h_{t+1}`:
#
#     dL/dh_t  = dl_t/dh_t + W_h^T [ (1 - h_{t+1}^2) * dL/dh_{t+1} ]      (tanh' = 1 - tanh^2)
#     dL/dW_h  = sum_t [ (1 - h_t^2) * dL/dh_t ] h_{t-1}^T                 (shared weight: sum over steps)
#
# Below: the loss is a squared error of every state against a target; autograd gives `dL/dh_t`
# (`retain_grad()` keeps the gradient of a non-leaf tensor) and `dL/dW_h`; then the same two
# formulas in plain NumPy, walking backwards in time.

# %%
lesson.section()
W_x_, W_h_, b_ = (w.clone().requires_grad_() for w in (W_x, W_h, b))
states = rnn_unrolled(xs, h0, W_x_, W_h_, b_)
for h in states:
    h.retain_grad()
targets = torch.randn(seq_len, batch, hidden_size)
loss = sum(((h - y) ** 2).sum() for h, y in zip(states, targets)) / batch
loss.backward()

# the same gradients by hand: one backward sweep over time
H = np.stack([h.detach().numpy() for h in states])           # (T, N, hidden)
H_prev = np.concatenate([h0.numpy()[None], H[:-1]])          # h_{t-1} for each t
Wh = W_h.numpy()
dL_dh = np.zeros_like(H)
dW_h = np.zeros_like(Wh)
carried = np.zeros_like(H[0])                                 # the gradient coming from step t+1
for t in reversed(range(seq_len)):
    direct = 2 * (H[t] - targets[t].numpy()) / batch
    dL_dh[t] = direct + carried
    da = dL_dh[t] * (1 - H[t] ** 2)                           # back through tanh
    dW_h += da.T @ H_prev[t]
    carried = da @ Wh                                         # back through W_h to h_{t-1}
autograd_dh = np.stack([h.grad.numpy() for h in states])
bptt_match = max(np.abs(autograd_dh - dL_dh).max(), np.abs(W_h_.grad.numpy() - dW_h).max())
print(f"BPTT by hand vs autograd: largest difference in dL/dh_t and dL/dW_h {bptt_match:.1e}  (expect below 1e-5)")
for t in range(seq_len):
    print(f"  |dL/dh_{t + 1}| = {np.linalg.norm(dL_dh[t]):.3f}")

# %% [markdown]
# ## 3. A character-level language model
# The classic first RNN: read text one character at a time and predict the next character. The
# corpus is `tinynn.datasets.fables()`, generated animal fables (spelling, capitals, dialogue in
# quotes, a "Moral:" line). Each character becomes an id, an `nn.Embedding` turns ids into
# vectors, `nn.RNN` runs over them, and an `nn.Linear` head scores the next character at every
# position; the loss is the cross-entropy averaged over all positions.
#
# Training uses *truncated* BPTT: random windows of `seq_len` characters, so the gradient runs
# back at most `seq_len` steps. Gradients are clipped to norm 1 (`clip_grad_norm_`): an RNN's
# gradient can also *explode*, and one huge step would undo the training.
#
# What to look for: the loss starts at `ln(vocab_size)` (a uniform guess), drops fast below the
# unigram entropy (what letter frequencies alone give), and keeps falling as the model learns
# words and the story's grammar.

# %%
lesson.section()
text = fables(120_000 if FULL else 60_000, seed=0)
tokenizer = CharTokenizer(text)
ids = np.array(tokenizer.encode(text))
split = int(0.9 * len(ids))
train_ids, val_ids = ids[:split], ids[split:]
vocab = tokenizer.vocab_size
counts = np.bincount(train_ids, minlength=vocab) / len(train_ids)
unigram = -(counts[counts > 0] * np.log(counts[counts > 0])).sum()
print(f"corpus: {len(text):,} characters, {vocab} distinct; uniform guess loss {np.log(vocab):.2f}, "
      f"unigram entropy {unigram:.2f} nats")


def windows(source, n, length, rng):
    """n random windows: inputs (n, length) and the same shifted by one character (the targets)."""
    starts = rng.integers(0, len(source) - length - 1, size=n)
    rows = np.stack([source[s:s + length + 1] for s in starts])
    return torch.tensor(rows[:, :-1]), torch.tensor(rows[:, 1:])


class CharRNN(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.rnn = nn.RNN(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids, h=None):
        """ids (N, T) -> next-character logits (N, T, vocab) and the last state h (1, N, hidden)."""
        out, h = self.rnn(self.embed(ids), h)
        return self.head(out), h


hidden, window, batch_size = (256, 100, 32) if FULL else (128, 50, 32)
steps = 2000 if FULL else 300
model = CharRNN(vocab, 32, hidden)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
rng = np.random.default_rng(lesson.seed)
val_x, val_y = windows(val_ids, 64, window, np.random.default_rng(1))


def val_loss() -> float:
    with torch.no_grad():
        logits, _ = model(val_x)
        return F.cross_entropy(logits.reshape(-1, vocab), val_y.reshape(-1)).item()


print(f"model: {sum(p.numel() for p in model.parameters()):,} parameters; {steps} steps of "
      f"{batch_size} windows x {window} characters")
progress = Progress(steps, lines=8, label="step")
history = {"step": [], "train": [], "val": []}
start = time.perf_counter()
for step in range(1, steps + 1):
    x, y = windows(train_ids, batch_size, window, rng)
    logits, _ = model(x)
    loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    if step == 1 or step % (steps // 20) == 0:
        history["step"].append(step)
        history["train"].append(loss.item())
        history["val"].append(val_loss())
        progress(step, loss=loss.item(), val_loss=history["val"][-1])
first_loss, char_val_loss = history["val"][0], history["val"][-1]
print(f"validation loss {first_loss:.2f} -> {char_val_loss:.2f} nats per character in "
      f"{time.perf_counter() - start:.0f} s  (expect about {'0.25' if FULL else '0.65'}; "
      f"unigram entropy {unigram:.2f})")

fig = plot_curves({"char RNN": {"train": history["train"], "val": history["val"]}}, x={"char RNN": history["step"]},
                  xlabel="training step", ylabel="cross-entropy (nats per character)", title="character RNN on fables")
fig.axes[0].axhline(unigram, color="gray", linestyle="-.", label="unigram entropy")
fig.axes[0].legend()
lesson.save(fig, "char_rnn_loss.png")

# %% [markdown]
# ### Generating text
# To write, feed the model a prompt, then repeatedly sample the next character from the softmax
# of its logits (divided by a *temperature*: below 1 sharpens the distribution) and feed it back.
# The hidden state `h` carries everything read so far, so each new step costs one cell update.


# %%
lesson.section()


def generate(prompt: str, length: int, temperature: float = 0.7) -> str:
    generator = torch.Generator().manual_seed(lesson.seed)
    with torch.no_grad():
        logits, h = model(torch.tensor([tokenizer.encode(prompt)]))
        out = []
        for _ in range(length):
            probs = F.softmax(logits[0, -1] / temperature, dim=-1)
            next_id = torch.multinomial(probs, 1, generator=generator)
            out.append(next_id.item())
            logits, h = model(next_id.reshape(1, 1), h)
    return prompt + tokenizer.decode(out)


sample = generate("One morning the ", 300 if FULL else 200)
print("sample (temperature 0.7):\n" + "-" * 60 + f"\n{sample}\n" + "-" * 60)
vocabulary = set(w.strip('.,!?"') for w in text.split())
sample_words = [w.strip('.,!?"') for w in sample.split()[3:]]
real_words = np.mean([w in vocabulary for w in sample_words if w])
print(f"{real_words:.0%} of the sampled words occur in the corpus  "
      f"(expect over {'90' if FULL else '60'}%: the model learned to spell)")

# %% [markdown]
# ## 4. The vanishing gradient
# How far back in time can the model learn from? Take a loss at the *last* step only. By the
# BPTT recursion, its gradient at step `t` is the last step's gradient multiplied by one Jacobian
# per step in between:
#
#     dL/dh_t = [ prod_{k=t+1..T} W_h^T diag(1 - h_k^2) ] dL/dh_T
#
# Each factor shrinks vectors when `W_h` is small or when tanh saturates (`1 - h^2` near 0), so
# the norm falls *geometrically*: by about the same factor every step. If `W_h` is large the
# product can instead explode (which clipping tames). Either way, a plain RNN has a hard time
# learning dependencies more than a few dozen steps long.
#
# We measure `|dL/dh_t|` at every step `t` for the trained character model (its
# `nn.RNN` weights dropped into our unrolled loop, by name) and for random RNNs whose recurrent
# weights are scaled to a spectral radius (largest |eigenvalue|) of 0.9, 1.5 and 3;
# `torch.autograd.grad(loss, states)` returns the gradient for every state at once. The factor
# per step is read off the slope of a straight line fitted to log |dL/dh_t|: below 1 the gradient
# vanishes, above 1 it explodes. Only a narrow band in between carries a signal far back, and
# the trained model does not sit in it.

# %%
lesson.section()
span = 60
text_x, text_y = windows(val_ids, 16, span, np.random.default_rng(2))


def gradient_through_time(W_x, W_h, b, inputs, loss_of_last):
    """|dL/dh_t| averaged over the batch, for t = 1..T, when the loss reads only h_T."""
    h0 = torch.zeros(inputs.shape[1], W_h.shape[0], requires_grad=True)   # so every h_t joins the graph
    states = rnn_unrolled(inputs, h0, W_x, W_h, b)
    grads = torch.autograd.grad(loss_of_last(states[-1]), states)
    return np.array([g.norm(dim=1).mean().item() for g in grads])


def decay_per_step(norms):
    """exp(slope) of a straight line fitted to log(norm) against the distance T - t."""
    distance = np.arange(len(norms))[::-1]
    slope = np.polyfit(distance, np.log(norms), 1)[0]
    return float(np.exp(slope))


curves = {}
trained = model.state_dict()
embedded = model.embed(text_x).transpose(0, 1).detach()         # (T, N, embed): time first
b_trained = trained["rnn.bias_ih_l0"] + trained["rnn.bias_hh_l0"]
curves["trained character RNN"] = gradient_through_time(
    trained["rnn.weight_ih_l0"], trained["rnn.weight_hh_l0"], b_trained, embedded,
    lambda h: F.cross_entropy(model.head(h), text_y[:, -1]))

noise = torch.randn(span, 16, 8)
for radius in (0.9, 1.5, 3.0):
    W = torch.randn(64, 64) / 64**0.5                            # spectral radius about 1
    W = W * (radius / np.abs(np.linalg.eigvals(W.numpy())).max())
    curves[f"random RNN, spectral radius {radius}"] = gradient_through_time(
        torch.randn(64, 8) / 8**0.5, W, torch.zeros(64), noise, lambda h: h.sum(dim=1).mean())

decays = {name: decay_per_step(norms) for name, norms in curves.items()}
for name, norms in curves.items():
    ratio = norms[0] / norms[-1]
    print(f"  {name:34s} x{decays[name]:.3f} per step; |dL/dh_1| / |dL/dh_T| = {ratio:.1e}")
trained_decay = decays["trained character RNN"]
print(f"the trained model's gradient from 50 steps back is {trained_decay ** 50:.0e} of its size at the end "
      f"(expect a factor per step of 0.8 to 0.9: it vanishes); radius 0.9 vanishes faster, radius 3 explodes")

fig = plot_gradient_norms({f"{name}, x{decays[name]:.2f}/step": norms for name, norms in curves.items()},
                          xlabel=f"time step t (the loss reads only step T = {span})",
                          title="|dL/dh_t|: geometric decay (or growth) back through time")
fig.axes[0].set_ylabel("|dL/dh_t| (log scale)")
lesson.save(fig, "vanishing_gradient.png")

# %% [markdown]
# ## What to take away
# - An RNN is one cell applied at every step; unrolled, it is a deep network with shared weights.
# - BPTT is ordinary backpropagation on the unrolled graph; the shared weights' gradient is a sum
#   over time steps.
# - The gradient reaching back `k` steps is a product of `k` Jacobians, so it shrinks (or grows)
#   geometrically: plain RNNs forget. Lesson 11's LSTM and GRU add a gated, additive memory path
#   that keeps the gradient alive.

# %%
lesson.section()
lesson.summary(rnn_match=rnn_match, bptt_match=float(bptt_match), char_first_loss=first_loss,
               char_val_loss=char_val_loss, unigram_entropy=float(unigram), real_words=float(real_words),
               trained_decay=trained_decay, decay_radius_0_9=decays["random RNN, spectral radius 0.9"],
               decay_radius_3=decays["random RNN, spectral radius 3.0"])
