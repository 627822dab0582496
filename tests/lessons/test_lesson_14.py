"""Lesson 14 (sentiment analysis) runs headless in quick mode: both classifiers learn, the metrics it
prints are consistent with its confusion matrix, the bag of embeddings is blind to clause order and
the transformer is not."""
import pytest

from tests.lessons.helpers import run_lesson


@pytest.fixture(scope="module")
def lesson_14(tmp_path_factory):
    return run_lesson(14, tmp_path_factory.mktemp("figures_14"))


def test_both_models_learn_and_the_transformer_wins(lesson_14):
    summary = lesson_14[0]
    assert summary["pooled_accuracy"] > 0.85
    assert summary["transformer_accuracy"] > 0.93
    assert summary["transformer_f1"] > 0.93
    assert summary["transformer_accuracy"] > summary["pooled_accuracy"]
    for model in ("pooled", "transformer"):
        assert summary[f"{model}_final_loss"] < summary[f"{model}_first_loss"] / 3


def test_metrics_agree_with_the_confusion_matrix(lesson_14):
    summary = lesson_14[0]
    (tn, fp), (fn, tp) = summary["transformer_confusion_matrix"]
    assert tn + fp + fn + tp == 500  # the held-out split
    assert summary["transformer_accuracy"] == pytest.approx((tp + tn) / 500, abs=1e-4)
    assert summary["transformer_precision"] == pytest.approx(tp / (tp + fp), abs=1e-4)
    assert summary["transformer_recall"] == pytest.approx(tp / (tp + fn), abs=1e-4)
    for model in ("pooled", "transformer"):
        p, r, f1 = (summary[f"{model}_{k}"] for k in ("precision", "recall", "f1"))
        assert f1 == pytest.approx(2 * p * r / (p + r), abs=1e-3)


def test_order_blindness_of_the_bag_of_embeddings(lesson_14):
    summary = lesson_14[0]
    # the MLP head learns "not": a linear head on the same average cannot
    assert summary["pooled_negated_accuracy"] > 0.9
    assert summary["linear_negated_accuracy"] < 0.75
    # "A, but B" and "B, but A" share one bag of words: identical scores, so at most 7 of 9 right
    assert summary["pooled_swap_gap"] < 1e-4
    assert summary["pooled_examples_right"] <= 7
    assert summary["transformer_swap_gap"] > 0.5
    assert summary["transformer_examples_right"] >= 8
    assert summary["transformer_contrast_accuracy"] > summary["pooled_contrast_accuracy"] + 0.1


def test_prints_the_pipeline_and_saves_the_figures(lesson_14):
    _, files, stdout = lesson_14
    decoded = next(line for line in stdout.splitlines() if line.startswith("back:"))
    assert "<unk>" in decoded.split("(")[0]                 # the unseen word really decodes to <unk>
    assert "precision TP/(TP+FP)" in stdout
    assert "Write it yourself: exercise for this lesson" in stdout and "\n  23  classification metrics" in stdout and "recall    TP/(TP+FN)" in stdout
    for name in ("training_curves.png", "confusion_matrices.png", "accuracy_by_construction.png", "attention.png"):
        assert name in files
