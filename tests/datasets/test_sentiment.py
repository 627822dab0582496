"""The generated sentiment set (balance, determinism, disjoint splits, labels that follow the rules)
and the IMDB reader on a tiny archive written here."""
import hashlib
import io
import tarfile

import numpy as np
import pytest

import tinynn
from tinynn.datasets import WordTokenizer, load_imdb, load_sentiment, sentiment_examples
from tinynn.datasets import sentiment as S
from tinynn.datasets.download import Resource

POSITIVE_WORDS = set(S.POSITIVE) | {w for pair in S.POSITIVE_VERBS for w in pair}
NEGATIVE_WORDS = set(S.NEGATIVE) | {w for pair in S.NEGATIVE_VERBS for w in pair}


def rule_label(text: str) -> int:
    """An independent reading of the rules: the clause after 'but' decides; 'not'/'never' flips."""
    words = WordTokenizer.tokenize(text.split(" but ")[-1])
    polarity = [w in POSITIVE_WORDS for w in words if w in POSITIVE_WORDS | NEGATIVE_WORDS]
    assert len(polarity) == 1, text
    negated = any(w in ("not", "never", "wasn't") for w in words)
    return int(polarity[0] != negated)


def test_labels_follow_the_rules_and_all_kinds_occur():
    examples = sentiment_examples(600, seed=4)
    for text, label, _ in examples:
        assert rule_label(text) == label
    kinds = {kind for _, _, kind in examples}
    assert kinds == set(S.SENTIMENT_KINDS)
    assert any("but" in text for text, _, _ in examples) and any(" not " in text for text, _, _ in examples)


def test_splits_are_balanced_deterministic_and_disjoint():
    texts, labels = load_sentiment("train", n_train=400, n_test=101)
    test_texts, test_labels = load_sentiment("test", n_train=400, n_test=101)
    assert len(texts) == 400 and labels.shape == (400,) and labels.dtype == tinynn.int64
    assert int(labels.numpy().sum()) == 200 and abs(int(test_labels.numpy().sum()) * 2 - 101) <= 1
    assert len(set(texts)) == 400 and len(set(test_texts)) == 101
    assert not set(texts) & set(test_texts)
    again, again_labels = load_sentiment("train", n_train=400, n_test=101)
    assert again == texts and np.array_equal(again_labels.numpy(), labels.numpy())
    assert load_sentiment("train", n_train=400, seed=1)[0] != texts
    with pytest.raises(ValueError, match="split"):
        load_sentiment("valid")


def test_only_chosen_kinds():
    examples = sentiment_examples(50, seed=0, kinds=("negated",))
    assert all(kind == "negated" and rule_label(t) == label for t, label, kind in examples)
    with pytest.raises(ValueError, match="kinds"):
        sentiment_examples(5, kinds=("sarcasm",))


def test_imdb_reader_on_a_tiny_archive(tmp_path, monkeypatch):
    files = {
        "aclImdb/train/pos/10_9.txt": "Great film.<br />Loved it.",
        "aclImdb/train/pos/2_8.txt": "Fine acting.",
        "aclImdb/train/neg/5_1.txt": "Dull.",
        "aclImdb/test/neg/0_2.txt": "Awful ending.",
        "aclImdb/train/unsup/7_0.txt": "No label here.",
        "aclImdb/README": "not a review",
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            data = content.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    served = tmp_path / "aclImdb_v1.tar.gz"
    served.write_bytes(buffer.getvalue())
    fake = Resource("aclImdb_v1.tar.gz", hashlib.sha256(buffer.getvalue()).hexdigest(), (served.as_uri(),))
    monkeypatch.setattr(S, "IMDB", fake)
    texts, labels = load_imdb("train", root=tmp_path / "cache", quiet=True)
    assert texts == ["Dull.", "Fine acting.", "Great film. Loved it."]  # negatives first, then by id
    assert labels.numpy().tolist() == [0, 1, 1]
    texts, labels = load_imdb("test", root=tmp_path / "cache", quiet=True)
    assert texts == ["Awful ending."] and labels.numpy().tolist() == [0]
