# %% [markdown]
# # Lesson 1: the neuron
#
# A neuron takes inputs `x_1 ... x_n`, weighs each one, adds a bias and passes the sum through an
# activation function:
#
#     z = w_1 x_1 + ... + w_n x_n + b = w . x + b        (the pre-activation, a "logit")
#     a = sigma(z) = 1 / (1 + e^-z)                        (the activation, here the sigmoid)
#
# With the sigmoid, `a` lies in (0, 1) and reads as a probability: "how sure am I that this input
# is of class 1". That single neuron is *logistic regression*. This lesson computes it by hand in
# NumPy, then with tinynn tensors, trains it on data a straight line can separate, and watches it
# fail on XOR, the problem that needs a hidden layer (lesson 3).
#
# Run: `python lessons/01_neuron.py` (about 5 seconds), or `--full` (about 15 seconds).

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch  # tinynn speaks PyTorch's API
import tinynn.nn as nn
from tinynn.course import Lesson, Progress
from tinynn.datasets import blobs, train_test_split, xor
from tinynn.viz import plot_decision_boundary

lesson = Lesson(1, "the neuron", full_takes="about 15 seconds")
torch.manual_seed(lesson.seed)
FULL = lesson.full

# %% [markdown]
# ## One neuron, by hand in NumPy
# Three inputs, three weights, one bias. Work the numbers out on paper and compare:
# `z = 0.5*0.4 + (-1.2)*0.1 + 3.0*(-0.6) + 0.2 = -1.52`, `sigma(-1.52) = 0.1795`.

# %%
lesson.section()
x_np = np.array([0.5, -1.2, 3.0])
w_np = np.array([0.4, 0.1, -0.6])
b_np = 0.2

z_np = x_np @ w_np + b_np
a_np = 1 / (1 + np.exp(-z_np))
print(f"NumPy : z = w.x + b = {z_np:+.4f}   a = sigmoid(z) = {a_np:.4f}   (expect -1.5200 and 0.1795)")

# %% [markdown]
# ## The same neuron as tinynn tensors
# The same arithmetic on `tinynn` tensors. The numbers match (to float32's ~7 digits: tinynn, like
# PyTorch, stores Python numbers as float32, NumPy uses float64). What tensors add is the *record*
# of how `a` was computed, so `a.backward()` can tell us how to change `w` and `b` to move `a`.
# For the sigmoid, `da/dz = a (1 - a)` and `dz/dw = x`, so `da/dw = a (1 - a) x`.

# %%
lesson.section()
x = torch.tensor([0.5, -1.2, 3.0])
w = torch.tensor([0.4, 0.1, -0.6], requires_grad=True)
b = torch.tensor(0.2, requires_grad=True)

z = x @ w + b
a = torch.sigmoid(z)
print(f"tinynn: z = w.x + b = {z.item():+.4f}   a = sigmoid(z) = {a.item():.4f}   ({a.dtype})")
neuron_difference = abs(a.item() - a_np)
print(f"  |a_tinynn - a_numpy| = {neuron_difference:.1e}   (expect below 1e-7: float32 rounding, nothing more)")

a.backward()
by_hand = a_np * (1 - a_np) * x_np
print(f"  da/dw by autograd: {np.round(w.grad.numpy(), 4)}")
print(f"  da/dw by hand    : {np.round(by_hand, 4)}   a(1-a)x; da/db = a(1-a) = {a_np * (1 - a_np):.4f}"
      f" (autograd: {b.grad.item():.4f})")

# %% [markdown]
# A batch of inputs is a matrix `X` of shape (N, n): one row per example. The neuron becomes one
# matrix product, `z = X @ w + b`, giving N pre-activations at once. `nn.Linear(n, 1)` holds
# exactly such a `w` (as a (1, n) weight) and `b`.

# %%
lesson.section()
X_batch = np.array([[0.5, -1.2, 3.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
a_batch_np = 1 / (1 + np.exp(-(X_batch @ w_np + b_np)))
a_batch = torch.sigmoid(torch.tensor(X_batch, dtype=torch.float32) @ w.detach() + b.detach())
print(f"batch of 3: NumPy {np.round(a_batch_np, 4)}  tinynn {np.round(a_batch.numpy(), 4)}"
      f"  (the last row, x = 0, gives sigmoid(b) = {1 / (1 + np.exp(-b_np)):.4f})")

# %% [markdown]
# ## What a neuron can draw: a straight line
# The neuron says "class 1" when `a > 0.5`, that is when `z = w . x + b > 0`. In two dimensions
# `w_1 x_1 + w_2 x_2 + b = 0` is a straight line: the *decision boundary*. `w` points across it,
# towards class 1; `b` shifts it. So one neuron can only separate classes that a straight line
# separates ("linearly separable" data).
#
# ## Training it: logistic regression on two blobs
# Two Gaussian clouds of points. The loss is binary cross-entropy, which punishes a confident wrong
# answer hard: `loss = -[y log a + (1 - y) log(1 - a)]`, averaged. `nn.BCEWithLogitsLoss` takes
# the logit `z` (it applies the sigmoid inside, in a numerically safe way). Each step: forward,
# loss, `backward()` for the gradients, `optimizer.step()` to move `w` and `b` downhill.

# %%
lesson.section()
n_points = 400 if FULL else 200
X, y = blobs(n_points, centers=np.array([[-1.5, -1.0], [1.5, 1.0]]), cluster_std=0.9, seed=lesson.seed)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=lesson.seed)
print(f"blobs: {len(X_train)} training and {len(X_test)} test points, 2 features, 2 classes")


def accuracy(model, inputs, labels) -> float:
    with torch.no_grad():
        predicted = (model(inputs).squeeze(1) > 0).long()  # logit > 0  <=>  probability > 0.5
    return (predicted == labels).float().mean().item()


def train_neuron(inputs, labels, steps: int, lr: float = 0.5, label: str = "step", show: bool = True):
    """Fit one neuron (nn.Linear(n, 1) + sigmoid) by full-batch gradient descent; return it and its losses."""
    neuron = nn.Linear(inputs.shape[1], 1)
    optimizer = torch.optim.SGD(neuron.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    progress = Progress(steps, lines=4, label=label)
    losses = []
    for step in range(1, steps + 1):
        loss = loss_fn(neuron(inputs).squeeze(1), labels.float())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if show:
            progress(step, loss=loss.item())
    return neuron, losses


steps = 1000 if FULL else 300
neuron, blob_losses = train_neuron(X_train, y_train, steps)
blob_train_acc = accuracy(neuron, X_train, y_train)
blob_test_acc = accuracy(neuron, X_test, y_test)
w1, w2 = neuron.weight.detach().numpy()[0]
b0 = neuron.bias.item()
print(f"blobs: train accuracy {blob_train_acc:.1%}, test accuracy {blob_test_acc:.1%}  (expect about 95-100%)")
print(f"  learned boundary: {w1:+.2f} x1 {w2:+.2f} x2 {b0:+.2f} = 0   "
      f"(the blobs sit at (-1.5, -1) and (1.5, 1): expect w pointing along (+, +), b near 0)")

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1, 1.25]})
left.plot(blob_losses)
left.set(xlabel="step", ylabel="binary cross-entropy", title="one neuron on two blobs: training loss")
plot_decision_boundary(neuron, X, y, title=f"one neuron: test accuracy {blob_test_acc:.0%}", ax=right)
lesson.save(fig, "neuron_blobs.png")

# %% [markdown]
# ## Logic gates: AND and OR yes, XOR no
# Four inputs (0/0, 0/1, 1/0, 1/1). AND and OR are linearly separable: a line cuts off the corner
# (1, 1) for AND, or the corner (0, 0) for OR. XOR (1 when the inputs differ) puts the two classes
# on opposite diagonals: no line has both 1s on one side and both 0s on the other. The best a
# line can do is 3 of 4 corners (75%); gradient descent on the cross-entropy does not even get
# there, because the four points pull `w` in symmetric, cancelling directions.

# %%
lesson.section()
gate_inputs = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
gates = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0]}
gate_accuracy = {}
print("inputs      " + "   ".join(f"{(int(p[0]), int(p[1]))}" for p in gate_inputs.numpy()))
for name, truth in gates.items():
    targets = torch.tensor(truth)
    torch.manual_seed(lesson.seed)
    gate_neuron, _ = train_neuron(gate_inputs, targets, steps=2000 if FULL else 1000, lr=1.0, show=False)
    with torch.no_grad():
        probs = torch.sigmoid(gate_neuron(gate_inputs).squeeze(1)).numpy()
    gate_accuracy[name] = accuracy(gate_neuron, gate_inputs, targets)
    print(f"  {name:<4} want {truth}, neuron says P(1) = {np.round(probs, 2)}  -> {gate_accuracy[name]:.0%} right")
print("(expect AND and OR 100%. XOR: P(1) = 0.5 for every input, 'no idea'; whether each 0.5 lands a hair\n"
      " above or below the threshold is rounding noise, so its counted accuracy means nothing)")

# %% [markdown]
# ## XOR as a point cloud
# The same failure on noisy XOR data: clusters around the four corners (+-1, +-1), class 1 where
# the signs of x1 and x2 differ. The neuron's best straight line leaves it near a coin toss.

# %%
lesson.section()
X_xor, y_xor = xor(n_points, noise=0.3, seed=lesson.seed)
xor_neuron, xor_losses = train_neuron(X_xor, y_xor, steps, label="XOR step")
xor_acc = accuracy(xor_neuron, X_xor, y_xor)
print(f"XOR: one neuron's training accuracy {xor_acc:.1%}   (expect about 50%, a coin toss; a line can never beat 75%)")
print(f"  its loss went {xor_losses[0]:.3f} -> {xor_losses[-1]:.3f}   (ln 2 = 0.693 is 'always say 0.5')")

# %% [markdown]
# ## What is missing: a better view of the data
# Give the neuron one more input, the product `x1 * x2`: it is negative exactly where XOR is 1.
# In the space (x1, x2, x1*x2) a flat plane separates the classes, and the same single neuron
# solves XOR. The boundary it draws back in the (x1, x2) plane is no longer straight.
#
# Here *we* invented the feature. A hidden layer of neurons *learns* such features from the data:
# that is the step to the feedforward network of lesson 3.

# %%
lesson.section()


def with_product(points):
    return torch.cat([points, points[:, :1] * points[:, 1:]], dim=1)  # (N, 2) -> (N, 3)


feature_neuron, _ = train_neuron(with_product(X_xor), y_xor, steps, label="XOR + x1*x2 step")
feature_acc = accuracy(feature_neuron, with_product(X_xor), y_xor)
print(f"XOR with the extra input x1*x2: accuracy {feature_acc:.1%}   (expect above 95%)")

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.4))
plot_decision_boundary(xor_neuron, X_xor, y_xor, ax=left,
                       title=f"one neuron on XOR: {xor_acc:.0%} (a straight line)")
plot_decision_boundary(lambda points: feature_neuron(with_product(points)), X_xor, y_xor, ax=right,
                       title=f"one neuron on (x1, x2, x1*x2): {feature_acc:.0%}")
lesson.save(fig, "neuron_xor.png")

# %% [markdown]
# ## Summary
# - A neuron is `sigma(w . x + b)`: a weighted sum, a bias, an activation. NumPy and tinynn give
#   the same numbers; tinynn also gives the gradients.
# - Its decision boundary is a straight line (a plane in higher dimensions). On linearly
#   separable data it is all you need (logistic regression).
# - XOR is not linearly separable: one neuron stays near chance. A new feature fixes it; a
#   hidden layer learns such features itself (lesson 3).

# %%
lesson.section()
lesson.summary(neuron_difference=neuron_difference, blob_test_accuracy=blob_test_acc,
               blob_train_accuracy=blob_train_acc, blob_first_loss=blob_losses[0], blob_final_loss=blob_losses[-1],
               and_accuracy=gate_accuracy["AND"], or_accuracy=gate_accuracy["OR"],
               xor_gate_accuracy=gate_accuracy["XOR"], xor_accuracy=xor_acc, xor_feature_accuracy=feature_acc)
