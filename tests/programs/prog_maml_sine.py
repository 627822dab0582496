"""MAML on sine-wave regression (Finn et al., 2017; a task is a sine with amplitude in [0.5, 2] and
phase in [0, 0.5]), written the way torch.func's tutorials write it: the network is run as a
function of a parameter dict with torch.func.functional_call, the inner step is differentiated with
create_graph=True so the meta-gradient includes the second-order term, and after meta-training a
held-out task is adapted with torch.func.grad_and_value; per-example gradients come from
vmap(grad(...)).

Everything is float64 and drawn with NumPy, so every engine computes the same numbers.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)

model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
model.load_state_dict({
    name: torch.from_numpy(rng.standard_normal(tuple(value.shape)) / np.sqrt(value.shape[-1]) if value.ndim == 2
                           else np.zeros(tuple(value.shape)))
    for name, value in model.state_dict().items()
})


def sample_task():
    return rng.uniform(0.5, 2.0), rng.uniform(0.0, 0.5)


def sample_points(task, n):
    amplitude, phase = task
    x = rng.uniform(-5.0, 5.0, size=(n, 1))
    return torch.from_numpy(x), torch.from_numpy(amplitude * np.sin(x + phase))


def loss_fn(params, x, y):
    return F.mse_loss(functional_call(model, params, (x,)), y)


def adapted_query_loss(tasks):
    """The mean query loss over ``tasks`` after one inner SGD step on each task's support set."""
    total = 0.0
    for x_support, y_support, x_query, y_query in tasks:
        params = {name: p.detach() for name, p in model.named_parameters()}
        g = grad(loss_fn)(params, x_support, y_support)
        total += loss_fn({k: params[k] - inner_lr * g[k] for k in params}, x_query, y_query).item()
    return total / len(tasks)


inner_lr, tasks_per_batch = 0.05, 4
held_out = []
for _ in range(8):
    task = sample_task()
    held_out.append(sample_points(task, 10) + sample_points(task, 20))
RESULTS["held_out_before"] = adapted_query_loss(held_out)
meta_optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
meta_losses = []
for iteration in range(100):
    meta_optimizer.zero_grad()
    meta_loss = 0.0
    for _ in range(tasks_per_batch):
        task = sample_task()
        x_support, y_support = sample_points(task, 10)
        x_query, y_query = sample_points(task, 10)
        params = dict(model.named_parameters())
        support_loss = loss_fn(params, x_support, y_support)
        grads = torch.autograd.grad(support_loss, list(params.values()), create_graph=True)
        fast = {name: p - inner_lr * g for (name, p), g in zip(params.items(), grads)}
        meta_loss = meta_loss + loss_fn(fast, x_query, y_query)
    meta_loss = meta_loss / tasks_per_batch
    meta_loss.backward()
    meta_optimizer.step()
    meta_losses.append(meta_loss.item())
    if iteration % 25 == 0:
        print(f"iteration {iteration}: meta loss {meta_loss.item():.4f}")
RESULTS["meta_losses"] = meta_losses
RESULTS["held_out_after"] = adapted_query_loss(held_out)
print(f"held-out query loss after one step: {RESULTS['held_out_before']:.4f} before meta-training, "
      f"{RESULTS['held_out_after']:.4f} after")

# ---------------------------------------------------------------------------- adapt to a new task
task = sample_task()
x_support, y_support = sample_points(task, 10)
x_test, y_test = sample_points(task, 50)
params = {name: p.detach() for name, p in model.named_parameters()}
support_losses, test_losses = [], []
for step in range(5):
    (g, support_loss) = torch.func.grad_and_value(loss_fn)(params, x_support, y_support)
    support_losses.append(support_loss.item())
    test_losses.append(loss_fn(params, x_test, y_test).item())
    params = {name: params[name] - inner_lr * g[name] for name in params}
RESULTS["adaptation_support_losses"] = support_losses
RESULTS["adaptation_test_losses"] = test_losses
print("support loss while adapting:", [round(v, 4) for v in support_losses])

# ---------------------------------------------------------------------------- per-example gradients


def example_loss(params, x, y):
    return loss_fn(params, x.unsqueeze(0), y.unsqueeze(0))


per_example = vmap(grad(example_loss), in_dims=(None, 0, 0))(params, x_support, y_support)
norms = torch.sqrt(sum((g.reshape(g.shape[0], -1) ** 2).sum(dim=1) for g in per_example.values()))
RESULTS["per_example_grad_norms"] = norms.tolist()
mean_of_examples = {name: g.mean(dim=0) for name, g in per_example.items()}
batch_gradient = grad(loss_fn)(params, x_support, y_support)
RESULTS["per_example_mean_error"] = max((mean_of_examples[k] - batch_gradient[k]).abs().max().item()
                                        for k in batch_gradient)
