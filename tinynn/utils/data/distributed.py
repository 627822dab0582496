"""``DistributedSampler``: each rank of a data-parallel job visits its own shard of the dataset.

With W ranks (replicas) and a dataset of N examples, every rank draws the *same* order of indices
(a permutation seeded by ``seed + epoch``, so all ranks agree without talking), pads it by repeating
its first indices until its length is a multiple of W, and keeps every W-th index starting at its
rank::

    order  = [7, 2, 9, 0, 4, 1, 8, 3, 6, 5]          N = 10, W = 4: pad to 12 with 7, 2
    rank 0 = order[0::4] = [7, 4, 6]
    rank 1 = order[1::4] = [2, 1, 5]
    rank 2 = order[2::4] = [9, 8, 7]
    rank 3 = order[3::4] = [0, 3, 2]

so the shards are disjoint (apart from the padding) and equally long: every rank runs the same
number of steps, which the collectives need. ``drop_last=True`` trims the tail instead of padding.
Call ``set_epoch(epoch)`` at the start of each epoch, or every epoch repeats the same order.

The assignment is PyTorch's (``torch.utils.data.distributed.DistributedSampler``); the permutation
comes from tinynn's generator, so the shuffled order differs from PyTorch's.
"""
from __future__ import annotations

import math
from typing import Iterator

from ...random import Generator, numpy_generator
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Indices of this rank's shard of ``dataset``.

    num_replicas: the number of ranks (default: the world size of the initialized process group).
    rank: this rank (default: ``tinynn.distributed.get_rank()``).
    shuffle: a new permutation each epoch (seeded with ``seed + epoch``, identical on every rank).
    seed: the same on every rank. drop_last: trim to a multiple of num_replicas instead of padding.
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False):
        if num_replicas is None or rank is None:
            from ... import distributed

            if not distributed.is_initialized():
                raise RuntimeError("DistributedSampler: num_replicas and rank default to the process group's; call "
                                   "tinynn.distributed.init_process_group() first, or pass them explicitly")
            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        if not isinstance(num_replicas, int) or isinstance(num_replicas, bool) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive int, got {num_replicas!r}")
        if not isinstance(rank, int) or isinstance(rank, bool) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas, self.rank = num_replicas, rank
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            # the largest length every rank can have without padding
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            generator = Generator().manual_seed(self.seed + self.epoch)
            indices = numpy_generator(generator).permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:  # fewer examples than the padding needs: repeat the whole list
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        assert len(indices) == self.total_size
        shard = indices[self.rank:self.total_size:self.num_replicas]
        assert len(shard) == self.num_samples
        return iter(shard)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of ``epoch``: call it before each epoch so the order changes."""
        self.epoch = epoch
