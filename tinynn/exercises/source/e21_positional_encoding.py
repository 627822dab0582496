"""Exercise 21: positional encodings, the sinusoidal table and a learned one.

Self-attention sees its input as a set: shuffle the tokens and its outputs are shuffled the same
way, nothing else changes. To know where each token stands, a transformer adds a vector that
depends on the position to each token's embedding, x[:, pos] + PE[pos].

**Sinusoidal** (Vaswani et al. 2017): a fixed table, nothing to learn. Column pair (2i, 2i + 1)
holds one wave of frequency w_i = 1 / 10000^(2i / d), as a sine and a cosine:

    PE[pos, 2i]     = sin(pos / 10000^(2i / d))          pos = 0, 1, ..., length - 1
    PE[pos, 2i + 1] = cos(pos / 10000^(2i / d))          d = d_model;  i = 0, 1, ..., ceil(d/2) - 1

Both columns of a pair use the same exponent 2i / d (the even column's index), and the columns
interleave: sin, cos, sin, cos, ... The first pair turns fastest (w_0 = 1 radian per position),
the last slowest (wavelengths grow geometrically up to about 10000 * 2 pi). When d is odd the last
column is a sine whose cosine partner would fall outside the table: drop that cosine.

Worked example, d = 4 (frequencies 1 and 1/100):

    PE[0] = [sin 0, cos 0, sin 0, cos 0]             = [0, 1, 0, 1]
    PE[1] = [sin 1, cos 1, sin 0.01, cos 0.01]       = [0.841471, 0.540302, 0.0099998, 0.99995]

What makes the table useful: every value lies in [-1, 1] (it never swamps the embedding), no two
positions share a row, and since sin a sin b + cos a cos b = cos(a - b), the dot product
PE[p] . PE[q] depends only on the offset p - q, so "three tokens back" looks the same everywhere.

**Learned**: a (max_length, d) parameter whose row pos is trained like any weight, as in GPT-2.
It can only encode positions it has rows for.

You write:
  1. ``sinusoidal_encoding(length, d_model)``: the (length, d_model) table as a tinynn Tensor of the
     default float dtype (float32), for any length >= 0 and d_model >= 1, odd included. One way:
     ``tinynn.arange(length).float()`` as a column times the frequencies of ``tinynn.arange(0, d, 2)``
     gives the (length, ceil(d/2)) angles; write their ``.sin()`` into columns 0::2 and the
     ``.cos()`` of the first d // 2 of them into columns 1::2 of ``tinynn.zeros(length, d_model)``.
  2. ``LearnedPositionalEncoding(max_length, d_model)``: an ``nn.Module`` whose ``__init__`` makes
     the parameter ``self.weight = nn.Parameter(...)`` of shape (max_length, d_model), drawn from
     a normal distribution with mean 0 and std 0.02, and whose ``forward(x)`` takes x (N, L, d_model)
     and returns x + weight[:L] (the first L rows, broadcast over the batch). A sequence longer than
     max_length has no rows: raise ValueError saying so.

The grader compares the table with the formula (odd d_model, one position, one column, an empty
table), checks its properties (bounded, distinct rows, dot products that depend only on the
offset), and checks the learned module's parameter, output, gradients and its error.
"""
from __future__ import annotations

import tinynn
import tinynn.nn as nn

LESSON = 13
FORBIDDEN = []   # tinynn has no positional-encoding helper that would do this for you
PARTS = {"positional_encoding": "sinusoidal_encoding"}


def sinusoidal_encoding(length: int, d_model: int) -> tinynn.Tensor:
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d)).  -> (length, d_model)."""
    # >>> solution
    position = tinynn.arange(length).float().unsqueeze(1)            # (length, 1)
    two_i = tinynn.arange(0, d_model, 2).float()                     # the even columns 2i: (ceil(d/2),)
    frequency = 1.0 / 10000.0 ** (two_i / d_model)                   # (ceil(d/2),)
    angles = position * frequency                                    # (length, ceil(d/2))
    table = tinynn.zeros(length, d_model)
    table[:, 0::2] = angles.sin()
    table[:, 1::2] = angles[:, : d_model // 2].cos()                 # odd d: the last sine has no cosine
    return table
    # <<< solution


class LearnedPositionalEncoding(nn.Module):
    """x + weight[:L], with a trained weight (max_length, d_model).  x: (N, L, d_model) -> (N, L, d_model)."""

    def __init__(self, max_length: int, d_model: int):
        super().__init__()
        # >>> solution
        self.max_length = max_length
        self.weight = nn.Parameter(tinynn.randn(max_length, d_model) * 0.02)
        # <<< solution

    def forward(self, x: tinynn.Tensor) -> tinynn.Tensor:
        """Add row pos of the weight to every token at position pos."""
        # >>> solution
        length = x.shape[1]
        if length > self.max_length:
            raise ValueError(f"a sequence of length {length} is longer than max_length={self.max_length}")
        return x + self.weight[:length]
        # <<< solution
