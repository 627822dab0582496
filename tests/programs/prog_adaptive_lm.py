"""A small word-level language model with a LLaMA-style block and an adaptive softmax head, the way
language-model examples combine them: token embeddings of a context window, pre-norm residual MLP
blocks with ``nn.RMSNorm`` and a SwiGLU feed-forward (F.silu(w1 x) * w3 x -> w2), a final RMSNorm,
and ``nn.AdaptiveLogSoftmaxWithLoss`` over a Zipf-distributed vocabulary (frequent words in the
head's shortlist, rare ones in two tail clusters). Trained with AdamW; ``log_prob`` gives the full
next-word distribution and ``predict`` the most likely word.

Weights and data come from NumPy and everything is float64, so both engines compute the same numbers.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)

VOCAB, CONTEXT, DIM, HIDDEN, LAYERS, BATCH, STEPS = 60, 4, 32, 48, 2, 32, 30
CUTOFFS = [8, 24]

# --------------------------------------------------------------------------- data: a Zipf-ish Markov chain
frequency = 1.0 / np.arange(1, VOCAB + 1)
transition = rng.dirichlet(frequency * 4, size=VOCAB)     # each word prefers a few successors
tokens = [0]
for _ in range(3000):
    tokens.append(rng.choice(VOCAB, p=transition[tokens[-1]]))
tokens = np.array(tokens)


def batch(step):
    starts = np.random.default_rng(step).integers(0, len(tokens) - CONTEXT - 1, BATCH)
    x = np.stack([tokens[s:s + CONTEXT] for s in starts])
    return torch.from_numpy(x), torch.from_numpy(tokens[starts + CONTEXT])


# --------------------------------------------------------------------------- model
class FeedForward(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.norm = nn.RMSNorm(dim, eps=1e-6)
        self.feed_forward = FeedForward(dim, hidden)

    def forward(self, x):
        return x + self.feed_forward(self.norm(x))


class LanguageModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.mix = nn.Linear(CONTEXT * DIM, DIM, bias=False)
        self.layers = nn.ModuleList([Block(DIM, HIDDEN) for _ in range(LAYERS)])
        self.norm = nn.RMSNorm(DIM)
        self.out = nn.AdaptiveLogSoftmaxWithLoss(DIM, VOCAB, CUTOFFS, div_value=2.0, head_bias=True)

    def features(self, context):
        h = self.mix(self.embed(context).flatten(1))
        for layer in self.layers:
            h = layer(h)
        return self.norm(h)

    def forward(self, context, target):
        return self.out(self.features(context), target)


model = LanguageModel()
state = {}
for name, p in model.state_dict().items():
    fan_in = p.shape[1] if p.dim() == 2 else 1
    if name.endswith("norm.weight"):
        state[name] = torch.from_numpy(rng.uniform(0.8, 1.2, tuple(p.shape)))
    elif name == "embed.weight":
        state[name] = torch.from_numpy(rng.standard_normal(tuple(p.shape)))
    else:
        state[name] = torch.from_numpy(rng.standard_normal(tuple(p.shape)) / math.sqrt(fan_in))
model.load_state_dict(state)
RESULTS["parameter_names"] = sorted(name for name, _ in model.named_parameters())
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)

losses = []
for step in range(STEPS):
    context, target = batch(step)
    output, loss = model(context, target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
RESULTS["losses"] = losses
RESULTS["first_output"] = output[:4].tolist()

model.eval()
with torch.no_grad():
    context, target = batch(1000)
    features = model.features(context)
    log_prob = model.out.log_prob(features)
    RESULTS["held_out_loss"] = model(context, target).loss.item()
    RESULTS["log_prob_row"] = log_prob[0].tolist()
    RESULTS["probability_sums"] = log_prob.exp().sum(1).tolist()
    RESULTS["predict"] = model.out.predict(features).tolist()
    RESULTS["argmax"] = log_prob.argmax(1).tolist()
    RESULTS["unigram_loss"] = -np.log(np.bincount(tokens, minlength=VOCAB)[target.numpy()] / len(tokens)).mean()
