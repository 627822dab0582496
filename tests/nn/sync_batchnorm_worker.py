"""Run by tests/nn/test_sync_batchnorm.py as ``mpiexec -n 2 python tests/nn/sync_batchnorm_worker.py``.

Each rank normalizes its half of a global batch with SyncBatchNorm; rank 0 compares the gathered
outputs, input gradients, summed weight gradients and running statistics with one process's
BatchNorm on the whole batch, and prints one line ``result: {json}``. float64 throughout.
"""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))   # the repository root: import tinynn from here

import tinynn  # noqa: E402
import tinynn.distributed as dist  # noqa: E402
from tinynn import nn  # noqa: E402

N, C, L, STEPS = 6, 3, 4, 2


def gather_rows(tensor):
    """The ranks' tensors (all the same shape) concatenated along dim 0, on every rank."""
    parts = [tinynn.zeros_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, tensor.detach().contiguous())
    return np.concatenate([p.numpy() for p in parts])


def affine(layer, seed):
    rng = np.random.default_rng(seed)
    with tinynn.no_grad():
        layer.weight.copy_(tinynn.tensor(rng.uniform(0.5, 1.5, C)))
        layer.bias.copy_(tinynn.tensor(rng.standard_normal(C)))
    return layer


def main():
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((N * world, C, L)) * (step + 1) + step for step in range(STEPS)]
    gs = [rng.standard_normal((N * world, C, L)) for _ in range(STEPS)]
    share = slice(rank * N, (rank + 1) * N)

    synced = affine(nn.SyncBatchNorm(C, momentum=None).double(), 1)   # momentum None: cumulative averages
    single = affine(nn.BatchNorm1d(C, momentum=None).double(), 1)
    diffs = {"output": 0.0, "input_grad": 0.0, "weight_grad": 0.0, "bias_grad": 0.0, "running": 0.0}
    for x, g in zip(xs, gs):
        synced.zero_grad()
        single.zero_grad()
        local = tinynn.tensor(x[share], requires_grad=True)
        y = synced(local)
        (y * tinynn.tensor(g[share])).sum().backward()
        full = tinynn.tensor(x, requires_grad=True)
        y_full = single(full)
        (y_full * tinynn.tensor(g)).sum().backward()
        for name, ours, reference in (
            ("output", gather_rows(y), y_full.detach().numpy()),
            ("input_grad", gather_rows(local.grad), full.grad.numpy()),
            ("running", np.concatenate([synced.running_mean.numpy(), synced.running_var.numpy()]),
             np.concatenate([single.running_mean.numpy(), single.running_var.numpy()])),
        ):
            diffs[name] = max(diffs[name], float(np.abs(ours - reference).max()))
        for name, param, reference in (("weight_grad", synced.weight, single.weight),
                                       ("bias_grad", synced.bias, single.bias)):
            summed = param.grad.clone()
            dist.all_reduce(summed)   # weight and bias gradients stay local; their sum is the full batch's
            diffs[name] = max(diffs[name], float(np.abs(summed.numpy() - reference.grad.numpy()).max()))

    # a local batch of one sample per rank: one value per channel here, two over both ranks
    tiny = nn.SyncBatchNorm(C).double()(tinynn.tensor(xs[0][rank:rank + 1, :, 0]))
    synced.eval()
    single.eval()
    with tinynn.no_grad():
        eval_diff = float(np.abs(synced(tinynn.tensor(xs[0][share])).numpy()
                                 - single(tinynn.tensor(xs[0][share])).numpy()).max())
    if rank == 0:
        out = {"world": world, "diffs": diffs, "eval_diff": eval_diff, "tiny_shape": list(tiny.shape),
               "batches": int(synced.num_batches_tracked)}
        print("result: " + json.dumps(out))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
