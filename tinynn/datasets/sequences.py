"""Sequence tasks for recurrent networks and attention, each with a known right answer.

    copy_task(n, length, vocab_size)       src (N, T) int64 tokens; target = src
    reverse_task(n, length, vocab_size)    src (N, T); target = src reversed in time
    adding_problem(n, length)              x (N, T, 2) float32; y (N,) float32 = sum of the 2 marked values
    parity(n, length)                      x (N, T, 1) float32 bits; y (N,) int64 = number of ones mod 2
    variable_length_parity(n, min, max)    the same, zero-padded, plus lengths (N,) int64
    sine_wave(n, length)                   x (N, T, 1) float32 sine pieces; y (N, T, 1) the next value

Copy and reverse are the attention lesson's tasks: output position t must look at input position
t (copy) or T-1-t (reverse), so the attention map has a known diagonal or anti-diagonal. Tokens
are drawn from 1..vocab_size-1; token 0 never occurs, so a model may use it for padding or as a
start-of-sequence token. The adding problem and parity need memory across the whole sequence:
the long-dependency tasks on which an LSTM beats a plain RNN. Seeding as in _seeding.py.
"""
from __future__ import annotations

import math

import numpy as np

from ..creation import from_numpy
from ..random import Generator
from ..tensor import Tensor
from ._seeding import check_positive, make_rng

__all__ = ["copy_task", "reverse_task", "adding_problem", "parity", "variable_length_parity", "sine_wave"]


def _tokens(who: str, n_samples: int, length: int, vocab_size: int, seed, generator) -> np.ndarray:
    check_positive(who, n_samples=n_samples, length=length)
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) or vocab_size < 2:
        raise ValueError(f"{who}: vocab_size must be an integer >= 2 (token 0 is kept free), got {vocab_size!r}")
    rng = make_rng(seed, generator, who)
    return rng.integers(1, vocab_size, size=(n_samples, length), dtype=np.int64)


def copy_task(n_samples: int = 1000, length: int = 8, vocab_size: int = 10, seed: int | None = None,
              generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Random token sequences and themselves: (src (N, T), target (N, T)), int64 in 1..vocab_size-1."""
    src = _tokens("copy_task", n_samples, length, vocab_size, seed, generator)
    return from_numpy(src), from_numpy(src.copy())


def reverse_task(n_samples: int = 1000, length: int = 8, vocab_size: int = 10, seed: int | None = None,
                 generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Random token sequences and their reversal: target[:, t] = src[:, T - 1 - t]."""
    src = _tokens("reverse_task", n_samples, length, vocab_size, seed, generator)
    return from_numpy(src), from_numpy(np.ascontiguousarray(src[:, ::-1]))


def adding_problem(n_samples: int = 1000, length: int = 50, seed: int | None = None,
                   generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Hochreiter and Schmidhuber's adding problem: remember two numbers across a long sequence.

    x[:, t, 0] are uniform numbers in [0, 1); x[:, t, 1] marks exactly two positions with 1, one in
    the first half of the sequence and one in the second. The target is the sum of the two marked
    numbers. Always answering 1 (the mean) scores a mean squared error of 1/6 (the variance of a
    sum of two uniforms, 2/12); a model beats that only by carrying the first number to the end.
    Returns x (N, T, 2) float32 and y (N,) float32. length >= 2.
    """
    check_positive("adding_problem", n_samples=n_samples, length=length)
    if length < 2:
        raise ValueError(f"adding_problem: length must be at least 2 (two marked positions), got {length}")
    rng = make_rng(seed, generator, "adding_problem")
    values = rng.random((n_samples, length))
    half = length // 2
    first = rng.integers(0, half, size=n_samples)
    second = rng.integers(half, length, size=n_samples)
    markers = np.zeros((n_samples, length))
    rows = np.arange(n_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    target = values[rows, first] + values[rows, second]
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    return from_numpy(x), from_numpy(target.astype(np.float32))


def _balanced_bits(rng: np.random.Generator, n_samples: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Bit strings (N, T) with exactly balanced parities, each uniform among strings of its parity.

    Half the samples are assigned parity 0 and half parity 1 (shuffled). A uniformly random string
    whose parity is wrong gets one uniformly chosen bit flipped: every string of the wanted parity
    is then reached with the same probability, so the bits carry no hint beyond their parity.
    """
    wanted = np.arange(n_samples) % 2
    rng.shuffle(wanted)
    bits = rng.integers(0, 2, size=(n_samples, length))
    wrong = np.flatnonzero(bits.sum(axis=1) % 2 != wanted)
    bits[wrong, rng.integers(0, length, size=len(wrong))] ^= 1
    return bits, wanted


def parity(n_samples: int = 1000, length: int = 8, seed: int | None = None,
           generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Random bit strings and whether they hold an odd number of ones.

    Returns x (N, T, 1) float32 in {0, 1} (batch_first input for an RNN with input_size=1) and
    y (N,) int64 = sum(bits) mod 2, with the two classes exactly balanced (to one sample). Every
    bit matters: flipping any one flips the answer, so the model must use the whole sequence.
    """
    check_positive("parity", n_samples=n_samples, length=length)
    rng = make_rng(seed, generator, "parity")
    bits, labels = _balanced_bits(rng, n_samples, length)
    return from_numpy(bits[:, :, None].astype(np.float32)), from_numpy(labels.astype(np.int64))


def variable_length_parity(n_samples: int = 1000, min_length: int = 2, max_length: int = 12,
                           seed: int | None = None, generator: Generator | None = None
                           ) -> tuple[Tensor, Tensor, Tensor]:
    """Parity of bit strings of different lengths, zero-padded at the end to max_length.

    Returns x (N, max_length, 1) float32, y (N,) int64 and lengths (N,) int64 in
    [min_length, max_length]. The padding zeros do not change the parity, but a model should still
    ignore them (pack_padded_sequence, or a mask built from ``lengths``).
    """
    check_positive("variable_length_parity", n_samples=n_samples, min_length=min_length, max_length=max_length)
    if min_length > max_length:
        raise ValueError(f"variable_length_parity: min_length ({min_length}) > max_length ({max_length})")
    rng = make_rng(seed, generator, "variable_length_parity")
    lengths = rng.integers(min_length, max_length + 1, size=n_samples)
    bits = np.zeros((n_samples, max_length), dtype=np.int64)
    labels = np.zeros(n_samples, dtype=np.int64)
    for length in np.unique(lengths):  # balance the parities within each length
        rows = np.flatnonzero(lengths == length)
        bits[rows, :length], labels[rows] = _balanced_bits(rng, len(rows), int(length))
    return (from_numpy(bits[:, :, None].astype(np.float32)), from_numpy(labels),
            from_numpy(lengths.astype(np.int64)))


def sine_wave(n_samples: int = 500, length: int = 50, noise: float = 0.0, seed: int | None = None,
              generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Next-value prediction on sine waves of random frequency and phase.

    Sequence i samples s_i(t) = sin(w_i * t * dt + phase_i), w uniform in [1, 3], phase uniform in
    [0, 2*pi), dt = 0.1, for t = 0..T (one step more than returned). The input is s(0..T-1) plus
    Gaussian noise of standard deviation ``noise``; the target is the clean s(1..T), the next value
    at each step. Returns x (N, T, 1) and y (N, T, 1), float32.
    """
    check_positive("sine_wave", n_samples=n_samples, length=length)
    rng = make_rng(seed, generator, "sine_wave")
    omega = rng.uniform(1.0, 3.0, size=(n_samples, 1))
    phase = rng.uniform(0.0, 2 * math.pi, size=(n_samples, 1))
    t = 0.1 * np.arange(length + 1)
    wave = np.sin(omega * t + phase)
    x = wave[:, :-1] + noise * rng.standard_normal((n_samples, length))
    y = wave[:, 1:]
    return from_numpy(x[:, :, None].astype(np.float32)), from_numpy(y[:, :, None].astype(np.float32))
