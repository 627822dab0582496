"""The characters milestones 3 and 4 learn from (the generated fable corpus, no download, split 90/10),
and their training loop."""
from __future__ import annotations

import math

import numpy as np

import tinynn
from tinynn.datasets import load_char_corpus
from tinynn.datasets.text import CharTokenizer


class CharData:
    """Train/validation id arrays of the fable corpus and random (batch, block) windows from them."""

    def __init__(self, n_chars: int = 60_000, seed: int = 0):
        text = load_char_corpus("fables", download=False, n_chars=n_chars)
        self.tokenizer = CharTokenizer(text)
        ids = np.array(self.tokenizer.encode(text), dtype=np.int64)
        cut = int(0.9 * len(ids))
        self.train, self.val = ids[:cut], ids[cut:]
        self.rng = np.random.default_rng(seed)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    def batch(self, split: str, batch_size: int, block: int):
        """(inputs, targets): int64 (batch, block), targets the inputs shifted by one character."""
        data = self.train if split == "train" else self.val
        starts = self.rng.integers(0, len(data) - block - 1, batch_size)
        x = np.stack([data[s:s + block] for s in starts])
        y = np.stack([data[s + 1:s + block + 1] for s in starts])
        return tinynn.tensor(x), tinynn.tensor(y)


def train_language_model(model, data: CharData, parts, lr: float, steps: int, batch: int, block: int,
                         log=print) -> dict:
    """Train ``model`` (its ``loss(x, y)`` and ``parameters()``) with the student's Adam and backward walk.

    Returns the held-out loss (nats per character, the mean over 4 validation batches) before and after.
    """
    optimizer = parts["adam"].Adam(model.parameters(), lr=lr)
    engine, unbroadcast = parts["engine"], parts["unbroadcast"].unbroadcast

    def held_out() -> float:
        with tinynn.no_grad():
            return sum(model.loss(*data.batch("val", batch, block)).item() for _ in range(4)) / 4

    first = held_out()
    log(f"  untrained: held-out loss {first:.3f} (log of the vocabulary: {math.log(data.vocab_size):.3f})")
    for step in range(1, steps + 1):
        loss = model.loss(*data.batch("train", batch, block))
        optimizer.zero_grad()
        engine.backward(loss, unbroadcast=unbroadcast)
        optimizer.step()
        if step % 100 == 0 or step == steps:
            log(f"  step {step:4d}: training loss {loss.item():.3f}")
    return {"held-out loss (nats/char)": held_out(), "initial_loss": first, "steps": steps}
