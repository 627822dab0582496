"""Reproducible random numbers: a Generator wrapping NumPy's PCG64, and ``manual_seed``.

Every random function in tinynn (``rand``, ``randn``, dropout masks, ``randperm``, data-loader
shuffling, weight initialisation) draws from ``default_generator`` unless given a ``generator=``,
so ``tinynn.manual_seed(0)`` makes a whole program repeat itself exactly.
"""
from __future__ import annotations

import json

import numpy as np

from .backend import as_device

_NEW_GENERATOR_SEED = 67280421310721  # what a new torch.Generator() starts from


class Generator:
    """A source of random numbers with its own state (PyTorch's ``torch.Generator``).

    A new generator starts from a fixed seed, as PyTorch's do; ``tinynn.default_generator``
    starts from the operating system's entropy until ``manual_seed`` is called.
    """

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self.manual_seed(_NEW_GENERATOR_SEED)

    def manual_seed(self, seed: int) -> "Generator":
        """Restart the stream from ``seed``."""
        seed = int(seed)
        if seed < 0:
            seed += 2**64
        self._initial_seed = seed
        self.numpy_generator = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; return the new seed."""
        seed = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self):
        """The generator's state as a uint8 tensor (JSON bytes), for ``set_state``."""
        from .tensor import Tensor

        blob = json.dumps(self.numpy_generator.bit_generator.state).encode()
        return Tensor._make(np.frombuffer(blob, dtype=np.uint8).copy())

    def set_state(self, state) -> "Generator":
        data = state._data if hasattr(state, "_data") else np.asarray(state)
        self.numpy_generator.bit_generator.state = json.loads(bytes(np.asarray(data, dtype=np.uint8)).decode())
        return self


default_generator = Generator()
default_generator.seed()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and the GPU's, when there is one)."""
    default_generator.manual_seed(seed)
    from . import cuda

    cuda.manual_seed_all(seed)
    return default_generator


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


def numpy_generator(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (the default one when None)."""
    return (generator or default_generator).numpy_generator
