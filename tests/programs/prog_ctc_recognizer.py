"""A small speech-recognition style model trained with CTC, written as a PyTorch tutorial would:
lazy layers (LazyConv1d, LazyLinear, LazyBatchNorm1d) whose sizes come from the data, a checkpoint
loaded into the lazy model before its first call, nn.CTCLoss over log_softmax outputs with padded
targets and per-sample input lengths, Adam, gradient clipping, and greedy CTC decoding.
The "audio" is synthetic: each label is a short burst of a class-specific feature pattern."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(0)
NUM_CLASSES, FEATURES, STEPS, BATCH = 5, 6, 24, 8          # class 0 is the CTC blank
PATTERNS = rng.standard_normal((NUM_CLASSES, FEATURES))


def make_batch(seed):
    g = np.random.default_rng(seed)
    lengths = g.integers(2, 5, BATCH)
    targets = np.zeros((BATCH, 4), dtype=np.int64)
    x = 0.3 * g.standard_normal((BATCH, FEATURES, STEPS))
    input_lengths = np.zeros(BATCH, dtype=np.int64)
    for n, length in enumerate(lengths):
        labels = g.integers(1, NUM_CLASSES, length)
        targets[n, :length] = labels
        t = 0
        for label in labels:
            t += g.integers(1, 3)                     # a gap (blank) of 1-2 steps
            width = g.integers(2, 4)
            x[n, :, t:t + width] += PATTERNS[label][:, None]
            t += width
        input_lengths[n] = min(STEPS, t + 2)
    return (torch.from_numpy(x), torch.from_numpy(targets), torch.from_numpy(input_lengths),
            torch.from_numpy(lengths.astype(np.int64)))


class Recognizer(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.LazyConv1d(16, kernel_size=3, padding=1)
        self.norm = nn.LazyBatchNorm1d()
        self.conv2 = nn.Conv1d(16, 16, kernel_size=3, padding=2, dilation=2)
        self.head = nn.LazyLinear(NUM_CLASSES)

    def forward(self, x):                               # x: (N, F, T)
        h = F.relu(self.norm(self.conv1(x)))
        h = F.relu(self.conv2(h)) + h
        logits = self.head(h.transpose(1, 2))           # (N, T, C)
        return logits.log_softmax(dim=-1).transpose(0, 1)   # (T, N, C), as CTCLoss wants


def greedy_decode(log_probs, input_lengths):
    best = log_probs.argmax(dim=-1).transpose(0, 1)     # (N, T)
    out = []
    for row, length in zip(best.tolist(), input_lengths.tolist()):
        labels, previous = [], 0
        for c in row[:length]:
            if c != previous and c != 0:
                labels.append(c)
            previous = c
        out.append(labels)
    return out


model = Recognizer()
shapes = {"conv1.weight": (16, FEATURES, 3), "conv1.bias": (16,), "norm.weight": (16,), "norm.bias": (16,),
          "norm.running_mean": (16,), "norm.running_var": (16,), "conv2.weight": (16, 16, 3), "conv2.bias": (16,),
          "head.weight": (NUM_CLASSES, 16), "head.bias": (NUM_CLASSES,)}
checkpoint = {k: torch.from_numpy(0.3 * rng.standard_normal(s)) for k, s in shapes.items()}
checkpoint["norm.running_var"] = torch.ones(16)
checkpoint["norm.num_batches_tracked"] = torch.tensor(0)
model.load_state_dict(checkpoint)
lazy_after_load = type(model.conv1).__name__

ctc = nn.CTCLoss(blank=0, zero_infinity=True)
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
losses = []
for step in range(30):
    x, targets, input_lengths, target_lengths = make_batch(step % 6)
    log_probs = model(x)
    loss = ctc(log_probs, targets, input_lengths, target_lengths)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    optimizer.step()
    losses.append(loss.item())

model.eval()
x, targets, input_lengths, target_lengths = make_batch(100)
with torch.no_grad():
    log_probs = model(x)
    per_sample = F.ctc_loss(log_probs, targets, input_lengths, target_lengths, reduction="none")
decoded = greedy_decode(log_probs, input_lengths)
truth = [row[:n] for row, n in zip(targets.tolist(), target_lengths.tolist())]
RESULTS = {
    "losses": losses,
    "eval_losses": per_sample.tolist(),
    "exact": sum(d == t for d, t in zip(decoded, truth)),
    "lazy_after_load": lazy_after_load == "LazyConv1d",
    "classes_after_forward": [type(m).__name__ for m in (model.conv1, model.norm, model.head)],
}
print(RESULTS)
