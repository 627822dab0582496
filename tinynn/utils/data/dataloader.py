"""``DataLoader``: iterate over a dataset in (shuffled) mini-batches.

    for inputs, targets in DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True):
        ...

A sampler chooses the order of indices, a batch sampler groups them, the dataset turns each index
into a sample and ``collate_fn`` turns a list of samples into a batch. tinynn loads in the main
process: ``num_workers > 0`` is accepted and runs in-process (same batches, no parallelism).
"""
from __future__ import annotations

import itertools
from typing import Callable

import numpy as np

from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


def get_worker_info() -> None:
    """Information about the current loader worker: always None, since tinynn loads in this process.

    (An IterableDataset that shards its stream by ``get_worker_info().id`` then yields all of it.)
    """
    return None


class DataLoader:
    """Mini-batches of ``dataset``.

    Args:
        dataset: a map-style Dataset (``__getitem__``/``__len__``) or an IterableDataset.
        batch_size: samples per batch (default 1); None turns batching off (samples come one by one,
            with arrays converted to tensors).
        shuffle: a new random order every epoch (from ``generator``, or the default generator, so
            ``tinynn.manual_seed`` makes it repeat).
        sampler: an iterable of indices to use instead (excludes shuffle).
        batch_sampler: an iterable of index lists (excludes batch_size, shuffle, sampler, drop_last).
        num_workers: accepted; loading always happens in this process (tinynn has no workers).
        collate_fn: list of samples -> batch (default: ``default_collate``).
        pin_memory: accepted and ignored (there is no pinned host memory in NumPy).
        drop_last: drop the last batch if it is smaller than batch_size.
        generator: a ``tinynn.Generator`` for the shuffling.
        timeout, worker_init_fn, multiprocessing_context, prefetch_factor, persistent_workers,
        pin_memory_device, in_order: accepted for PyTorch compatibility; without workers they do nothing.

    ``len(loader)`` is the number of batches: ceil(N / batch_size), or floor with drop_last.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | None = None, batch_sampler=None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False, drop_last: bool = False,
                 timeout: float = 0, worker_init_fn: Callable | None = None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing. Let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler and batch_sampler "
                                 "options (the dataset decides its own order)")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        elif batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                                         or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")

        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if auto_collation else default_convert)
        self._auto_collation = auto_collation

    def __iter__(self):
        if self._iterable:
            return self._iterate_stream()
        if self.batch_sampler is not None:
            return (self._fetch(list(indices)) for indices in self.batch_sampler)
        return (self.collate_fn(self.dataset[index]) for index in self.sampler)

    def _fetch(self, indices: list[int]):
        """One batch: the dataset's samples at ``indices``, collated."""
        dataset = self.dataset
        if type(dataset) is TensorDataset and self.collate_fn is default_collate:
            # Fast path, same result: gather each tensor's rows at once instead of stacking B samples.
            rows = np.asarray(indices, dtype=np.int64)
            return [t[rows] for t in dataset.tensors]
        getitems = getattr(dataset, "__getitems__", None)
        samples = getitems(indices) if getitems else [dataset[i] for i in indices]
        return self.collate_fn(samples)

    def _iterate_stream(self):
        stream = iter(self.dataset)
        if self.batch_size is None:
            for sample in stream:
                yield self.collate_fn(sample)
            return
        while True:
            batch = list(itertools.islice(stream, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)  # TypeError when the stream has no length, as in PyTorch
            if self.batch_size is None:
                return length
            return length // self.batch_size if self.drop_last else -(-length // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)
