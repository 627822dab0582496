"""Run by tests/distributed/test_mpi.py as ``mpiexec -n 2 python tests/distributed/ddp_worker.py``.

Every rank runs the same checks; rank 0 prints one line ``result: {json}`` that the test reads.
Models are float64 so that "identical to one process" can be asserted to ~1e-12.
"""
import json
import sys

import numpy as np

import tinynn
import tinynn.distributed as dist
from tinynn import nn
from tinynn.utils.data import DistributedSampler

STEPS = 5
N, D_IN, CLASSES = 16, 5, 3


def make_model(seed):
    tinynn.manual_seed(seed)
    return nn.Sequential(nn.Linear(D_IN, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, CLASSES)).double()


class WithSpare(nn.Module):
    """A model with a layer its forward never calls (an unused parameter for DDP)."""

    def __init__(self, seed):
        super().__init__()
        self.body = make_model(seed)
        self.spare = nn.Linear(4, 4).double()

    def forward(self, x):
        return self.body(x)


class Tied(nn.Module):
    """One weight used twice in forward: backward delivers two gradient contributions to it."""

    def __init__(self, seed):
        super().__init__()
        tinynn.manual_seed(seed)
        self.inner = nn.Linear(D_IN, D_IN).double()
        self.head = nn.Linear(D_IN, CLASSES).double()

    def forward(self, x):
        return self.head(self.inner(self.inner(x).tanh()))


rng = np.random.default_rng(0)
X = tinynn.tensor(rng.standard_normal((N, D_IN)))
Y = tinynn.tensor(rng.integers(0, CLASSES, N))
loss_fn = nn.CrossEntropyLoss()


def flat(model):
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def train(model, optimizer, rows, steps=STEPS, accumulate=1, wrapped=None):
    """``steps`` optimizer steps on rows of (X, Y); with accumulate=k, k micro-batches per step."""
    net = wrapped or model
    for _ in range(steps):
        optimizer.zero_grad()
        parts = np.array_split(np.asarray(rows), accumulate)
        for j, part in enumerate(parts):
            idx = tinynn.tensor(part)
            last = j == len(parts) - 1
            if wrapped is not None and not last:
                with wrapped.no_sync():
                    (loss_fn(net(X[idx]), Y[idx]) / accumulate).backward()
            else:
                (loss_fn(net(X[idx]), Y[idx]) / accumulate).backward()
        optimizer.step()
    return model


def reference(optim_class, model_factory=make_model, **options):
    model = model_factory(0)
    return flat(train(model, optim_class(model.parameters(), **options), list(range(N))))


def spread_across_ranks(vector):
    """max |rank i's vector - rank 0's vector| over all ranks (0 when they agree)."""
    t = tinynn.tensor(vector)
    gathered = [tinynn.zeros_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, t)
    return float(max(np.abs(g.numpy() - gathered[0].numpy()).max() for g in gathered))


def ddp_run(optim_class, model_factory=make_model, accumulate=1, ddp_options=None, **options):
    rank = dist.get_rank()
    # rank 0 starts where the reference does; the others start elsewhere: DDP broadcasts rank 0's
    model = model_factory(0 if rank == 0 else 100 + rank)
    ddp = dist.DistributedDataParallel(model, **(ddp_options or {}))
    rows = list(DistributedSampler(range(N), shuffle=False))
    optimizer = optim_class(ddp.parameters(), **options)
    train(model, optimizer, rows, accumulate=accumulate, wrapped=ddp)
    return flat(model), ddp


def main():
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    out = {"world": world}

    # --- collectives
    x = tinynn.tensor([1.0 + rank, 10.0 * (rank + 1)])
    checks = {}
    for op, expect in [(dist.ReduceOp.SUM, [3.0, 30.0]), (dist.ReduceOp.AVG, [1.5, 15.0]),
                       (dist.ReduceOp.MAX, [2.0, 20.0]), (dist.ReduceOp.MIN, [1.0, 10.0]),
                       (dist.ReduceOp.PRODUCT, [2.0, 200.0])]:
        t = x.clone()
        dist.all_reduce(t, op=op)
        checks[op.name] = t.tolist() == expect
    b = tinynn.tensor([float(rank) + 5.0, -1.0])
    dist.broadcast(b, src=1)
    checks["broadcast"] = b.tolist() == [6.0, -1.0]
    gathered = [tinynn.zeros(2) for _ in range(world)]
    dist.all_gather(gathered, tinynn.tensor([rank, rank * 2.0]))
    checks["all_gather"] = [g.tolist() for g in gathered] == [[0.0, 0.0], [1.0, 2.0]]
    out_rs = tinynn.zeros(2)
    dist.reduce_scatter(out_rs, [tinynn.tensor([1.0, 2.0]) * (rank + 1), tinynn.tensor([3.0, 4.0]) * (rank + 1)])
    checks["reduce_scatter"] = out_rs.tolist() == ([3.0, 6.0] if rank == 0 else [9.0, 12.0])
    r = tinynn.tensor([rank + 1.0])
    dist.reduce(r, dst=0)
    checks["reduce"] = r.tolist() == ([3.0] if rank == 0 else [2.0])
    out["collectives"] = checks

    # --- DDP against one process on the full batch
    diffs, spreads = {}, {}
    cases = {
        "sgd": (tinynn.optim.SGD, make_model, 1, None, {"lr": 0.1, "momentum": 0.9}),
        "adam": (tinynn.optim.Adam, make_model, 1, None, {"lr": 0.01}),
        "adam_per_param_buckets": (tinynn.optim.Adam, make_model, 1, {"bucket_cap_mb": 0}, {"lr": 0.01}),
        "sgd_no_sync_accumulation": (tinynn.optim.SGD, make_model, 2, None, {"lr": 0.1}),
        "sgd_tied_weight": (tinynn.optim.SGD, Tied, 1, {"bucket_cap_mb": 0}, {"lr": 0.1}),
    }
    for name, (optim_class, factory, accumulate, ddp_options, options) in cases.items():
        ours, ddp = ddp_run(optim_class, factory, accumulate, ddp_options, **options)
        diffs[name] = float(np.abs(ours - reference(optim_class, factory, **options)).max())
        spreads[name] = spread_across_ranks(ours)
        out.setdefault("buckets", {})[name] = len(ddp.buckets)
    out["max_diff_vs_single_process"] = diffs
    out["spread_across_ranks"] = spreads

    # unused parameters: an error without find_unused_parameters, training with it
    try:
        dist.DistributedDataParallel(WithSpare(0))(X[:2])
        out["unused_error"] = ""
    except RuntimeError as error:
        out["unused_error"] = str(error)
    model = WithSpare(0)
    ddp = dist.DistributedDataParallel(model, find_unused_parameters=True)
    optimizer = tinynn.optim.SGD(ddp.parameters(), lr=0.1)
    train(model, optimizer, list(DistributedSampler(range(N), shuffle=False)), wrapped=ddp)
    reference_model = WithSpare(0)
    train(reference_model, tinynn.optim.SGD(reference_model.parameters(), lr=0.1), list(range(N)))
    out["max_diff_vs_single_process"]["sgd_find_unused"] = float(np.abs(flat(model) - flat(reference_model)).max())
    out["unused_grad_is_none"] = model.spare.weight.grad is None

    # --- ZeRO-1: Adam's state sharded across the ranks
    model = make_model(0)
    ddp = dist.DistributedDataParallel(model)
    zero = dist.ZeroRedundancyOptimizer(ddp.parameters(), tinynn.optim.Adam, lr=0.01)
    train(model, zero, list(DistributedSampler(range(N), shuffle=False)), wrapped=ddp)
    reference_model = make_model(0)
    adam = tinynn.optim.Adam(reference_model.parameters(), lr=0.01)
    train(reference_model, adam, list(range(N)))
    out["zero_max_diff_vs_adam"] = float(np.abs(flat(model) - flat(reference_model)).max())
    out["zero_spread_across_ranks"] = spread_across_ranks(flat(model))
    shard_bytes = tinynn.tensor([float(dist.optimizer_state_bytes(zero))])
    all_bytes = [tinynn.zeros(1) for _ in range(world)]
    dist.all_gather(all_bytes, shard_bytes)
    out["zero_state_bytes_per_rank"] = [int(b.item()) for b in all_bytes]
    out["adam_state_bytes"] = dist.optimizer_state_bytes(adam)
    zero.consolidate_state_dict(to=0)
    if rank == 0:
        full = zero.state_dict()
        reference_state = adam.state_dict()
        out["zero_state_dict_diff"] = float(max(
            np.abs(full["state"][i][key].numpy() - reference_state["state"][i][key].numpy()).max()
            for i in reference_state["state"] for key in ("exp_avg", "exp_avg_sq")))

    dist.barrier()
    dist.destroy_process_group()
    if rank == 0:
        print("result: " + json.dumps(out))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
