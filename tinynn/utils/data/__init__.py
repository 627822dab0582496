"""Datasets, samplers and the DataLoader (``tinynn.utils.data``, as ``torch.utils.data``).

    dataset.py     Dataset, IterableDataset, TensorDataset, StackDataset, Subset, ConcatDataset,
                   ChainDataset, random_split
    sampler.py     Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler,
                   WeightedRandomSampler, BatchSampler
    collate.py     default_collate, default_convert
    dataloader.py  DataLoader, get_worker_info
"""
from .dataset import (
    ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset, random_split,
)
from .sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
)
from .collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info
from .distributed import *  # noqa: F401,F403  (DistributedSampler)
from . import distributed  # noqa: F401

__all__ = [
    "Dataset", "IterableDataset", "TensorDataset", "StackDataset", "Subset", "ConcatDataset", "ChainDataset",
    "random_split", "Sampler",
    "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
    "default_collate", "default_convert", "DataLoader", "get_worker_info",
]
