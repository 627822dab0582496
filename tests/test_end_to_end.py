"""End to end: the same model code trained on tinynn and on PyTorch gives the same losses.

Each model is written once against the PyTorch API and built twice (``lib`` is ``tinynn`` or
``torch``). PyTorch's initial weights are copied into the tinynn model through ``state_dict``,
both train for a dozen steps on the same float64 batches, and the loss sequences must agree to
1e-6 relative: every layer, loss and optimizer on the path is exercised together.
"""
import numpy as np

import tinynn
from tests.helpers import needs_torch, torch

STEPS = 12


def build_cnn(lib):
    nn = lib.nn

    class SmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(4, 6, 3, stride=1), nn.ReLU(), nn.AdaptiveAvgPool2d((2, 2)),
            )
            self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.0), nn.Linear(24, 10))

        def forward(self, x):
            return self.head(self.features(x))

    return SmallCNN()


def build_bilstm(lib):
    nn = lib.nn

    class BiLSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(20, 8, padding_idx=0)
            self.lstm = nn.LSTM(8, 6, num_layers=2, batch_first=True, bidirectional=True)
            self.score = nn.Linear(12, 1)
            self.out = nn.Linear(12, 3)

        def forward(self, tokens):
            states, _ = self.lstm(self.embed(tokens))           # (N, L, 12)
            weights = self.score(states).softmax(dim=1)         # attention pooling over time
            return self.out((weights * states).sum(dim=1))

    return BiLSTMClassifier()


def build_gpt(lib, vocab=17, width=16, heads=2, layers=2, block=8):
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.qkv = nn.Linear(width, 3 * width, bias=False)
            self.proj = nn.Linear(width, width, bias=False)
            self.mlp = nn.Sequential(nn.Linear(width, 4 * width, bias=False), nn.GELU(approximate="tanh"),
                                     nn.Linear(4 * width, width, bias=False))

        def forward(self, x):
            n, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
            q, k, v = (z.view(n, t, heads, c // heads).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y.transpose(1, 2).reshape(n, t, c))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, width)
            self.pos = nn.Embedding(block, width)
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.ln = nn.LayerNorm(width)
            self.head = nn.Linear(width, vocab, bias=False)
            self.head.weight = self.tok.weight  # tied

        def forward(self, idx):
            x = self.tok(idx) + self.pos(lib.arange(idx.shape[1]))
            for block in self.blocks:
                x = block(x)
            return self.head(self.ln(x))

    return GPT()


def copy_weights(torch_model, tinynn_model):
    state = {k: v.detach().numpy() for k, v in torch_model.state_dict().items()}
    tinynn_model.load_state_dict(state)


def train(lib, model, optimizer, batches, loss_fn):
    losses = []
    for inputs, targets in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def run_both(build, make_optimizer, make_batches, loss_fn):
    torch.manual_seed(0)
    reference = build(torch).double()
    ours = build(tinynn).double()
    copy_weights(reference, ours)
    batches = make_batches()
    theirs = train(torch, reference, make_optimizer(torch, reference),
                   [tuple(torch.tensor(a) for a in b) for b in batches], loss_fn(torch))
    mine = train(tinynn, ours, make_optimizer(tinynn, ours),
                 [tuple(tinynn.tensor(a) for a in b) for b in batches], loss_fn(tinynn))
    np.testing.assert_allclose(mine, theirs, rtol=1e-6)
    # and it learned something: the batches cycle, so compare the same batches early and late
    assert np.mean(mine[-3:]) < np.mean(mine[:3])
    return mine


@needs_torch
def test_cnn_trains_like_pytorch():
    rng = np.random.default_rng(0)

    def batches():
        return [(rng.standard_normal((8, 1, 10, 10)), rng.integers(0, 10, 8)) for _ in range(3)] * (STEPS // 3)

    run_both(build_cnn,
             lambda lib, m: lib.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4),
             batches, lambda lib: lib.nn.CrossEntropyLoss(label_smoothing=0.1))


@needs_torch
def test_bidirectional_lstm_classifier_trains_like_pytorch():
    rng = np.random.default_rng(1)

    def batches():
        data = []
        for _ in range(3):
            tokens = rng.integers(1, 20, (6, 7))
            tokens[:, 5:] = 0  # padding tokens at the end
            data.append((tokens, rng.integers(0, 3, 6)))
        return data * (STEPS // 3)

    run_both(build_bilstm, lambda lib, m: lib.optim.Adam(m.parameters(), lr=1e-2),
             batches, lambda lib: lib.nn.CrossEntropyLoss())


@needs_torch
def test_small_gpt_trains_like_pytorch():
    rng = np.random.default_rng(2)

    def batches():
        data = []
        for _ in range(3):
            seq = rng.integers(0, 17, (4, 9))
            data.append((seq[:, :-1], seq[:, 1:]))
        return data * (STEPS // 3)

    def loss_fn(lib):
        return lambda logits, targets: lib.nn.functional.cross_entropy(logits.reshape(-1, 17), targets.reshape(-1))

    run_both(
        build_gpt,
        lambda lib, m: lib.optim.AdamW(m.parameters(), lr=3e-3, betas=(0.9, 0.99), weight_decay=0.1),
        batches, loss_fn,
    )
