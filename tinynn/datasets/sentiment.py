"""Sentiment classification: short reviews labelled 1 (positive) or 0 (negative).

    load_sentiment(split="train")   generated reviews, offline: (texts: list[str], labels int64 (N,))
    sentiment_examples(n, seed)     the generator behind it, with each sentence's construction kind
    load_imdb(split="train")        the IMDB Large Movie Review set (Maas et al., 2011), 84 MB download

The generated reviews come from templates over small word lists (written for tinynn). Their
labels follow simple rules that a model has to learn, some of which a bag of words cannot:

    plain        "The acting was really wonderful."                     -> the adjective's sentiment
    negated      "The plot was not very good."                          -> the opposite
    verb         "I loved the soundtrack." / "I did not enjoy the cast." -> the verb's sentiment, or opposite
    contrast     "The cast was brilliant, but the ending was dull."     -> the clause after "but"

Each split is exactly balanced (half positive), and no sentence occurs twice or in both splits.
"""
from __future__ import annotations

import io
import os
import re
import tarfile

import numpy as np

from ..creation import from_numpy
from ..tensor import Tensor
from .download import Resource, data_home, fetch

__all__ = ["load_sentiment", "sentiment_examples", "load_imdb", "IMDB", "SENTIMENT_KINDS"]

SUBJECTS = ["the movie", "this film", "the story", "the acting", "the plot", "the soundtrack", "the ending",
            "the dialogue", "the cast", "the pacing", "the script", "the camera work", "the music",
            "the lead actor", "the final scene", "the humour"]
POSITIVE = ["good", "great", "wonderful", "brilliant", "excellent", "moving", "delightful", "charming",
            "superb", "fun", "beautiful", "clever", "gripping", "enjoyable", "touching", "fantastic"]
NEGATIVE = ["bad", "terrible", "awful", "boring", "dull", "weak", "clumsy", "painful", "tedious",
            "disappointing", "messy", "forgettable", "poor", "silly", "flat", "predictable"]
INTENSIFIERS = ["", "", "very ", "really ", "truly ", "quite ", "extremely ", "rather "]
# (past tense, base form) of verbs that carry sentiment
POSITIVE_VERBS = [("loved", "love"), ("enjoyed", "enjoy"), ("adored", "adore"), ("liked", "like"),
                  ("admired", "admire")]
NEGATIVE_VERBS = [("hated", "hate"), ("disliked", "dislike"), ("resented", "resent"),
                  ("regretted", "regret"), ("despised", "despise")]
# negations that may take an intensifier ("was not very good") and ones that may not
NEGATIONS = ["was not", "wasn't"]
STRONG_NEGATIONS = ["was never", "was not at all"]
OPENERS = ["", "", "", "honestly, ", "overall, ", "to be fair, ", "in the end, ", "I think "]
ENDINGS = [".", ".", ".", "!", " overall.", ", I think."]
SENTIMENT_KINDS = ("plain", "negated", "verb", "negated verb", "contrast")


class _ReviewWriter:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def adjective(self, positive: bool) -> str:
        return self.pick(POSITIVE if positive else NEGATIVE)

    def clause(self, kind: str, positive: bool) -> str:
        """A clause whose meaning is ``positive`` (True) or negative, built the way ``kind`` says."""
        subject = self.pick(SUBJECTS)
        if kind == "plain":
            return f"{subject} was {self.pick(INTENSIFIERS)}{self.adjective(positive)}"
        if kind == "negated":  # "not good" is negative: the adjective has the opposite sentiment
            if self.rng.random() < 0.5:
                return f"{subject} {self.pick(NEGATIONS)} {self.pick(INTENSIFIERS)}{self.adjective(not positive)}"
            return f"{subject} {self.pick(STRONG_NEGATIONS)} {self.adjective(not positive)}"
        if kind == "verb":
            past, _ = self.pick(POSITIVE_VERBS if positive else NEGATIVE_VERBS)
            return f"I {past} {subject}"
        if kind == "negated verb":
            _, base = self.pick(NEGATIVE_VERBS if positive else POSITIVE_VERBS)
            return f"I did not {base} {subject}"
        if kind == "contrast":  # the clause after "but" decides; the first one says the opposite
            first = self.clause(self.pick(["plain", "verb"]), not positive)
            second = self.clause(self.pick(["plain", "negated", "verb"]), positive)
            return f"{first}, but {second}"
        raise ValueError(kind)

    def review(self, kind: str, positive: bool) -> str:
        opener, ending = self.pick(OPENERS), self.pick(ENDINGS)
        if opener == "I think " and ending == ", I think.":
            ending = "."
        text = opener + self.clause(kind, positive) + ending
        return text[0].upper() + text[1:]


def sentiment_examples(n_samples: int, seed: int = 0, kinds: tuple[str, ...] = SENTIMENT_KINDS,
                       exclude: set[str] | None = None) -> list[tuple[str, int, str]]:
    """``n_samples`` distinct generated reviews as (text, label, kind), exactly half positive.

    kinds: the constructions to use, drawn uniformly (see the module docstring).
    exclude: texts that must not be produced (e.g. another split's).
    """
    unknown = set(kinds) - set(SENTIMENT_KINDS)
    if unknown or not kinds:
        raise ValueError(f"sentiment_examples: kinds must be a non-empty subset of {SENTIMENT_KINDS}, got {kinds}")
    rng = np.random.default_rng(seed)
    writer = _ReviewWriter(rng)
    wanted = np.arange(n_samples) % 2 == 1
    rng.shuffle(wanted)
    seen = set(exclude or ())
    examples = []
    for positive in wanted:
        for _ in range(1000):  # redraw until the sentence is new
            kind = writer.pick(kinds)
            text = writer.review(kind, bool(positive))
            if text not in seen:
                break
        else:
            raise RuntimeError("sentiment_examples: ran out of distinct sentences; ask for fewer")
        seen.add(text)
        examples.append((text, int(positive), kind))
    return examples


def load_sentiment(split: str = "train", n_train: int = 2000, n_test: int = 500, seed: int = 0
                   ) -> tuple[list[str], Tensor]:
    """Generated reviews: (texts, labels int64 (N,)), N = n_train or n_test; deterministic in ``seed``.

    The test sentences are drawn after the training ones and never repeat them.
    """
    if split not in ("train", "test"):
        raise ValueError(f"load_sentiment: split must be 'train' or 'test', got {split!r}")
    train = sentiment_examples(n_train, seed)
    if split == "train":
        chosen = train
    else:
        chosen = sentiment_examples(n_test, seed + 1, exclude={text for text, _, _ in train})
    texts = [text for text, _, _ in chosen]
    return texts, from_numpy(np.array([label for _, label, _ in chosen], dtype=np.int64))


IMDB = Resource(
    "aclImdb_v1.tar.gz",
    "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
    ("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",),
    84_125_825,
)
_REVIEW_PATH = re.compile(r"^aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


def load_imdb(split: str = "train", root: str | os.PathLike | None = None, download: bool = True,
              quiet: bool = False) -> tuple[list[str], Tensor]:
    """The IMDB movie reviews (25,000 per split, half positive): (texts, labels int64 (N,)).

    A. Maas et al., "Learning Word Vectors for Sentiment Analysis", ACL 2011;
    https://ai.stanford.edu/~amaas/data/sentiment/. The archive (84 MB) is downloaded once to
    ``data_home(root)`` and read straight from the .tar.gz (several seconds). Reviews are sorted
    negatives first, then by file name; "<br />" line breaks become spaces.
    """
    if split not in ("train", "test"):
        raise ValueError(f"load_imdb: split must be 'train' or 'test', got {split!r}")
    hint = 'Offline, use load_sentiment(), which tinynn generates itself.'
    path = fetch(IMDB, data_home(root), download, quiet, hint)
    reviews = []
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            match = _REVIEW_PATH.match(member.name)
            if not member.isfile() or not match or match.group(1) != split:
                continue
            text = io.TextIOWrapper(archive.extractfile(member), encoding="utf-8").read()
            label = int(match.group(2) == "pos")
            reviews.append((label, int(match.group(3)), text.replace("<br />", " ")))
    if not reviews:
        raise ValueError(f"{path}: no reviews found under aclImdb/{split}/pos or /neg")
    reviews.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in reviews], from_numpy(np.array([r[0] for r in reviews], dtype=np.int64))
