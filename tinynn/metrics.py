"""Classification metrics: how often a classifier is right, and how it is wrong.

Every function takes the true labels first and the predicted labels second (scikit-learn's order,
``y_true, y_pred``), each a 1-D tinynn tensor, NumPy array or list of integer class ids
0 .. C-1, and returns plain Python floats (the confusion matrix: a NumPy int64 array).

For two classes, call class 1 "positive" and count the four outcomes:

    TP  true positives    predicted 1, truly 1        FP  false positives   predicted 1, truly 0
    FN  false negatives   predicted 0, truly 1        TN  true negatives    predicted 0, truly 0

    accuracy  = (TP + TN) / N                    the fraction right
    precision = TP / (TP + FP)                   of the predicted positives, how many are real
    recall    = TP / (TP + FN)                   of the real positives, how many were found
    F1        = 2 * precision * recall / (precision + recall)     their harmonic mean

Accuracy hides which way a model errs: on a set with 95% negatives, "always negative" scores 95%
accuracy yet 0 recall. Precision and recall pull apart when a model is too eager (high recall,
low precision) or too cautious (the reverse); F1 is high only when both are.

A ratio with a zero denominator (no positive predictions -> precision; no positive labels ->
recall; precision + recall = 0 -> F1) is defined as 0, as scikit-learn does by default: a model that
never says "positive" has found nothing, and gets no credit for it.

Distances between two sample sets (how close a generative model's samples are to the data):
``mmd`` (squared maximum mean discrepancy, any dimension) and ``histogram_distance`` (total
variation between 2-D histograms). They take (N, D) tensors, NumPy/CuPy arrays or nested lists and
return Python floats; tensors are read without gradient, on their own device.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from . import backend
from .tensor import Tensor

__all__ = ["accuracy", "confusion_matrix", "precision_recall_f1", "mmd", "median_heuristic", "histogram_distance"]


def _labels(values, name: str, who: str) -> np.ndarray:
    """Class labels from a tensor, array or list, as a 1-D int64 array; clear errors otherwise."""
    if isinstance(values, Tensor):
        values = values.detach().numpy()
    array = np.asarray(values)
    if array.ndim != 1:
        hint = " (scores per class? take .argmax(dim=1) first)" if array.ndim == 2 else ""
        raise ValueError(f"{who}: {name} must be 1-D class labels, got shape {array.shape}{hint}")
    if array.size and not np.issubdtype(array.dtype, np.integer) and not np.issubdtype(array.dtype, np.bool_):
        if not np.all(array == np.round(array)):
            raise ValueError(f"{who}: {name} must be integer class labels, got non-integer values such as "
                             f"{array[array != np.round(array)][0]!r} (probabilities? threshold them first)")
    array = array.astype(np.int64)
    if array.size and array.min() < 0:
        raise ValueError(f"{who}: {name} must be class ids >= 0, got {array.min()}")
    return array


def _pair(y_true, y_pred, who: str) -> tuple[np.ndarray, np.ndarray]:
    true, pred = _labels(y_true, "y_true", who), _labels(y_pred, "y_pred", who)
    if true.shape != pred.shape:
        raise ValueError(f"{who}: y_true and y_pred must have the same length, got {true.size} and {pred.size}")
    if true.size == 0:
        raise ValueError(f"{who}: needs at least one example, got none")
    return true, pred


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, with 0 where the denominator is 0 (see the module docstring)."""
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator != 0)


def accuracy(y_true, y_pred) -> float:
    """The fraction of examples whose predicted label equals the true one: mean(y_pred == y_true)."""
    true, pred = _pair(y_true, y_pred, "accuracy")
    return float(np.mean(true == pred))


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts (C, C), int64: ``matrix[i, j]`` = how many examples of true class i were predicted j.

    Rows are the truth, columns the prediction (scikit-learn's layout): the diagonal holds the
    correct answers, and row i sums to the number of examples of class i. For two classes::

        [[TN, FP],
         [FN, TP]]

    num_classes: C; by default one more than the largest label seen in either argument.
    """
    true, pred = _pair(y_true, y_pred, "confusion_matrix")
    seen = int(max(true.max(), pred.max())) + 1
    if num_classes is None:
        num_classes = seen
    elif seen > num_classes:
        raise ValueError(f"confusion_matrix: labels go up to {seen - 1} but num_classes is {num_classes}")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (true, pred), 1)  # one count per (truth, prediction) pair
    return matrix


def precision_recall_f1(y_true, y_pred, average: str | None = "binary", pos_label: int = 1,
                        num_classes: int | None = None):
    """Precision, recall and F1, from the confusion matrix ``M`` (rows truth, columns prediction).

    For class c:  TP = M[c, c],  FP = column c minus TP,  FN = row c minus TP, and

        precision_c = TP / (TP + FP),   recall_c = TP / (TP + FN),
        F1_c = 2 precision_c recall_c / (precision_c + recall_c)       (each 0 when its denominator is 0)

    average:
        "binary"  the three numbers for class ``pos_label`` alone (two-class problems; default 1)
        "macro"   the unweighted mean over classes of each number: every class counts equally,
                  however rare (macro F1 is the mean of the per-class F1s, not the F1 of the means)
        None      per-class NumPy arrays (C,) of each number

    Returns (precision, recall, f1) as floats, or as arrays when ``average`` is None.
    """
    who = "precision_recall_f1"
    if average not in ("binary", "macro", None):
        raise ValueError(f"{who}: average must be 'binary', 'macro' or None, got {average!r}")
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    if average == "binary":
        if matrix.shape[0] > 2:
            raise ValueError(f"{who}: average='binary' needs two classes, got labels 0..{matrix.shape[0] - 1}; "
                             f"use average='macro' or None")
        if pos_label not in (0, 1):
            raise ValueError(f"{who}: pos_label must be 0 or 1 for average='binary', got {pos_label}")
        matrix = confusion_matrix(y_true, y_pred, num_classes=2)
    true_positives = np.diag(matrix)
    precision = _safe_ratio(true_positives, matrix.sum(axis=0))  # column sums: predicted as c
    recall = _safe_ratio(true_positives, matrix.sum(axis=1))  # row sums: truly c
    f1 = _safe_ratio(2 * precision * recall, precision + recall)
    if average is None:
        return precision, recall, f1
    if average == "macro":
        return float(precision.mean()), float(recall.mean()), float(f1.mean())
    return float(precision[pos_label]), float(recall[pos_label]), float(f1[pos_label])


# ----------------------------------------------------------------------------------------------
# Distances between sample sets


def _samples(values, name: str, who: str, ndim_features: int | None = None):
    """(N, D) float64 raw array (on the input's device) from a tensor, array or nested list."""
    if isinstance(values, Tensor):
        values = values.detach()._data
    xp = backend.array_module_of(values)
    array = xp.asarray(values, dtype=xp.float64)
    if array.ndim == 1:
        array = array[:, None]  # N scalars: N points in one dimension
    if array.ndim != 2:
        raise ValueError(f"{who}: {name} must be samples of shape (N, D), got shape {tuple(array.shape)}")
    if ndim_features is not None and array.shape[1] != ndim_features:
        raise ValueError(f"{who}: {name} must be {ndim_features}-D points of shape (N, {ndim_features}), "
                         f"got shape {tuple(array.shape)}")
    if not bool(xp.isfinite(array).all()):
        raise ValueError(f"{who}: {name} contains NaN or infinity")
    return array


def _squared_distances(a, b):
    """||a_i - b_j||^2 for every pair: (M, D), (N, D) -> (M, N), via |a|^2 + |b|^2 - 2 a.b."""
    xp = backend.array_module_of(a)
    squared = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * (a @ b.T)
    return xp.maximum(squared, 0.0)  # rounding can leave tiny negatives where a_i = b_j


def median_heuristic(x, y) -> float:
    """The median of the pairwise distances ||z_i - z_j|| (i < j) over the pooled samples z = x u y:
    a kernel bandwidth on the scale of the data (Gretton et al., 2012)."""
    x, y = _samples(x, "x", "median_heuristic"), _samples(y, "y", "median_heuristic")
    xp = backend.array_module_of(x)
    pooled = xp.concatenate([x, y])
    upper = xp.triu_indices(pooled.shape[0], k=1)
    distances = xp.sqrt(_squared_distances(pooled, pooled)[upper])
    median = float(xp.median(distances))
    if median == 0.0:
        raise ValueError("median_heuristic: more than half of the pairs of points coincide; pass bandwidth=")
    return median


def mmd(x, y, bandwidth: float | Sequence[float] | None = None) -> float:
    """Squared maximum mean discrepancy between samples x (M, D) and y (N, D), Gaussian kernel.

    MMD measures how far apart two distributions P and Q are by comparing their mean embeddings
    under a kernel k:   MMD^2 = E k(x, x') + E k(y, y') - 2 E k(x, y),   x, x' ~ P,  y, y' ~ Q.
    With a Gaussian kernel  k(a, b) = exp(-||a - b||^2 / (2 sigma^2))  it is 0 only when P = Q.

    The unbiased estimator (Gretton et al., 2012) leaves out each point's kernel with itself:

        MMD^2_u = 1/(M(M-1)) sum_{i!=j} k(x_i, x_j) + 1/(N(N-1)) sum_{i!=j} k(y_i, y_j)
                  - 2/(MN) sum_{i,j} k(x_i, y_j)

    and, when M = N, also the pairs (x_i, y_i) from the cross term (their eq. 3, dividing by
    M(M-1)), so that mmd(x, x) is exactly 0. Being unbiased, it can come out slightly negative when
    the two distributions are equal; its noise shrinks like 1/N.

    bandwidth: sigma; None uses the median heuristic (the median pairwise distance of the pooled
        samples); a list of sigmas sums their kernels, k = sum_s k_s, which sees differences at
        several scales at once.
    Returns a Python float. Memory grows as (M + N)^2: keep sets to a few thousand points.
    """
    who = "mmd"
    x, y = _samples(x, "x", who), _samples(y, "y", who)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"{who}: x and y must have the same number of features, got {x.shape[1]} and {y.shape[1]}")
    if x.shape[0] < 2 or y.shape[0] < 2:
        raise ValueError(f"{who}: needs at least 2 samples in each set, got {x.shape[0]} and {y.shape[0]}")
    if bandwidth is None:
        bandwidths = [median_heuristic(x, y)]
    elif np.ndim(bandwidth) == 0:  # one number (a Python or NumPy scalar)
        bandwidths = [float(bandwidth)]
    else:
        bandwidths = [float(b) for b in bandwidth]
    if not bandwidths or any(not (b > 0) for b in bandwidths):
        raise ValueError(f"{who}: bandwidth must be a positive number or a non-empty list of them, got {bandwidth!r}")
    xp = backend.array_module_of(x)
    m, n = x.shape[0], y.shape[0]
    squared = {"xx": _squared_distances(x, x), "yy": _squared_distances(y, y), "xy": _squared_distances(x, y)}
    kernel = {key: sum(xp.exp(-d / (2.0 * b * b)) for b in bandwidths) for key, d in squared.items()}
    k_xx = (kernel["xx"].sum() - xp.trace(kernel["xx"])) / (m * (m - 1))
    k_yy = (kernel["yy"].sum() - xp.trace(kernel["yy"])) / (n * (n - 1))
    if m == n:
        k_xy = (kernel["xy"].sum() - xp.trace(kernel["xy"])) / (m * (m - 1))
    else:
        k_xy = kernel["xy"].sum() / (m * n)
    return float(k_xx + k_yy - 2.0 * k_xy)


def _histogram2d(points, bins: tuple[int, int], bounds):
    """Fractions of the points per bin, flattened (bx * by,), plus one last entry: the fraction
    outside the range (so mass a model puts off the grid still counts as a difference)."""
    xp = backend.array_module_of(points)
    index = []
    for axis in range(2):
        low, high = bounds[axis]
        position = (points[:, axis] - low) / (high - low) * bins[axis]
        # a point exactly on the upper edge belongs to the last bin (NumPy's histogram convention)
        cell = xp.where(points[:, axis] == high, bins[axis] - 1, xp.floor(position)).astype(xp.int64)
        index.append(cell)
    inside = (index[0] >= 0) & (index[0] < bins[0]) & (index[1] >= 0) & (index[1] < bins[1])
    flat = xp.where(inside, index[0] * bins[1] + index[1], bins[0] * bins[1])
    counts = xp.bincount(flat, minlength=bins[0] * bins[1] + 1)
    return counts / points.shape[0]


def histogram_distance(x, y, bins: int | tuple[int, int] = 20, range=None) -> float:
    """Total variation distance between the 2-D histograms of samples x (M, 2) and y (N, 2).

    Count each set in the same grid of bins, normalise to fractions p_b and q_b, and take

        TV = 1/2 sum_b |p_b - q_b|      in [0, 1]:  0 = the same histogram,  1 = no overlap at all.

    It is the fraction of probability mass that would have to move to turn one histogram into the
    other. Points outside ``range`` are counted in one extra "outside" bin, so a generator that
    throws samples far away is not excused. Coarser bins forgive small offsets; finer bins need more
    samples (with few points per bin even two samples of one distribution differ).

    bins: number of bins per axis, or (bins_x, bins_y).
    range: ((x_min, x_max), (y_min, y_max)), NumPy's histogram2d convention; by default the box
        holding both sets.
    Returns a Python float.
    """
    who = "histogram_distance"
    x, y = _samples(x, "x", who, 2), _samples(y, "y", who, 2)
    if x.shape[0] == 0 or y.shape[0] == 0:
        raise ValueError(f"{who}: needs at least one sample in each set, got {x.shape[0]} and {y.shape[0]}")
    bins = (bins, bins) if isinstance(bins, int) else tuple(bins)
    if len(bins) != 2 or any(not isinstance(b, int) or b < 1 for b in bins):
        raise ValueError(f"{who}: bins must be a positive int or a pair of them, got {bins!r}")
    if range is None:
        xp = backend.array_module_of(x)
        both = xp.concatenate([x, y])
        low, high = both.min(axis=0), both.max(axis=0)
        range = [(float(low[a]), float(high[a]) if high[a] > low[a] else float(low[a]) + 1.0) for a in (0, 1)]
    else:
        try:
            range = [(float(low), float(high)) for low, high in range]
        except (TypeError, ValueError):
            raise ValueError(f"{who}: range must be ((x_min, x_max), (y_min, y_max)), got {range!r}") from None
        if len(range) != 2 or any(high <= low for low, high in range):
            raise ValueError(f"{who}: range must be ((x_min, x_max), (y_min, y_max)) with min < max, got {range!r}")
    p, q = _histogram2d(x, bins, range), _histogram2d(y, bins, range)
    return float(0.5 * abs(p - q).sum())
