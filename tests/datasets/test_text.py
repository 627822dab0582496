"""Text: the generated fables, the tokenizers, next-character windows, Tiny Shakespeare's loader."""
import hashlib

import numpy as np
import pytest

import tinynn
from tinynn.datasets import (
    CharDataset, CharTokenizer, WordTokenizer, fables, load_char_corpus, load_tiny_shakespeare,
)
from tinynn.datasets import download as dl
from tinynn.datasets import text as text_module
from tinynn.datasets.download import DownloadError, Resource
from tinynn.utils.data import DataLoader


def test_fables_are_deterministic_and_structured():
    corpus = fables(20_000)
    assert corpus == fables(20_000) and corpus != fables(20_000, seed=1)
    assert 20_000 <= len(corpus) < 22_000
    assert load_char_corpus("fables", n_chars=20_000) == corpus
    stories = corpus.strip().split("\n\n")
    assert len(stories) % 2 == 0  # a title, then its body, for every fable
    for title, body in zip(stories[::2], stories[1::2]):
        assert title == title.upper() and " AND THE " in title
        story, moral = body.split("\n")
        assert moral.startswith("Moral: ") and moral.endswith(".")
        assert story.count('"') % 2 == 0  # every quote is closed
        assert story[0].isupper()
    assert 40 <= len(set(corpus)) <= 70


def test_char_tokenizer_round_trip():
    corpus = fables(5_000)
    tok = CharTokenizer(corpus)
    assert tok.vocab_size == len(set(corpus)) == len(tok)
    assert tok.chars == sorted(tok.chars)
    ids = tok.encode(corpus)
    assert min(ids) == 0 and max(ids) == tok.vocab_size - 1
    assert tok.decode(ids) == corpus
    assert tok.decode(tinynn.tensor(ids[:50])) == corpus[:50]
    assert tok.decode(np.array(ids[:50])) == corpus[:50]
    with pytest.raises(ValueError, match="character '#' is not in the vocabulary"):
        tok.encode("a#b")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.decode([tok.vocab_size])


def test_char_dataset_windows():
    ids = list(range(10))
    dataset = CharDataset(ids, block_size=4)
    assert len(dataset) == 6
    x, y = dataset[2]
    assert x.dtype == tinynn.int64 and x.numpy().tolist() == [2, 3, 4, 5] and y.numpy().tolist() == [3, 4, 5, 6]
    assert dataset[-1][1].numpy().tolist() == [6, 7, 8, 9]
    with pytest.raises(IndexError):
        dataset[6]
    xb, yb = next(iter(DataLoader(dataset, batch_size=3)))
    assert xb.shape == (3, 4) and yb.numpy().tolist()[0] == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="block_size"):
        CharDataset(ids, block_size=10)


def test_word_tokenizer():
    assert WordTokenizer.tokenize("The plot WASN'T bad, honestly!") == ["the", "plot", "wasn't", "bad", ",",
                                                                        "honestly", "!"]
    tok = WordTokenizer.from_texts(["the film was good", "the film was bad", "the end"])
    assert tok.itos[:4] == ["<pad>", "<unk>", "the", "film"]  # by frequency, ties alphabetical
    assert tok.encode("the film was great") == [2, 3, tok.stoi["was"], tok.unk_id]
    ids, lengths = tok.encode_batch(["the end", "the film was good", ""])
    assert ids.shape == (3, 4) and ids.dtype == tinynn.int64 and lengths.numpy().tolist() == [2, 4, 0]
    assert ids.numpy()[0, 2:].tolist() == [0, 0]
    assert tok.decode(ids[0]) == "the end"
    cut, cut_lengths = tok.encode_batch(["the film was good"], max_length=2)
    assert cut.shape == (1, 2) and cut_lengths.numpy().tolist() == [2]
    assert WordTokenizer.from_texts(["a a b c"], min_freq=2).itos == ["<pad>", "<unk>", "a"]
    assert WordTokenizer.from_texts(["a a b c"], max_size=3).vocab_size == 3


def test_tiny_shakespeare_download_and_offline(tmp_path, monkeypatch):
    play = "First Citizen:\nBefore we proceed any further, hear me speak.\n"
    served = tmp_path / "input.txt"
    served.write_text(play, encoding="utf-8")
    fake = Resource("tinyshakespeare.txt", hashlib.sha256(play.encode()).hexdigest(), (served.as_uri(),))
    monkeypatch.setattr(text_module, "TINY_SHAKESPEARE", fake)
    assert load_tiny_shakespeare(root=tmp_path / "cache", quiet=True) == play
    assert load_char_corpus("tiny_shakespeare", root=tmp_path / "cache") == play  # from the cache now

    monkeypatch.setattr(text_module, "TINY_SHAKESPEARE", Resource(fake.filename, fake.sha256, ("https://x.example/t",)))
    monkeypatch.setattr(dl, "urlopen", lambda url, timeout: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(DownloadError, match='load_char_corpus\\("fables"\\)'):
        load_tiny_shakespeare(root=tmp_path / "other", quiet=True)
    with pytest.raises(ValueError, match="unknown corpus"):
        load_char_corpus("war_and_peace")
