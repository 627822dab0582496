"""Checks for exercise 10, the DataLoader: collate, the batches of indices (in order, drop_last, shuffled
with a seeded generator, a new order each epoch), len(loader), and whole epochs against
tinynn.utils.data.DataLoader with the same seed."""
from __future__ import annotations

import numpy as np

import tinynn
from tinynn.utils.data import DataLoader as LibraryDataLoader, TensorDataset
from ..grading import Grader, Mismatch

SEED = 1234


class _Squares:
    """A dataset that is not a TensorDataset: sample i is ([i, i^2] float64, i int64)."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        return tinynn.tensor([float(i), float(i * i)], dtype=tinynn.float64), tinynn.tensor(i)


def _dataset(n: int) -> TensorDataset:
    """Sample i is (x_i: (2, 3) float32 holding i + 0.01 * k, y_i = i): the labels name the samples."""
    x = np.arange(n, dtype=np.float32).reshape(n, 1, 1) + 0.01 * np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    return TensorDataset(tinynn.tensor(x), tinynn.tensor(np.arange(n)))


def _text(batches) -> str:
    text = str([list(b) for b in batches])
    return text if len(text) < 90 else text[:85] + " ...]"


def _as_index_lists(what: str, got) -> list:
    try:
        return [[int(i) for i in batch] for batch in got]
    except (TypeError, ValueError):
        raise Mismatch(f"{what}: returned {type(got).__name__} {str(got)[:60]}; expected a list of lists of "
                       "sample indices, e.g. [[0, 1, 2], [3, 4]]") from None


def _expect_indices(what: str, got, expected: list, n: int, batch_size: int, shuffle: bool, drop_last: bool,
                    previous: list | None = None) -> list:
    """Compare one epoch's batches of indices; the message says what is wrong with them."""
    got = _as_index_lists(what, got)
    if got == expected:
        return got
    message = f"{what}: got {_text(got)}, expected {_text(expected)}"
    flat = [i for batch in got for i in batch]
    sizes, expected_sizes = [len(b) for b in got], [len(b) for b in expected]
    duplicated = sorted({i for i in flat if flat.count(i) > 1})
    if got and got[-1] == []:
        hint = "an empty batch at the end (start a batch only where samples are left)"
    elif not drop_last and sizes == expected_sizes[:-1]:
        hint = f"the last, smaller batch is missing: drop it only when drop_last=True ({n} % {batch_size} samples)"
    elif drop_last and sizes[:-1] == expected_sizes and sizes[-1:] == [n % batch_size]:
        hint = "the last, smaller batch is kept although drop_last=True"
    elif sizes != expected_sizes:
        hint = f"batch sizes {sizes}, expected {expected_sizes}"
    elif duplicated or any(not 0 <= i < n for i in flat):
        hint = (f"index {duplicated[0]} appears more than once: each sample once per epoch (a permutation, "
                "not n independent draws)" if duplicated else f"indices outside 0..{n - 1}")
    elif shuffle and flat == sorted(flat):
        hint = "the samples are in order: with shuffle=True draw the order with tinynn.randperm(n, generator=generator)"
    elif shuffle and previous is not None and got == previous:
        hint = ("the same order as the epoch before: draw a new permutation each epoch (one randperm call per "
                "epoch, with the generator given, never re-seeded)")
    elif shuffle:
        hint = ("a valid random order, but not the one tinynn.randperm(n, generator=generator) gives with the "
                "same seed: draw it with that call, once per epoch, from the generator given")
    else:
        hint = "with shuffle=False the samples come in order 0, 1, ..., n-1"
    raise Mismatch(f"{message}. Hint: {hint}")


def _reference_epochs(reference, n, batch_size, shuffle, drop_last, epochs):
    generator = tinynn.Generator().manual_seed(SEED)
    return [reference.batch_indices(n, batch_size, shuffle, drop_last, generator) for _ in range(epochs)]


def _labels(batch) -> list:
    return [int(i) for i in np.asarray(batch[-1].numpy()).reshape(-1)]


def _expect_epoch(g: Grader, what: str, got: list, expected: list) -> None:
    """Compare one epoch of the student's batches with the library's, batch by batch."""
    if len(got) != len(expected):
        raise Mismatch(f"{what}: {len(got)} batches, but tinynn.utils.data.DataLoader gives {len(expected)} "
                       f"(samples {_text([_labels(b) for b in expected])})")
    for k, (mine, theirs) in enumerate(zip(got, expected)):
        where = f"{what}, batch {k + 1}"
        if not isinstance(mine, (tuple, list)) or len(mine) != len(theirs):
            kind = type(mine).__name__ + (f" of {len(mine)} values" if isinstance(mine, (tuple, list)) else "")
            raise Mismatch(f"{where}: a {kind}, expected a tuple of {len(theirs)} Tensors (x, y), one per element "
                           "of a sample. Hint: yield collate(samples)")
        if isinstance(mine[-1], tinynn.Tensor) and mine[-1].shape == theirs[-1].shape \
                and _labels(mine) != _labels(theirs):
            hint = ("one tinynn.randperm(len(dataset), generator=self.generator) per epoch, cut into batches in "
                    "that order")
            if _labels(mine) == sorted(_labels(mine)) and _labels(theirs) != sorted(_labels(theirs)):
                hint = "your samples come in order: is shuffle=True passed on to batch_indices?"
            raise Mismatch(f"{where}: the samples {_labels(mine)}, but tinynn.utils.data.DataLoader with the same "
                           f"seed gives {_labels(theirs)}. Hint: {hint}")
        for j, (a, b) in enumerate(zip(mine, theirs)):
            g.expect(f"{where}, element {j}", a, b, exact=True, expected_label="tinynn.utils.data.DataLoader's")


def _epochs(g: Grader, loader, count: int) -> list:
    return [g.call(lambda: list(iter(loader)), what="DataLoader.__iter__") for _ in range(count)]


def _grade_collate(g: Grader, student) -> None:
    x, y, w = g.randn(4, 3), np.arange(4), g.randn(4).astype(np.float32)
    cases = [("4 samples (x: (3,) float64, y: () int64)",
              [(tinynn.tensor(x[i]), tinynn.tensor(y[i])) for i in range(4)]),
             ("1 sample (a batch of one)", [(tinynn.tensor(x[0]), tinynn.tensor(y[0]))]),
             ("3 samples of 3 Tensors (x, y, weight)",
              [(tinynn.tensor(x[i]), tinynn.tensor(y[i]), tinynn.tensor(w[i])) for i in range(3)])]
    for name, samples in cases:
        with g.check(name, "collate", 2 if name.startswith("4") else 1):
            got = g.call(student.collate, samples)
            expected = tuple(tinynn.stack([s[j] for s in samples]) for j in range(len(samples[0])))
            if not isinstance(got, (tuple, list)) or len(got) != len(expected):
                kind = type(got).__name__ + (f" of {len(got)} values" if isinstance(got, (tuple, list)) else "")
                raise Mismatch(f"collate: returned a {kind}, expected a tuple of {len(expected)} Tensors (one per "
                               "element of a sample). Hint: group the samples' j-th elements, then stack each group")
            for j, (a, b) in enumerate(zip(got, expected)):
                g.expect(f"collate({name}): element {j}", a, b, exact=True)


def _grade_batch_indices(g: Grader, student, reference) -> None:
    in_order = [("in order, with a last smaller batch", [(10, 3, False), (7, 2, False)], 2),
                ("in order, drop_last=True", [(10, 3, True), (9, 3, True), (4, 8, True)], 1),
                ("a batch of 1, a batch that divides n, a batch larger than the dataset",
                 [(5, 1, False), (9, 3, False), (4, 8, False)], 1)]
    for name, cases, points in in_order:
        with g.check(name, "batch_indices", points):
            for n, batch_size, drop_last in cases:
                what = f"batch_indices(n={n}, batch_size={batch_size}, shuffle=False, drop_last={drop_last})"
                got = g.call(student.batch_indices, n, batch_size, False, drop_last, None)
                _expect_indices(what, got, reference.batch_indices(n, batch_size, False, drop_last),
                                n, batch_size, False, drop_last)

    shuffled = [("shuffled: each sample once per epoch, the same epochs as the reference for the same seed",
                 [(10, 4, False), (8, 1, False), (7, 7, False)], 3),
                ("shuffled with drop_last=True", [(10, 4, True), (11, 3, True)], 1)]
    for name, cases, points in shuffled:
        with g.check(f"{name} (3 epochs)", "batch_indices", points):
            for n, batch_size, drop_last in cases:
                expected = _reference_epochs(reference, n, batch_size, True, drop_last, 3)
                generator = tinynn.Generator().manual_seed(SEED)
                previous = None
                for epoch in range(3):
                    what = (f"batch_indices(n={n}, batch_size={batch_size}, shuffle=True, drop_last={drop_last}, "
                            f"a generator seeded {SEED}), epoch {epoch + 1}")
                    got = g.call(student.batch_indices, n, batch_size, True, drop_last, generator)
                    previous = _expect_indices(what, got, expected[epoch], n, batch_size, True, drop_last, previous)

    with g.check("shuffled without a generator: a permutation, new every epoch", "batch_indices"):
        tinynn.manual_seed(SEED)
        what = "batch_indices(12, 5, shuffle=True)"
        first = _as_index_lists(what, g.call(student.batch_indices, 12, 5, True, False, None))
        second = _as_index_lists(what, g.call(student.batch_indices, 12, 5, True, False, None))
        for epoch, got in enumerate((first, second), start=1):
            flat = [i for batch in got for i in batch]
            if sorted(flat) != list(range(12)) or [len(b) for b in got] != [5, 5, 2]:
                raise Mismatch(f"batch_indices(n=12, batch_size=5, shuffle=True, generator=None), epoch {epoch}: got "
                               f"{_text(got)}; expected batches of 5, 5 and 2 holding each index 0..11 once")
        if first == second:
            raise Mismatch(f"batch_indices(n=12, batch_size=5, shuffle=True, generator=None): the same order "
                           f"{_text(first)} twice. Hint: draw a new tinynn.randperm each epoch; with generator=None "
                           "it uses tinynn's default generator")


def _grade_loader(g: Grader, student) -> None:
    with g.check("len(loader): ceil(N / batch_size), or floor with drop_last", "DataLoader.__len__", 2):
        for n, batch_size, drop_last in [(10, 3, False), (10, 3, True), (9, 3, False), (9, 3, True), (10, 1, False),
                                         (5, 8, False), (5, 8, True)]:
            loader = g.call(student.DataLoader, _dataset(n), batch_size=batch_size, drop_last=drop_last)
            got = g.call(len, loader, what="DataLoader.__len__")
            expected = len(LibraryDataLoader(_dataset(n), batch_size=batch_size, drop_last=drop_last))
            if got != expected:
                hint = ("n // batch_size drops the last, smaller batch: count it unless drop_last"
                        if not drop_last and got == n // batch_size else
                        "with drop_last the last, smaller batch does not count" if drop_last else
                        "(n + batch_size - 1) // batch_size is ceil(n / batch_size) in integers")
                raise Mismatch(f"len(DataLoader(N={n}, batch_size={batch_size}, drop_last={drop_last})): got {got}, "
                               f"expected {expected}. Hint: {hint}")

    settings = [(dict(batch_size=4, shuffle=True), 10, 3), (dict(batch_size=4, shuffle=True, drop_last=True), 10, 2),
                (dict(batch_size=3), 7, 1), (dict(batch_size=1, shuffle=True), 5, 1)]
    for options, n, points in settings:
        text = ", ".join(f"{k}={v}" for k, v in options.items())
        with g.check(f"3 epochs of DataLoader(N={n}, {text}, a generator seeded {SEED}) against "
                     "tinynn.utils.data.DataLoader", "DataLoader.__iter__", points):
            library = LibraryDataLoader(_dataset(n), generator=tinynn.Generator().manual_seed(SEED), **options)
            loader = g.call(student.DataLoader, _dataset(n), generator=tinynn.Generator().manual_seed(SEED), **options)
            for epoch, (mine, theirs) in enumerate(zip(_epochs(g, loader, 3), [list(library) for _ in range(3)])):
                _expect_epoch(g, f"DataLoader(N={n}, {text}), epoch {epoch + 1}", mine, theirs)

    with g.check("a dataset that is not a TensorDataset (only len(dataset) and dataset[i])", "DataLoader.__iter__"):
        library = LibraryDataLoader(_Squares(7), batch_size=3, shuffle=True,
                                    generator=tinynn.Generator().manual_seed(SEED))
        loader = g.call(student.DataLoader, _Squares(7), batch_size=3, shuffle=True,
                        generator=tinynn.Generator().manual_seed(SEED))
        for epoch, (mine, theirs) in enumerate(zip(_epochs(g, loader, 2), [list(library) for _ in range(2)])):
            _expect_epoch(g, f"DataLoader(_Squares(7), batch_size=3, shuffle=True), epoch {epoch + 1}", mine, theirs)


def grade(g: Grader, student, reference) -> None:
    _grade_collate(g, student)
    _grade_batch_indices(g, student, reference)
    _grade_loader(g, student)
