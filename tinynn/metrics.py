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
"""
from __future__ import annotations

import numpy as np

from .tensor import Tensor

__all__ = ["accuracy", "confusion_matrix", "precision_recall_f1"]


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
