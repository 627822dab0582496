"""Split tensors into a training and a held-out part, by rows (scikit-learn's ``train_test_split``).

For Dataset objects use ``tinynn.utils.data.random_split``; this helper works on tensors directly:

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
"""
from __future__ import annotations

import numpy as np

from ..random import Generator
from ..tensor import Tensor
from ._seeding import make_rng

__all__ = ["train_test_split"]


def _test_count(n: int, test_size: float | int) -> int:
    if isinstance(test_size, float):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"train_test_split: a fractional test_size must be in (0, 1), got {test_size}")
        return int(np.ceil(test_size * n))
    if not 0 < test_size < n:
        raise ValueError(f"train_test_split: test_size must be between 1 and {n - 1} rows, got {test_size}")
    return int(test_size)


def train_test_split(*tensors: Tensor, test_size: float | int = 0.25, shuffle: bool = True,
                     stratify: Tensor | None = None, seed: int | None = None,
                     generator: Generator | None = None) -> list[Tensor]:
    """Split each tensor's rows (first dimension) the same way; returns [a_train, a_test, b_train, b_test, ...].

    test_size: a fraction of the rows (rounded up) or a number of rows.
    shuffle: pick the test rows at random (seeded as in _seeding.py); False takes the last rows.
    stratify: class labels (N,); the test part then holds each class in the same proportion
        (per class, round(fraction * count) rows), as far as rounding allows.
    """
    if not tensors:
        raise ValueError("train_test_split: needs at least one tensor")
    n = tensors[0].shape[0]
    for t in tensors:
        if t.shape[0] != n:
            raise ValueError(f"train_test_split: all tensors need the same first dimension, got "
                             f"{[tuple(t.shape) for t in tensors]}")
    n_test = _test_count(n, test_size)
    if stratify is not None:
        if not shuffle:
            raise ValueError("train_test_split: stratify needs shuffle=True")
        rng = make_rng(seed, generator, "train_test_split")
        labels = stratify.numpy() if isinstance(stratify, Tensor) else np.asarray(stratify)
        test = []
        for value in np.unique(labels):
            members = rng.permutation(np.flatnonzero(labels == value))
            test.append(members[: int(round(n_test / n * len(members)))])
        test_idx = np.sort(np.concatenate(test))
    elif shuffle:
        rng = make_rng(seed, generator, "train_test_split")
        test_idx = np.sort(rng.permutation(n)[:n_test])
    else:
        test_idx = np.arange(n - n_test, n)
    train_idx = np.setdiff1d(np.arange(n), test_idx)
    out = []
    for t in tensors:
        out += [t[train_idx], t[test_idx]]
    return out
