"""Text for the sequence lessons: a character corpus, tokenizers, and next-character training windows.

    load_char_corpus("fables")            generated fables, offline (see fable_corpus.py)
    load_char_corpus("tiny_shakespeare")  Karpathy's Tiny Shakespeare, 1.1 MB, downloaded and cached
    CharTokenizer(text)                   characters <-> integer ids
    WordTokenizer.from_texts(texts)       words <-> ids, with <pad> = 0 and <unk> = 1
    CharDataset(ids, block_size)          sample i: x = ids[i : i+T], y = ids[i+1 : i+T+1]

Tiny Shakespeare (about 40,000 lines from Shakespeare's plays, public domain) is the file Andrej
Karpathy put together for char-rnn (https://github.com/karpathy/char-rnn, MIT licence); it is
checked against its SHA-256 like every download (download.py).
"""
from __future__ import annotations

import os
import re
from collections import Counter
from typing import Iterable, Sequence

import numpy as np

from ..creation import from_numpy
from ..tensor import Tensor
from ..utils.data import Dataset
from .download import Resource, data_home, fetch
from .fable_corpus import fables

__all__ = ["load_char_corpus", "load_tiny_shakespeare", "CharTokenizer", "WordTokenizer", "CharDataset",
           "TINY_SHAKESPEARE"]

TINY_SHAKESPEARE = Resource(
    "tinyshakespeare.txt",
    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    ("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
     "https://raw.githubusercontent.com/jcjohnson/torch-rnn/master/data/tiny-shakespeare.txt"),
    1_115_394,
)
_OFFLINE_HINT = 'Offline, use load_char_corpus("fables"), which tinynn generates itself.'
CORPORA = ("fables", "tiny_shakespeare")


def load_tiny_shakespeare(root: str | os.PathLike | None = None, download: bool = True,
                          quiet: bool = False) -> str:
    """The Tiny Shakespeare text (1,115,394 characters, 65 distinct), cached under ``data_home(root)``."""
    path = fetch(TINY_SHAKESPEARE, data_home(root), download, quiet, _OFFLINE_HINT)
    with open(path, encoding="utf-8") as f:
        return f.read()


def load_char_corpus(name: str = "fables", root: str | os.PathLike | None = None, download: bool = True,
                     n_chars: int = 60_000) -> str:
    """A text to train a character model on: "fables" (generated, ``n_chars`` long) or "tiny_shakespeare"."""
    if name == "fables":
        return fables(n_chars)
    if name == "tiny_shakespeare":
        return load_tiny_shakespeare(root, download)
    raise ValueError(f"load_char_corpus: unknown corpus {name!r}; expected one of {CORPORA}")


def _ids_list(ids) -> list[int]:
    """Token ids from a list, a NumPy array or a tinynn tensor, as a flat list of Python ints."""
    if isinstance(ids, Tensor):
        ids = ids.numpy()
    return [int(i) for i in np.asarray(ids).reshape(-1)]


class CharTokenizer:
    """A vocabulary of single characters: id i is the i-th character of sorted(set(text)).

    encode("hi") -> [ids], decode([ids]) -> "hi"; decode accepts lists, arrays and tensors.
    """

    def __init__(self, text: str):
        if not text:
            raise ValueError("CharTokenizer: needs a non-empty text to build its vocabulary from")
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.itos = dict(enumerate(self.chars))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        try:
            return [self.stoi[c] for c in text]
        except KeyError as error:
            raise ValueError(f"CharTokenizer.encode: character {error.args[0]!r} is not in the vocabulary "
                             f"({self.vocab_size} characters built from the training text)") from None

    def decode(self, ids) -> str:
        ids = _ids_list(ids)
        bad = [i for i in ids if i not in self.itos]
        if bad:
            raise ValueError(f"CharTokenizer.decode: id {bad[0]} is outside the vocabulary 0..{self.vocab_size - 1}")
        return "".join(self.itos[i] for i in ids)

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"


class WordTokenizer:
    """Lower-cased words and punctuation marks <-> ids; id 0 is padding, id 1 stands for unknown words.

    ``tokenize("The plot wasn't bad!")`` -> ["the", "plot", "wasn't", "bad", "!"]. Build the
    vocabulary from training texts only (``from_texts``), so that words first seen in the test
    set become <unk>, as they would for a deployed model.
    """

    PAD, UNK = "<pad>", "<unk>"
    _TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")

    def __init__(self, vocab: Sequence[str]):
        if list(vocab[:2]) != [self.PAD, self.UNK]:
            raise ValueError(f"WordTokenizer: the vocabulary must start with {self.PAD!r}, {self.UNK!r}")
        self.itos = list(vocab)
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        self.pad_id, self.unk_id = 0, 1

    @classmethod
    def tokenize(cls, text: str) -> list[str]:
        return cls._TOKEN.findall(text.lower())

    @classmethod
    def from_texts(cls, texts: Iterable[str], min_freq: int = 1, max_size: int | None = None) -> "WordTokenizer":
        """A vocabulary of the words seen at least ``min_freq`` times, most frequent first (ties A-Z)."""
        counts = Counter(token for text in texts for token in cls.tokenize(text))
        words = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
        if max_size is not None:
            words = words[: max(0, max_size - 2)]
        return cls([cls.PAD, cls.UNK] + words)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> list[int]:
        return [self.stoi.get(token, self.unk_id) for token in self.tokenize(text)]

    def encode_batch(self, texts: Sequence[str], max_length: int | None = None) -> tuple[Tensor, Tensor]:
        """Token ids padded with 0 to one length: ids (N, L) int64 and lengths (N,) int64.

        L is the longest text's length, or ``max_length`` (longer texts are cut to it).
        """
        encoded = [self.encode(t)[:max_length] if max_length else self.encode(t) for t in texts]
        lengths = np.array([len(e) for e in encoded], dtype=np.int64)
        width = max_length or int(lengths.max(initial=0))
        ids = np.full((len(encoded), width), self.pad_id, dtype=np.int64)
        for row, e in enumerate(encoded):
            ids[row, : len(e)] = e
        return from_numpy(ids), from_numpy(lengths)

    def decode(self, ids) -> str:
        """Ids back to words joined by spaces (padding dropped; unknown words show as <unk>)."""
        return " ".join(self.itos[i] for i in _ids_list(ids) if i != self.pad_id)

    def __repr__(self) -> str:
        return f"WordTokenizer(vocab_size={self.vocab_size})"


class CharDataset(Dataset):
    """Every window of ``block_size + 1`` consecutive ids, as (input, target) shifted by one.

    ids: (L,) token ids (a list, array or tensor; e.g. ``tokenizer.encode(text)``).
    ``dataset[i]`` is (x, y), int64 tensors (T,): x = ids[i : i+T], y = ids[i+1 : i+T+1], so the
    model learns to predict each next token. There are L - T windows.
    """

    def __init__(self, ids, block_size: int):
        self.ids = np.asarray(_ids_list(ids), dtype=np.int64)
        if block_size < 1 or len(self.ids) <= block_size:
            raise ValueError(f"CharDataset: need 1 <= block_size < len(ids), got block_size={block_size} "
                             f"for {len(self.ids)} ids")
        self.block_size = block_size

    def __len__(self) -> int:
        return len(self.ids) - self.block_size

    def __getitem__(self, index: int):
        if not -len(self) <= index < len(self):
            raise IndexError(f"CharDataset: index {index} out of range for {len(self)} windows")
        index %= len(self)
        window = self.ids[index: index + self.block_size + 1]
        return from_numpy(window[:-1].copy()), from_numpy(window[1:].copy())
