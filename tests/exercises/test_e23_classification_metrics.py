"""Exercise 23, classification metrics and padded text: the reference passes every check, the student file
is reported not done, and planted mistakes (a transposed confusion matrix, repeated pairs counted once,
0/0 left as NaN, macro F1 as the F1 of the means, vocabulary ties out of order, unknown tokens as padding,
a mean over the padding too, the library's confusion_matrix) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e23_classification_metrics")
FUNCTIONS = ["confusion_matrix", "precision_recall_f1", "accuracy", "macro_f1", "build_vocabulary", "encode_batch",
             "masked_mean"]

MUTANTS = [
    ("matrix[true, pred] += 1", "matrix[pred, true] += 1", "confusion_matrix",
     ["M:", "expected (by hand)", "rows and columns swapped"]),
    ("    for true, pred in zip(y_true, y_pred):\n        matrix[true, pred] += 1\n", "    matrix[y_true, y_pred] += 1\n",
     "confusion_matrix", ["each (true, predicted) pair counted once", "np.add.at"]),
    ("precision = np.divide(true_positives, predicted, out=np.zeros(len(matrix)), where=predicted > 0)",
     "precision = true_positives / predicted", "precision_recall_f1",
     ["precision:", "got nan", "0/0 left as nan"]),
    ("return float(precision_recall_f1(matrix)[2].mean())",
     "p, r, _ = precision_recall_f1(matrix)\n    return float(2 * p.mean() * r.mean() / (p.mean() + r.mean()))",
     "macro_f1", ["macro F1:", "the F1 of the mean precision and the mean recall"]),
    ("key=lambda token: (-counts[token], token))", "key=lambda token: -counts[token])", "build_vocabulary",
     ["vocabulary: first difference at index 4: expected 'a', got 'the'", "ties in order of first appearance"]),
    ("rows = [[index.get(token, 1) for token in tokens] for tokens in token_lists]",
     "rows = [[index.get(token, 0) for token in tokens] for tokens in token_lists]", "encode_batch",
     ["encode_batch: ids:", "unknown tokens as 0 (<pad>)"]),
    ("return total / lengths.clamp(min=1).to(vectors.dtype).reshape(n, 1)", "return vectors.mean(dim=1)",
     "masked_mean", ["mean:", "the mean over all L positions, padding included"]),
    ("    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)\n",
     "    return tinynn.metrics.confusion_matrix(y_true, y_pred, num_classes)\n", "confusion_matrix",
     ["your code called tinynn.metrics.confusion_matrix"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=42, points=50)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="all", with_name=True)
