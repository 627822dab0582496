"""Milestone 3: a character-level LSTM language model, built on the student's LSTM cell.

Embedding (64) -> the student's lstm_cell unrolled over 48 characters (hidden 128) -> the student's
Linear to the vocabulary; the student's softmax cross-entropy, Adam and backward walk. The loss
starts at log(vocabulary size) (every character equally likely) and must fall below the target on
held-out text.
"""
from __future__ import annotations

import math

import tinynn
from .text_data import CharData, train_language_model

TITLE = "a character-level LSTM language model with your LSTM cell"
PARTS = ["unbroadcast", "engine", "lstm_cell", "linear", "cross_entropy", "adam"]
TARGET = ("held-out loss (nats/char)", 1.0, False)   # log(vocabulary) = 3.7 untrained

EMBED, HIDDEN, BLOCK, BATCH = 48, 128, 32, 32


class _Model:
    def __init__(self, parts, vocab: int):
        tinynn.manual_seed(0)
        self.parts = parts
        bound = 1 / math.sqrt(HIDDEN)

        def uniform(*shape):
            return (tinynn.rand(*shape) * 2 * bound - bound).requires_grad_(True)

        self.embedding = tinynn.randn(vocab, EMBED).requires_grad_(True)
        self.weight_ih, self.weight_hh = uniform(4 * HIDDEN, EMBED), uniform(4 * HIDDEN, HIDDEN)
        self.bias_ih, self.bias_hh = uniform(4 * HIDDEN), uniform(4 * HIDDEN)
        self.out_w, self.out_b = uniform(vocab, HIDDEN), uniform(vocab)

    def parameters(self):
        return [self.embedding, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.out_w, self.out_b]

    def loss(self, x, y):
        """The mean cross-entropy of predicting every next character of the (batch, block) windows."""
        p = self.parts
        n, t = x.shape
        h = c = tinynn.zeros(n, HIDDEN)
        emb = self.embedding[x]                                   # (n, t, EMBED)
        outputs = []
        for step in range(t):
            h, c = p["lstm_cell"].lstm_cell(emb[:, step], h, c, self.weight_ih, self.weight_hh,
                                            self.bias_ih, self.bias_hh)
            outputs.append(h)
        hidden = tinynn.stack(outputs, dim=1).reshape(n * t, HIDDEN)
        logits = p["linear"].LinearFunction.apply(hidden, self.out_w, self.out_b)
        return p["cross_entropy"].SoftmaxCrossEntropy.apply(logits, y.reshape(-1))


def run(parts, log=print, quick: bool = True) -> dict:
    data = CharData()
    model = _Model(parts, data.vocab_size)
    return train_language_model(model, data, parts, lr=5e-3, steps=300 if quick else 1500, batch=BATCH,
                                block=BLOCK, log=log)
