"""Checks for exercise 23, classification metrics and padded text: hand-computed confusion matrices and
scores (scikit-learn's zero_division=0 rule), ``tinynn.metrics``, the vocabulary and padded ids against
``tinynn.datasets.WordTokenizer``, and the masked mean's values and gradient (finite differences).
"""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn import metrics
from tinynn.datasets import WordTokenizer
from ..grading import Grader, Mismatch, numeric_gradient, on_arrays

# (case, y_true, y_pred, C, matrix, precision, recall, f1, accuracy), each worked out by hand
HAND = [
    ("the docstring's example, C = 3", [0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 1], 3,
     [[1, 1, 0], [1, 2, 0], [0, 1, 0]], [1 / 2, 2 / 4, 0], [1 / 2, 2 / 3, 0 / 1], [0.5, 4 / 7, 0], 3 / 6),
    ("two classes", [1, 0, 1, 1, 0, 0, 1, 0], [1, 0, 0, 1, 1, 0, 1, 0], 2,
     [[3, 1], [1, 3]], [0.75, 0.75], [0.75, 0.75], [0.75, 0.75], 6 / 8),
    ("C = 4, classes 2 and 3 never present nor predicted (0/0 everywhere for them)", [0, 1, 1, 0, 1],
     [1, 1, 0, 0, 1], 4, [[1, 1, 0, 0], [1, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
     [1 / 2, 2 / 3, 0, 0], [1 / 2, 2 / 3, 0, 0], [0.5, 2 / 3, 0, 0], 3 / 5),
    ("class 2 predicted but never present: precision 0/1, recall 0/0", [0, 0, 1, 1], [0, 2, 1, 1], 3,
     [[1, 0, 1], [0, 2, 0], [0, 0, 0]], [1, 1, 0], [1 / 2, 1, 0], [2 / 3, 1, 0], 3 / 4),
    ("one example", [2], [2], 3, [[0, 0, 0], [0, 0, 0], [0, 0, 1]], [0, 0, 1], [0, 0, 1], [0, 0, 1], 1.0),
    ("everything wrong: precision + recall = 0, so F1 = 0", [0, 1, 0], [1, 0, 1], 2,
     [[0, 2], [1, 0]], [0, 0], [0, 0], [0, 0], 0.0),
]

TOKENS = [["the", "cat", "sat"], ["the", "dog", "sat", "down"], ["a", "cat", "and", "a", "dog"], ["zebra"],
          ["cat", "sat", "sat"]]
TEST_TOKENS = [["the", "bird", "sat"], [], ["a", "dog", "and", "the", "cat", "sat", "down"], ["zebra", "moon"]]


def _labels(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _cases(g: Grader) -> list:
    """The hand-computed cases, then a random one (200 examples, 5 classes) scored by the library."""
    cases = [(case, _labels(t), _labels(p), c, np.array(m, dtype=np.int64), np.array(pr, float), np.array(rc, float),
              np.array(f1, float), acc) for case, t, p, c, m, pr, rc, f1, acc in HAND]
    y_true, y_pred = g.rng.integers(0, 5, 200), g.rng.integers(0, 5, 200)
    y_pred[:80] = y_true[:80]   # a classifier better than chance
    matrix = metrics.confusion_matrix(y_true, y_pred, num_classes=5)
    precision, recall, f1 = metrics.precision_recall_f1(y_true, y_pred, average=None, num_classes=5)
    cases.append(("200 random examples, 5 classes", y_true, y_pred, 5, matrix, precision, recall, f1,
                  metrics.accuracy(y_true, y_pred)))
    return cases


def _grade_metrics(g: Grader, student, reference) -> None:
    for case, y_true, y_pred, c, matrix, precision, recall, f1, acc in _cases(g):
        with g.check(case, "confusion_matrix", points=2 if case.startswith("the docstring") else 1):
            got = g.call(student.confusion_matrix, y_true.copy(), y_pred.copy(), c)
            once = np.zeros((c, c), dtype=np.int64)
            once[y_true, y_pred] = 1
            g.expect("M", got, matrix, exact=True, expected_label="expected (by hand)",
                     mistakes={"rows and columns swapped: rows are the truth, columns the prediction": matrix.T,
                               "each (true, predicted) pair counted once: M[y_true, y_pred] += 1 does not add up "
                               "repeated pairs (use a loop or np.add.at)": once})
            g.expect("M against the reference", got, reference.confusion_matrix(y_true, y_pred, c), exact=True)

        with g.check(case, "precision_recall_f1", points=2 if "0/0" in case or "= 0" in case else 1):
            got = g.call(student.precision_recall_f1, matrix.copy())
            tp, zero = np.diag(matrix).astype(float), "0/0 left as nan; the rule here is 0/0 = 0"
            nan_f1 = 2 * precision * recall / (precision + recall)
            g.expect_values("precision_recall_f1", ["precision", "recall", "f1"], got, (precision, recall, f1),
                            mistakes=[{"the recall (TP / row sum); precision divides by the column sum": recall,
                                       zero: tp / matrix.sum(axis=0)},
                                      {"the precision (TP / column sum); recall divides by the row sum": precision,
                                       zero: tp / matrix.sum(axis=1)},
                                      {"the arithmetic mean (P + R) / 2, not the harmonic mean":
                                       (precision + recall) / 2,
                                       zero: nan_f1}],
                            rtol=1e-12, expected_label="expected (by hand)")
            library = metrics.precision_recall_f1(y_true, y_pred, average=None, num_classes=c)
            g.expect_values("precision_recall_f1 against the library", ["precision", "recall", "f1"], got, library,
                            rtol=1e-12, expected_label="tinynn.metrics.precision_recall_f1(average=None)")

        with g.check(case, "accuracy"):
            got = g.call(student.accuracy, matrix.copy())
            g.expect("accuracy", got, np.float64(acc), rtol=1e-12,
                     mistakes={"the number of correct examples, not the fraction": np.float64(np.trace(matrix))})

        with g.check(case, "macro_f1", points=2 if case.startswith("the docstring") else 1):
            got = g.call(student.macro_f1, matrix.copy())
            present = matrix.sum(axis=1) > 0
            p_mean, r_mean = precision.mean(), recall.mean()
            g.expect("macro F1", got, np.float64(f1.mean()), rtol=1e-12,
                     mistakes={"the F1 of the mean precision and the mean recall":
                               np.float64(0 if p_mean + r_mean == 0 else 2 * p_mean * r_mean / (p_mean + r_mean)),
                               "the mean over the classes present only (all C classes count)":
                               np.float64(f1[present].mean()),
                               "the mean weighted by each class's count (that is the 'weighted' average)":
                               np.float64((f1 * matrix.sum(axis=1)).sum() / matrix.sum())})


def _expect_tokens(what: str, got, expected: list, mistakes: dict) -> None:
    """Compare two lists of strings, naming the first difference (and a known mistake when it matches)."""
    if not isinstance(got, (list, tuple)):
        kind = "None" if got is None else "a " + type(got).__name__
        raise Mismatch(f"{what}: you returned {kind}, expected a list of str")
    got = list(got)
    if got == expected:
        return
    for description, wrong in mistakes.items():
        if got == wrong:
            hint = f". Hint: your result equals {description}"
            break
    else:
        hint = ""
    if len(got) != len(expected):
        raise Mismatch(f"{what}: {len(got)} entries but expected {len(expected)}: got {got}, expected {expected}{hint}")
    first = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)
    raise Mismatch(f"{what}: first difference at index {first}: expected {expected[first]!r}, got {got[first]!r} "
                   f"(got {got}, expected {expected}){hint}")


def _grade_text(g: Grader, student, reference) -> None:
    for min_freq, max_size in [(1, None), (2, None), (1, 5), (1, 2)]:
        case = f"5 token lists, min_freq = {min_freq}, max_size = {max_size}"
        with g.check(case, "build_vocabulary", points=2 if (min_freq, max_size) == (1, None) else 1):
            got = g.call(student.build_vocabulary, [list(t) for t in TOKENS], min_freq, max_size)
            expected = reference.build_vocabulary(TOKENS, min_freq, max_size)
            counts = {}
            for tokens in TOKENS:
                for token in tokens:
                    counts[token] = counts.get(token, 0) + 1
            first_seen = sorted((t for t in counts if counts[t] >= min_freq), key=lambda t: -counts[t])
            mistakes = {"ties in order of first appearance (ties go A-Z)":
                        (["<pad>", "<unk>"] + first_seen)[:max_size],
                        "the list without '<pad>' and '<unk>' in front": expected[2:]}
            _expect_tokens("vocabulary", got, expected, mistakes)
            library = WordTokenizer.from_texts([" ".join(t) for t in TOKENS], min_freq=min_freq, max_size=max_size)
            _expect_tokens("vocabulary against the library's WordTokenizer.from_texts", got, library.itos, {})

    vocabulary = reference.build_vocabulary(TOKENS)
    tokenizer = WordTokenizer(vocabulary)
    cases = [(TEST_TOKENS, None, "4 lists (one empty, unknown words), padded to the longest"),
             (TEST_TOKENS, 3, "4 lists cut and padded to max_length = 3"),
             ([["cat"]], None, "one list of one token"), ([[], []], None, "two empty lists: ids (2, 0)")]
    for token_lists, max_length, case in cases:
        with g.check(case, "encode_batch", points=2 if max_length == 3 else 1):
            got = g.call(student.encode_batch, [list(t) for t in token_lists], list(vocabulary), max_length)
            ids, lengths = reference.encode_batch(token_lists, vocabulary, max_length)
            full = [len(t) for t in token_lists]
            g.expect_values("encode_batch", ["ids", "lengths"], got, (ids, lengths), exact=True,
                            mistakes=[{"unknown tokens as 0 (<pad>); they are 1 (<unk>)":
                                       np.where((ids == 1), 0, ids)},
                                      {"the lengths before cutting to max_length": np.array(full, dtype=np.int64)}])
            library = tokenizer.encode_batch([" ".join(t) for t in token_lists], max_length=max_length)
            g.expect_values("encode_batch against the library's WordTokenizer.encode_batch", ["ids", "lengths"], got,
                            tuple(t.numpy() for t in library), exact=True)


def _grade_masked_mean(g: Grader, student, reference) -> None:
    cases = [((3, 4, 2), [4, 2, 1], "vectors (3, 4, 2), lengths [4, 2, 1]"),
             ((2, 3, 5), [0, 3], "a sentence of length 0 (its mean is a zero vector)"),
             ((1, 5, 3), [2], "a batch of one, lengths [2]")]
    for shape, lengths, case in cases:
        vectors, lengths = g.randn(*shape), np.array(lengths, dtype=np.int64)
        real = (np.arange(shape[1])[None, :] < lengths[:, None])[..., None]
        with g.check(case, "masked_mean", points=2 if shape == (3, 4, 2) else 1):
            got = g.call(student.masked_mean, tinynn.tensor(vectors), tinynn.tensor(lengths))
            g.expect("mean", got, reference.masked_mean(tinynn.tensor(vectors), tinynn.tensor(lengths)),
                     mistakes={"the mean over all L positions, padding included": vectors.mean(axis=1),
                               "the sum over the real tokens, not divided by the length": (vectors * real).sum(axis=1)})

        upstream = g.randn(shape[0], shape[2])
        with g.check(case + ": gradient against finite differences (0 at the padding)", "masked_mean"):
            tensor = tinynn.tensor(vectors, requires_grad=True)
            out = g.call(student.masked_mean, tensor, tinynn.tensor(lengths))
            (grad,) = g.autograd_gradients("masked_mean", out, [tensor], [upstream])
            forward = on_arrays(lambda v: reference.masked_mean(v, tinynn.tensor(lengths)))
            g.expect_gradient("vectors", g.require_gradient("vectors", grad),
                              numeric_gradient(forward, [vectors], 0, upstream))


def grade(g: Grader, student, reference) -> None:
    _grade_metrics(g, student, reference)
    _grade_text(g, student, reference)
    _grade_masked_mean(g, student, reference)
