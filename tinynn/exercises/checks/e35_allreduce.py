"""Checks for exercise 35, the ring all-reduce: the chunks, each half of the ring (values and traffic), the
whole all-reduce for world sizes 1-5 and sizes that do not divide evenly (every rank the same sum, the mean),
and gradient averaging: a data-parallel SGD step equals one step on the whole batch."""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn as nn
from ..grading import Grader, Mismatch

# (n, W): even and uneven splits, fewer numbers than ranks, nothing at all, one rank, one number per rank
BOUNDS = [(10, 3), (12, 4), (2, 4), (0, 2), (7, 1), (5, 5)]
# (W, n) for the two halves of the ring
HALVES = [(3, 10), (4, 4), (2, 5), (5, 3), (1, 4)]
# (W, shape, dtype, average) for the whole all-reduce
ALL_REDUCE = [(4, (10,), np.float64, False), (3, (2, 5), np.float64, False), (5, (2,), np.float64, False),
              (1, (3,), np.float64, True), (2, (3, 4), np.float32, True), (3, (7,), np.float64, True)]


def _expected_bounds(n: int, world: int) -> list:
    sizes = [len(part) for part in np.array_split(np.arange(n), world)]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    return [(int(starts[r]), int(starts[r + 1])) for r in range(world)]


def _check_bounds(g: Grader, student) -> None:
    for n, world in BOUNDS:
        with g.check(f"n = {n}, world_size = {world}", "chunk_bounds"):
            got = g.call(student.chunk_bounds, n, world)
            expected = _expected_bounds(n, world)
            got_list = [tuple(int(v) for v in pair) for pair in got] if isinstance(got, (list, tuple)) else got
            if got_list != expected:
                base = n // world
                last_heavy = [(r * base, (r + 1) * base if r < world - 1 else n) for r in range(world)]
                hint = (". Hint: spread the remainder n % W over the FIRST chunks, one number each, instead of "
                        "putting it all in the last" if got_list == last_heavy else "")
                raise Mismatch(f"chunk_bounds({n}, {world}) = {got!r}, expected {expected}{hint}")


def _expect_traffic(what: str, ring, messages: int, numbers: list) -> None:
    """Each rank sent ``messages`` messages and numbers[r] numbers."""
    for rank in range(ring.world_size):
        if ring.messages_sent[rank] != messages:
            raise Mismatch(f"{what}: rank {rank} sent {ring.messages_sent[rank]} messages, expected {messages} "
                           f"(W - 1 = {ring.world_size - 1} per half of the ring, one chunk per step). Hint: pass "
                           "the chunks with ring.send and ring.receive, one chunk per rank and step")
        if ring.numbers_sent[rank] != numbers[rank]:
            raise Mismatch(f"{what}: rank {rank} sent {ring.numbers_sent[rank]} numbers, expected {numbers[rank]}. "
                           "Hint: send one chunk per step, not the whole array")


def _scatter_overwriting(arrays: list, bounds: list) -> list:
    """A known mistake: a reduce-scatter that stores each received chunk with '=' where it must add."""
    world, buffers = len(arrays), [a.copy() for a in arrays]
    for step in range(world - 1):
        sent = [buffers[r][slice(*bounds[(r - step) % world])].copy() for r in range(world)]
        for r in range(world):
            buffers[r][slice(*bounds[(r - 1 - step) % world])] = sent[(r - 1) % world]
    return buffers


def _check_reduce_scatter(g: Grader, student, reference) -> None:
    for world, n in HALVES:
        arrays = [g.randn(n) for _ in range(world)]
        bounds, total = _expected_bounds(n, world), np.sum(arrays, axis=0)
        ring, expected_ring = reference.Ring(world), reference.Ring(world)
        with g.check(f"W = {world}, n = {n}: rank r ends with chunk (r + 1) % W summed", "ring_reduce_scatter",
                     points=2 if (world, n) == (3, 10) else 1):
            buffers, overwritten = [a.copy() for a in arrays], _scatter_overwriting(arrays, bounds)
            g.call(student.ring_reduce_scatter, ring, buffers, bounds)
            reference.ring_reduce_scatter(expected_ring, [a.copy() for a in arrays], bounds)
            for rank in range(world):
                start, stop = bounds[(rank + 1) % world]
                g.expect(f"rank {rank}'s chunk {(rank + 1) % world} [{start}:{stop}]", buffers[rank][start:stop],
                         total[start:stop], rtol=1e-12,
                         mistakes={"that rank's own numbers (nothing was added into the chunk)":
                                   arrays[rank][start:stop],
                                   "the received chunks stored with '=' (reduce-scatter adds them: +=)":
                                   overwritten[rank][start:stop]})
            _expect_traffic("ring_reduce_scatter", ring, world - 1, expected_ring.numbers_sent)


def _check_all_gather(g: Grader, student, reference) -> None:
    for world, n in HALVES:
        total, bounds = g.randn(n), _expected_bounds(n, world)
        ring, expected_ring = reference.Ring(world), reference.Ring(world)
        with g.check(f"W = {world}, n = {n}: every rank ends with every complete chunk", "ring_all_gather",
                     points=2 if (world, n) == (3, 10) else 1):
            # rank r starts with only its complete chunk (r + 1) % W; NaN elsewhere shows what was never filled
            buffers = [np.full(n, np.nan) for _ in range(world)]
            for rank in range(world):
                start, stop = bounds[(rank + 1) % world]
                buffers[rank][start:stop] = total[start:stop]
            reference.ring_all_gather(expected_ring, [b.copy() for b in buffers], bounds)
            g.call(student.ring_all_gather, ring, buffers, bounds)
            for rank in range(world):
                g.expect(f"rank {rank}'s array", buffers[rank], total, exact=True)
            _expect_traffic("ring_all_gather", ring, world - 1, expected_ring.numbers_sent)


def _check_all_reduce(g: Grader, student, reference) -> None:
    for world, shape, dtype, average in ALL_REDUCE:
        arrays = [g.randn(*shape).astype(dtype) for _ in range(world)]
        copies = [a.copy() for a in arrays]
        expected = np.sum(arrays, axis=0) / (world if average else 1)
        case = f"W = {world}, arrays {shape} {np.dtype(dtype).name}, " + ("average" if average else "sum")
        ring, expected_ring = reference.Ring(world), reference.Ring(world)
        reference.ring_all_reduce(expected_ring, copies, average)
        with g.check(case, "ring_all_reduce", points=2 if world >= 3 else 1):
            got = g.call(student.ring_all_reduce, ring, arrays, average)
            if not isinstance(got, (list, tuple)) or len(got) != world:
                raise Mismatch(f"ring_all_reduce returned {type(got).__name__}"
                               f"{f' of {len(got)}' if isinstance(got, (list, tuple)) else ''}, expected a list of "
                               f"{world} arrays, one per rank")
            rtol = 1e-5 if dtype == np.float32 else 1e-12
            for rank in range(world):
                g.expect(f"rank {rank}'s result", got[rank], expected, rtol=rtol,
                         mistakes={"the sum, not divided by W": expected * world} if average and world > 1 else None)
            for rank in range(1, world):
                if not np.array_equal(np.asarray(got[rank]), np.asarray(got[0])):
                    raise Mismatch(f"rank {rank}'s result differs from rank 0's (in the last bits): after the "
                                   "all-gather every rank must hold the same copies of the same complete chunks")
            for rank, (a, c) in enumerate(zip(arrays, copies)):
                if not np.array_equal(a, c):
                    raise Mismatch(f"ring_all_reduce changed rank {rank}'s input array: work on copies")
            _expect_traffic("ring_all_reduce", ring, 2 * (world - 1), expected_ring.numbers_sent)


def _replicas(world: int) -> tuple:
    """W identical small models and a batch split into W equal shards, plus one model for the whole batch."""
    tinynn.manual_seed(0)
    single = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    replicas = [nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2)).double() for _ in range(world)]
    for model in replicas:
        model.load_state_dict(single.state_dict())
    return single, replicas


def _loss(model, x, y):
    return ((model(x) - y) ** 2).mean()


def _check_average(g: Grader, student, reference) -> None:
    for world in (3, 1, 4):
        x, y = g.randn(12, 4), g.randn(12, 2)
        single, replicas = _replicas(world)
        shards = np.array_split(np.arange(12), world)
        for model, shard in zip(replicas, shards):
            _loss(model, tinynn.tensor(x[shard]), tinynn.tensor(y[shard])).backward()
        grads = [[p.grad.numpy().copy() for p in model.parameters()] for model in replicas]
        mean = [np.mean([grads[r][i] for r in range(world)], axis=0) for i in range(len(grads[0]))]
        ring = reference.Ring(world)
        with g.check(f"W = {world}: {world} replica(s) of a 2-layer MLP (4 parameters), shards of {12 // world} rows",
                     "average_gradients", points=2 if world == 3 else 1):
            g.call(student.average_gradients, ring, replicas)
            for rank, model in enumerate(replicas):
                for (name, p), expected in zip(model.named_parameters(), mean):
                    g.expect(f"replica {rank}: gradient of {name}", p.grad, tinynn.tensor(expected), rtol=1e-12,
                             mistakes={"the sum over the replicas, not the mean": expected * world}
                             if world > 1 else None)
            if world > 1 and ring.messages_sent[0] != 2 * (world - 1):
                reductions = ring.messages_sent[0] // (2 * (world - 1))
                raise Mismatch(f"rank 0 sent {ring.messages_sent[0]} messages: {reductions} all-reduces. Hint: one "
                               "bucket: concatenate all the flattened gradients, all-reduce once, and split the "
                               "result back (each message costs a latency)")

        with g.check(f"W = {world}: SGD steps with the averaged gradients equal steps on the whole batch of 12",
                     "average_gradients", points=2 if world == 3 else 1):
            optimizers = [tinynn.optim.SGD(model.parameters(), lr=0.1) for model in replicas]
            for opt in optimizers:
                opt.step()
            single_opt = tinynn.optim.SGD(single.parameters(), lr=0.1)
            single_opt.zero_grad()
            _loss(single, tinynn.tensor(x), tinynn.tensor(y)).backward()
            single_opt.step()
            for step in range(2):   # two more data-parallel steps
                for model, opt, shard in zip(replicas, optimizers, shards):
                    opt.zero_grad()
                    _loss(model, tinynn.tensor(x[shard]), tinynn.tensor(y[shard])).backward()
                g.call(student.average_gradients, reference.Ring(world), replicas)
                for opt in optimizers:
                    opt.step()
                single_opt.zero_grad()
                _loss(single, tinynn.tensor(x), tinynn.tensor(y)).backward()
                single_opt.step()
            for rank, model in enumerate(replicas):
                for (name, p), q in zip(model.named_parameters(), single.parameters()):
                    g.expect(f"after 3 steps, replica {rank}'s {name}", p, q.detach(), rtol=1e-10,
                             expected_label="one process on the whole batch")


def grade(g: Grader, student, reference) -> None:
    _check_bounds(g, student)
    _check_reduce_scatter(g, student, reference)
    _check_all_gather(g, student, reference)
    _check_all_reduce(g, student, reference)
    _check_average(g, student, reference)
