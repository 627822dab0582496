"""Exercise 10: a DataLoader: mini-batches of a dataset, shuffled anew every epoch.

Training looks at the data a mini-batch at a time: the gradient of the mean loss over B samples is
a cheap, noisy estimate of the gradient over the whole dataset. A DataLoader turns a dataset (any
object with ``len(dataset)`` and ``dataset[i]``) into those batches:

    dataset[i] = (x_i, y_i)            one sample: a tuple of Tensors, e.g. x_i: (1, 8, 8), y_i: ()
    batch      = (X, Y)                X: (B, 1, 8, 8), Y: (B,)   the samples stacked on a new dim 0

One pass over the data is an epoch. With N = 10 samples and batch_size = 4:

    shuffle=False:                  [0, 1, 2, 3]  [4, 5, 6, 7]  [8, 9]      (3 batches, the last smaller)
    shuffle=False, drop_last=True:  [0, 1, 2, 3]  [4, 5, 6, 7]              (2 batches: 2 samples unused)
    shuffle=True:                   e.g. [7, 2, 9, 0]  [4, 1, 8, 3]  [6, 5], a new order every epoch

so there are ceil(N / B) batches per epoch, or floor(N / B) with ``drop_last``. Why shuffle: if
the batches were the same every epoch (and the data sorted, say by label), consecutive gradient
steps would be correlated and the model would chase each batch in turn; a fresh random order each
epoch makes every batch a fair sample. Each sample is still used exactly once per epoch: the order
is a permutation of 0..N-1, not N independent draws.

The random order comes from ``tinynn.randperm(N, generator=generator)``, one call per epoch. A
``tinynn.Generator`` keeps its own random state: the same seed gives the same sequence of epochs,
and each call moves the state on, so epoch 2's order differs from epoch 1's. With
``generator=None`` randperm draws from tinynn's default generator (``tinynn.manual_seed`` fixes it).
This is also what ``tinynn.utils.data.DataLoader`` does, so with the same seed yours gives exactly
its batches.

You write:
  1. ``collate(samples)``: a list of B samples, each a tuple of k Tensors, -> a tuple of k Tensors,
     the j-th the j-th elements stacked on a new first dimension (``tinynn.stack``). Stack, don't
     concatenate: B samples x_i of shape (3,) make (B, 3), and B labels of shape () make (B,).
  2. ``batch_indices(n, batch_size, shuffle, drop_last, generator)``: one epoch's batches as lists
     of sample indices, as in the example above.
  3. ``DataLoader.__len__``: the number of batches per epoch.
  4. ``DataLoader.__iter__``: a generator (use ``yield``) of one epoch's batches. Each
     ``for batch in loader`` calls it again, so each epoch draws a new order.

The grader compares your batches with ``tinynn.utils.data.DataLoader``'s, epoch by epoch, with the
same generator seed.
"""
from __future__ import annotations

import tinynn

LESSON = 7
FORBIDDEN = ["tinynn.utils.data.DataLoader", "tinynn.utils.data.RandomSampler", "tinynn.utils.data.BatchSampler",
             "tinynn.utils.data.default_collate"]
PARTS = {"dataloader": ["DataLoader", "collate", "batch_indices"]}


def collate(samples: list) -> tuple:
    """[(a_0, b_0, ...), (a_1, b_1, ...), ...] -> (stack of the a_i, stack of the b_i, ...)."""
    # >>> solution
    count = len(samples[0])           # Tensors per sample
    return tuple(tinynn.stack([sample[j] for sample in samples]) for j in range(count))
    # <<< solution


def batch_indices(n: int, batch_size: int, shuffle: bool = False, drop_last: bool = False,
                  generator=None) -> list:
    """One epoch's batches of the sample indices 0..n-1, e.g. [[0, 1, 2], [3, 4, 5], [6]]."""
    # >>> solution
    if shuffle:
        order = tinynn.randperm(n, generator=generator).tolist()
    else:
        order = list(range(n))
    batches = [order[start:start + batch_size] for start in range(0, n, batch_size)]
    if drop_last and batches and len(batches[-1]) < batch_size:
        batches.pop()
    return batches
    # <<< solution


class DataLoader:
    """DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, generator=None)."""

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 generator=None):
        """Given: keeps the settings."""
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        # >>> solution
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size     # ceil(n / batch_size) in integers
        # <<< solution

    def __iter__(self):
        """Yield one epoch's batches, each a tuple of stacked Tensors."""
        # >>> solution
        n = len(self.dataset)
        for indices in batch_indices(n, self.batch_size, self.shuffle, self.drop_last, self.generator):
            yield collate([self.dataset[i] for i in indices])
        # <<< solution
