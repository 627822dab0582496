"""The process group: which process am I (rank), how many are we (world size), and the MPI link.

Data-parallel training runs the same script in several processes, started together by
``mpiexec -n 2 python train.py``. MPI (the message-passing standard every HPC cluster runs)
gives each process a *rank* 0..world_size-1 and *collectives*: operations that every process
calls at the same point of its program, such as "sum this array across all of us".

tinynn talks to MPI through mpi4py, imported only when a function here needs it, so that
``import tinynn.distributed`` works without it. Without mpi4py a single process can still call
``init_process_group()``: it is a world of one, where every collective is the identity.

Arrays travel through mpi4py's buffer interface (no pickling): a contiguous host (NumPy) array
is handed to MPI as raw memory. A GPU (CuPy) array is copied to the host first and back after;
``host_buffer`` / ``write_back`` are the one place that happens.
"""
from __future__ import annotations

import importlib.util
import os

import numpy as np

from .. import backend

__all__ = ["is_available", "is_mpi_available", "init_process_group", "is_initialized", "get_rank",
           "get_world_size", "get_backend", "destroy_process_group"]

INSTALL_HINT = ("pip install mpi4py mpich, then launch with: mpiexec -n 2 python your_script.py")

# Environment variables MPI launchers set in every process they start (MPICH/Hydra, Open MPI, Slurm).
_LAUNCHER_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS")


def is_available() -> bool:
    """True when mpi4py can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec("mpi4py") is not None
    except (ImportError, ValueError):  # ValueError: sys.modules["mpi4py"] is None (blocked)
        return False


def is_mpi_available() -> bool:
    """PyTorch's name for "the MPI backend can be used": the same as ``is_available()`` here."""
    return is_available()


_MPI = None  # mpi4py.MPI once imported: collectives look it up on every call


def import_mpi():
    """``mpi4py.MPI`` (initialising MPI on first import), or an ImportError saying how to get it."""
    global _MPI
    if _MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as error:
            raise ImportError(f"tinynn.distributed needs mpi4py and an MPI library: {INSTALL_HINT}") from error
        _MPI = MPI
    return _MPI


def launched_world_size() -> int | None:
    """The world size an MPI launcher announced in the environment, or None when not launched by one."""
    for name in _LAUNCHER_SIZE_VARIABLES:
        value = os.environ.get(name)
        if value and value.isdigit():
            return int(value)
    return None


class ProcessGroup:
    """The processes taking part in collectives: an MPI communicator, or a world of one (comm None)."""

    def __init__(self, comm, backend_name: str):
        self.comm = comm
        self.backend = backend_name
        self.rank = 0 if comm is None else comm.Get_rank()
        self.size = 1 if comm is None else comm.Get_size()

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self.backend!r}, rank={self.rank}, world_size={self.size})"


_default_group: ProcessGroup | None = None


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout=None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "",
                       pg_options=None, device_id=None) -> None:
    """Join the default process group (PyTorch's signature; tinynn's backend is MPI).

    backend: "mpi" (or None). With the MPI backend the launcher decides rank and world size, so
    ``world_size``/``rank`` may be left at -1; when given they must agree with MPI's. Without mpi4py,
    a single process (world_size -1 or 1, not started by mpiexec) forms a world of one.
    ``init_method``, ``store``, ``timeout``, ``group_name``, ``pg_options``, ``device_id`` exist
    for the rendezvous of other backends; MPI's launcher does the rendezvous, so they are unused.
    """
    global _default_group
    if _default_group is not None:
        raise RuntimeError("trying to initialize the default process group twice! (call destroy_process_group() first)")
    name = "mpi" if backend is None else str(backend).lower()
    if name != "mpi":
        raise ValueError(f"init_process_group: tinynn supports the backend 'mpi' only, got {backend!r} "
                         "(PyTorch's 'gloo' and 'nccl' are its own libraries)")
    for label, value in (("world_size", world_size), ("rank", rank)):
        if not isinstance(value, int) or isinstance(value, bool) or value < -1:
            raise ValueError(f"init_process_group: {label} must be an int >= -1 (-1: ask MPI), got {value!r}")
    if is_available():
        comm = import_mpi().COMM_WORLD
    else:
        launched = launched_world_size()
        if world_size > 1 or (launched or 1) > 1:
            raise RuntimeError(f"init_process_group: {max(world_size, launched or 1)} processes need MPI, "
                               f"and mpi4py is not installed: {INSTALL_HINT}")
        comm = None
    group = ProcessGroup(comm, name)
    if world_size not in (-1, group.size):
        raise ValueError(f"init_process_group: world_size={world_size} but MPI started {group.size} process(es) "
                         f"(set it with mpiexec -n {world_size}, or leave world_size=-1)")
    if rank not in (-1, group.rank):
        raise ValueError(f"init_process_group: rank={rank} but MPI says this process is rank {group.rank} "
                         "(leave rank=-1: MPI assigns ranks)")
    _default_group = group


def is_initialized() -> bool:
    """True between ``init_process_group()`` and ``destroy_process_group()``."""
    return _default_group is not None


def default_group(group: ProcessGroup | None = None, caller: str = "this function") -> ProcessGroup:
    """``group``, or the default group; a clear error when none was initialized."""
    if group is not None:
        if not isinstance(group, ProcessGroup):
            raise TypeError(f"{caller}: group must be a ProcessGroup or None, got {type(group).__name__}")
        return group
    if _default_group is None:
        raise RuntimeError(f"{caller}: the default process group has not been initialized, "
                           "call tinynn.distributed.init_process_group() first")
    return _default_group


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank, 0 .. world_size - 1. Like PyTorch, -1 before ``init_process_group``."""
    if group is None and _default_group is None:
        return -1
    return default_group(group, "get_rank").rank


def get_world_size(group: ProcessGroup | None = None) -> int:
    """How many processes take part. Like PyTorch, -1 before ``init_process_group``."""
    if group is None and _default_group is None:
        return -1
    return default_group(group, "get_world_size").size


def get_backend(group: ProcessGroup | None = None) -> str:
    return default_group(group, "get_backend").backend


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default group. MPI itself is finalized by mpi4py when the process exits."""
    global _default_group
    target = default_group(group, "destroy_process_group")
    if target is _default_group:
        _default_group = None


# ---------------------------------------------------------------------------- host buffers
def host_buffer(array) -> np.ndarray:
    """A C-contiguous NumPy array MPI can read and write: ``array`` itself when it already is one."""
    if isinstance(array, np.ndarray) and array.flags.c_contiguous and array.flags.writeable:
        return array
    return np.ascontiguousarray(backend.to_device(array, backend.CPU))


def write_back(array, host: np.ndarray) -> None:
    """Copy ``host`` (what MPI wrote) into ``array`` unless they are one and the same memory."""
    if host is array:
        return
    xp = backend.array_module_of(array)
    array[...] = xp.asarray(host)
