"""The five benchmark workloads of PERFORMANCE.md, written once against the PyTorch API.

``make(name, lib)`` builds a workload for ``lib`` (``tinynn`` or ``torch``): the model, its
optimizer, a fixed synthetic batch and a ``step()`` doing forward + backward + update in float32.
"""
from __future__ import annotations

import numpy as np


class Workload:
    """One training step of one model, ready to be timed: ``workload.step()`` returns the loss."""

    def __init__(self, model, optimizer, loss_fn, inputs, targets):
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.inputs, self.targets = inputs, targets

    def step(self) -> float:
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(self.inputs), self.targets)
        loss.backward()
        self.optimizer.step()
        return loss


def _data(shape_in, n_classes, batch, seed=0, integer_inputs=None):
    rng = np.random.default_rng(seed)
    if integer_inputs is not None:
        x = rng.integers(0, integer_inputs, shape_in)
    else:
        x = rng.standard_normal(shape_in).astype(np.float32)
    y = rng.integers(0, n_classes, batch) if n_classes else rng.standard_normal((batch, 1)).astype(np.float32)
    return x, y


def tiny(lib):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
    x, y = _data((32, 2), 0, 32)
    return Workload(model, lib.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), lib.tensor(x), lib.tensor(y))


def mlp(lib, batch=128):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    x, y = _data((batch, 784), 10, batch)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return Workload(model, optimizer, nn.CrossEntropyLoss(), lib.tensor(x), lib.tensor(y))


def cnn(lib, batch=64):
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    x, y = _data((batch, 1, 28, 28), 10, batch)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return Workload(model, optimizer, nn.CrossEntropyLoss(), lib.tensor(x), lib.tensor(y))


def lstm(lib):
    nn = lib.nn

    class LastStep(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(64, 128, batch_first=True)
            self.head = nn.Linear(128, 10)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.head(h[-1])

    model = LastStep()
    x, y = _data((32, 50, 64), 10, 32)
    return Workload(model, lib.optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss(),
                    lib.tensor(x), lib.tensor(y))


def gpt(lib, layers=4, heads=4, width=128, block=64, vocab=65, batch=12):
    """nanoGPT's shape: pre-LN blocks, causal attention, tanh-GELU MLP, learned positions, tied head."""
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(width, bias=False)
            self.c_attn = nn.Linear(width, 3 * width, bias=False)
            self.c_proj = nn.Linear(width, width, bias=False)
            self.ln_2 = nn.LayerNorm(width, bias=False)
            self.c_fc = nn.Linear(width, 4 * width, bias=False)
            self.gelu = nn.GELU(approximate="tanh")
            self.mlp_proj = nn.Linear(4 * width, width, bias=False)

        def forward(self, x):
            n, t, c = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
            q, k, v = (z.view(n, t, heads, c // heads).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.c_proj(y.transpose(1, 2).contiguous().view(n, t, c))
            return x + self.mlp_proj(self.gelu(self.c_fc(self.ln_2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(vocab, width)
            self.wpe = nn.Embedding(block, width)
            self.h = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(width, bias=False)
            self.lm_head = nn.Linear(width, vocab, bias=False)
            self.lm_head.weight = self.wte.weight

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(lib.arange(idx.shape[1], device=idx.device))
            for b in self.h:
                x = b(x)
            return self.lm_head(self.ln_f(x))

    model = GPT()
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, vocab, (batch, block + 1))
    optimizer = lib.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)

    def loss_fn(logits, targets):
        return F.cross_entropy(logits.view(-1, vocab), targets.view(-1))

    return Workload(model, optimizer, loss_fn, lib.tensor(tokens[:, :-1]), lib.tensor(tokens[:, 1:]))


WORKLOADS = {"W_tiny": tiny, "W_mlp": mlp, "W_cnn": cnn, "W_lstm": lstm, "W_gpt": gpt}


def make(name: str, lib, **sizes) -> Workload:
    """Build workload ``name`` for ``lib``; ``sizes`` override its defaults (e.g. ``batch=4096``)."""
    if name not in WORKLOADS:
        raise KeyError(f"unknown workload {name!r}; choose from {sorted(WORKLOADS)}")
    lib.manual_seed(0)
    return WORKLOADS[name](lib, **sizes)


def to_device(workload: Workload, device: str) -> Workload:
    """Move a built workload's model and batch to ``device`` (the optimizer holds the same parameters)."""
    workload.model.to(device)
    workload.inputs, workload.targets = workload.inputs.to(device), workload.targets.to(device)
    return workload
