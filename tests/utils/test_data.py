"""Datasets, samplers, collation and the DataLoader (tinynn/utils/data)."""
import collections

import numpy as np
import pytest

import tinynn
from tinynn.utils.data import (
    BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler, SequentialSampler, Subset,
    SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate, random_split,
)
from tests.helpers import needs_torch


def toy_dataset(n=10):
    x = tinynn.tensor(np.arange(2 * n, dtype=np.float32).reshape(n, 2))
    y = tinynn.arange(n)
    return TensorDataset(x, y)


def batches_of(loader):
    return [[t.tolist() for t in batch] for batch in loader]


def test_batches_in_order_with_a_short_last_batch_or_dropped():
    loader = DataLoader(toy_dataset(), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [b[0].shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    assert batches[1][1].tolist() == [4, 5, 6, 7] and batches[2][0].tolist() == [[16.0, 17.0], [18.0, 19.0]]
    assert batches[0][0].dtype == tinynn.float32 and batches[0][1].dtype == tinynn.int64
    dropped = DataLoader(toy_dataset(), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [b[1].tolist() for b in dropped] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_tensor_dataset_fast_path_equals_collating_samples():
    dataset = toy_dataset(9)
    via_samples = Subset(dataset, list(range(9)))  # no fast path: samples are collated one by one
    for shuffle_seed in (None, 5):
        kwargs = {} if shuffle_seed is None else {"shuffle": True, "generator": tinynn.Generator().manual_seed(5)}
        fast = list(DataLoader(dataset, batch_size=4, **kwargs))
        kwargs = {} if shuffle_seed is None else {"shuffle": True, "generator": tinynn.Generator().manual_seed(5)}
        slow = list(DataLoader(via_samples, batch_size=4, **kwargs))
        assert batches_of(fast) == batches_of(slow)
        assert [[t.dtype for t in b] for b in fast] == [[t.dtype for t in b] for b in slow]


def test_shuffling_is_a_permutation_reproducible_with_manual_seed_and_with_a_generator():
    def order(**kwargs):
        return [i for batch in DataLoader(toy_dataset(12), batch_size=5, shuffle=True, **kwargs)
                for i in batch[1].tolist()]

    tinynn.manual_seed(0)
    first, second_epoch = order(), order()
    tinynn.manual_seed(0)
    assert order() == first and order() == second_epoch
    assert sorted(first) == list(range(12)) and first != list(range(12)) and first != second_epoch
    g = tinynn.Generator().manual_seed(3)
    with_generator = order(generator=g)
    assert order(generator=tinynn.Generator().manual_seed(3)) == with_generator
    tinynn.manual_seed(1)
    assert order(generator=tinynn.Generator().manual_seed(3)) == with_generator  # independent of the default


def test_default_collate_of_nested_structures():
    Point = collections.namedtuple("Point", ["x", "y"])
    samples = [{"image": np.full((2, 3), i, dtype=np.float32), "label": i, "weight": 0.5 * i, "flag": i % 2 == 0,
                "name": f"s{i}", "pair": (tinynn.tensor([i, i + 1.0]), np.float32(i)), "point": Point(i, -i),
                "nested": [[i, 2 * i], {"k": np.int32(i)}]} for i in range(3)]
    batch = default_collate(samples)
    assert batch["image"].shape == (3, 2, 3) and batch["image"].dtype == tinynn.float32
    assert batch["image"][2].tolist() == [[2.0] * 3] * 2
    assert batch["label"].tolist() == [0, 1, 2] and batch["label"].dtype == tinynn.int64
    assert batch["weight"].dtype == tinynn.float64 and batch["weight"].tolist() == [0.0, 0.5, 1.0]
    assert batch["flag"].dtype == tinynn.bool and batch["flag"].tolist() == [True, False, True]
    assert batch["name"] == ["s0", "s1", "s2"]
    assert isinstance(batch["pair"], list) and batch["pair"][0].tolist() == [[0, 1], [1, 2], [2, 3]]
    assert batch["pair"][1].dtype == tinynn.float32
    assert isinstance(batch["point"], Point) and batch["point"].y.tolist() == [0, -1, -2]
    assert batch["nested"][0][1].tolist() == [0, 2, 4] and batch["nested"][1]["k"].dtype == tinynn.int32


@needs_torch
def test_default_collate_gives_torchs_dtypes_and_values():
    from torch.utils.data import default_collate as torch_collate

    samples = [(np.arange(3, dtype=np.int16) + i, 1.5 * i, i, True, np.float32(i), np.array(2.0 * i)) for i in range(4)]
    ours, theirs = default_collate(samples), torch_collate(samples)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert str(a.dtype) == str(b.dtype).replace("torch.", "") and a.tolist() == b.tolist()


def test_default_collate_refuses_ragged_and_unknown_samples():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="found <class 'NoneType'>"):
        default_collate([None, None])
    with pytest.raises(TypeError, match="numpy arrays of dtype"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_random_split_sizes_disjointness_fractions_and_reproducibility():
    dataset = list(range(10))
    parts = random_split(dataset, [3, 7], generator=tinynn.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    items = [p[i] for p in parts for i in range(len(p))]
    assert sorted(items) == dataset
    again = random_split(dataset, [3, 7], generator=tinynn.Generator().manual_seed(0))
    assert list(again[0].indices) == list(parts[0].indices)
    assert [len(p) for p in random_split(dataset, [0.33, 0.33, 0.34])] == [4, 3, 3]
    assert [len(p) for p in random_split(list(range(7)), [0.5, 0.5])] == [4, 3]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(dataset, [3, 8])
    with pytest.raises(ValueError, match="not between 0 and 1"):
        random_split(dataset, [1.5, -0.5])


@needs_torch
def test_random_split_fraction_rounding_matches_torch():
    from torch.utils.data import random_split as torch_split

    for n, fractions in ((10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (23, [0.1, 0.2, 0.3, 0.4]), (5, [0.7, 0.3])):
        ours = [len(p) for p in random_split(list(range(n)), fractions)]
        assert ours == [len(p) for p in torch_split(list(range(n)), fractions)], (n, fractions)


def test_subset_concat_and_dataset_addition():
    a, b = toy_dataset(3), toy_dataset(4)
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 7
    assert both[3][1].item() == 0 and both[-1][1].item() == 3 and both[2][0].tolist() == [4.0, 5.0]
    with pytest.raises(IndexError):
        both[7]
    subset = Subset(b, [3, 1])
    assert len(subset) == 2 and subset[0][1].item() == 3
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(tinynn.zeros(3), tinynn.zeros(4))


class Countdown(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n, 0, -1))

    def __len__(self):
        return self.n


def test_iterable_dataset_batches_and_length():
    loader = DataLoader(Countdown(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[7, 6, 5], [4, 3, 2], [1]] and len(loader) == 3
    dropped = DataLoader(Countdown(7), batch_size=3, drop_last=True)
    assert [b.tolist() for b in dropped] == [[7, 6, 5], [4, 3, 2]] and len(dropped) == 2
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Countdown(3), shuffle=True)


def test_unbatched_loading_converts_arrays_and_custom_collate_and_workers():
    class Squares(Dataset):
        def __getitem__(self, i):
            return np.array([i, i * i])

        def __len__(self):
            return 4

    samples = list(DataLoader(Squares(), batch_size=None))
    assert isinstance(samples[3], tinynn.Tensor) and samples[3].tolist() == [3, 9]
    sums = list(DataLoader(Squares(), batch_size=2, collate_fn=lambda batch: sum(int(s.sum()) for s in batch)))
    assert sums == [0 + 2, 6 + 12]
    in_process = list(DataLoader(Squares(), batch_size=3, num_workers=2, pin_memory=True))
    assert [b.tolist() for b in in_process] == [[[0, 0], [1, 1], [2, 4]], [[3, 9]]]


def test_samplers():
    data = list(range(10))
    assert list(SequentialSampler(data)) == data
    g = tinynn.Generator().manual_seed(0)
    with_replacement = list(RandomSampler(data, replacement=True, num_samples=25, generator=g))
    assert len(with_replacement) == 25 and set(with_replacement) <= set(data) and len(set(with_replacement)) < 10
    longer = list(RandomSampler(data, num_samples=23, generator=g))
    assert sorted(longer[:10]) == data and sorted(longer[10:20]) == data and len(longer) == 23
    assert sorted(SubsetRandomSampler([4, 7, 9], generator=g)) == [4, 7, 9]
    weighted = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], num_samples=50, generator=g))
    assert set(weighted) == {1, 3} and weighted.count(3) > weighted.count(1)
    assert list(BatchSampler(SequentialSampler(data), 4, drop_last=False))[-1] == [8, 9]
    assert len(BatchSampler(data, 4, drop_last=True)) == 2
    custom = DataLoader(toy_dataset(), batch_sampler=[[9, 0], [5]])
    assert [b[1].tolist() for b in custom] == [[9, 0], [5]] and len(custom) == 2
    assert [b[1].tolist() for b in DataLoader(toy_dataset(), batch_size=3, sampler=[2, 4, 6, 8])] == [[2, 4, 6], [8]]


def test_conflicting_loader_options_are_refused():
    dataset = toy_dataset()
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(dataset, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(dataset, batch_size=4, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(dataset, batch_size=0)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(dataset, num_workers=-1)


def test_chain_and_stack_datasets():
    from tinynn.utils.data import ChainDataset, IterableDataset, StackDataset

    class Count(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    chained = ChainDataset([Count(2), Count(3)])
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([[1, 2]]))
    images, labels = tinynn.arange(6.0).reshape(3, 2), tinynn.tensor([0, 1, 0])
    pairs = StackDataset(images, labels)
    assert len(pairs) == 3 and pairs[1][0].tolist() == [2.0, 3.0] and pairs[1][1].item() == 1
    named = StackDataset(image=images, label=labels)
    assert set(named[2]) == {"image", "label"} and named[2]["label"].item() == 0
    batch = next(iter(tinynn.utils.data.DataLoader(named, batch_size=3)))
    assert batch["image"].shape == (3, 2) and batch["label"].tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset(images, tinynn.ones(2))
