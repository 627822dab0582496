"""Full-batch fitting with L-BFGS, as tutorials do it: a closure that zeroes the gradients, computes
the loss, calls backward() and returns the loss, passed to optimizer.step(closure) with
line_search_fn="strong_wolfe". Two fits: a small tanh network to a noisy sine curve, and a
logistic regression (nn.Linear + BCEWithLogitsLoss) on two Gaussian blobs.

So that every engine computes the same numbers, everything is float64 and the weights and data
are drawn with NumPy.
"""
import numpy as np
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)

# --------------------------------------------------------------------------- 1. curve fitting
x = torch.linspace(-3, 3, 64).unsqueeze(1)
y = torch.sin(x) + 0.1 * torch.from_numpy(rng.standard_normal((64, 1)))

model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1))
model.load_state_dict({
    "0.weight": torch.from_numpy(rng.standard_normal((16, 1))),
    "0.bias": torch.from_numpy(rng.standard_normal(16)),
    "2.weight": torch.from_numpy(rng.standard_normal((1, 16)) * 0.25),
    "2.bias": torch.zeros(1),
})
loss_fn = nn.MSELoss()
optimizer = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=10, history_size=10,
                              line_search_fn="strong_wolfe")
closure_calls = 0


def closure():
    global closure_calls
    closure_calls += 1
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    return loss


curve_losses = []
for epoch in range(5):
    loss = optimizer.step(closure)
    curve_losses.append(loss.item())
    print(f"epoch {epoch}: loss {loss.item():.6f}")
with torch.no_grad():
    final_loss = loss_fn(model(x), y).item()
state = optimizer.state_dict()["state"][0]
RESULTS["curve_losses"] = curve_losses + [final_loss]
RESULTS["curve_closure_calls"] = closure_calls
RESULTS["curve_func_evals"] = state["func_evals"]
RESULTS["curve_n_iter"] = state["n_iter"]

# --------------------------------------------------------------------------- 2. logistic regression
centers = np.array([[-1.0, 0.5], [1.0, -0.5]])
labels = rng.integers(0, 2, size=200)
features = torch.from_numpy(centers[labels] + rng.standard_normal((200, 2)))
targets = torch.from_numpy(labels.astype(np.float64)).unsqueeze(1)

classifier = nn.Linear(2, 1)
with torch.no_grad():
    classifier.weight.copy_(torch.from_numpy(rng.standard_normal((1, 2)) * 0.1))
    classifier.bias.zero_()
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.LBFGS(classifier.parameters(), line_search_fn="strong_wolfe")


def closure():
    optimizer.zero_grad()
    loss = criterion(classifier(features), targets)
    loss.backward()
    return loss


logistic_losses = [optimizer.step(closure).item() for _ in range(3)]
with torch.no_grad():
    logits = classifier(features)
    logistic_losses.append(criterion(logits, targets).item())
    accuracy = ((logits > 0).double() == targets).double().mean().item()
print(f"logistic regression: loss {logistic_losses[-1]:.6f}, accuracy {accuracy:.3f}")
RESULTS["logistic_losses"] = logistic_losses
RESULTS["logistic_weights"] = classifier.weight.detach().numpy().ravel().tolist() + classifier.bias.tolist()
RESULTS["logistic_accuracy"] = accuracy
RESULTS["logistic_func_evals"] = optimizer.state_dict()["state"][0]["func_evals"]
