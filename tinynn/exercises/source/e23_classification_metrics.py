"""Exercise 23: classification metrics (confusion matrix, precision, recall, F1) and padded text batches.

How a classifier is right and wrong, and the text side of lesson 14: a vocabulary, padded batches
of ids, and a mean over a sentence's vectors that skips the padding.

**The confusion matrix** of C classes counts, for every example, its (true, predicted) pair:

    M[i, j] = the number of examples of true class i predicted as class j        M: (C, C) int64

Rows are the truth, columns the prediction (scikit-learn's layout): the diagonal holds the correct
answers, row i sums to the number of examples of class i, column j to the number predicted j.
For class c:  TP = M[c, c],  FP = column c minus TP,  FN = row c minus TP, and

    precision_c = TP / (TP + FP)     of the examples predicted c, the fraction that are c
    recall_c    = TP / (TP + FN)     of the examples of class c, the fraction that were found
    F1_c        = 2 precision_c recall_c / (precision_c + recall_c)       (their harmonic mean)
    accuracy    = trace(M) / sum(M)
    macro F1    = the mean over all C classes of F1_c (every class counts the same, however rare;
                  it is not the F1 of the mean precision and mean recall)

A ratio whose denominator is 0 (class c never predicted: precision; never present: recall;
precision + recall = 0: F1) is defined as 0, scikit-learn's ``zero_division=0`` rule: a class the
model never names earns no credit. Never let a 0/0 become NaN.

Worked example: y_true = [0, 0, 1, 1, 1, 2], y_pred = [0, 1, 1, 1, 0, 1], C = 3:

    M = [[1, 1, 0],      precision = [1/2, 2/4, 0 (0/0)]   recall = [1/2, 2/3, 0/1]
         [1, 2, 0],      F1 = [0.5, 0.571429, 0]           accuracy = 3/6, macro F1 = 0.357143
         [0, 1, 0]]

**Text to ids.** A vocabulary lists the known tokens; a token's id is its position. Ids 0 and 1 are
special: "<pad>" fills the end of shorter sentences, "<unk>" stands for any token not in the
vocabulary (seen only at test time, or too rare). The rest are the training tokens seen at least
``min_freq`` times, most frequent first, ties in alphabetical order; ``max_size`` (if given) caps the
whole list, the two specials included. ``encode_batch`` turns N token lists into one rectangular
(N, L) int64 array: ids, cut to ``max_length`` if given, padded with 0 to L = max_length or else the
longest list's length; plus ``lengths`` (N,), each list's length after cutting.

**A mean over the real tokens.** With vectors (N, L, D) for a padded batch, the sentence vector is
the mean of its first lengths[n] vectors only (padding must not dilute it):

    mean[n] = sum_{t < lengths[n]} vectors[n, t] / lengths[n]      (a zero vector when lengths[n] = 0)

Write it with tinynn Tensor operations (a 0/1 mask from ``tinynn.arange(L)`` compared with the
lengths, multiply, ``sum``, divide by the lengths clamped to at least 1), so autograd gives its
gradient: 1 / lengths[n] at the real positions, 0 at the padding.

The metrics take 1-D NumPy int arrays and return NumPy arrays (the matrix int64, the rest float64) or
floats. The grader checks them against hand-computed matrices, ``tinynn.metrics``, and edge cases
(classes never predicted or never present, one example, more classes than labels seen).
"""
from __future__ import annotations

from collections import Counter

import numpy as np

import tinynn

LESSON = 14
FORBIDDEN = ["tinynn.metrics.confusion_matrix", "tinynn.metrics.precision_recall_f1", "tinynn.metrics.accuracy",
             "tinynn.datasets.WordTokenizer", "tinynn.datasets.text.WordTokenizer"]

PAD, UNK = "<pad>", "<unk>"


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """M[i, j] = #examples with true class i predicted j.  y_true, y_pred: (N,) ints -> (C, C) int64."""
    # >>> solution
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    for true, pred in zip(y_true, y_pred):
        matrix[true, pred] += 1
    return matrix
    # <<< solution


def precision_recall_f1(matrix: np.ndarray) -> tuple:
    """Per-class (precision, recall, f1), each (C,) float64, 0 where a denominator is 0."""
    # >>> solution
    true_positives = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0)           # column sums: how often each class was predicted
    actual = matrix.sum(axis=1)              # row sums: how often each class occurs
    precision = np.divide(true_positives, predicted, out=np.zeros(len(matrix)), where=predicted > 0)
    recall = np.divide(true_positives, actual, out=np.zeros(len(matrix)), where=actual > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros(len(matrix)), where=both > 0)
    return precision, recall, f1
    # <<< solution


def accuracy(matrix: np.ndarray) -> float:
    """The fraction of examples on the diagonal: trace(M) / sum(M)."""
    # >>> solution
    return float(np.trace(matrix) / matrix.sum())
    # <<< solution


def macro_f1(matrix: np.ndarray) -> float:
    """The unweighted mean of the C per-class F1 scores."""
    # >>> solution
    return float(precision_recall_f1(matrix)[2].mean())
    # <<< solution


def build_vocabulary(token_lists: list, min_freq: int = 1, max_size: int | None = None) -> list:
    """["<pad>", "<unk>", tokens seen >= min_freq times, most frequent first, ties A-Z][:max_size]."""
    # >>> solution
    counts = Counter(token for tokens in token_lists for token in tokens)
    kept = sorted((token for token, count in counts.items() if count >= min_freq),
                  key=lambda token: (-counts[token], token))
    vocabulary = [PAD, UNK] + kept
    return vocabulary if max_size is None else vocabulary[:max(max_size, 2)]
    # <<< solution


def encode_batch(token_lists: list, vocabulary: list, max_length: int | None = None) -> tuple:
    """(ids (N, L) int64 padded with 0, unknown tokens 1; lengths (N,) int64), lists cut to max_length."""
    # >>> solution
    index = {token: i for i, token in enumerate(vocabulary)}
    rows = [[index.get(token, 1) for token in tokens] for tokens in token_lists]
    if max_length is not None:
        rows = [row[:max_length] for row in rows]
    lengths = np.array([len(row) for row in rows], dtype=np.int64)
    width = max_length if max_length is not None else int(lengths.max(initial=0))
    ids = np.zeros((len(rows), width), dtype=np.int64)
    for n, row in enumerate(rows):
        ids[n, :len(row)] = row
    return ids, lengths
    # <<< solution


def masked_mean(vectors: tinynn.Tensor, lengths: tinynn.Tensor) -> tinynn.Tensor:
    """The mean of each row's first lengths[n] vectors.  vectors: (N, L, D), lengths: (N,) int64 -> (N, D)."""
    # >>> solution
    n, length, _ = vectors.shape
    real = (tinynn.arange(length).reshape(1, length) < lengths.reshape(n, 1)).to(vectors.dtype)   # (N, L)
    total = (vectors * real.reshape(n, length, 1)).sum(dim=1)                                      # (N, D)
    return total / lengths.clamp(min=1).to(vectors.dtype).reshape(n, 1)
    # <<< solution
