# %% [markdown]
# # Lesson 11: LSTM and GRU
#
# Lesson 10 ended with a plain RNN forgetting: the gradient reaching back `k` steps is a product
# of `k` matrices `W_h^T diag(1 - h^2)`, and it vanishes geometrically. The **LSTM** (Hochreiter
# and Schmidhuber, 1997) adds a second state, the *cell* `c_t`, updated by addition instead of by
# a matrix product, with *gates* (numbers between 0 and 1) deciding what to write, keep and read.
# The **GRU** (Cho et al., 2014) does the same with one state and two gates.
#
# This lesson writes both cells out and checks them against `nn.LSTMCell` and `nn.GRUCell`,
# trains a plain RNN and an LSTM on a task that needs a long memory (the adding problem) and
# measures the gradient through time in both, then builds a bidirectional, two-layer LSTM with
# attention pooling that classifies token sequences of different lengths, packed into one batch.
#
# Run: `python lessons/11_lstm_and_gru.py` (about 20 seconds), or `--full` for longer sequences
# (the adding problem with T = 100) and longer training (about 4 minutes).

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson, Progress
from tinynn.datasets import adding_problem
from tinynn.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
from tinynn.viz import plot_curves, plot_gradient_norms

lesson = Lesson(11, "LSTM and GRU", full_takes="about 4 minutes on an idle 2-core CPU")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## 1. The gates, written out
# Every gate is a small layer reading the input and the previous state. For the LSTM, with
# `sigma` the sigmoid and `*` the elementwise product:
#
#     i_t = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)     input gate: how much to write
#     f_t = sigma(W_if x_t + b_if + W_hf h_{t-1} + b_hf)     forget gate: how much to keep
#     g_t = tanh (W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)     candidate: what to write
#     o_t = sigma(W_io x_t + b_io + W_ho h_{t-1} + b_ho)     output gate: how much to show
#     c_t = f_t * c_{t-1} + i_t * g_t                        the cell: an addition, no matrix
#     h_t = o_t * tanh(c_t)
#
# The four gates' weights are stacked in one matrix in the order (i, f, g, o): `weight_ih` is
# (4H, input) and `weight_hh` is (4H, H), so one matrix product computes all four and `chunk`
# splits them. The point is the cell's update: `dc_t / dc_{t-1} = diag(f_t)`. No weight matrix,
# no squashing: when the forget gate is near 1, the gradient flows back along `c` unchanged.
#
# The GRU merges the cell into `h` and uses two gates, reset `r` and update `z` (order r, z, n):
#
#     r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
#     z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
#     n_t = tanh (W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
#     h_t = (1 - z_t) * n_t + z_t * h_{t-1}                  z near 1: keep the old state


# %%
lesson.section()


def lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    """One LSTM step. x (N, input), h and c (N, H) -> (h_t, c_t)."""
    gates = x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh      # (N, 4H): all gates at once
    i, f, g, o = gates.chunk(4, dim=1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g
    return o * torch.tanh(c), c


def gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """One GRU step. x (N, input), h (N, H) -> h_t."""
    x_r, x_z, x_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ weight_hh.T + bias_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


input_size, hidden_size, batch, steps = 3, 6, 4, 5
xs = torch.randn(steps, batch, input_size)
lstm_ref, gru_ref = nn.LSTMCell(input_size, hidden_size), nn.GRUCell(input_size, hidden_size)
lstm_w, gru_w = lstm_ref.state_dict(), gru_ref.state_dict()       # weight_ih, weight_hh, bias_ih, bias_hh
h = c = g_h = torch.zeros(batch, hidden_size)
ref_h, ref_c, ref_g = h, c, g_h
cell_match = 0.0
for x_t in xs:
    h, c = lstm_cell(x_t, h, c, **lstm_w)
    ref_h, ref_c = lstm_ref(x_t, (ref_h, ref_c))
    g_h = gru_cell(x_t, g_h, **gru_w)
    ref_g = gru_ref(x_t, ref_g)
    for ours, theirs in ((h, ref_h), (c, ref_c), (g_h, ref_g)):
        cell_match = max(cell_match, (ours - theirs).abs().max().item())
print(f"our cells vs nn.LSTMCell and nn.GRUCell over {steps} steps: largest difference {cell_match:.1e}  "
      f"(expect below 1e-6)")
for name, module in (("RNNCell", nn.RNNCell(input_size, hidden_size)), ("GRUCell", gru_ref), ("LSTMCell", lstm_ref)):
    blocks = module.weight_ih.shape[0] // hidden_size                  # 1 for the RNN, 3 gates, 4 gates
    print(f"  {name:9s} {sum(p.numel() for p in module.parameters()):4d} parameters: weight_ih is "
          f"{tuple(module.weight_ih.shape)}, {blocks} block{'s' if blocks > 1 else ''} of {hidden_size} rows")

# %% [markdown]
# ## 2. A task that needs a long memory: the adding problem
# Each sequence has `T` steps of two numbers: a random value in [0, 1), and a marker that is 1 at
# exactly two steps, one in the first half and one in the second. The target is the sum of the
# two marked values (`tinynn.datasets.adding_problem`). Always answering 1 gives a mean squared
# error of 1/6 = 0.167: to beat that, the network must store the first marked value for up to
# `T` steps while ignoring everything else. We call an answer correct when it is within 0.04 of
# the target (Hochreiter and Schmidhuber's criterion).
#
# A plain RNN and an LSTM with the same hidden size, optimizer and number of steps. One detail
# for the LSTM: its forget-gate bias starts at 1 instead of near 0, so that `f` starts near 0.73
# rather than 0.5 and memories fade slowly from the first step (Gers et al., 2000; Jozefowicz
# et al., 2015). The gates are stacked (i, f, g, o), so the forget gate's bias is the slice
# `bias_ih_l0[H:2H]`.
#
# What to look for: both sit at the "always answer 1" error for a while. Then the LSTM finds
# the trick and its error drops by orders of magnitude; the RNN stays stuck.

# %%
lesson.section()
seq_len = 100 if FULL else 20
train_steps = 1500 if FULL else 300
hidden, batch_size = 64, 64
x_train, y_train = adding_problem(20_000, seq_len, seed=0)
x_test, y_test = adding_problem(500, seq_len, seed=1)
baseline = ((y_test - 1.0) ** 2).mean().item()
print(f"adding problem, T = {seq_len}: {len(x_train):,} training sequences; always answering 1 scores "
      f"MSE {baseline:.3f} (expect about 0.167)")


class Regressor(nn.Module):
    """A recurrent layer reads the whole sequence; a linear head maps its last state to the answer."""

    def __init__(self, kind: str, hidden: int):
        super().__init__()
        self.rnn = nn.LSTM(2, hidden, batch_first=True) if kind == "LSTM" else nn.RNN(2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        if kind == "LSTM":
            with torch.no_grad():
                self.rnn.bias_ih_l0[hidden:2 * hidden].fill_(1.0)     # forget gate: start remembering

    def forward(self, x):
        output, _ = self.rnn(x)                  # (N, T, H): h_t for every step
        return self.head(output[:, -1]).squeeze(1)


def evaluate(model):
    with torch.no_grad():
        prediction = model(x_test)
    mse = ((prediction - y_test) ** 2).mean().item()
    accuracy = ((prediction - y_test).abs() < 0.04).float().mean().item()
    return mse, accuracy


models, initial_weights, curves = {}, {}, {}
for kind in ("RNN", "LSTM"):
    torch.manual_seed(lesson.seed)
    model = models[kind] = Regressor(kind, hidden)
    initial_weights[kind] = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    sampler = torch.Generator().manual_seed(lesson.seed)     # both models see the same batches
    print(f"{kind}: {sum(p.numel() for p in model.parameters()):,} parameters, {train_steps} steps")
    progress = Progress(train_steps, lines=4, label="step")
    curves[kind] = ([], [])
    for step in range(1, train_steps + 1):
        idx = torch.randint(0, len(x_train), (batch_size,), generator=sampler)
        loss = F.mse_loss(model(x_train[idx]), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % (train_steps // 10) == 0:
            mse, accuracy = evaluate(model)
            curves[kind][0].append(step)
            curves[kind][1].append(mse)
            progress(step, train_loss=loss.item(), test_mse=mse, test_accuracy=accuracy)

results = {kind: evaluate(model) for kind, model in models.items()}
for kind, (mse, accuracy) in results.items():
    print(f"  {kind:4s} test MSE {mse:.4f}  ({baseline / mse:5.1f}x better than always answering 1), "
          f"within 0.04: {accuracy:.1%}")
print(f"LSTM vs RNN on T = {seq_len}: MSE {results['LSTM'][0]:.4f} vs {results['RNN'][0]:.4f}  "
      f"(expect the LSTM far below 0.167, the RNN stuck near it)")

fig = plot_curves({kind: mse for kind, (done, mse) in curves.items()},
                  x={kind: done for kind, (done, mse) in curves.items()}, logy=True,
                  xlabel="training step", ylabel="test MSE (log scale)", title=f"adding problem, T = {seq_len}")
fig.axes[0].axhline(baseline, color="gray", linestyle="--", label="always answer 1")
fig.axes[0].legend()
lesson.save(fig, "adding_problem.png")

# %% [markdown]
# ## 3. The LSTM keeps the gradient the RNN loses
# Why did the LSTM learn and the RNN not? At the start of training both only predict the mean.
# To do better, the weights must learn what to store at the *first* marker, and the only signal
# telling them is the gradient that the loss at step T sends back to that step. Measure
# `|dL/dh_t|` as in lesson 10: each model's weights go into the cells written out above (`nn.RNN`
# names them `weight_ih_l0` ..., our functions take `weight_ih` ...), the sequence is unrolled
# by hand, and `torch.autograd.grad` returns the gradient at every step.
#
# What to look for (the legend gives each curve's first/last ratio, |dL/dh_1| / |dL/dh_T|):
# before training, the RNN's gradient shrinks by about half at every step back, the LSTM's only
# by about its forget gate (near 0.73 at the start), so at step 1 the LSTM's share is hundreds of
# times larger at T = 20 (and about 1e11 times at T = 100): it gets a learning signal from the
# first marker, the RNN almost none. After training the LSTM's gradient is nearly flat: it has
# learned to keep its forget gates open between the markers. The RNN's still fades.


# %%
lesson.section()


def rnn_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    return torch.tanh(x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)


def layer_weights(state: dict) -> dict:
    """'rnn.weight_ih_l0' -> 'weight_ih': the recurrent layer's weights under the cell's names."""
    return {k[len("rnn."):-len("_l0")]: v for k, v in state.items() if k.startswith("rnn.")}


def gradient_through_time(kind: str, state: dict, x, y):
    """|dL/dh_t| for t = 1..T (mean over the batch), L = squared error of the answer at step T.

    In float64: a gradient of 1e-50 is still a number there, while float32 rounds it to 0.
    """
    state = {name: value.double() for name, value in state.items()}
    x, y = x.double(), y.double()
    weights = layer_weights(state)
    n = x.shape[0]
    h = torch.zeros(n, hidden, dtype=torch.float64, requires_grad=True)   # so every h_t joins the graph
    c = torch.zeros(n, hidden, dtype=torch.float64)
    states = []
    for t in range(x.shape[1]):
        if kind == "LSTM":
            h, c = lstm_cell(x[:, t], h, c, **weights)
        else:
            h = rnn_cell(x[:, t], h, **weights)
        states.append(h)
    prediction = states[-1] @ state["head.weight"].T + state["head.bias"]
    loss = ((prediction.squeeze(1) - y) ** 2).mean()
    return np.array([g.norm(dim=1).mean().item() for g in torch.autograd.grad(loss, states)])


probe_x, probe_y = x_test[:64], y_test[:64]
gradients = {}
for kind, model in models.items():
    gradients[f"{kind}, before training"] = gradient_through_time(kind, initial_weights[kind], probe_x, probe_y)
    gradients[f"{kind}, trained"] = gradient_through_time(kind, model.state_dict(), probe_x, probe_y)
reach = {name: norms[0] / norms[-1] for name, norms in gradients.items()}
for name, ratio in reach.items():
    print(f"  {name:22s} |dL/dh_1| / |dL/dh_T| = {ratio:.1e}  (x{ratio ** (1 / (seq_len - 1)):.2f} per step)")
init_advantage = reach["LSTM, before training"] / reach["RNN, before training"]
print(f"before training, the share of the gradient reaching step 1 is {init_advantage:.1e} times larger in the "
      f"LSTM  (expect about 5e2 at T = 20; it grows geometrically with T: about 1e11 at T = 100)")
print(f"after training: {reach['LSTM, trained']:.1e} in the LSTM vs {reach['RNN, trained']:.1e} in the RNN  "
      f"(expect the LSTM's far larger)")

fig = plot_gradient_norms(gradients, xlabel=f"time step t (the loss reads only step T = {seq_len})",
                          title="|dL/dh_t| through time: plain RNN vs LSTM")
fig.axes[0].set_ylabel("|dL/dh_t| (log scale)")
lesson.save(fig, "gradient_through_time.png")

# %% [markdown]
# ## 4. Variable-length batches: padding, packing and lengths
# Real sequences differ in length. To batch them, `pad_sequence` stacks them into one tensor
# filled with zeros after each sequence's end, and a `lengths` tensor remembers where each one
# ends. Fed as is, the padding is read as input: a short sequence's final state is then the
# state after the zeros, not after its own last element. `pack_padded_sequence(padded, lengths)`
# fixes that: the packed batch runs each step only on the sequences still going, so every
# sequence gets exactly the result it would get alone. `pad_packed_sequence` turns the output
# back into a padded tensor. (With `enforce_sorted=False` the batch needs no sorting by length.)

# %%
lesson.section()
lstm = nn.LSTM(1, 8, num_layers=2, bidirectional=True, batch_first=True)
sequences = [torch.randn(n, 1) for n in (5, 2, 7, 3)]
lengths = torch.tensor([len(s) for s in sequences])
padded = pad_sequence(sequences, batch_first=True)                  # (4, 7, 1), zeros after each end
print(f"padded batch {tuple(padded.shape)}, lengths {lengths.tolist()}")
packed_out, (h_n, _) = lstm(pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False))
packed_out, _ = pad_packed_sequence(packed_out, batch_first=True)   # (4, 7, 16)
naive_out, (naive_h_n, _) = lstm(padded)
pack_match, naive_error = 0.0, 0.0
for k, seq in enumerate(sequences):
    alone_out, (alone_h_n, _) = lstm(seq.unsqueeze(0))              # this sequence by itself
    n = len(seq)
    pack_match = max(pack_match, (packed_out[k, :n] - alone_out[0]).abs().max().item(),
                     (h_n[:, k] - alone_h_n[:, 0]).abs().max().item())
    naive_error = max(naive_error, (naive_h_n[:, k] - alone_h_n[:, 0]).abs().max().item())
print(f"packed batch vs each sequence alone: largest difference {pack_match:.1e}  (expect below 1e-6)")
print(f"padded batch without packing: final states off by up to {naive_error:.2f}  (the zeros were read as input)")

# %% [markdown]
# ## 5. A bidirectional, two-layer LSTM with attention pooling
# The classifier for whole sequences:
# - **bidirectional**: one LSTM reads left to right, another right to left; each step's output
#   is the two states side by side (2H), so every position sees its whole context;
# - **two layers**: the second LSTM reads the first one's outputs;
# - **attention pooling**: instead of keeping only the last state, score every position with a
#   small linear layer, turn the scores into weights with a softmax (padding positions get a
#   score of -inf, hence weight 0), and take the weighted average of the outputs:
#
#       a_t = softmax_t(w . out_t),      pooled = sum_t a_t out_t       (mask: a_t = 0 for t >= length)
#
# The task: token sequences (tokens 1 to 5, token 0 is padding) of different lengths; is there a
# `1` *immediately followed* by a `2` anywhere? Half the sequences have the pair planted at a
# random place, the other half are drawn without it. Order matters (`2 1` does not count), and
# the pair can be anywhere, so the model has to look at neighbours in order and find the place:
# a job for the attention weights, drawn below. (They show where the model reads, not all it
# knows: the LSTM can also carry "I saw the pair" along the sequence. In the quick run most of
# the weight lands on the pair; after the longer `--full` training it spreads out more.)
#
# (`tinynn.datasets.variable_length_parity` is a harder task of the same shape: the parity of a
# bit string, where every bit matters and no single position holds the answer. This classifier
# stays at chance on it for much longer than a quick run allows: try it as an exercise.)


# %%
lesson.section()


def pair_task(n: int, min_len: int, max_len: int, seed: int):
    """Token sequences, zero-padded: x (N, max_len) int64, label (N,) 1 if '1 2' occurs, lengths (N,)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, size=n)
    labels = np.arange(n) % 2
    rng.shuffle(labels)
    x = np.zeros((n, max_len), dtype=np.int64)
    for k, length in enumerate(lengths):
        while True:                                    # draw until the sequence has no '1 2'
            tokens = rng.integers(1, 6, size=length)
            if not np.any((tokens[:-1] == 1) & (tokens[1:] == 2)):
                break
        if labels[k]:                                  # plant one '1 2' at a random place
            where = rng.integers(0, length - 1)
            tokens[where:where + 2] = (1, 2)
        x[k, :length] = tokens
    return torch.tensor(x), torch.tensor(labels), torch.tensor(lengths)


class AttentionPoolLSTM(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int, layers: int = 2, classes: int = 2):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, bidirectional=True, batch_first=True)
        self.score = nn.Linear(2 * hidden, 1)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, tokens, lengths):
        """tokens (N, T) zero-padded, lengths (N,) -> logits (N, classes), attention weights (N, T)."""
        steps = tokens.shape[1]
        packed = pack_padded_sequence(self.embed(tokens), lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=steps)    # (N, T, 2H)
        scores = self.score(out).squeeze(-1)                                          # (N, T)
        padding = torch.arange(steps)[None, :] >= lengths[:, None]
        weights = F.softmax(scores.masked_fill(padding, float("-inf")), dim=1)
        pooled = (weights.unsqueeze(-1) * out).sum(dim=1)                            # (N, 2H)
        return self.head(pooled), weights


min_len, max_len = (4, 40) if FULL else (4, 16)
pair_steps = 300 if FULL else 100
x_pair, y_pair, len_pair = pair_task(4000, min_len, max_len, seed=0)
x_pair_test, y_pair_test, len_pair_test = pair_task(1000, min_len, max_len, seed=1)
torch.manual_seed(lesson.seed)
classifier = AttentionPoolLSTM(vocab=6, embed=8, hidden=16)
optimizer = torch.optim.Adam(classifier.parameters(), lr=1e-2)
sampler = torch.Generator().manual_seed(lesson.seed)
print(f"'is there a 1 followed by a 2?', lengths {min_len}-{max_len}: "
      f"{sum(p.numel() for p in classifier.parameters()):,} parameters, {pair_steps} steps of 64 sequences")
progress = Progress(pair_steps, lines=5, label="step")
for step in range(1, pair_steps + 1):
    idx = torch.randint(0, len(x_pair), (64,), generator=sampler)
    logits, _ = classifier(x_pair[idx], len_pair[idx])
    loss = F.cross_entropy(logits, y_pair[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    progress(step, loss=loss.item())
with torch.no_grad():
    logits, attention = classifier(x_pair_test, len_pair_test)
correct = (logits.argmax(dim=1) == y_pair_test).numpy()
pair_accuracy = float(correct.mean())
print(f"held-out accuracy {pair_accuracy:.1%}  (chance is 50%; expect above 95%)")
lengths_np, labels_np, tokens_np = len_pair_test.numpy(), y_pair_test.numpy(), x_pair_test.numpy()
short, long = lengths_np <= (min_len + max_len) // 2, lengths_np > (min_len + max_len) // 2
print(f"  shorter half of the lengths: {correct[short].mean():.1%} correct; longer half: {correct[long].mean():.1%}")

# where does the model look? the attention weight on the planted pair, in the positive test sequences
weights_np = attention.numpy()
on_pair = []
for k in np.flatnonzero(labels_np == 1):
    t = tokens_np[k]
    starts = np.flatnonzero((t[:-1] == 1) & (t[1:] == 2))
    on_pair.append(sum(weights_np[k, s] + weights_np[k, s + 1] for s in starts))
attention_on_pair = float(np.mean(on_pair))
uniform_share = float(np.mean(2 / lengths_np[labels_np == 1]))
print(f"attention on the '1 2' pair: {attention_on_pair:.0%} of the weight on average "
      f"(two positions of a uniform average would get {uniform_share:.0%})")

# the attention weights of a few test sequences, one row each, with the tokens written in
rows = [int(k) for k in np.flatnonzero((labels_np == 1) & (lengths_np >= 10))[:3]]
rows += [int(k) for k in np.flatnonzero((labels_np == 0) & (lengths_np >= 10))[:2]]
shown = max(lengths_np[rows])
grid = np.where(tokens_np[rows, :shown] > 0, weights_np[rows, :shown], np.nan)   # padding: no colour
colormap = plt.get_cmap("viridis").copy()
colormap.set_bad("lightgray")
fig, ax = plt.subplots(figsize=(min(0.45 * shown + 2.5, 14), 3))
image = ax.imshow(grid, cmap=colormap, aspect="auto", vmin=0, vmax=1)
for r, row in enumerate(rows):
    for t in range(int(lengths_np[row])):
        ax.text(t, r, str(tokens_np[row, t]), ha="center", va="center", fontsize=9,
                color="black" if grid[r, t] > 0.5 else "white")
ax.set_yticks(range(len(rows)), [f"{'has' if labels_np[row] else 'no'} '1 2'" for row in rows])
ax.set(xlabel="position t (the token is written in each cell; padding is grey)",
       title="attention pooling weights a_t")
fig.colorbar(image, ax=ax, label="weight a_t")
lesson.save(fig, "attention_pooling.png")

# %% [markdown]
# ## What to take away
# - An LSTM's cell is updated by addition, gated by `f`: the gradient along it is multiplied by
#   `f`, not by a weight matrix and a squashing derivative, so it can survive many steps.
# - On a long-memory task, the LSTM learns what the plain RNN cannot, with the same budget.
# - GRUs get most of the benefit with three weight blocks instead of four.
# - Pad to batch, pack (or mask) so padding never reaches the answer; bidirectional layers see
#   both sides; attention pooling learns where in the sequence to read.

# %%
lesson.section()
lesson.summary(cell_match=cell_match, baseline_mse=baseline, rnn_mse=results["RNN"][0],
               lstm_mse=results["LSTM"][0], rnn_accuracy=results["RNN"][1], lstm_accuracy=results["LSTM"][1],
               init_advantage=init_advantage, lstm_reach=reach["LSTM, trained"], rnn_reach=reach["RNN, trained"],
               pack_match=pack_match,
               naive_error=naive_error, pair_accuracy=pair_accuracy,
               attention_on_pair=attention_on_pair)
