"""How every generated data set chooses its random numbers (one rule for all of them).

    seed=<int>          a fresh NumPy generator seeded with it: the same data on every call
    generator=<Gen>     draws from that tinynn.Generator (and advances it)
    neither             draws from tinynn.default_generator, so tinynn.manual_seed(0) fixes it
"""
from __future__ import annotations

import numpy as np

from ..random import Generator, numpy_generator


def make_rng(seed: int | None, generator: Generator | None, who: str) -> np.random.Generator:
    if seed is not None and generator is not None:
        raise ValueError(f"{who}: pass seed or generator, not both")
    if seed is not None:
        return np.random.default_rng(int(seed))
    return numpy_generator(generator)


def check_positive(who: str, **values: int) -> None:
    """Raise a clear error for a count that is not a positive integer."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")
