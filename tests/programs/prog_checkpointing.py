"""Saving and loading models, as PyTorch's tutorial of that name does it.

A small classifier trains for three epochs, saving a checkpoint dict {"epoch", "model_state_dict",
"optimizer_state_dict", "loss"} after each; then a fresh model and optimizer resume from the file
(loaded with the default weights_only=True) and train three more epochs. A run without the
interruption gives the losses the resumed run must reproduce. Then the state_dict-for-inference
recipe (to a file and to an in-memory buffer), and the whole model saved with torch.save(model)
and loaded back with weights_only=False; the default weights_only=True refuses that file, and the
safe_globals allowlist admits it.

So that every engine computes the same numbers, everything is float64 and the weights and data
are drawn with NumPy.
"""
import io
import pickle

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)

features = torch.from_numpy(rng.standard_normal((64, 4)))
labels = torch.from_numpy(rng.integers(0, 3, size=64))
initial_weights = {
    "fc1.weight": torch.from_numpy(rng.standard_normal((16, 4)) * 0.5),
    "fc1.bias": torch.from_numpy(rng.standard_normal(16) * 0.1),
    "fc2.weight": torch.from_numpy(rng.standard_normal((3, 16)) * 0.25),
    "fc2.bias": torch.zeros(3),
}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 16)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def fresh_model_and_optimizer():
    model = Net()
    model.load_state_dict(initial_weights)
    return model, optim.Adam(model.parameters(), lr=0.01)


criterion = nn.CrossEntropyLoss()


def train_epoch(model, optimizer):
    total = 0.0
    for start in range(0, 64, 16):
        optimizer.zero_grad()
        loss = criterion(model(features[start:start + 16]), labels[start:start + 16])
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / 4


# --------------------------------------------------------------------------- uninterrupted: six epochs
model, optimizer = fresh_model_and_optimizer()
RESULTS["straight_losses"] = [train_epoch(model, optimizer) for _ in range(6)]

# --------------------------------------------------------------------------- three epochs, a checkpoint after each
model, optimizer = fresh_model_and_optimizer()
losses = []
for epoch in range(3):
    loss = train_epoch(model, optimizer)
    losses.append(loss)
    torch.save({
        "epoch": epoch,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "loss": loss,
    }, "checkpoint.tar")
del model, optimizer  # the "crash"

# --------------------------------------------------------------------------- resume in a fresh model and optimizer
model = Net()
optimizer = optim.Adam(model.parameters(), lr=0.01)
checkpoint = torch.load("checkpoint.tar", map_location="cpu")  # weights_only=True: plain data loads
model.load_state_dict(checkpoint["model_state_dict"])
optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
start_epoch, last_loss = checkpoint["epoch"] + 1, checkpoint["loss"]
# read before training on: PyTorch's optimizer keeps the loaded "step" tensor itself and counts on in it
RESULTS["checkpoint_adam_step"] = float(checkpoint["optimizer_state_dict"]["state"][0]["step"])
model.train()
for epoch in range(start_epoch, 6):
    losses.append(train_epoch(model, optimizer))
RESULTS["resumed_losses"] = losses
RESULTS["checkpoint_epoch"] = checkpoint["epoch"]
RESULTS["checkpoint_loss"] = last_loss
print(f"resumed at epoch {start_epoch}: losses {[round(v, 5) for v in losses]}")

# --------------------------------------------------------------------------- state_dict for inference
model.eval()
with torch.no_grad():
    expected = model(features[:8])
torch.save(model.state_dict(), "model_weights.pth")
inference_model = Net()
result = inference_model.load_state_dict(torch.load("model_weights.pth", weights_only=True))
inference_model.eval()
buffer = io.BytesIO()
torch.save(model.state_dict(), buffer)
buffer.seek(0)
buffered_model = Net()
buffered_model.load_state_dict(torch.load(buffer))
buffered_model.eval()
with torch.no_grad():
    RESULTS["inference_outputs"] = inference_model(features[:8]).flatten().tolist()
    RESULTS["inference_max_diff"] = (inference_model(features[:8]) - expected).abs().max().item()
    RESULTS["buffer_max_diff"] = (buffered_model(features[:8]) - expected).abs().max().item()
RESULTS["load_state_dict_result"] = str(result)
RESULTS["state_dict_keys"] = list(torch.load("model_weights.pth"))

# --------------------------------------------------------------------------- the whole model
torch.save(model, "model.pth")
try:
    torch.load("model.pth")  # weights_only=True: a pickled model is refused
    RESULTS["weights_only_refused"] = False
except pickle.UnpicklingError as error:
    RESULTS["weights_only_refused"] = True
    RESULTS["refusal_names_the_way_out"] = "weights_only" in str(error) and "safe_globals" in str(error)
whole = torch.load("model.pth", weights_only=False)
whole.eval()
with torch.serialization.safe_globals([Net, nn.Linear, nn.ReLU]):
    allowed = torch.load("model.pth")
allowed.eval()
with torch.no_grad():
    RESULTS["whole_model_outputs"] = whole(features[:8]).flatten().tolist()
    RESULTS["whole_model_max_diff"] = (whole(features[:8]) - expected).abs().max().item()
    RESULTS["allowlisted_max_diff"] = (allowed(features[:8]) - expected).abs().max().item()
RESULTS["whole_model_class"] = type(whole).__name__
RESULTS["whole_model_parameter_class"] = type(whole.fc1.weight).__name__
RESULTS["whole_model_training"] = whole.training
# the loaded model trains on: one more step from the reloaded weights
whole.train()
whole_optimizer = optim.SGD(whole.parameters(), lr=0.1)
whole_optimizer.zero_grad()
criterion(whole(features), labels).backward()
whole_optimizer.step()
with torch.no_grad():
    RESULTS["whole_model_after_step"] = criterion(whole(features), labels).item()
