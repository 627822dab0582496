"""Samplers: which dataset indices a DataLoader visits, in which order, and how they are batched.

Every sampler hands out its indices lazily, a few at a time, as PyTorch's do: iterating
``RandomSampler(data, replacement=True, num_samples=10**10)`` costs the memory of one chunk of 32
indices, not of ten billion. The random ones draw from their ``generator``; without one, each pass
takes one number from tinynn's default generator (so ``tinynn.manual_seed`` fixes every epoch's
order) and seeds a private stream with it, so that the order of a pass does not depend on what else
the program draws while the pass runs (dropout masks, augmentations).
"""
from __future__ import annotations

from itertools import islice
from typing import Generic, Iterable, Iterator, Sequence, TypeVar

import numpy as np

from ...random import numpy_generator

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]

T_co = TypeVar("T_co", covariant=True)

CHUNK = 32  # indices drawn per call to the random generator


class Sampler(Generic[T_co]):
    """Base class: an iterable of dataset indices (or, for a batch sampler, of lists of indices).

    Subclasses define ``__iter__`` (and ``__len__`` where they know it). ``Sampler[int]`` works as a
    type, as in PyTorch.
    """

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


def _pass_stream(generator) -> np.random.Generator:
    """The random stream for one pass: the given generator's, or a fresh one seeded from the default."""
    if generator is not None:
        return numpy_generator(generator)
    seed = int(numpy_generator(None).integers(0, 2**63 - 1))
    return np.random.Generator(np.random.PCG64(seed))


def _is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Indices in a random order: a fresh permutation per pass, or draws with replacement.

    num_samples: how many indices per pass (default len(data_source)); without replacement, more
    than len(data_source) concatenates permutations. With replacement the indices are drawn
    CHUNK (32) at a time as the loop asks for them. generator: a ``tinynn.Generator``.
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None, generator=None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        # read on every pass: the dataset may grow or shrink between epochs
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        if n == 0:
            raise RuntimeError(f"RandomSampler: cannot draw {self.num_samples} indices from an empty data_source")
        rng = _pass_stream(self.generator)
        if self.replacement:
            left = self.num_samples
            while left > 0:
                chunk = min(left, CHUNK)
                yield from rng.integers(0, n, size=chunk).tolist()
                left -= chunk
        else:
            whole, rest = divmod(self.num_samples, n)
            for _ in range(whole):
                yield from rng.permutation(n).tolist()
            if rest:
                yield from rng.permutation(n)[:rest].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices, in a random order each pass (drawn from ``generator``, or the default one)."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in numpy_generator(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices of ``range(len(weights))``, index i drawn with probability
    weights[i] / sum(weights) (the weights need not sum to 1).

    With replacement each index is drawn independently, CHUNK at a time: a uniform number u falls
    in the cumulative weights at position i with probability weights[i] / sum (``searchsorted``).
    Without replacement an index drawn cannot come again; this is an "exponential race": each index
    gets an arrival time E_i / weights[i] (E_i exponential), and the first ``num_samples`` to arrive
    win, in arrival order; that is exactly drawing one at a time proportionally to the weights left.
    Indices of weight 0 never arrive; as in PyTorch they come last, in random order, when
    num_samples asks for more indices than have a positive weight.

    The weights are checked when a pass starts, as PyTorch checks them (a RuntimeError there).
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True, generator=None) -> None:
        if not _is_positive_int(num_samples):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights = np.asarray(weights.tolist() if hasattr(weights, "tolist") else weights, dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(weights.shape)}")
        self.weights, self.num_samples, self.replacement, self.generator = weights, num_samples, replacement, generator

    def _check_weights(self) -> None:
        w = self.weights
        if not np.isfinite(w).all():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
        if (w < 0).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        if w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not self.replacement and self.num_samples > len(w):
            raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                               f"({self.num_samples} > {len(w)})")

    def __iter__(self) -> Iterator[int]:
        self._check_weights()
        rng = _pass_stream(self.generator)
        if self.replacement:
            cumulative = np.cumsum(self.weights)
            left = self.num_samples
            while left > 0:
                chunk = min(left, CHUNK)
                u = rng.random(chunk) * cumulative[-1]
                yield from np.searchsorted(cumulative, u, side="right").tolist()
                left -= chunk
        else:
            positive = np.flatnonzero(self.weights > 0)
            arrival = rng.exponential(size=positive.size) / self.weights[positive]
            order = positive[np.argsort(arrival)].tolist()
            if self.num_samples > len(order):  # the weight-0 indices, in random order
                order += rng.permutation(np.flatnonzero(self.weights == 0)).tolist()
            yield from order[: self.num_samples]

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list]):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter unless drop_last).

    sampler: any iterable of indices (a Sampler, a list, a range); batches are cut as it yields.
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not _is_positive_int(batch_size):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        while True:
            batch = list(islice(indices, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
