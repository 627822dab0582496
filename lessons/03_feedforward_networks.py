# %% [markdown]
# # Lesson 3: feedforward networks
#
# A single neuron draws one straight line through the plane (lesson 1), so it cannot solve XOR.
# Stack neurons into **layers** and layers into a **network**, with a nonlinearity between them,
# and the network can bend its decision boundary into any shape it needs.
#
# This lesson shows that a layer is one matrix product, follows the shapes through a network,
# counts its parameters two ways, solves XOR with one hidden layer (first with weights set by
# hand, then learned), and compares wider against deeper networks on three interleaved spirals.
#
# Run: `python lessons/03_feedforward_networks.py` (about 20 seconds), or `--full` for more seeds,
# more points and longer training.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
from tinynn.course import Lesson, Progress
from tinynn.datasets import spirals, train_test_split, xor
from tinynn.viz import plot_decision_boundary

lesson = Lesson(3, "feedforward networks", full_takes="about 1-2 minutes")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## A layer is a matrix product
# A fully connected layer with `in` inputs and `out` outputs holds a weight matrix `W: (out, in)`
# and a bias `b: (out,)`. For a batch of N examples stacked as the rows of `x: (N, in)`:
#
#     y = x W^T + b        y: (N, out),   y[n, i] = sum_j x[n, j] * W[i, j] + b[i]
#
# Each output unit `i` is one neuron (row `i` of W); the whole batch goes through in one
# matrix product. `nn.Linear(in, out)` stores W exactly this way (PyTorch's layout).

# %%
lesson.section()
layer = nn.Linear(2, 3)
x = torch.randn(4, 2)
y = layer(x)
by_hand = x @ layer.weight.T + layer.bias
print(f"x {tuple(x.shape)} -> Linear(2, 3): weight {tuple(layer.weight.shape)}, bias {tuple(layer.bias.shape)} "
      f"-> y {tuple(y.shape)}")
print(f"max |layer(x) - (x @ W.T + b)| = {(y - by_hand).abs().max().item():.1e}  (expect 0: it is the same product)")
W, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
one = sum(x[0, j].item() * W[1, j] for j in range(2)) + b[1]
print(f"y[0, 1] as a sum over inputs: {one:.5f}; from the layer: {y[0, 1].item():.5f}")

# %% [markdown]
# ## Why a nonlinearity between layers
# Two linear layers in a row are still one linear layer: `(x W1^T + b1) W2^T + b2 = x (W2 W1)^T +
# (W2 b1 + b2)`. Without an activation in between, depth buys nothing. Check it numerically:

# %%
lesson.section()
first, second = nn.Linear(2, 8), nn.Linear(8, 1)
with torch.no_grad():
    stacked = second(first(x))
    merged_weight = second.weight @ first.weight          # (1, 8) @ (8, 2) -> (1, 2)
    merged_bias = second.weight @ first.bias + second.bias  # (1,)
    merged = x @ merged_weight.T + merged_bias
print(f"two linear layers vs one merged layer: max difference {(stacked - merged).abs().max().item():.1e} "
      f"(expect ~1e-7, float32 rounding)")

# %% [markdown]
# ## Shapes through a network
# `nn.Sequential` applies its layers in order. Follow a batch of 5 points through a network with
# two hidden layers of 16 units and 3 outputs (one score per class): the batch dimension stays,
# the feature dimension changes at every `Linear`, and activations keep the shape.

# %%
lesson.section()
net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))
h = torch.randn(5, 2)
print(f"{'input':<45} {tuple(h.shape)}")
for module in net:
    h = module(h)
    print(f"{repr(module):<45} {tuple(h.shape)}")

# %% [markdown]
# ## Counting parameters
# A `Linear(in, out)` layer has `in * out` weights and `out` biases; activations have none.
# Count by the formula and by asking the model (`sum(p.numel() for p in model.parameters())`):
# the two must agree. The classic MNIST network 784-256-128-10 is the second example.


# %%
lesson.section()


def count_by_formula(sizes: list[int]) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def mlp(sizes: list[int]) -> nn.Sequential:
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no activation after the output layer


for sizes in ([2, 16, 16, 3], [784, 256, 128, 10]):
    model = mlp(sizes)
    terms = " + ".join(f"{a}*{b}+{b}" for a, b in zip(sizes, sizes[1:]))
    counted = sum(p.numel() for p in model.parameters())
    print(f"{'-'.join(map(str, sizes))}: formula {terms} = {count_by_formula(sizes):,}; "
          f"sum(p.numel()) = {counted:,}")
params_formula = count_by_formula([784, 256, 128, 10])
params_counted = sum(p.numel() for p in mlp([784, 256, 128, 10]).parameters())

# %% [markdown]
# ## XOR needs a hidden layer
# Four clusters at the corners (+-1, +-1); class 1 where the two coordinates have different signs.
# A single neuron (logistic regression) draws one line, and any line leaves at least one corner on
# the wrong side: expect at most 75% accuracy, often about 50%.

# %%
lesson.section()
X, labels = xor(200, noise=0.15, seed=lesson.seed)
targets = labels.float()


def train(model, steps: int, lr: float = 0.05, label: str = "step", show: bool = True) -> float:
    """Full-batch Adam on binary cross-entropy with logits; returns the final loss."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    progress = Progress(steps, lines=4, label=label)
    for step in range(1, steps + 1):
        loss = loss_fn(model(X).squeeze(1), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if show:
            progress(step, loss=loss.item(), accuracy=accuracy(model))
    return loss.item()


def accuracy(model) -> float:
    with torch.no_grad():
        return ((model(X).squeeze(1) > 0).long() == labels).float().mean().item()


neuron = nn.Linear(2, 1)
print("one neuron:")
train(neuron, 300)
neuron_accuracy = accuracy(neuron)
print(f"one neuron on XOR: accuracy {neuron_accuracy:.0%}  (expect 50-75%: a line cannot separate XOR)")

# %% [markdown]
# ### A hidden layer, by hand
# Two hidden ReLU units are enough. Let `h1 = relu(x1 - x2)` and `h2 = relu(x2 - x1)`: on the two
# class-0 corners (-1, -1) and (1, 1) both are 0; on the class-1 corners one of them is 2. In the
# hidden space (h1, h2) the classes are now separated by the line `h1 + h2 = 1`, which the output
# neuron `h1 + h2 - 1` draws. The hidden layer *moved the points* until a line works.

# %%
lesson.section()
by_hand = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
with torch.no_grad():
    by_hand[0].weight.copy_(torch.tensor([[1.0, -1.0], [-1.0, 1.0]]))
    by_hand[0].bias.zero_()
    by_hand[2].weight.copy_(torch.tensor([[1.0, 1.0]]))
    by_hand[2].bias.fill_(-1.0)
    hidden_points = by_hand[1](by_hand[0](X))  # the points as the output neuron sees them
hand_accuracy = accuracy(by_hand)
print(f"hand-built 2-2-1 network: accuracy {hand_accuracy:.0%}  (expect 100%)")

# %% [markdown]
# ### A hidden layer, learned
# Now let gradient descent find the weights. With only 2 hidden units, training sometimes gets
# stuck with one unit doing nothing useful (a local minimum); a few more units than strictly
# needed make the search easy. Count how often each size reaches 100% over several seeds.

# %%
lesson.section()
seeds = range(20 if FULL else 5)
solved = {}
for width in (2, 4):
    wins = 0
    for seed in seeds:
        torch.manual_seed(1000 * lesson.seed + seed)
        model = nn.Sequential(nn.Linear(2, width), nn.Tanh(), nn.Linear(width, 1))
        train(model, 300, show=False)
        wins += accuracy(model) == 1.0
    solved[width] = wins
    print(f"hidden width {width}: reached 100% on {wins} of {len(seeds)} seeds "
          f"(expect width 2 to fail on some, width 4 on none)")

torch.manual_seed(lesson.seed)
xor_net = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
print("2-4-1 network with tanh:")
xor_loss = train(xor_net, 300)
xor_accuracy = accuracy(xor_net)
print(f"one hidden layer on XOR: accuracy {xor_accuracy:.0%}, loss {xor_loss:.4f}  (expect 100%, loss below 0.05)")

# %% [markdown]
# ### The pictures
# Left: the lone neuron's single line. Middle: the learned network's bent boundary. Right: the
# points in the hand-built network's hidden space, where one straight line now separates them.

# %%
lesson.section()
fig, axes = plt.subplots(1, 3, figsize=(17, 4.6), layout="constrained")
plot_decision_boundary(neuron, X, labels, title=f"one neuron: {neuron_accuracy:.0%}", ax=axes[0])
plot_decision_boundary(xor_net, X, labels, title=f"2-4-1 network (learned): {xor_accuracy:.0%}", ax=axes[1])
hidden = hidden_points.numpy()
for value, color in ((0, "tab:blue"), (1, "tab:red")):
    chosen = labels.numpy() == value
    axes[2].scatter(hidden[chosen, 0], hidden[chosen, 1], color=color, s=14, edgecolors="k", linewidths=0.4,
                    label=f"class {value}")
line = np.linspace(-0.2, 1.2, 2)
axes[2].plot(line, 1 - line, "k-", label="output neuron: h1 + h2 = 1")
axes[2].set(title="hand-built network: hidden space", xlabel="h1 = relu(x1 - x2)", ylabel="h2 = relu(x2 - x1)")
axes[2].legend(loc="upper right")
lesson.save(fig, "xor.png")

# %% [markdown]
# ## Wider or deeper?
# Three spiral arms wind around each other (3 classes; 600 points, 1500 with --full). Capacity
# grows with width (units per layer) and with depth (number of hidden layers). Train four networks
# the same way (Adam, full batch) and compare their parameter counts with their accuracy on
# held-out points. What to look for: a narrow single layer underfits (its boundary is a few
# straight pieces); depth reaches a good boundary with fewer parameters than width; adding width
# on top of depth multiplies the parameters for little gain on a problem this small.

# %%
lesson.section()
points, classes = spirals(1500 if FULL else 600, n_classes=3, noise=0.04, seed=lesson.seed)
X_train, X_test, y_train, y_test = train_test_split(points, classes, test_size=0.25, stratify=classes,
                                                    seed=lesson.seed)
shapes = {"narrow, 1 hidden layer": [2, 8, 3], "wide, 1 hidden layer": [2, 128, 3],
          "narrow, 3 hidden layers": [2, 16, 16, 16, 3], "wide, 3 hidden layers": [2, 48, 48, 48, 3]}
steps = 1500 if FULL else 400
results = {}
for name, sizes in shapes.items():
    torch.manual_seed(lesson.seed)
    model = mlp(sizes)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for step in range(steps):
        loss = loss_fn(model(X_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        train_acc = (model(X_train).argmax(1) == y_train).float().mean().item()
        test_acc = (model(X_test).argmax(1) == y_test).float().mean().item()
    results[name] = dict(model=model, params=sum(p.numel() for p in model.parameters()), loss=loss.item(),
                         train=train_acc, test=test_acc, seconds=time.perf_counter() - start)

print(f"{'network':<26}{'sizes':<18}{'params':>7}{'loss':>8}{'train':>8}{'test':>8}{'time':>8}")
for name, r in results.items():
    print(f"{name:<26}{'-'.join(map(str, shapes[name])):<18}{r['params']:>7}{r['loss']:>8.3f}"
          f"{r['train']:>8.1%}{r['test']:>8.1%}{r['seconds']:>7.1f}s")
print(f"expect: the narrow 1-layer net near 50-70% test, the others above 90% "
      f"({'about 98-99% here' if FULL else 'about 98-99% with --full: more points, 1500 steps'})")

fig, axes = plt.subplots(1, 4, figsize=(20, 4.6), layout="constrained")
for ax, (name, r) in zip(axes, results.items()):
    plot_decision_boundary(r["model"], points, classes, ax=ax,
                           title=f"{name}\n{r['params']} params, test {r['test']:.0%}")
lesson.save(fig, "spirals_wider_or_deeper.png")

# %% [markdown]
# ## What to remember
# - A layer is `x W^T + b`: one matrix product for the whole batch; `W` is `(out, in)`.
# - Parameters of an MLP: `sum over layers of in * out + out`.
# - Without a nonlinearity, stacked layers collapse into one; with it, one hidden layer solves XOR.
# - Extra capacity (width or depth) makes training easier and boundaries richer; depth tends to
#   buy more per parameter.

# %%
lesson.section()
narrow, deep = results["narrow, 1 hidden layer"], results["narrow, 3 hidden layers"]
lesson.summary(xor_accuracy=xor_accuracy, neuron_accuracy=neuron_accuracy, hand_accuracy=hand_accuracy,
               params_formula=params_formula, params_counted=params_counted,
               solved_width2=solved[2], solved_width4=solved[4], seeds=len(seeds),
               narrow_test=narrow["test"], deep_test=deep["test"],
               wide_deep_test=results["wide, 3 hidden layers"]["test"],
               wide_test=results["wide, 1 hidden layer"]["test"])
