"""``torch.nn.parallel``: ``DataParallel`` (one process, here one device) and ``DistributedDataParallel``.

``DistributedDataParallel`` is tinynn.distributed's (MPI ranks); it is loaded on first use, so that
importing tinynn.nn never loads the distributed package.
"""
from .data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]


def __getattr__(name):
    if name == "DistributedDataParallel":
        from ...distributed import DistributedDataParallel

        return DistributedDataParallel
    raise AttributeError(f"module 'tinynn.nn.parallel' has no attribute {name!r}")
