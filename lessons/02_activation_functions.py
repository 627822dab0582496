# %% [markdown]
# # Lesson 2: activation functions
#
# Without an activation, a stack of layers is one big linear map: `W2 (W1 x) = (W2 W1) x`. The
# nonlinearity between the layers is what lets a network bend its decision boundary. Which one
# you choose decides how gradients flow back through the network, so this lesson looks at each
# function *and its derivative*, the derivatives computed by tinynn's autograd and checked
# against the formulas.
#
# | name | f(x) | f'(x) |
# |---|---|---|
# | ReLU | `max(0, x)` | `1 if x > 0 else 0` |
# | leaky ReLU | `x if x > 0 else a x` (a = 0.01 by default; 0.1 here to see it) | `1 if x > 0 else a` |
# | ELU | `x if x > 0 else a (e^x - 1)` | `1 if x > 0 else a e^x` |
# | sigmoid | `s(x) = 1 / (1 + e^-x)` | `s(x) (1 - s(x))` |
# | tanh | `(e^x - e^-x) / (e^x + e^-x)` | `1 - tanh(x)^2` |
# | GELU | `x Phi(x)`, Phi the standard normal CDF | `Phi(x) + x phi(x)` |
# | SiLU / swish | `x s(x)` | `s(x) (1 + x (1 - s(x)))` |
# | softmax | `p_i = e^(z_i) / sum_j e^(z_j)` (a vector in, a vector out) | `dp_i/dz_j = p_i (delta_ij - p_j)` |
#
# Run: `python lessons/02_activation_functions.py` (about 5 seconds); `--full` uses a deeper,
# wider stack in the vanishing-gradient experiment (about 15 seconds).

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.autograd.functional import jacobian
from tinynn.course import Lesson
from tinynn.viz import plot_functions, plot_gradient_norms

lesson = Lesson(2, "activation functions", full_takes="about 15 seconds")
torch.manual_seed(lesson.seed)
FULL = lesson.full

activations = {
    "ReLU": F.relu,
    "leaky ReLU (a=0.1)": lambda x: F.leaky_relu(x, negative_slope=0.1),
    "ELU (a=1)": F.elu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "GELU": F.gelu,
    "SiLU / swish": F.silu,
}

# %% [markdown]
# ## Each function and its derivative
# The derivative comes from autograd, not from the table above: run the function on a tensor
# `x` that requires grad, then `y.sum().backward()`. Each `y_i` depends only on `x_i`, so the
# gradient of the sum, `x.grad[i] = dy_i/dx_i`, is exactly the derivative at each point.
# `plot_functions` does this for every function and draws both curves.

# %%
lesson.section()
x = torch.linspace(-4, 4, 9, dtype=torch.float64, requires_grad=True)
y = torch.sigmoid(x)
y.sum().backward()
print("x           ", np.round(x.detach().numpy(), 2))
print("sigmoid(x)  ", np.round(y.detach().numpy(), 3))
print("autograd    ", np.round(x.grad.numpy(), 3), "  (peak 0.25 at x = 0)")

fig = plot_functions(activations, x_range=(-4, 4), ncols=4,
                     title="activation functions (solid) and their derivatives by autograd (dashed)")
lesson.save(fig, "activations.png")

# %% [markdown]
# ## Autograd against the closed forms
# The same derivatives on 2,001 points in float64, compared with the formulas of the table.
# Expect errors around 1e-16 (float64 rounding). At the kink x = 0, ReLU's derivative is
# undefined; tinynn (like PyTorch) uses 0 there, the same as `x > 0` below.


# %%
lesson.section()


def sigmoid_np(v):
    return 1 / (1 + np.exp(-v))


erf = np.vectorize(math.erf)


def normal_cdf(v):
    return 0.5 * (1 + erf(v / math.sqrt(2)))


def normal_pdf(v):
    return np.exp(-v**2 / 2) / math.sqrt(2 * math.pi)


closed_forms = {
    "ReLU": lambda v: (v > 0).astype(float),
    "leaky ReLU (a=0.1)": lambda v: np.where(v > 0, 1.0, 0.1),
    "ELU (a=1)": lambda v: np.where(v > 0, 1.0, np.exp(v)),
    "sigmoid": lambda v: sigmoid_np(v) * (1 - sigmoid_np(v)),
    "tanh": lambda v: 1 - np.tanh(v) ** 2,
    "GELU": lambda v: normal_cdf(v) + v * normal_pdf(v),
    "SiLU / swish": lambda v: sigmoid_np(v) * (1 + v * (1 - sigmoid_np(v))),
}

grid = np.linspace(-6, 6, 2001)
derivative_errors = {}
print(f"{'function':<20} {'max |autograd - formula|':>25}")
for name, fn in activations.items():
    points = torch.tensor(grid, requires_grad=True)  # a float64 array stays float64
    fn(points).sum().backward()
    derivative_errors[name] = float(np.abs(points.grad.numpy() - closed_forms[name](grid)).max())
    print(f"{name:<20} {derivative_errors[name]:>25.1e}")
max_derivative_error = max(derivative_errors.values())
print(f"largest error: {max_derivative_error:.1e}   (expect below 1e-12)")

# %% [markdown]
# ## Ranges and uses
# What each function outputs, how its gradient behaves, and where you meet it.

# %%
lesson.section()
wide = torch.linspace(-50, 50, 100001, dtype=torch.float64)
table = [
    ("ReLU", "[0, inf)", "0 or 1", "default in MLPs and CNNs (cheap, no saturation for x > 0)"),
    ("leaky ReLU", "(-inf, inf)", "a or 1", "when 'dead' ReLUs (always 0) are a problem; GAN discriminators"),
    ("ELU", "(-a, inf)", "(0, 1]", "smooth ReLU with negative outputs (mean closer to 0)"),
    ("sigmoid", "(0, 1)", "(0, 0.25]", "binary outputs (a probability), LSTM/GRU gates"),
    ("tanh", "(-1, 1)", "(0, 1]", "RNN hidden states, zero-centred outputs"),
    ("GELU", "[-0.17, inf)", "~[-0.13, 1.13]", "transformers (BERT, GPT)"),
    ("SiLU / swish", "[-0.28, inf)", "~[-0.10, 1.10]", "modern CNNs (EfficientNet), LLaMA's SwiGLU"),
    ("softmax", "(0, 1), sums to 1", "p_i(d_ij - p_j)", "multi-class outputs, attention weights"),
]
measured = {"ReLU": F.relu, "leaky ReLU": lambda v: F.leaky_relu(v, 0.1), "ELU": F.elu, "sigmoid": torch.sigmoid,
            "tanh": torch.tanh, "GELU": F.gelu, "SiLU / swish": F.silu}
print(f"{'function':<13} {'range':<18} {'slope':<16} {'min on [-50,50]':>15}  used in")
for name, out_range, slope, use in table:
    low = f"{measured[name](wide).min().item():.3f}" if name in measured else ""
    print(f"{name:<13} {out_range:<18} {slope:<16} {low:>15}  {use}")
print("(min measured on [-50, 50]: GELU's dip is -0.170 at x = -0.75, SiLU's -0.278 at x = -1.28)")

# %% [markdown]
# ## Softmax: a vector of scores to a probability distribution
# `p_i = e^(z_i) / sum_j e^(z_j)`: positive, summing to 1, the largest score getting the largest
# share. Two properties to know:
#
# - **Shift invariance**: adding a constant `c` to every score changes nothing, since
#   `e^(z_i + c) = e^c e^(z_i)` and `e^c` cancels. Implementations subtract `max(z)` first, so the
#   largest exponent is `e^0 = 1` and nothing overflows, even for scores like 1000.
# - **Temperature**: `softmax(z / T)`. T < 1 sharpens towards the argmax (one-hot as T -> 0),
#   T > 1 flattens towards uniform. Language models sample with it (lesson 15).

# %%
lesson.section()
scores = torch.tensor([2.0, 1.0, 0.1])
p = torch.softmax(scores, dim=0)
print(f"softmax({scores.numpy()}) = {np.round(p.numpy(), 4)}, sum {p.sum().item():.4f}"
      "   (expect [0.659 0.2424 0.0986])")
shifted = torch.softmax(scores + 1000, dim=0)
shift_difference = (shifted - p).abs().max().item()
print(f"softmax(scores + 1000) = {np.round(shifted.numpy(), 4)}, max difference {shift_difference:.1e}"
      "   (expect below 1e-5: float32 keeps only ~7 digits of 1002.0, nothing else changes)")
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(scores.numpy() + 1000) / np.exp(scores.numpy() + 1000).sum()
print(f"naive NumPy exp(z)/sum(exp(z)) on scores + 1000: {naive}   (e^1000 overflows: inf/inf = nan)")

temperatures = [0.25, 0.5, 1.0, 2.0, 10.0]
entropies = {}
print(f"{'T':>6}  {'probabilities':<28} entropy (nats; uniform over 3 is ln 3 = {math.log(3):.3f})")
for T in temperatures:
    q = torch.softmax(scores / T, dim=0)
    entropies[T] = -(q * q.log()).sum().item()
    print(f"{T:>6}  {str(np.round(q.numpy(), 3)):<28} {entropies[T]:.3f}")

# Softmax's derivative is a matrix (every p_i depends on every z_j): the Jacobian.
z64 = scores.double()
J = jacobian(lambda t: torch.softmax(t, dim=0), z64)
p64 = torch.softmax(z64, dim=0).numpy()
softmax_jacobian_error = float(np.abs(J.numpy() - (np.diag(p64) - np.outer(p64, p64))).max())
print(f"softmax Jacobian by autograd vs diag(p) - p p^T: max error {softmax_jacobian_error:.1e} (expect < 1e-15)")

fig, ax = plt.subplots(figsize=(7, 3.8))
width = 0.8 / len(temperatures)
for k, T in enumerate(temperatures):
    q = torch.softmax(scores / T, dim=0).numpy()
    ax.bar(np.arange(3) + (k - len(temperatures) / 2 + 0.5) * width, q, width, label=f"T = {T}")
ax.set_xticks(range(3), [f"class {i}\nscore {s:.1f}" for i, s in enumerate(scores.numpy())])
ax.set(ylabel="probability", title="softmax(z / T): low T sharpens, high T flattens", ylim=(0, 1))
ax.legend()
lesson.save(fig, "softmax_temperature.png")

# %% [markdown]
# ## Saturation and the vanishing gradient
# Backpropagation multiplies the local derivatives of every layer it passes through. The
# sigmoid's derivative is at most 0.25, and almost 0 once `|x|` is large (the function is flat
# there: it has *saturated*). ReLU's derivative is exactly 1 for every positive input.

# %%
lesson.section()
for value in [0.0, 2.0, 5.0, 10.0]:
    point = torch.tensor([value], requires_grad=True)
    torch.sigmoid(point).sum().backward()
    sigmoid_slope = point.grad.item()
    point.grad = None
    F.relu(point).sum().backward()
    print(f"  x = {value:>4}:  sigmoid'(x) = {sigmoid_slope:.2e}   relu'(x) = {point.grad.item():.0f}")
print("  (relu'(0) is 0 by convention: the kink has no derivative; sigmoid' shrinks like e^-x)")

# %% [markdown]
# Now a deep stack: `depth` layers of `Linear(width, width)` + activation, fed a batch of random
# inputs, loss = the mean of the outputs squared. After `backward()` we measure the mean gradient
# magnitude `mean |dL/dW|` of every layer's weight. Each activation gets the initialisation made
# for it (Xavier for sigmoid and tanh, He/Kaiming for ReLU), so the difference is the activation.
# Expect the sigmoid's gradient to shrink by orders of magnitude from the last layer back to the
# first (each layer multiplies it by at most 0.25 times the weights), and ReLU's to stay roughly
# level. tanh (slope 1 at 0, Xavier gain 5/3) also stays near level here, where its inputs are
# small; it saturates like the sigmoid once they grow (RNNs, lesson 10, will show that).

# %%
lesson.section()
depth, width, batch = (30, 128, 256) if FULL else (20, 64, 128)


def deep_stack(activation: str) -> nn.Sequential:
    layers = []
    for _ in range(depth):
        linear = nn.Linear(width, width)
        if activation == "relu":
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        else:
            nn.init.xavier_normal_(linear.weight, gain=nn.init.calculate_gain(activation))
        nn.init.zeros_(linear.bias)
        layers += [linear, {"sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "relu": nn.ReLU()}[activation]]
    return nn.Sequential(*layers)


inputs = torch.randn(batch, width)
mean_grads = {}
for activation in ["sigmoid", "tanh", "relu"]:
    torch.manual_seed(lesson.seed)
    model = deep_stack(activation)
    loss = (model(inputs) ** 2).mean()
    loss.backward()
    mean_grads[activation] = [m.weight.grad.abs().mean().item() for m in model if isinstance(m, nn.Linear)]
    first, last = mean_grads[activation][0], mean_grads[activation][-1]
    print(f"{activation:>8}: mean |dL/dW|  layer 1 {first:.2e}   layer {depth} {last:.2e}   "
          f"first/last {first / last:.1e}")
sigmoid_ratio = mean_grads["sigmoid"][0] / mean_grads["sigmoid"][-1]
relu_ratio = mean_grads["relu"][0] / mean_grads["relu"][-1]
print(f"(expect sigmoid first/last far below 1e-3: vanished; ReLU's within about 0.1 to 10: "
      f"here {sigmoid_ratio:.0e} vs {relu_ratio:.2f})")

fig = plot_gradient_norms({f"{depth} x {name}": values for name, values in mean_grads.items()},
                          title=f"gradient through {depth} layers: sigmoid vanishes, ReLU does not",
                          xlabel="layer (input side on the left)")
fig.axes[0].set_ylabel("mean |dL/dW| of the layer")
lesson.save(fig, "vanishing_gradients.png")

# %% [markdown]
# ## Summary
# - Every activation here has a derivative autograd computes exactly (errors ~1e-16 against
#   the formulas).
# - Sigmoid and tanh squash their input and saturate: their derivatives vanish for large |x|,
#   and a deep stack of sigmoids passes almost no gradient back to its first layers.
# - ReLU and its smooth relatives (GELU, SiLU) keep a slope of about 1 for positive inputs, which
#   is why deep networks use them between layers; sigmoid and softmax stay at the outputs, where
#   a probability is wanted.
# - Softmax turns scores into probabilities; it ignores a shift of all scores (which keeps it
#   stable) and a temperature sharpens or flattens it.

# %%
lesson.section()
lesson.summary(max_derivative_error=max_derivative_error, softmax_shift_difference=shift_difference,
               softmax_jacobian_error=softmax_jacobian_error,
               entropy_low_temperature=entropies[0.25], entropy_high_temperature=entropies[10.0],
               sigmoid_first_layer_grad=mean_grads["sigmoid"][0], relu_first_layer_grad=mean_grads["relu"][0],
               sigmoid_first_over_last=sigmoid_ratio, relu_first_over_last=relu_ratio)
