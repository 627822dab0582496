"""tinynn.metrics against hand-computed examples and, on random labels, against the textbook formulas
counted one example at a time (scikit-learn is not a dependency, so the formulas are the reference)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynn
from tinynn import metrics

# 10 examples, counted by hand: TP = 3 (indices 0, 1, 2), FN = 1 (3), FP = 2 (4, 5), TN = 4 (6..9)
Y_TRUE = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
Y_PRED = [1, 1, 1, 0, 1, 1, 0, 0, 0, 0]


def test_binary_example_by_hand():
    assert metrics.accuracy(Y_TRUE, Y_PRED) == pytest.approx(7 / 10)
    np.testing.assert_array_equal(metrics.confusion_matrix(Y_TRUE, Y_PRED), [[4, 2], [1, 3]])
    precision, recall, f1 = metrics.precision_recall_f1(Y_TRUE, Y_PRED)
    assert precision == pytest.approx(3 / 5)
    assert recall == pytest.approx(3 / 4)
    assert f1 == pytest.approx(2 * (3 / 5) * (3 / 4) / (3 / 5 + 3 / 4))  # = 2/3
    assert f1 == pytest.approx(2 / 3)


def test_pos_label_zero_swaps_the_roles():
    # class 0 as "positive": TP = 4, FP = 1 (a true 1 predicted 0), FN = 2
    precision, recall, f1 = metrics.precision_recall_f1(Y_TRUE, Y_PRED, pos_label=0)
    assert (precision, recall) == (pytest.approx(4 / 5), pytest.approx(4 / 6))
    assert f1 == pytest.approx(2 * 4 / (2 * 4 + 1 + 2))  # F1 = 2TP / (2TP + FP + FN)


def test_accepts_tensors_arrays_and_bool_or_float_labels():
    true = tinynn.tensor(Y_TRUE)
    pred_bool = tinynn.tensor(Y_PRED) > 0  # what `probabilities > 0.5` gives
    pred_float = tinynn.tensor(Y_PRED, dtype=tinynn.float32)
    for pred in (pred_bool, pred_float, np.array(Y_PRED)):
        assert metrics.accuracy(true, pred) == pytest.approx(0.7)
        np.testing.assert_array_equal(metrics.confusion_matrix(true, pred), [[4, 2], [1, 3]])


def test_three_classes_by_hand():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 2]
    matrix = metrics.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 2, 1], [0, 0, 1]])
    assert matrix.dtype == np.int64
    precision, recall, f1 = metrics.precision_recall_f1(y_true, y_pred, average=None)
    np.testing.assert_allclose(precision, [1, 2 / 3, 1 / 2])  # column sums 1, 3, 2
    np.testing.assert_allclose(recall, [1 / 2, 2 / 3, 1])  # row sums 2, 3, 1
    np.testing.assert_allclose(f1, [2 / 3, 2 / 3, 2 / 3])
    macro = metrics.precision_recall_f1(y_true, y_pred, average="macro")
    assert macro == pytest.approx(((1 + 2 / 3 + 1 / 2) / 3, (1 / 2 + 2 / 3 + 1) / 3, 2 / 3))


def test_macro_f1_is_the_mean_of_f1s_not_the_f1_of_means():
    y_true = [0, 0, 0, 0, 1, 1, 1, 1]
    y_pred = [0, 0, 0, 0, 0, 0, 0, 1]  # class 0: P 4/7, R 1; class 1: P 1, R 1/4
    precision, recall, f1 = metrics.precision_recall_f1(y_true, y_pred, average="macro")
    f1_0, f1_1 = 2 * (4 / 7) / (4 / 7 + 1), 2 * (1 / 4) / (1 + 1 / 4)
    assert f1 == pytest.approx((f1_0 + f1_1) / 2)
    assert f1 != pytest.approx(2 * precision * recall / (precision + recall))


def test_no_positive_predictions_gives_precision_zero_not_nan():
    # a model that always says "negative": nothing predicted positive, so TP + FP = 0
    y_true = [1, 0, 1, 0]
    precision, recall, f1 = metrics.precision_recall_f1(y_true, [0, 0, 0, 0])
    assert (precision, recall, f1) == (0.0, 0.0, 0.0)
    assert metrics.accuracy(y_true, [0, 0, 0, 0]) == 0.5
    # no positive labels at all: recall's denominator is 0 too
    precision, recall, f1 = metrics.precision_recall_f1([0, 0, 0], [0, 1, 0])
    assert (precision, recall, f1) == (0.0, 0.0, 0.0)
    # all negative, all predicted negative: the matrix is still 2 x 2 in binary mode
    assert metrics.precision_recall_f1([0, 0], [0, 0]) == (0.0, 0.0, 0.0)
    np.testing.assert_array_equal(metrics.confusion_matrix([0, 0], [0, 0], num_classes=2), [[2, 0], [0, 0]])


def test_perfect_predictions_score_one():
    labels = [0, 1, 1, 0, 1]
    assert metrics.accuracy(labels, labels) == 1.0
    assert metrics.precision_recall_f1(labels, labels) == (1.0, 1.0, 1.0)


@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=60))
def test_binary_metrics_match_the_formulas_counted_one_by_one(pairs):
    y_true = [t for t, _ in pairs]
    y_pred = [p for _, p in pairs]
    tp = sum(t == 1 and p == 1 for t, p in pairs)
    fp = sum(t == 0 and p == 1 for t, p in pairs)
    fn = sum(t == 1 and p == 0 for t, p in pairs)
    tn = sum(t == 0 and p == 0 for t, p in pairs)
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, num_classes=2), [[tn, fp], [fn, tp]])
    assert metrics.accuracy(y_true, y_pred) == pytest.approx((tp + tn) / len(pairs))
    precision, recall, f1 = metrics.precision_recall_f1(y_true, y_pred)
    assert precision == pytest.approx(tp / (tp + fp) if tp + fp else 0.0)
    assert recall == pytest.approx(tp / (tp + fn) if tp + fn else 0.0)
    assert f1 == pytest.approx(2 * tp / (2 * tp + fp + fn) if tp else 0.0)


@given(st.integers(2, 5).flatmap(lambda c: st.tuples(
    st.just(c), st.lists(st.tuples(st.integers(0, c - 1), st.integers(0, c - 1)), min_size=1, max_size=50))))
def test_confusion_matrix_counts_and_margins(case):
    num_classes, pairs = case
    y_true = np.array([t for t, _ in pairs])
    y_pred = np.array([p for _, p in pairs])
    matrix = metrics.confusion_matrix(y_true, y_pred, num_classes=num_classes)
    for i in range(num_classes):
        for j in range(num_classes):
            assert matrix[i, j] == np.sum((y_true == i) & (y_pred == j))
    assert matrix.sum() == len(pairs)
    assert np.trace(matrix) / len(pairs) == pytest.approx(metrics.accuracy(y_true, y_pred))
    _, recall, _ = metrics.precision_recall_f1(y_true, y_pred, average=None, num_classes=num_classes)
    present = np.bincount(y_true, minlength=num_classes) > 0
    # recall of class c is its accuracy among the examples of class c
    for c in np.flatnonzero(present):
        assert recall[c] == pytest.approx(np.mean(y_pred[y_true == c] == c))


@pytest.mark.parametrize("call, message", [
    (lambda: metrics.accuracy([0, 1], [0, 1, 1]), "same length, got 2 and 3"),
    (lambda: metrics.accuracy([], []), "at least one example"),
    (lambda: metrics.accuracy([0, 1], [[0.2, 0.8], [0.9, 0.1]]), "argmax"),
    (lambda: metrics.accuracy([0, 1], [0.3, 0.7]), "threshold them first"),
    (lambda: metrics.accuracy([0, -1], [0, 1]), ">= 0"),
    (lambda: metrics.confusion_matrix([0, 3], [0, 1], num_classes=2), "labels go up to 3"),
    (lambda: metrics.precision_recall_f1([0, 1, 2], [0, 1, 2]), "needs two classes"),
    (lambda: metrics.precision_recall_f1([0, 1], [0, 1], average="micro"), "'binary', 'macro' or None"),
    (lambda: metrics.precision_recall_f1([0, 1], [0, 1], pos_label=2), "pos_label must be 0 or 1"),
])
def test_mistakes_get_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_importable_as_a_submodule():
    import tinynn.metrics as by_path

    assert by_path is metrics
    assert callable(by_path.precision_recall_f1)
