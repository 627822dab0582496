"""Collectives: operations every rank calls at the same point, each with its own tensor.

With world size W and rank r holding x_r:

    all_reduce(x, SUM)      every x_r becomes  x_0 + x_1 + ... + x_{W-1}   (AVG divides by W)
    broadcast(x, src)       every x_r becomes  x_src
    all_gather(out, x)      out[i] becomes x_i on every rank
    reduce_scatter(y, xs)   y on rank r becomes  sum_i xs_r of rank i   (rank r's block of the sum)
    reduce(x, dst)          x on rank dst becomes the sum; the other ranks' x are left unchanged

They work in place on the tensors' arrays, outside autograd (as PyTorch's do), and bump the
tensors' version counters. Every rank must call the same collectives in the same order with
tensors of the same shape and dtype: MPI matches calls by their order, not by name.
"""
from __future__ import annotations

import enum

import numpy as np

from ..tensor import Tensor
from .process_group import ProcessGroup, default_group, host_buffer, import_mpi, write_back

__all__ = ["ReduceOp", "barrier", "broadcast", "all_reduce", "reduce", "all_gather", "all_gather_into_tensor",
           "reduce_scatter", "reduce_scatter_tensor"]


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines the ranks' values (PyTorch's ``torch.distributed.ReduceOp``)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


_MPI_OP_NAMES = {ReduceOp.SUM: "SUM", ReduceOp.AVG: "SUM", ReduceOp.PRODUCT: "PROD", ReduceOp.MIN: "MIN",
                 ReduceOp.MAX: "MAX", ReduceOp.BAND: "BAND", ReduceOp.BOR: "BOR", ReduceOp.BXOR: "BXOR"}


def _mpi_op(op: ReduceOp):
    """MPI's reduction for ``op`` (AVG is a SUM followed by a division by the world size)."""
    return getattr(import_mpi(), _MPI_OP_NAMES[op])


def _check(tensor, name: str, caller: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{caller}: {name} must be a tinynn Tensor, got {type(tensor).__name__}")


def _check_sync(async_op: bool, caller: str) -> None:
    if async_op:
        raise NotImplementedError(f"{caller}: async_op=True is not supported by tinynn (its collectives are "
                                  "blocking MPI calls); call it with async_op=False")


def _check_op_dtype(op: ReduceOp, tensor: Tensor, caller: str) -> None:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{caller}: op must be a tinynn.distributed.ReduceOp (SUM, AVG, PRODUCT, MIN, MAX, ...), "
                        f"got {op!r}")
    if op is ReduceOp.AVG and tensor._data.dtype.kind != "f":
        raise TypeError(f"{caller}: ReduceOp.AVG needs a floating-point tensor, got {tensor._data.dtype}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and tensor._data.dtype.kind not in "iub":
        raise TypeError(f"{caller}: bitwise {op.name} needs an integer or bool tensor, got {tensor._data.dtype}")


def _updated(tensor: Tensor) -> None:
    tensor._bump_version()  # a tensor saved for backward and changed here would give a wrong gradient


def barrier(group: ProcessGroup | None = None, async_op: bool = False, device_ids=None) -> None:
    """Wait until every rank has reached this call."""
    group = default_group(group, "barrier")
    _check_sync(async_op, "barrier")
    if group.comm is not None:
        group.comm.Barrier()


def broadcast(tensor: Tensor, src: int, group: ProcessGroup | None = None, async_op: bool = False) -> None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank (in place)."""
    group = default_group(group, "broadcast")
    _check(tensor, "tensor", "broadcast")
    _check_sync(async_op, "broadcast")
    if not isinstance(src, int) or not 0 <= src < group.size:
        raise ValueError(f"broadcast: src must be a rank in 0..{group.size - 1}, got {src!r}")
    if group.comm is None:
        return
    host = host_buffer(tensor._data)
    group.comm.Bcast(host, root=src)
    write_back(tensor._data, host)
    _updated(tensor)


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> None:
    """Combine ``tensor`` across all ranks with ``op``; every rank gets the result in place."""
    group = default_group(group, "all_reduce")
    _check(tensor, "tensor", "all_reduce")
    _check_sync(async_op, "all_reduce")
    _check_op_dtype(op, tensor, "all_reduce")
    if group.comm is None:
        return  # a world of one: the sum, min, max, product or mean of one value is that value
    MPI = import_mpi()
    host = host_buffer(tensor._data)
    group.comm.Allreduce(MPI.IN_PLACE, host, op=_mpi_op(op))
    if op is ReduceOp.AVG:
        host /= group.size
    write_back(tensor._data, host)
    _updated(tensor)


def reduce(tensor: Tensor, dst: int, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
           async_op: bool = False) -> None:
    """Combine ``tensor`` across ranks into rank ``dst``'s tensor; the others are left unchanged."""
    group = default_group(group, "reduce")
    _check(tensor, "tensor", "reduce")
    _check_sync(async_op, "reduce")
    _check_op_dtype(op, tensor, "reduce")
    if not isinstance(dst, int) or not 0 <= dst < group.size:
        raise ValueError(f"reduce: dst must be a rank in 0..{group.size - 1}, got {dst!r}")
    if group.comm is None:
        return
    MPI = import_mpi()
    host = host_buffer(tensor._data)
    if group.rank == dst:
        group.comm.Reduce(MPI.IN_PLACE, host, op=_mpi_op(op), root=dst)
        if op is ReduceOp.AVG:
            host /= group.size
        write_back(tensor._data, host)
        _updated(tensor)
    else:
        group.comm.Reduce(host, None, op=_mpi_op(op), root=dst)


def _check_same(tensor: Tensor, other: Tensor, what: str, caller: str, shape: tuple) -> None:
    if other._data.dtype != tensor._data.dtype or tuple(other.shape) != shape:
        raise ValueError(f"{caller}: {what} has shape {tuple(other.shape)} and dtype {other._data.dtype}, "
                         f"expected shape {shape} and dtype {tensor._data.dtype}")


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group: ProcessGroup | None = None,
                           async_op: bool = False) -> None:
    """output (W * n, ...) on every rank = the ranks' inputs (n, ...) stacked along dim 0 in rank order."""
    group = default_group(group, "all_gather_into_tensor")
    _check(output_tensor, "output_tensor", "all_gather_into_tensor")
    _check(input_tensor, "input_tensor", "all_gather_into_tensor")
    _check_sync(async_op, "all_gather_into_tensor")
    shape = tuple(input_tensor.shape)
    expected = (group.size * shape[0], *shape[1:]) if shape else (group.size,)
    _check_same(input_tensor, output_tensor, "output_tensor", "all_gather_into_tensor", expected)
    send = host_buffer(input_tensor._data)
    receive = host_buffer(output_tensor._data)
    if group.comm is None:
        receive[...] = send.reshape(receive.shape)
    else:
        group.comm.Allgather(send, receive)
    write_back(output_tensor._data, receive)
    _updated(output_tensor)


def all_gather(tensor_list: list, tensor: Tensor, group: ProcessGroup | None = None, async_op: bool = False) -> None:
    """tensor_list[i] on every rank becomes rank i's ``tensor`` (each entry filled in place)."""
    group = default_group(group, "all_gather")
    _check(tensor, "tensor", "all_gather")
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != group.size:
        raise ValueError(f"all_gather: tensor_list must be a list of world_size={group.size} tensors, "
                         f"got {type(tensor_list).__name__} of length {len(tensor_list) if hasattr(tensor_list, '__len__') else '?'}")
    for i, out in enumerate(tensor_list):
        _check(out, f"tensor_list[{i}]", "all_gather")
        _check_same(tensor, out, f"tensor_list[{i}]", "all_gather", tuple(tensor.shape))
    _check_sync(async_op, "all_gather")
    send = host_buffer(tensor._data)
    receive = np.empty((group.size, *send.shape), dtype=send.dtype)
    if group.comm is None:
        receive[0] = send
    else:
        group.comm.Allgather(send, receive)
    for out, part in zip(tensor_list, receive):
        host = host_buffer(out._data)
        host[...] = part
        write_back(out._data, host)
        _updated(out)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp = ReduceOp.SUM,
                          group: ProcessGroup | None = None, async_op: bool = False) -> None:
    """input (W * n, ...) on every rank; output (n, ...) on rank r = block r of the reduced input."""
    group = default_group(group, "reduce_scatter_tensor")
    _check(output, "output", "reduce_scatter_tensor")
    _check(input, "input", "reduce_scatter_tensor")
    _check_sync(async_op, "reduce_scatter_tensor")
    _check_op_dtype(op, input, "reduce_scatter_tensor")
    shape = tuple(output.shape)
    expected = (group.size * shape[0], *shape[1:]) if shape else (group.size,)
    _check_same(output, input, "input", "reduce_scatter_tensor", expected)
    send = host_buffer(input._data)
    receive = host_buffer(output._data)
    if group.comm is None:
        receive[...] = send.reshape(receive.shape)
    else:
        group.comm.Reduce_scatter_block(send, receive, op=_mpi_op(op))
        if op is ReduceOp.AVG:
            receive /= group.size
    write_back(output._data, receive)
    _updated(output)


def reduce_scatter(output: Tensor, input_list: list, op: ReduceOp = ReduceOp.SUM,
                   group: ProcessGroup | None = None, async_op: bool = False) -> None:
    """output on rank r = input_list[r] reduced across all ranks (``input_list`` has world_size tensors)."""
    group = default_group(group, "reduce_scatter")
    _check(output, "output", "reduce_scatter")
    if not isinstance(input_list, (list, tuple)) or len(input_list) != group.size:
        raise ValueError(f"reduce_scatter: input_list must be a list of world_size={group.size} tensors")
    for i, part in enumerate(input_list):
        _check(part, f"input_list[{i}]", "reduce_scatter")
        _check_same(output, part, f"input_list[{i}]", "reduce_scatter", tuple(output.shape))
    stacked = np.stack([host_buffer(part._data) for part in input_list])
    # (W, n, ...) -> (W * n, ...): the blocks one after the other, as reduce_scatter_tensor wants them
    whole = Tensor._make(stacked.reshape((-1, *output.shape[1:])) if output.shape else stacked)
    host_out = Tensor._make(host_buffer(output._data))
    reduce_scatter_tensor(host_out, whole, op=op, group=group, async_op=async_op)
    write_back(output._data, host_out._data)
    _updated(output)
