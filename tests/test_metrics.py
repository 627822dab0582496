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


# ---------------------------------------------------------------------------------------------
# distances between sample sets: mmd and histogram_distance

def gaussian(sq_distance, sigma):
    return np.exp(-sq_distance / (2 * sigma**2))


def mmd_by_loops(x, y, sigmas):
    """The unbiased estimator written one pair at a time (the reference)."""
    def k(a, b):
        return sum(gaussian(np.sum((a - b) ** 2), s) for s in sigmas)
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    if m == n:
        xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n) if i != j) / (m * (m - 1))
    else:
        xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_mmd_by_hand_on_points_of_a_line():
    # x = {0, 1}, y = {3, 5, 6}, sigma = 1: squared distances xx 1; yy 4, 9, 1; xy 9, 25, 36, 4, 16, 25
    e = np.exp
    xx = e(-1 / 2)                                             # 2 ordered pairs / (2 * 1)
    yy = 2 * (e(-4 / 2) + e(-9 / 2) + e(-1 / 2)) / (3 * 2)
    xy = (e(-9 / 2) + e(-25 / 2) + e(-36 / 2) + e(-4 / 2) + e(-16 / 2) + e(-25 / 2)) / (2 * 3)
    assert metrics.mmd([[0.0], [1.0]], [[3.0], [5.0], [6.0]], bandwidth=1.0) == pytest.approx(xx + yy - 2 * xy)
    # equal sizes leave the pairs (x_i, y_i) out of the cross term: x = {0, 1}, y = {0, 3}
    by_hand = e(-1 / 2) + e(-9 / 2) - 2 * (e(-9 / 2) + e(-1 / 2)) / 2
    assert metrics.mmd([0.0, 1.0], [0.0, 3.0], bandwidth=1.0) == pytest.approx(by_hand)


@pytest.mark.parametrize("sizes, bandwidth", [((7, 7), [0.5]), ((6, 9), [1.3]), ((5, 8), [0.3, 1.0, 3.0])])
def test_mmd_matches_the_pairwise_loops(sizes, bandwidth):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(sizes[0], 3)), rng.normal(1.0, 1.5, size=(sizes[1], 3))
    expected = mmd_by_loops(x, y, bandwidth)
    assert metrics.mmd(x, y, bandwidth=bandwidth if len(bandwidth) > 1 else bandwidth[0]) == pytest.approx(expected)


def test_median_heuristic_and_default_bandwidth():
    # pooled {0, 1, 3}: distances 1, 3, 2 -> median 2
    assert metrics.median_heuristic([[0.0], [1.0]], [[3.0]]) == pytest.approx(2.0)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(20, 2)), rng.normal(size=(25, 2)) + 0.7
    sigma = metrics.median_heuristic(x, y)
    assert metrics.mmd(x, y) == pytest.approx(metrics.mmd(x, y, bandwidth=sigma))
    assert metrics.mmd(x, y) == pytest.approx(mmd_by_loops(x, y, [sigma]))


def test_mmd_properties_zero_symmetric_and_growing_with_a_shift():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(300, 2))
    assert metrics.mmd(x, x) == 0.0
    assert metrics.mmd(x, y, 1.0) == pytest.approx(metrics.mmd(y, x, np.float32(1.0)))
    assert abs(metrics.mmd(x, y, 1.0)) < 0.01                 # same distribution: about 0
    shifts = [metrics.mmd(x, y + [s, 0.0], 1.0) for s in (0.5, 1.0, 2.0, 4.0)]
    assert shifts[0] > 0.03 and all(a < b for a, b in zip(shifts, shifts[1:]))
    # two far-apart sets: every cross kernel ~ 0, so MMD^2 -> mean within-set kernel of each (2 here)
    assert metrics.mmd(x * 1e-3, y * 1e-3 + 100.0, 1.0) == pytest.approx(2.0, abs=1e-5)


def test_mmd_accepts_tensors_with_gradients_and_refuses_bad_input():
    x = tinynn.randn(10, 2, requires_grad=True)
    y = tinynn.randn(12, 2)
    assert metrics.mmd(x, y, 1.0) == pytest.approx(metrics.mmd(x.detach().numpy(), y.numpy(), 1.0))
    with pytest.raises(ValueError, match="same number of features, got 2 and 3"):
        metrics.mmd(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        metrics.mmd(np.zeros((1, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="positive"):
        metrics.mmd(np.ones((4, 2)), np.zeros((4, 2)), bandwidth=0.0)
    with pytest.raises(ValueError, match=r"\(N, D\), got shape \(2, 2, 2\)"):
        metrics.mmd(np.zeros((2, 2, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="NaN"):
        metrics.mmd([[0.0], [np.nan]], [[1.0], [2.0]])
    with pytest.raises(ValueError, match="coincide"):
        metrics.mmd(np.zeros((5, 2)), np.zeros((5, 2)))


def test_histogram_distance_by_hand():
    # 2 x 2 bins on the unit square: x fills the lower-left and upper-right cells, y lower-left and
    # (0.1, 0.9); half the mass must move
    x = [[0.1, 0.1], [0.9, 0.9]]
    y = [[0.1, 0.1], [0.1, 0.9]]
    assert metrics.histogram_distance(x, y, bins=2, range=((0, 1), (0, 1))) == pytest.approx(0.5)
    # a point outside the range counts as mass in an "outside" bin, not as nothing
    y_far = [[0.1, 0.1], [5.0, 5.0]]
    assert metrics.histogram_distance(x, y_far, bins=2, range=((0, 1), (0, 1))) == pytest.approx(0.5)
    # the upper edge belongs to the last bin, as in numpy.histogram2d
    assert metrics.histogram_distance([[1.0, 1.0]], [[0.9, 0.9]], bins=2, range=((0, 1), (0, 1))) == 0.0
    # three of four points shared, one of four moved: TV = 1/4; bins (4, 1) only look at x
    a, b = [[0, 0], [1, 0], [2, 0], [3, 0]], [[0, 5], [1, 5], [2, 5], [2.5, 5]]
    assert metrics.histogram_distance(a, b, bins=(4, 1), range=((0, 4), (0, 10))) == pytest.approx(0.25)


def test_histogram_distance_matches_numpy_histogram2d_and_its_properties():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(400, 2)), rng.normal(0.3, 1.2, size=(300, 2))
    bounds = ((-3, 3), (-2, 4))
    p, _, _ = np.histogram2d(x[:, 0], x[:, 1], bins=(6, 5), range=bounds)
    q, _, _ = np.histogram2d(y[:, 0], y[:, 1], bins=(6, 5), range=bounds)
    outside = abs((400 - p.sum()) / 400 - (300 - q.sum()) / 300)
    expected = 0.5 * (np.abs(p / 400 - q / 300).sum() + outside)
    assert metrics.histogram_distance(x, y, bins=(6, 5), range=bounds) == pytest.approx(expected)
    assert metrics.histogram_distance(x, x) == 0.0
    assert metrics.histogram_distance(x, y) == pytest.approx(metrics.histogram_distance(y, x))
    shifted = [metrics.histogram_distance(x, x + [s, 0], bins=10, range=((-8, 8), (-4, 4))) for s in (0.5, 1, 2, 8)]
    assert all(a < b for a, b in zip(shifted, shifted[1:])) and shifted[-1] == pytest.approx(1.0)
    from_tensors = metrics.histogram_distance(tinynn.tensor(x), tinynn.tensor(y))
    assert from_tensors == pytest.approx(metrics.histogram_distance(x, y))


@pytest.mark.parametrize("call, message", [
    (lambda: metrics.histogram_distance(np.zeros((3, 3)), np.zeros((3, 2))), r"2-D points of shape \(N, 2\)"),
    (lambda: metrics.histogram_distance(np.zeros((3, 2)), np.zeros((3, 2)), bins=0), "positive int"),
    (lambda: metrics.histogram_distance(np.zeros((3, 2)), np.zeros((3, 2)), range=((0, 1), (1, 1))), "min < max"),
    (lambda: metrics.histogram_distance(np.zeros((3, 2)), np.zeros((3, 2)), range=(0, 1)), r"\(x_min, x_max\)"),
    (lambda: metrics.histogram_distance(np.zeros((0, 2)), np.zeros((3, 2))), "at least one sample"),
])
def test_histogram_distance_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
