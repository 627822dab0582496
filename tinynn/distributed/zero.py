"""ZeRO stage 1: shard the optimizer's state across ranks (``ZeroRedundancyOptimizer``).

In plain data parallelism every rank keeps a full copy of the optimizer state: for Adam two
moment tensors per parameter, twice the model's size, the same numbers on every rank. ZeRO
("Zero Redundancy Optimizer", Rajbhandari et al. 2020) stage 1 removes that redundancy:

1. The parameters are partitioned across the W ranks (each one owned by exactly one rank).
2. After the gradients have been averaged (by ``DistributedDataParallel``), each rank runs the
   wrapped optimizer on the parameters it owns only: it keeps their state and nothing else.
3. Each owner broadcasts its freshly updated parameters, so every rank again has the full model.

The update is the same as the unsharded optimizer's (each parameter is stepped by the same rule
with the same averaged gradient); the state memory per rank falls to about 1/W.

The partition is PyTorch's: within each parameter group, parameters sorted by size, largest
first, each to the rank whose share is smallest so far (a greedy balance of the state memory).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from ..autograd import grad_mode
from ..backend import array_module_of
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from . import collectives
from .process_group import default_group

__all__ = ["ZeroRedundancyOptimizer", "optimizer_state_bytes"]


def optimizer_state_bytes(optimizer) -> int:
    """Bytes held by an optimizer's per-parameter state tensors (momentum buffers, Adam's moments...).

    For a ``ZeroRedundancyOptimizer`` this is this rank's shard only.
    """
    if isinstance(optimizer, ZeroRedundancyOptimizer):
        optimizer = optimizer.optim
    if optimizer is None:
        return 0
    return sum(value.nbytes for state in optimizer.state.values() for value in state.values()
               if isinstance(value, Tensor))


def partition_parameters(param_groups: list[dict], world_size: int) -> list[list[list[Tensor]]]:
    """``shards[rank][group]``: the parameters of each group that each rank owns."""
    shards = [[[] for _ in param_groups] for _ in range(world_size)]
    for g, group in enumerate(param_groups):
        sizes = [0] * world_size
        for p in sorted(group["params"], key=lambda t: t.numel(), reverse=True):
            rank = sizes.index(min(sizes))
            shards[rank][g].append(p)
            sizes[rank] += p.numel()
    return shards


class ZeroRedundancyOptimizer(Optimizer):
    """Wrap ``optimizer_class`` so that each rank keeps the state of its shard of the parameters only.

    params: the model's parameters (or parameter groups), the same on every rank.
    optimizer_class: e.g. ``tinynn.optim.Adam``; ``**defaults`` are its options (lr, betas, ...).
    process_group: the ranks sharing the state (default: the default group).
    parameters_as_bucket_view, overlap_with_ddp: PyTorch's memory/overlap optimisations; only False
    is supported. ``self.optim`` is this rank's local optimizer (None when it owns no parameter).
    ``state_dict()`` needs ``consolidate_state_dict(to)`` first and then answers on rank ``to``.
    """

    def __init__(self, params: Iterable, optimizer_class: type, process_group=None,
                 parameters_as_bucket_view: bool = False, overlap_with_ddp: bool = False, **defaults: Any):
        if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, Optimizer)):
            raise TypeError(f"ZeroRedundancyOptimizer: optimizer_class must be a tinynn optimizer class "
                            f"(e.g. tinynn.optim.Adam), got {optimizer_class!r}")
        for flag, value in (("parameters_as_bucket_view", parameters_as_bucket_view),
                            ("overlap_with_ddp", overlap_with_ddp)):
            if value:
                raise NotImplementedError(f"ZeroRedundancyOptimizer: {flag}=True is not supported by tinynn")
        self._ready = False
        super().__init__(params, defaults)
        self.optimizer_class = optimizer_class
        self.process_group = default_group(process_group, "ZeroRedundancyOptimizer")
        self.rank, self.world_size = self.process_group.rank, self.process_group.size
        self.shards = partition_parameters(self.param_groups, self.world_size)
        local_groups = [{**self._options(group), "params": mine}
                        for group, mine in zip(self.param_groups, self.shards[self.rank]) if mine]
        self._local_group_index = [g for g, mine in enumerate(self.shards[self.rank]) if mine]
        self.optim = optimizer_class(local_groups, **defaults) if local_groups else None
        self._consolidated: dict | None = None
        self._ready = True

    @staticmethod
    def _options(group: dict) -> dict:
        return {key: value for key, value in group.items() if key != "params"}

    def add_param_group(self, param_group: dict) -> None:
        if getattr(self, "_ready", False):
            raise NotImplementedError("ZeroRedundancyOptimizer: add_param_group after construction is not supported "
                                      "by tinynn (pass every group to the constructor)")
        super().add_param_group(param_group)

    def _sync_options(self) -> None:
        """Copy options changed on the wrapper (a scheduler's lr) into the local optimizer's groups."""
        if self.optim is None:
            return
        for local, g in zip(self.optim.param_groups, self._local_group_index):
            local.update(self._options(self.param_groups[g]))

    def step(self, closure: Callable | None = None):
        """Step this rank's shard, then let every owner broadcast its updated parameters."""
        self._sync_options()
        self._opt_called = True  # a learning-rate scheduler checks that step() came before its own step()
        loss = None
        if self.optim is not None:
            loss = self.optim.step(closure)
        elif closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        self._broadcast_parameters()
        return loss

    def _broadcast_parameters(self) -> None:
        """One broadcast per owner rank: its parameters flattened into one buffer."""
        for owner in range(self.world_size):
            params = [p for group in self.shards[owner] for p in group]
            if not params or self.world_size == 1:
                continue
            xp = array_module_of(params[0]._data)
            flat = Tensor._make(xp.concatenate([p._data.reshape(-1) for p in params]))
            collectives.broadcast(flat, owner, group=self.process_group)
            offset = 0
            for p in params:
                p._data[...] = flat._data[offset:offset + p.numel()].reshape(p.shape)
                offset += p.numel()
                p._bump_version()

    # ------------------------------------------------------------------ state dict
    def consolidate_state_dict(self, to: int = 0) -> None:
        """Gather every rank's shard of the state on rank ``to`` (a collective: all ranks call it)."""
        order = {id(p): i for i, p in enumerate(p for group in self.param_groups for p in group["params"])}
        mine = {}
        if self.optim is not None:
            for p, state in self.optim.state.items():
                mine[order[id(p)]] = {key: (value.cpu().numpy().copy() if isinstance(value, Tensor) else value)
                                      for key, value in state.items()}
        comm = self.process_group.comm
        shards = [mine] if comm is None else comm.gather(mine, root=to)
        self._consolidated = None
        if self.rank == to:
            from ..creation import tensor as make_tensor

            state = {}
            for shard in shards:
                for index, values in shard.items():
                    state[index] = {key: (make_tensor(value) if hasattr(value, "dtype") and hasattr(value, "shape")
                                          else value) for key, value in values.items()}
            self._consolidated = dict(sorted(state.items()))

    def state_dict(self) -> dict:
        """The full state in the wrapped optimizer's layout (on the rank ``consolidate_state_dict`` named)."""
        if self._consolidated is None:
            raise RuntimeError("ZeroRedundancyOptimizer.state_dict: call consolidate_state_dict(to) on every rank "
                               "first; the full state then exists on rank `to` only")
        groups, start = [], 0
        for group in self.param_groups:
            n = len(group["params"])
            groups.append({**self._options(group), "params": list(range(start, start + n))})
            start += n
        return {"state": self._consolidated, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a full state dict (the same on every rank); each rank keeps its own shard of it."""
        params = [p for group in self.param_groups for p in group["params"]]
        for group, saved in zip(self.param_groups, state_dict["param_groups"]):
            group.update({key: value for key, value in saved.items() if key != "params"})
        self._sync_options()
        if self.optim is None:
            return
        local_params = [p for group in self.optim.param_groups for p in group["params"]]
        index_of = {id(p): i for i, p in enumerate(params)}
        local_state = {j: state_dict["state"][index_of[id(p)]] for j, p in enumerate(local_params)
                       if index_of[id(p)] in state_dict["state"]}
        self.optim.load_state_dict({"state": local_state, "param_groups": self.optim.state_dict()["param_groups"]})
