"""Samplers: lazy draws (memory bounded), the statistics of each random sampler, lengths, errors, PyTorch parity."""
import tracemalloc
from itertools import islice

import numpy as np
import pytest

import tinynn
from tests.helpers import needs_torch, torch
from tinynn.utils.data import (
    BatchSampler, DataLoader, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, TensorDataset,
    WeightedRandomSampler,
)

HUGE = 10**10  # PyTorch's bug report: 74.5 GiB when every index was drawn up front


def first_indices_and_peak_memory(sampler, count=100):
    tracemalloc.start()
    try:
        first = list(islice(iter(sampler), count))
        return first, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("make", [
    lambda: RandomSampler(range(10), replacement=True, num_samples=HUGE),
    lambda: RandomSampler(range(10), num_samples=HUGE),
    lambda: WeightedRandomSampler([1.0, 2.0, 0.0, 3.0], num_samples=HUGE),
])
def test_huge_samplers_draw_lazily(make):
    sampler = make()
    assert len(sampler) == HUGE
    first, peak = first_indices_and_peak_memory(sampler)
    assert len(first) == 100 and set(first) <= set(range(10))
    assert peak < 2**20  # bytes: a chunk of indices, not 10**10 of them (80 GB)


def test_batches_of_a_huge_sampler_come_one_at_a_time():
    batches = BatchSampler(RandomSampler(range(7), replacement=True, num_samples=HUGE), 64, drop_last=True)
    assert len(batches) == HUGE // 64
    first, peak = first_indices_and_peak_memory(batches, 3)
    assert [len(b) for b in first] == [64, 64, 64] and peak < 2**20


def test_replacement_draws_are_uniform():
    g = tinynn.Generator().manual_seed(0)
    draws = np.array(list(RandomSampler(range(10), replacement=True, num_samples=20_010, generator=g)))
    counts = np.bincount(draws, minlength=10)
    # each count is Binomial(20010, 0.1): mean 2001, sd 42.4; 5 sd is far beyond chance
    assert np.abs(counts - 2001).max() < 5 * 42.4
    assert len(draws) == 20_010 and 20_010 % 32 != 0  # the last chunk is a short one


def test_without_replacement_each_pass_is_a_permutation_and_positions_are_uniform():
    g = tinynn.Generator().manual_seed(1)
    sampler = RandomSampler(range(5), num_samples=12, generator=g)
    order = list(sampler)
    assert sorted(order[:5]) == sorted(order[5:10]) == list(range(5)) and len(set(order[10:])) == 2
    firsts = np.bincount([next(iter(sampler)) for _ in range(5000)], minlength=5)
    assert np.abs(firsts - 1000).max() < 5 * 28.3  # Binomial(5000, 0.2)


def test_weighted_with_replacement_follows_the_weights():
    weights = [0.1, 0.9, 0.0, 3.0]
    g = tinynn.Generator().manual_seed(2)
    draws = list(WeightedRandomSampler(tinynn.tensor(weights), 40_000, generator=g))
    p = np.bincount(draws, minlength=4) / 40_000
    np.testing.assert_allclose(p, np.array(weights) / 4.0, atol=0.01)  # sd <= 0.0025
    assert p[2] == 0.0


def test_weighted_without_replacement_draws_in_proportion_to_the_weights_left():
    weights = np.array([1.0, 2.0, 5.0])
    g = tinynn.Generator().manual_seed(3)
    sampler = WeightedRandomSampler(weights, 2, replacement=False, generator=g)
    pairs = [tuple(sampler) for _ in range(20_000)]
    assert all(a != b for a, b in pairs)
    for i in range(3):
        for j in range(3):
            if i != j:  # P(i first, then j) = w_i / W * w_j / (W - w_i)
                expected = weights[i] / 8 * weights[j] / (8 - weights[i])
                assert abs(pairs.count((i, j)) / 20_000 - expected) < 0.012


def test_weighted_without_replacement_puts_zero_weights_last():
    g = tinynn.Generator().manual_seed(4)
    order = list(WeightedRandomSampler([0.0, 1.0, 0.0, 1.0], 4, replacement=False, generator=g))
    assert set(order[:2]) == {1, 3} and set(order[2:]) == {0, 2}


def test_the_order_repeats_from_a_seed_and_ignores_other_draws_during_the_pass():
    tinynn.manual_seed(7)
    plain = list(RandomSampler(range(50), replacement=True, num_samples=200))
    tinynn.manual_seed(7)
    interleaved = []
    for index in RandomSampler(range(50), replacement=True, num_samples=200):
        interleaved.append(index)
        tinynn.rand(3)  # e.g. a dropout mask drawn by the training step
    assert interleaved == plain
    tinynn.manual_seed(7)
    sampler = RandomSampler(range(50))
    first_epoch, second_epoch = list(sampler), list(sampler)
    assert first_epoch != second_epoch and sorted(first_epoch) == sorted(second_epoch) == list(range(50))
    tinynn.manual_seed(7)
    assert list(sampler) == first_epoch
    g1, g2 = tinynn.Generator().manual_seed(5), tinynn.Generator().manual_seed(5)
    assert list(SubsetRandomSampler([3, 9, 4, 1], generator=g1)) == list(SubsetRandomSampler([3, 9, 4, 1], generator=g2))


def test_subset_random_sampler_permutes_the_given_indices():
    g = tinynn.Generator().manual_seed(0)
    sampler = SubsetRandomSampler([10, 20, 30, 40], generator=g)
    orders = {tuple(sampler) for _ in range(50)}
    assert len(sampler) == 4 and all(sorted(o) == [10, 20, 30, 40] for o in orders) and len(orders) > 10


def test_lengths_and_batching():
    assert list(SequentialSampler("abc")) == [0, 1, 2] and len(SequentialSampler(range(4))) == 4
    data = list(range(10))
    assert len(RandomSampler(data)) == 10 and len(RandomSampler(data, num_samples=3)) == 3
    assert len(WeightedRandomSampler([1.0, 1.0], 7)) == 7
    assert list(BatchSampler(SequentialSampler(data), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(BatchSampler(data, 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert list(BatchSampler(data, 5, drop_last=True)) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert (len(BatchSampler(data, 3, False)), len(BatchSampler(data, 3, True)), len(BatchSampler(data, 5, True))) == (4, 3, 2)


def test_a_dataset_that_grows_changes_the_default_num_samples():
    data = [0, 1, 2]
    sampler = RandomSampler(data)
    data.extend([3, 4])
    assert len(sampler) == 5 and sorted(sampler) == [0, 1, 2, 3, 4]


def test_custom_sampler_subclass_with_type_parameter():
    class EvenFirst(Sampler[int]):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(list(range(0, self.n, 2)) + list(range(1, self.n, 2)))

        def __len__(self):
            return self.n

    dataset = TensorDataset(tinynn.arange(6))
    assert [b[0].tolist() for b in DataLoader(dataset, batch_size=4, sampler=EvenFirst(6))] == [[0, 2, 4, 1], [3, 5]]


@pytest.mark.parametrize("make, error, message", [
    (lambda: RandomSampler(range(3), replacement=1), TypeError, "replacement should be a boolean value"),
    (lambda: RandomSampler(range(3), num_samples=0), ValueError, "num_samples should be a positive integer value"),
    (lambda: RandomSampler(range(3), num_samples=2.0), ValueError, "num_samples=2.0"),
    (lambda: RandomSampler([]), ValueError, "num_samples=0"),
    (lambda: WeightedRandomSampler([1.0], 0), ValueError, "num_samples should be a positive integer value"),
    (lambda: WeightedRandomSampler([1.0], True), ValueError, "num_samples=True"),
    (lambda: WeightedRandomSampler([1.0], 2, replacement=1), ValueError, "replacement should be a boolean value"),
    (lambda: WeightedRandomSampler([[1.0, 2.0]], 2), ValueError, r"weights should be a 1d sequence .* shape \(1, 2\)"),
    (lambda: BatchSampler(range(3), 0, False), ValueError, "batch_size should be a positive integer value"),
    (lambda: BatchSampler(range(3), True, False), ValueError, "batch_size=True"),
    (lambda: BatchSampler(range(3), 2, "x"), ValueError, "drop_last should be a boolean value"),
])
def test_bad_arguments_are_refused_when_built(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("make, message", [
    (lambda: WeightedRandomSampler([-1.0, 1.0], 2), r"probability entry < 0"),
    (lambda: WeightedRandomSampler([float("nan"), 1.0], 2), r"infinity or NaN"),
    (lambda: WeightedRandomSampler([float("inf"), 1.0], 2), r"infinity or NaN"),
    (lambda: WeightedRandomSampler([0.0, 0.0], 2), r"sum of probabilities <= 0"),
    (lambda: WeightedRandomSampler([], 2), r"sum of probabilities <= 0"),
    (lambda: WeightedRandomSampler([0.0, 1.0], 3, replacement=False), "cannot sample n_sample > prob_dist.size"),
    (lambda: RandomSampler([], num_samples=3), "empty data_source"),
    (lambda: RandomSampler([], replacement=True, num_samples=3), "empty data_source"),
])
def test_bad_weights_are_refused_when_a_pass_starts(make, message):
    sampler = make()  # built without complaint, as in PyTorch
    with pytest.raises(RuntimeError, match=message):
        next(iter(sampler))


@needs_torch
def test_deterministic_samplers_and_lengths_match_torch():
    from torch.utils import data as D

    data = list(range(11))
    for ours, theirs in [
        (SequentialSampler(data), D.SequentialSampler(data)),
        (BatchSampler(data, 4, False), D.BatchSampler(data, 4, False)),
        (BatchSampler(SequentialSampler(data), 4, True), D.BatchSampler(D.SequentialSampler(data), 4, True)),
    ]:
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    for kwargs in [{}, {"replacement": True}, {"num_samples": 25}, {"replacement": True, "num_samples": 3}]:
        ours, theirs = RandomSampler(data, **kwargs), D.RandomSampler(data, **kwargs)
        assert len(ours) == len(theirs) and set(ours) <= set(data)
    assert len(WeightedRandomSampler([1.0, 2.0], 9)) == len(D.WeightedRandomSampler([1.0, 2.0], 9))
    for bad in [dict(replacement=1), dict(num_samples=0)]:
        with pytest.raises(Exception) as theirs_error:
            D.RandomSampler(data, **bad)
        with pytest.raises(theirs_error.type):
            RandomSampler(data, **bad)
    assert list(D.WeightedRandomSampler([0.0, 1.0, 0.0, 1.0], 3, replacement=False))[:2] in ([1, 3], [3, 1])
    assert list(WeightedRandomSampler([0.0, 1.0, 0.0, 1.0], 3, replacement=False))[:2] in ([1, 3], [3, 1])
