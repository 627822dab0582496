# %% [markdown]
# # Lesson 24: data-parallel training
#
# One process trains on one batch at a time. With W processes (*ranks*), each can take its own
# slice of a W-times larger batch: every rank holds a full copy of the model, computes the gradient
# of the mean loss over its own shard, and then all ranks *average* their gradients:
#
#     rank r, shard S_r of n examples:   g_r = (1/n) sum_{i in S_r} dloss_i/dw
#     the full batch of W n examples:    g   = (1/(W n)) sum_i dloss_i/dw = (g_0 + ... + g_{W-1}) / W
#
# The average is one *allreduce*: an MPI collective after which every rank holds the sum of all the
# ranks' arrays. Every rank then takes the same optimizer step with the same gradient, so the copies
# stay identical, and W processes train exactly like one process on the whole batch.
#
# This lesson runs that for real: it starts itself again as two worker processes with
# `mpiexec -n 2` (MPI, the message-passing library HPC clusters run, through mpi4py), trains a model
# with `tinynn.distributed.DistributedDataParallel` and `tinynn.utils.data.DistributedSampler`,
# checks the result against one process training on the full batch, measures what communication
# costs (one allreduce per parameter against one per bucket), and shards Adam's state across the
# ranks (ZeRO stage 1) with the memory per rank measured. Without MPI installed it says so and
# simulates the ranks in one process (the same averaging, done by hand).
#
# Run: `python lessons/24_data_parallel_training.py` (under a minute; needs
# `pip install mpi4py mpich` for real processes), or `--full` (4 ranks, 300 steps; about a minute).

# %%
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np

import tinynn as torch
import tinynn.distributed as dist
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.course import Lesson
from tinynn.datasets import spirals
from tinynn.utils.data import DistributedSampler

parser = argparse.ArgumentParser(add_help=False)
parser.add_argument("--worker", action="store_true")   # set when mpiexec starts this file as a rank
parser.add_argument("--result")                        # where rank 0 writes what it measured
args, _ = parser.parse_known_args()
WORKER = args.worker
# the workers' Lesson is quiet: only the parent prints the lesson's text and saves figures
lesson = Lesson(24, "data-parallel training", full_takes="about a minute", quiet=WORKER)
FULL, SEED = lesson.full, lesson.seed

RANKS = 4 if FULL else 2            # processes started by mpiexec
PER_RANK_BATCH = 32                 # each rank's share of one step's batch
STEPS_PER_EPOCH = 12 if FULL else 6
N = RANKS * PER_RANK_BATCH * STEPS_PER_EPOCH   # every global batch is full: no padding
EPOCHS = 25 if FULL else 20
WIDTH = 64
LR = 0.03

# %% [markdown]
# ## The data and the model
# Three interleaved spirals (no straight line separates them) and a small MLP. Everything is
# float64 so that "identical" can mean identical to rounding (about 1e-15), not "close".

# %%
lesson.section()
X, Y = spirals(N, n_classes=3, noise=0.03, seed=SEED)
X = X.double()


def make_model(seed: int, width: int = WIDTH, depth: int = 3) -> nn.Module:
    torch.manual_seed(seed)
    layers, size = [], 2
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.Tanh()]
        size = width
    return nn.Sequential(*layers, nn.Linear(size, 3)).double()


# %% [markdown]
# ## One rank's training loop
# What changes against a one-process loop is three lines:
#
# 1. `DistributedSampler(data, num_replicas=W, rank=r, seed=s)` hands rank r every W-th index of a
#    permutation all ranks draw alike (seeded by `seed + epoch`): disjoint shards, no talking needed.
# 2. `DistributedDataParallel(model)` broadcasts rank 0's parameters (the ranks may have initialised
#    differently) and hooks into backward: when `loss.backward()` returns, `.grad` holds the average.
# 3. To *print* the full-batch loss, the ranks' losses are averaged with `all_reduce(..., AVG)`.
#
# The single-process reference walks through the same permutation in batches of W x 32 examples:
# global batch k is exactly the union of the ranks' batches k.


# %%
lesson.section()


def batches_of(order, size):
    return [order[i:i + size] for i in range(0, len(order), size)]


def snapshot(model: nn.Module) -> np.ndarray:
    """All parameters as one NumPy vector (to compare two models step by step)."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy().copy()


def make_optimizer(params):
    return torch.optim.Adam(params, lr=LR)


def train_ddp(rank: int, world: int, log=print):
    """Each rank: its shard, its model copy, gradients averaged by DDP. Returns (model, losses, snapshots)."""
    model = make_model(seed=SEED + 100 * rank)          # a different start on every rank, on purpose
    ddp = dist.DistributedDataParallel(model)            # ... rank 0's parameters win
    optimizer = make_optimizer(ddp.parameters())
    sampler = DistributedSampler(range(N), num_replicas=world, rank=rank, seed=SEED)
    losses, snapshots = [], []
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)                          # a new shuffle each epoch, the same on all ranks
        for rows in batches_of(list(sampler), PER_RANK_BATCH):
            idx = torch.tensor(rows)
            loss = F.cross_entropy(ddp(X[idx]), Y[idx])
            optimizer.zero_grad()
            loss.backward()                               # ... and the gradients are averaged here
            optimizer.step()
            logged = loss.detach().clone()
            dist.all_reduce(logged, op=dist.ReduceOp.AVG)  # the full batch's loss, for the log
            losses.append(logged.item())
            snapshots.append(snapshot(model))
        if (epoch + 1) % max(1, EPOCHS // 5) == 0:
            log(f"  epoch {epoch + 1:>3}/{EPOCHS}  full-batch loss {losses[-1]:.4f}")
    return model, losses, snapshots


def train_single_process(world: int):
    """One process, the same permutation, global batches of world x PER_RANK_BATCH examples."""
    model = make_model(seed=SEED)
    optimizer = make_optimizer(model.parameters())
    everything = DistributedSampler(range(N), num_replicas=1, rank=0, seed=SEED)
    losses, snapshots = [], []
    for epoch in range(EPOCHS):
        everything.set_epoch(epoch)
        for rows in batches_of(list(everything), world * PER_RANK_BATCH):
            idx = torch.tensor(rows)
            loss = F.cross_entropy(model(X[idx]), Y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            snapshots.append(snapshot(model))
    return model, losses, snapshots


def max_parameter_difference(a: nn.Module, b: nn.Module) -> float:
    return max(float((p - q).abs().max().item()) for p, q in zip(a.parameters(), b.parameters()))


def accuracy(model: nn.Module) -> float:
    with torch.no_grad():
        return float((model(X).argmax(1) == Y).double().mean().item())


# %% [markdown]
# ## What communication costs
# An allreduce of b bytes costs about `latency + b / bandwidth`. The latency (microseconds between
# processes on one idle machine, far more when the processes compete for cores or talk across a
# network) is paid per call, so one allreduce per parameter tensor pays it once per tensor. DDP
# instead flattens the gradients into *buckets* (25 MB by default, `bucket_cap_mb`) and reduces
# each bucket with one call; `bucket_cap_mb=0` gives one bucket per tensor. Both are timed here on
# a deep narrow network (many small tensors, where latency dominates): the communication alone, and
# a whole DDP training step (forward, backward with its allreduces, Adam).


# %%
lesson.section()


def time_gradient_allreduce(repeats: int):
    """Seconds per gradient reduction and per DDP step: one allreduce per tensor against one bucket."""
    deep = make_model(seed=SEED, width=32, depth=16)
    grads = [torch.randn(*p.shape, dtype=torch.float64) for p in deep.parameters()]
    flat = torch.cat([g.reshape(-1) for g in grads])               # the bucket: one buffer
    timings = {}

    def timed(fn):
        dist.barrier()
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        dist.barrier()
        return (time.perf_counter() - start) / repeats

    timings["per_parameter"] = timed(lambda: [dist.all_reduce(g) for g in grads])
    timings["bucketed"] = timed(lambda: dist.all_reduce(flat))
    for name, cap in (("ddp_step_per_parameter", 0), ("ddp_step_bucketed", 25)):
        ddp = dist.DistributedDataParallel(make_model(seed=SEED, width=32, depth=16), bucket_cap_mb=cap)
        optimizer = torch.optim.Adam(ddp.parameters(), lr=0.01)
        idx = torch.arange(PER_RANK_BATCH)

        def step():
            optimizer.zero_grad()
            F.cross_entropy(ddp(X[idx]), Y[idx]).backward()
            optimizer.step()
        timings[name] = timed(step)
    return timings, len(grads), sum(g.numel() for g in grads)


# %% [markdown]
# ## ZeRO stage 1: do not keep the optimizer state W times
# Adam keeps two moment tensors per parameter, twice the model's size, and in plain data
# parallelism every rank keeps all of it, the same numbers W times. `ZeroRedundancyOptimizer`
# partitions the parameters among the ranks (largest first, each to the rank with the least so far);
# each rank runs Adam on its own partition only, then broadcasts its updated parameters. The result
# is Adam's, and the state per rank falls to about 1/W.


# %%
lesson.section()


def zero_experiment(rank: int, world: int, steps: int):
    """Plain Adam under DDP against ZeRO-1 Adam under DDP: parameters and state bytes per rank."""
    results = {}
    for name in ("adam", "zero"):
        model = make_model(seed=SEED, width=128, depth=5)
        ddp = dist.DistributedDataParallel(model)
        if name == "adam":
            optimizer = torch.optim.Adam(ddp.parameters(), lr=0.01)
        else:
            optimizer = dist.ZeroRedundancyOptimizer(ddp.parameters(), torch.optim.Adam, lr=0.01)
        sampler = DistributedSampler(range(N), num_replicas=world, rank=rank, seed=SEED)
        rows = batches_of(list(sampler), PER_RANK_BATCH)
        for step in range(steps):
            idx = torch.tensor(rows[step % len(rows)])
            optimizer.zero_grad()
            F.cross_entropy(ddp(X[idx]), Y[idx]).backward()
            optimizer.step()
        mine = torch.tensor([float(dist.optimizer_state_bytes(optimizer))])
        per_rank = [torch.zeros(1) for _ in range(world)]
        dist.all_gather(per_rank, mine)
        results[name] = (model, [int(b.item()) for b in per_rank])
    (adam_model, adam_bytes), (zero_model, zero_bytes) = results["adam"], results["zero"]
    return {"zero_max_parameter_difference": max_parameter_difference(adam_model, zero_model),
            "adam_state_bytes_per_rank": adam_bytes, "zero_state_bytes_per_rank": zero_bytes,
            "parameters": sum(p.numel() for p in adam_model.parameters())}


# %% [markdown]
# ## The worker: what each of the W processes runs
# `mpiexec -n W python lessons/24_data_parallel_training.py --worker` starts W copies of this
# file; each joins the process group, trains, measures, and rank 0 writes the numbers to a file.


# %%
lesson.section()


def worker_main():
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    log = print if rank == 0 else (lambda *a: None)
    log(f"  [worker] rank {rank} of {world} processes (pid {os.getpid()}) training its shard")
    model, losses, snapshots = train_ddp(rank, world, log)
    parameters = [p.detach().reshape(-1) for p in model.parameters()]
    mine = torch.cat(parameters)
    everyone = [torch.zeros_like(mine) for _ in range(world)]
    dist.all_gather(everyone, mine)                       # do the ranks hold the same model?
    spread = max(float((other - everyone[0]).abs().max().item()) for other in everyone)
    timings, tensors, numel = time_gradient_allreduce(repeats=40 if FULL else 20)
    zero = zero_experiment(rank, world, steps=30 if FULL else 10)
    if rank == 0:
        reference, reference_losses, reference_snapshots = train_single_process(world)
        step_differences = [float(np.abs(a - b).max()) for a, b in zip(snapshots, reference_snapshots)]
        result = {"mode": "mpi", "world": world, "losses": losses, "reference_losses": reference_losses,
                  "step_differences": step_differences,
                  "max_parameter_difference": max_parameter_difference(model, reference),
                  "spread_across_ranks": spread, "accuracy": accuracy(model),
                  "allreduce_seconds": timings, "timing_tensors": tensors, "timing_numel": numel, **zero}
        pathlib.Path(args.result).write_text(json.dumps(result))
    dist.barrier()
    dist.destroy_process_group()


if WORKER:
    worker_main()
    sys.exit(0)

# %% [markdown]
# ## Without MPI: the same averaging by hand, in one process
# Where mpi4py or mpiexec is missing, the ranks are simulated: one model, and for each step the
# gradient of each rank's shard is computed in turn, the W gradients averaged by hand (what the
# allreduce does), and one step taken. ZeRO-1 is simulated with one Adam per rank over its partition.


# %%
lesson.section()


def simulate_ranks(world: int):
    model = make_model(seed=SEED)
    optimizer = make_optimizer(model.parameters())
    samplers = [DistributedSampler(range(N), num_replicas=world, rank=r, seed=SEED) for r in range(world)]
    losses, snapshots = [], []
    for epoch in range(EPOCHS):
        for s in samplers:
            s.set_epoch(epoch)
        shards = [batches_of(list(s), PER_RANK_BATCH) for s in samplers]
        for step in range(STEPS_PER_EPOCH):
            gradients, step_losses = [], []
            for rank in range(world):                   # what rank r would compute on its own
                idx = torch.tensor(shards[rank][step])
                optimizer.zero_grad()
                loss = F.cross_entropy(model(X[idx]), Y[idx])
                loss.backward()
                gradients.append([p.grad.clone() for p in model.parameters()])
                step_losses.append(loss.item())
            for i, p in enumerate(model.parameters()):   # the allreduce, by hand: sum, then / W
                p.grad = sum(g[i] for g in gradients) / world
            optimizer.step()
            losses.append(float(np.mean(step_losses)))
            snapshots.append(snapshot(model))
    reference, reference_losses, reference_snapshots = train_single_process(world)
    # ZeRO-1 by hand: partition the parameters, one Adam per "rank" over its own partition only
    big, big_reference = make_model(seed=SEED, width=128, depth=5), make_model(seed=SEED, width=128, depth=5)
    parts, sizes = [[] for _ in range(world)], [0] * world
    for p in sorted(big.parameters(), key=lambda t: t.numel(), reverse=True):
        r = sizes.index(min(sizes))
        parts[r].append(p)
        sizes[r] += p.numel()
    shard_optimizers = [torch.optim.Adam(part, lr=0.01) for part in parts if part]
    full_adam = torch.optim.Adam(big_reference.parameters(), lr=0.01)
    for step in range(10):
        idx = torch.arange(step * PER_RANK_BATCH * world, (step + 1) * PER_RANK_BATCH * world) % N
        for model_, optimizers in ((big, shard_optimizers), (big_reference, [full_adam])):
            model_.zero_grad()
            F.cross_entropy(model_(X[idx]), Y[idx]).backward()
            for opt in optimizers:                      # each "rank" steps its own partition
                opt.step()
    return {"mode": "simulated", "world": world, "losses": losses, "reference_losses": reference_losses,
            "step_differences": [float(np.abs(a - b).max()) for a, b in zip(snapshots, reference_snapshots)],
            "max_parameter_difference": max_parameter_difference(model, reference), "spread_across_ranks": 0.0,
            "accuracy": accuracy(model), "allreduce_seconds": None,
            "zero_state_bytes_per_rank": [dist.optimizer_state_bytes(o) for o in shard_optimizers],
            "adam_state_bytes_per_rank": [dist.optimizer_state_bytes(full_adam)] * world,
            "zero_max_parameter_difference": max_parameter_difference(big, big_reference),
            "parameters": sum(p.numel() for p in big.parameters())}


# %% [markdown]
# ## Launch the workers (or simulate them)

# %%
lesson.section()
mpi_ready = dist.is_available() and dist.find_mpiexec() is not None
if mpi_ready and lesson.script is not None:  # mpiexec starts the workers from the lesson's file
    with tempfile.TemporaryDirectory() as folder:
        result_file = pathlib.Path(folder) / "result.json"
        command = dist.mpiexec_command(RANKS, lesson.script, "--worker", "--result", str(result_file),
                                       "--seed", str(SEED), *(["--full"] if FULL else []))
        print(f"launching {RANKS} processes: mpiexec -n {RANKS} python {lesson.script.name} --worker ...")
        sys.stdout.flush()
        started = time.perf_counter()
        subprocess.run(command, check=True)  # the workers' progress lines appear as they run
        print(f"  the {RANKS} workers finished in {time.perf_counter() - started:.1f} s")
        result = json.loads(result_file.read_text())
elif mpi_ready:
    print("In a notebook there is no lesson file for mpiexec to start (run `python "
          f"lessons/24_data_parallel_training.py` for real processes): simulating {RANKS} ranks in this "
          "one process instead. The numbers below come from the simulation.")
    result = simulate_ranks(RANKS)
else:
    print("MPI is not available here (needs `pip install mpi4py mpich`, then mpiexec): simulating "
          f"{RANKS} ranks in this one process instead. The numbers below come from the simulation.")
    result = simulate_ranks(RANKS)

# %% [markdown]
# ## Identical to one process
# After each step the data-parallel model is compared with the single-process one. After the first
# step they differ by rounding only (about 1e-15): g_0 + g_1 is summed in a different order than
# the full-batch sum. Training then carries that difference along, and Adam amplifies it (it divides
# by running averages of squared gradients, and the path through a non-convex loss is sensitive), so
# it grows step after step: to about 1e-13 after the 120 quick steps, and, in the 300 steps of
# `--full`, to about 1e-2 by the end, once the loss is tiny. Two single-process runs whose sums were
# ordered differently (another BLAS, another machine) drift apart exactly the same way; the ranks
# themselves never differ at all, because they all apply the same averaged gradient.

# %%
lesson.section()
first, last = result["step_differences"][0], result["step_differences"][-1]
print(f"\n{result['world']} ranks ({result['mode']}), {N} examples, global batch {RANKS * PER_RANK_BATCH}")
print(f"  max |parameter difference| against one process after step 1: {first:.1e}   (expect about 1e-15)")
print(f"  ... after all {len(result['step_differences'])} steps: {last:.1e}   "
      f"(expect about 1e-13 quick, 1e-2 with --full: rounding, grown by training)")
print(f"  max difference between the ranks' parameters: {result['spread_across_ranks']:.1e}   (expect exactly 0)")
print(f"  final full-batch loss {result['losses'][-1]:.3f} (single process {result['reference_losses'][-1]:.3f}), "
      f"accuracy {result['accuracy']:.3f}   (expect about 0.92 quick, 0.99 with --full)")

fig, (ax_loss, ax_diff, ax_data) = plt.subplots(1, 3, figsize=(16, 4.2))
ax_loss.plot(result["reference_losses"], lw=4, alpha=0.35, color="black", label="one process, full batch")
ax_loss.plot(result["losses"], lw=1.2, color="tab:red", label=f"{result['world']} ranks, averaged gradients")
ax_loss.set(title="the same training curve, step for step", xlabel="optimizer step",
            ylabel="cross-entropy (full batch)", yscale="log")
ax_loss.legend()
ax_diff.semilogy(np.arange(1, len(result["step_differences"]) + 1), np.maximum(result["step_differences"], 1e-18))
ax_diff.set(title="ranks vs one process: max |difference|", xlabel="optimizer step",
            ylabel="difference (log scale)")
sampler_shards = [list(DistributedSampler(range(N), num_replicas=RANKS, rank=r, seed=SEED)) for r in range(RANKS)]
points = X.numpy()
for r, shard in enumerate(sampler_shards):
    ax_data.scatter(points[shard, 0], points[shard, 1], s=8, label=f"rank {r}'s shard")
ax_data.set(title="epoch 0: which rank holds which example", xlabel="x1", ylabel="x2", aspect="equal")
ax_data.legend(fontsize=8, loc="upper right")
lesson.save(fig, "identical_training.png")

# %% [markdown]
# ## Communication and memory
# Bucketing pays MPI's per-call latency once instead of once per tensor. ZeRO-1 splits Adam's
# state: each rank keeps about 1/W of it.

# %%
lesson.section()
timings = result["allreduce_seconds"]
if timings:
    ratio = timings["per_parameter"] / timings["bucketed"]
    step_ratio = timings["ddp_step_per_parameter"] / timings["ddp_step_bucketed"]
    print(f"\ngradient allreduce of {result['timing_tensors']} tensors ({result['timing_numel']:,} numbers), "
          f"{result['world']} processes:")
    print(f"  one call per tensor {1e3 * timings['per_parameter']:.2f} ms, one bucket {1e3 * timings['bucketed']:.2f} ms"
          f"  -> bucketing {ratio:.1f}x faster   (expect several times; it varies with the machine's load)")
    print(f"  whole DDP step: bucket_cap_mb=0 {1e3 * timings['ddp_step_per_parameter']:.1f} ms, default buckets "
          f"{1e3 * timings['ddp_step_bucketed']:.1f} ms  -> {step_ratio:.2f}x   (expect above 1: the same saving "
          "plus compute that does not change)")
else:
    ratio = step_ratio = None
    print("\ngradient allreduce timing: needs real MPI processes (not measured in the simulation)")
zero_bytes, adam_bytes = result["zero_state_bytes_per_rank"], result["adam_state_bytes_per_rank"]
share = max(zero_bytes) / adam_bytes[0]
print(f"Adam state per rank, model of {result['parameters']:,} float64 parameters: plain {adam_bytes[0]:,} bytes, "
      f"ZeRO-1 {zero_bytes} bytes -> largest shard {share:.2f} of the full state (expect about 1/{RANKS})")
print(f"  ZeRO-1 parameters against plain Adam: max difference {result['zero_max_parameter_difference']:.1e} "
      "(expect 0 or about 1e-16)")

fig, (ax_time, ax_memory) = plt.subplots(1, 2, figsize=(11, 4))
if timings:
    kinds = ["allreduce only", "whole DDP step"]
    per_tensor = [1e3 * timings["per_parameter"], 1e3 * timings["ddp_step_per_parameter"]]
    bucketed = [1e3 * timings["bucketed"], 1e3 * timings["ddp_step_bucketed"]]
    ax_time.bar(np.arange(2) - 0.2, per_tensor, width=0.4, color="tab:gray", label="one allreduce per tensor")
    ax_time.bar(np.arange(2) + 0.2, bucketed, width=0.4, color="tab:blue", label="one bucket")
    ax_time.set(title=f"{result['timing_tensors']} gradient tensors, {result['world']} processes",
                ylabel="milliseconds (log scale)", yscale="log", xticks=np.arange(2), xticklabels=kinds)
    ax_time.set_ylim(top=max(per_tensor + bucketed) * 20)  # room for the legend above the bars
    ax_time.legend(loc="upper left")
else:
    ax_time.text(0.5, 0.5, "timing needs MPI\n(pip install mpi4py mpich)", ha="center", va="center")
    ax_time.set(title="allreduce cost (not measured)", xticks=[], yticks=[])
labels = [f"rank {r}" for r in range(len(zero_bytes))]
positions = np.arange(len(labels))
ax_memory.bar(positions - 0.2, np.array(adam_bytes) / 1e3, width=0.4, label="plain Adam (every rank)", color="tab:gray")
ax_memory.bar(positions + 0.2, np.array(zero_bytes) / 1e3, width=0.4, label="ZeRO-1 (its shard)", color="tab:green")
ax_memory.set(title="optimizer state per rank", ylabel="kilobytes", xticks=positions, xticklabels=labels)
ax_memory.set_ylim(top=max(adam_bytes) / 1e3 * 1.35)  # room for the legend above the bars
ax_memory.legend(loc="upper right")
lesson.save(fig, "communication_and_memory.png")

# %% [markdown]
# ## What to take away
# - Averaging gradients with one allreduce makes W processes train exactly like one process on a W
#   times larger batch; `DistributedSampler` gives each its shard without any communication.
# - Communication is latency plus bytes: bucketing the gradients into few large messages is faster
#   than one message per tensor (and real DDP overlaps the buckets with the rest of backward).
# - ZeRO-1 keeps each rank's share of the optimizer state only: about 1/W of Adam's memory per rank
#   for the same updates. (Stages 2 and 3 shard the gradients and the parameters too.)
#
# With `--full` (4 ranks, 300 steps): the parameters match one process to about 1e-15 after the
# first step (about 1e-2 after 300, rounding amplified by training), the accuracy reaches about
# 0.99, bucketing is several times faster, and each rank holds about a quarter of Adam's state.

# %%
lesson.section()
lesson.summary(mode=result["mode"], world=result["world"], first_step_difference=first,
               max_parameter_difference=result["max_parameter_difference"],
               spread_across_ranks=result["spread_across_ranks"], accuracy=round(result["accuracy"], 4),
               final_loss=round(result["losses"][-1], 4), bucketing_speedup=None if ratio is None else round(ratio, 2),
               ddp_step_speedup=None if step_ratio is None else round(step_ratio, 2),
               zero_state_share=round(share, 3), zero_max_parameter_difference=result["zero_max_parameter_difference"])
