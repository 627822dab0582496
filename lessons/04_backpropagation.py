# %% [markdown]
# # Lesson 4: backpropagation
#
# Training needs the gradient of the loss with respect to every weight. Backpropagation computes
# all of them in one backward sweep, by applying the **chain rule** operation by operation, from
# the loss back to the inputs. Nothing more is involved: no magic, no symbolic algebra.
#
# This lesson writes the forward and backward pass of a two-layer network by hand in plain NumPy,
# runs the same network through tinynn's autograd and compares the two gradients, draws the
# computation graph autograd walks, checks gradients against finite differences (by hand and with
# `tinynn.autograd.gradcheck`), catches a planted bug in a custom backward, and finally trains the
# NumPy network with its hand-written gradients.
#
# Run: `python lessons/04_backpropagation.py` (about 15 seconds), or `--full` to check every weight by
# finite differences and train longer.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn.functional as F
from tinynn.autograd import Function, GradcheckError, gradcheck
from tinynn.course import Lesson, Progress
from tinynn.datasets import spirals
from tinynn.viz import draw_graph, plot_decision_boundary, to_dot

lesson = Lesson(4, "backpropagation", full_takes="about a minute")
torch.manual_seed(lesson.seed)
FULL = lesson.full
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## The chain rule on one neuron
# For `L = (tanh(w x + b) - t)^2`, name the steps `z = w x + b`, `y = tanh(z)`, `L = (y - t)^2`.
# The chain rule multiplies the local derivatives along the path from L back to w:
#
#     dL/dw = dL/dy * dy/dz * dz/dw = 2 (y - t) * (1 - y^2) * x
#
# Backpropagation computes `dL/dy` first, then `dL/dz = dL/dy * dy/dz`, reusing it for both
# `dL/dw = dL/dz * x` and `dL/db = dL/dz * 1`. Reusing the shared part is what makes it fast.

# %%
lesson.section()
w_value, b_value, x_value, t_value = np.array([0.8, -0.3, 1.5, 0.2])  # float64 numbers
y_value = np.tanh(w_value * x_value + b_value)
dL_dy = 2 * (y_value - t_value)
dL_dz = dL_dy * (1 - y_value**2)
by_hand = (dL_dz * x_value, dL_dz)

w = torch.tensor(w_value, dtype=torch.float64, requires_grad=True)
b = torch.tensor(b_value, dtype=torch.float64, requires_grad=True)
loss = (torch.tanh(w * x_value + b) - t_value) ** 2
loss.backward()
print(f"by hand: dL/dw = {by_hand[0]:.10f}, dL/db = {by_hand[1]:.10f}")
print(f"tinynn:  dL/dw = {w.grad.item():.10f}, dL/db = {b.grad.item():.10f}  (expect the same digits)")
chain_rule_diff = max(abs(w.grad.item() - by_hand[0]), abs(b.grad.item() - by_hand[1]))

# %% [markdown]
# ## A two-layer network, forward, in NumPy
# N points with D features, a hidden layer of H tanh units, C class scores, softmax cross-entropy.
# (Here W is stored `(in, out)`, the usual math convention; `nn.Linear` stores the transpose.)
#
#     Z1 = X W1 + b1        (N, H)      X: (N, D), W1: (D, H), b1: (H,)
#     A1 = tanh(Z1)         (N, H)
#     Z2 = A1 W2 + b2       (N, C)      W2: (H, C), b2: (C,)
#     P  = softmax(Z2)      (N, C)      each row sums to 1
#     L  = -mean_n log P[n, y_n]        a scalar

# %%
lesson.section()
points, classes = spirals(300, n_classes=3, noise=0.04, seed=lesson.seed)
N, D, H, C = 8, 2, 5, 3
X = points.numpy()[:N].astype(np.float64)  # a small batch keeps every number printable
y = classes.numpy()[:N]
params = {"W1": rng.standard_normal((D, H)), "b1": 0.1 * rng.standard_normal(H),
          "W2": rng.standard_normal((H, C)) / np.sqrt(H), "b2": 0.1 * rng.standard_normal(C)}


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))  # subtracting the row max avoids overflow
    return e / e.sum(axis=1, keepdims=True)


def forward(p: dict, X: np.ndarray, y: np.ndarray):
    Z1 = X @ p["W1"] + p["b1"]
    A1 = np.tanh(Z1)
    Z2 = A1 @ p["W2"] + p["b2"]
    P = softmax(Z2)
    loss = -np.log(P[np.arange(len(y)), y]).mean()
    return loss, (A1, P)


loss_np, (A1, P) = forward(params, X, y)
for name, value in [("X", X), ("W1", params["W1"]), ("A1 = tanh(X W1 + b1)", A1), ("W2", params["W2"]),
                    ("P = softmax(A1 W2 + b2)", P)]:
    print(f"  {name:<24} {str(value.shape):>8}")
print(f"loss = {loss_np:.6f}  (expect about log(3) = {np.log(3):.3f} for a net that has learned nothing)")

# %% [markdown]
# ## Backward, by hand
# Go through the forward lines in reverse. Two rules cover everything here:
#
# - **Matrix product** `Z = A W`: `dA = dZ W^T` and `dW = A^T dZ`. The shapes force this: `dW`
#   must be `(in, out)` like W, and `A^T (in, N) @ dZ (N, out)` is the only product that makes it.
# - **Broadcast bias** `Z = ... + b`: b was copied to every row, so its gradient sums the rows.
#
# Softmax followed by cross-entropy has the famously simple derivative `dZ2 = (P - Y) / N`, with Y
# the one-hot targets (the 1/N from the mean). Then, line by line:
#
#     dZ2 = (P - Y) / N        (N, C)
#     dW2 = A1^T dZ2           (H, C)       db2 = sum_n dZ2      (C,)
#     dA1 = dZ2 W2^T           (N, H)
#     dZ1 = dA1 * (1 - A1^2)   (N, H)       tanh' = 1 - tanh^2, elementwise
#     dW1 = X^T dZ1            (D, H)       db1 = sum_n dZ1      (H,)


# %%
lesson.section()


def backward(p: dict, X: np.ndarray, y: np.ndarray, A1: np.ndarray, P: np.ndarray) -> dict:
    Y = np.eye(P.shape[1])[y]          # one-hot targets (N, C)
    dZ2 = (P - Y) / len(y)             # (N, C)
    dW2 = A1.T @ dZ2                   # (H, N) @ (N, C) -> (H, C)
    db2 = dZ2.sum(axis=0)              # (C,)
    dA1 = dZ2 @ p["W2"].T              # (N, C) @ (C, H) -> (N, H)
    dZ1 = dA1 * (1 - A1**2)            # (N, H)
    dW1 = X.T @ dZ1                    # (D, N) @ (N, H) -> (D, H)
    db1 = dZ1.sum(axis=0)              # (H,)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


grads_np = backward(params, X, y, A1, P)
for name, g in grads_np.items():
    print(f"  dL/d{name:<3} shape {str(g.shape):<7} (same as {name}: {g.shape == params[name].shape})  "
          f"norm {np.linalg.norm(g):.6f}")

# %% [markdown]
# ## The same network through tinynn's autograd
# Write only the forward pass with tinynn tensors (float64, like NumPy). As it runs, autograd
# records each operation and its inputs: the **computation graph**. Blue boxes are the leaves we
# want gradients for, yellow ovals the operations, green the loss. `X` is not drawn: it is data,
# not something we asked a gradient for.

# %%
lesson.section()
tensors = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in params.items()}
W1, b1, W2, b2 = (tensors[k] for k in ("W1", "b1", "W2", "b2"))
X_t, y_t = torch.tensor(X, dtype=torch.float64), torch.tensor(y)
Z1 = X_t @ W1 + b1
A1_t = torch.tanh(Z1)
Z2 = A1_t @ W2 + b2
loss_t = F.cross_entropy(Z2, y_t)

names = {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "Z1": Z1, "A1": A1_t, "Z2": Z2, "loss": loss_t}
graph_figure = draw_graph(loss_t, names=names)
graph_figure.suptitle("computation graph of the two-layer network's loss (leaves left, loss right)")
lesson.save(graph_figure, "computation_graph.png")
dot = to_dot(loss_t, names=names).splitlines()
n_ops, n_edges = sum("ellipse" in line for line in dot), sum("->" in line for line in dot)
print(f"the same graph as Graphviz DOT text: {len(dot)} lines, {n_ops} operations, {n_edges} arrows; it begins")
for line in dot[:6]:
    print("  " + line)
print("  ...")

# %% [markdown]
# ## Backward through the graph, and the comparison
# `loss.backward()` starts at the loss with gradient 1 and walks the arrows backwards, each oval
# turning the gradient of its output into gradients of its inputs: `CrossEntropy` gives `dZ2`,
# `Add` passes it on (and sums it over the batch into `db2`), `Matmul` gives `dW2` and `dA1`,
# `Tanh` multiplies by `1 - A1^2`, and so on: exactly our hand-written lines. The two sets of
# gradients should agree to the last bits of float64 (differences around 1e-17 to 1e-15).

# %%
lesson.section()
loss_t.backward()
print(f"loss: NumPy {loss_np:.15f}, tinynn {loss_t.item():.15f}")
max_abs_diff = 0.0
for name, g in grads_np.items():
    diff = np.abs(tensors[name].grad.numpy() - g).max()
    max_abs_diff = max(max_abs_diff, diff)
    print(f"  dL/d{name:<3} max |autograd - by hand| = {diff:.1e}")
print(f"largest difference over all parameters: {max_abs_diff:.1e}  (expect 1e-15 or less)")

# %% [markdown]
# ## Checking gradients with finite differences
# The derivative is a limit, `f'(x) = lim (f(x + eps) - f(x)) / eps`, so a small eps gives a check
# that needs no calculus at all. Taylor's expansion tells how good it is:
#
#     forward difference  (f(x+eps) - f(x)) / eps            = f'(x) + eps f''(x) / 2 + ...   error O(eps)
#     central difference  (f(x+eps) - f(x-eps)) / (2 eps)    = f'(x) + eps^2 f'''(x) / 6 + ... error O(eps^2)
#
# But eps cannot be tiny: f is computed with rounding error ~1e-16 |f|, divided by eps. Balancing
# the two puts the best eps near sqrt(1e-16) = 1e-8 for forward and cbrt(1e-16) ~ 5e-6 for central
# differences (shifted by how curved f is). In float32 (rounding ~1e-7) even the best is poor:
# gradient checks run in float64.
#
# By hand first: nudge single weights of the NumPy network and compare with our backward.


# %%
lesson.section()


def loss_with(name: str, index: tuple, value: float) -> float:
    changed = {k: v.copy() for k, v in params.items()}
    changed[name][index] = value
    return forward(changed, X, y)[0]


def central_difference(name: str, index: tuple, eps: float = 1e-6) -> float:
    x0 = params[name][index]
    return (loss_with(name, index, x0 + eps) - loss_with(name, index, x0 - eps)) / (2 * eps)


checked = [("W1", (0, 0)), ("W1", (1, 3)), ("b1", (2,)), ("W2", (4, 1)), ("b2", (0,))]
if FULL:  # every single weight
    checked = [(name, index) for name, value in params.items() for index in np.ndindex(value.shape)]
fd_max_rel_error = 0.0
print(f"{'weight':<10}{'backprop':>16}{'central difference':>20}{'relative error':>16}")
for name, index in checked:
    analytic, numeric = grads_np[name][index], central_difference(name, index)
    rel = abs(analytic - numeric) / max(abs(analytic), abs(numeric), 1e-12)
    fd_max_rel_error = max(fd_max_rel_error, rel)
    if len(checked) <= 8 or rel == fd_max_rel_error:
        print(f"{name + str(list(index)):<10}{analytic:>16.10f}{numeric:>20.10f}{rel:>16.1e}")
print(f"{len(checked)} weights checked, largest relative error {fd_max_rel_error:.1e}  (expect below 1e-6)")

# %% [markdown]
# How the error depends on eps, for one weight: the V shapes show truncation error (falling with
# eps, slope 1 for forward and 2 for central differences) meeting rounding error (rising as 1/eps).

# %%
lesson.section()
epsilons = np.logspace(-14, -1, 40)
x0, exact = params["W1"][0, 0], grads_np["W1"][0, 0]
base = loss_with("W1", (0, 0), x0)
forward_error = [abs((loss_with("W1", (0, 0), x0 + e) - base) / e - exact) for e in epsilons]
central_error = [abs(central_difference("W1", (0, 0), e) - exact) for e in epsilons]
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.loglog(epsilons, forward_error, "o-", ms=3, label="forward difference, error O(eps)")
ax.loglog(epsilons, central_error, "s-", ms=3, label="central difference, error O(eps^2)")
ax.set(xlabel="eps", ylabel="|finite difference - backprop gradient|",
       title="finite-difference error against step size (float64)")
ax.grid(True, which="major", alpha=0.3)
ax.legend()
lesson.save(fig, "finite_difference_error.png")
best_forward, best_central = epsilons[np.argmin(forward_error)], epsilons[np.argmin(central_error)]
print(f"best eps: forward {best_forward:.0e} (error {min(forward_error):.0e}), "
      f"central {best_central:.0e} (error {min(central_error):.0e})  (expect roughly 1e-8..1e-6 and 1e-6..1e-4)")

# %% [markdown]
# ## `gradcheck`: the whole Jacobian, automatically
# `tinynn.autograd.gradcheck(func, inputs)` does the same for every element of every input that
# requires a gradient, comparing central differences with what backward returns, and returns True
# or raises an error naming the first element that disagrees (tolerance `atol + rtol * |numerical|`).


# %%
lesson.section()


def network_loss(W1, b1, W2, b2):
    return F.cross_entropy(torch.tanh(X_t @ W1 + b1) @ W2 + b2, y_t)


network_ok = gradcheck(network_loss, (W1, b1, W2, b2))
n_checked = sum(t.numel() for t in (W1, b1, W2, b2))
print(f"gradcheck of the two-layer network: {network_ok}  ({n_checked} weights, expect True)")

# %% [markdown]
# ## Catching a wrong backward
# When you write an operation yourself, with a custom `Function`, autograd trusts your backward.
# Here is tanh written twice: once correctly, once with a typical slip, `1 - y` instead of
# `1 - y^2`. The buggy one runs without any error, and a network using it would still train,
# silently following wrong gradients. gradcheck catches it and says where.


# %%
lesson.section()


class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)


class BuggyTanh(Function):
    """tanh with a planted bug in backward: 1 - y where 1 - y^2 belongs."""

    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y)  # the bug


z = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
correct_ok = gradcheck(Tanh.apply, (z,))
print(f"gradcheck(Tanh):      {correct_ok}  (expect True)")
try:
    gradcheck(BuggyTanh.apply, (z,))
    bug_report = ""
except GradcheckError as error:
    bug_report = str(error)
print("gradcheck(BuggyTanh): raised GradcheckError  (expect it to; the report follows)")
print("  " + bug_report.replace("\n", "\n  "))

in_network = gradcheck(lambda W1, b1, W2, b2: F.cross_entropy(BuggyTanh.apply(X_t @ W1 + b1) @ W2 + b2, y_t),
                       (W1, b1, W2, b2), raise_exception=False)
print(f"the bug inside the whole network: gradcheck returns {in_network}  (expect False: the bug shows "
      "through every layer below it)")

# %% [markdown]
# ## Backpropagation is what learns
# The hand-written backward is all a network needs to train. Plain gradient descent,
# `W <- W - lr * dL/dW`, on all 300 spiral points (3 classes) with 64 hidden units, in NumPy alone.

# %%
lesson.section()
X_all, y_all = points.numpy().astype(np.float64), classes.numpy()
H_train = 64
net = {"W1": rng.standard_normal((D, H_train)) * 3.0, "b1": np.zeros(H_train),
       "W2": rng.standard_normal((H_train, C)) / np.sqrt(H_train), "b2": np.zeros(C)}
steps, lr = (15000 if FULL else 3000), 0.3  # above about 0.5 the loss curve turns spiky (lesson 6)
losses = []
progress = Progress(steps, lines=6, label="step")
for step in range(1, steps + 1):
    loss_value, (A1_all, P_all) = forward(net, X_all, y_all)
    grads = backward(net, X_all, y_all, A1_all, P_all)
    for name in net:
        net[name] -= lr * grads[name]
    losses.append(loss_value)
    progress(step, loss=float(loss_value), accuracy=float((P_all.argmax(1) == y_all).mean()))
train_accuracy = float((forward(net, X_all, y_all)[1][1].argmax(1) == y_all).mean())
print(f"NumPy network trained by hand-written backprop: loss {losses[0]:.3f} -> {losses[-1]:.3f}, "
      f"accuracy {train_accuracy:.1%}  (expect above 90% here, about 99% with --full)")


def numpy_network(grid):  # plot_decision_boundary hands us a tensor of points; answer class scores
    Z1 = grid.numpy().astype(np.float64) @ net["W1"] + net["b1"]
    return torch.tensor(np.tanh(Z1) @ net["W2"] + net["b2"])


fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
left.plot(losses)
left.set(xlabel="step", ylabel="cross-entropy loss", yscale="log", title="training with hand-written backprop")
plot_decision_boundary(numpy_network, X_all, y_all, ax=right, title=f"decision regions: {train_accuracy:.0%} train")
lesson.save(fig, "hand_backprop_training.png")

# %% [markdown]
# ## What to remember
# - Backprop = the chain rule, applied op by op from the loss backwards, reusing each gradient.
# - Matrix product `Z = A W`: `dA = dZ W^T`, `dW = A^T dZ`; a broadcast bias sums its gradient.
# - Autograd does exactly this, from the graph it records during the forward pass.
# - Check any gradient you write with central differences in float64 (`gradcheck`).

# %%
lesson.section()
lesson.summary(chain_rule_diff=float(chain_rule_diff), max_abs_diff=float(max_abs_diff),
               fd_max_rel_error=float(fd_max_rel_error),
               fd_checked=len(checked), best_eps_central=float(best_central), best_eps_forward=float(best_forward),
               gradcheck_network=bool(network_ok), gradcheck_correct=bool(correct_ok),
               bug_caught=bool(bug_report), bug_in_network_caught=not in_network,
               first_loss=float(losses[0]), final_loss=float(losses[-1]), accuracy=train_accuracy)
