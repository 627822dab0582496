"""Data-parallel training over MPI (``tinynn.distributed``, as ``torch.distributed``).

    process_group.py  init_process_group, get_rank, get_world_size, is_available, ...
    collectives.py    ReduceOp, barrier, broadcast, all_reduce, reduce, all_gather, reduce_scatter
    ddp.py            DistributedDataParallel (PyTorch: torch.nn.parallel.DistributedDataParallel)
    zero.py           ZeroRedundancyOptimizer (ZeRO stage 1), optimizer_state_bytes
    launch.py         find_mpiexec, mpiexec_command, run_with_mpiexec

Launch a script in two processes with ``mpiexec -n 2 python train.py``. mpi4py (the MPI binding)
is optional: importing this package never imports it; the functions that talk to MPI import it
when called and say how to install it when it is missing (``pip install mpi4py mpich``).
The sampler that shards a dataset is ``tinynn.utils.data.DistributedSampler``.
"""
from .process_group import (
    destroy_process_group, get_backend, get_rank, get_world_size, init_process_group, is_available,
    is_initialized, is_mpi_available,
)
from .collectives import (
    ReduceOp, all_gather, all_gather_into_tensor, all_reduce, barrier, broadcast, reduce, reduce_scatter,
    reduce_scatter_tensor,
)
from .ddp import DistributedDataParallel
from .zero import ZeroRedundancyOptimizer, optimizer_state_bytes
from .launch import find_mpiexec, mpiexec_command, run_with_mpiexec

__all__ = [
    "is_available", "is_mpi_available", "init_process_group", "is_initialized", "get_rank", "get_world_size",
    "get_backend", "destroy_process_group", "ReduceOp", "barrier", "broadcast", "all_reduce", "reduce",
    "all_gather", "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "DistributedDataParallel",
    "ZeroRedundancyOptimizer", "optimizer_state_bytes", "find_mpiexec", "mpiexec_command", "run_with_mpiexec",
]
