# Exercise 35, generated from tinynn/exercises/source/e35_allreduce.py by
# `python -m tinynn.exercises build`. Work on a copy of this file, replace each
# `raise NotImplementedError(...)` with your code, and grade it from the repository root:
#     cp lessons/exercises/e35_allreduce.py my_e35_allreduce.py
#     python -m tinynn.exercises check 35 my_e35_allreduce.py
"""Exercise 35: ring all-reduce over simulated ranks, and averaging gradients for data-parallel training.

In data-parallel training each of W processes (ranks) holds a copy of the model, computes the
gradient on its own share of the batch, and then all of them need the AVERAGE gradient, so that
every copy takes the same step. That is one *all-reduce*: every rank starts with an array x_r and
ends with the sum x_0 + ... + x_{W-1} (then divided by W for the mean).

Sending every array to one rank and the sum back makes that rank's network link carry W arrays.
The ring all-reduce spreads the work: the ranks form a ring (rank r sends only to its right
neighbour r + 1, mod W), each rank's array (flattened, n numbers) is cut into W chunks, and

  reduce-scatter, W - 1 steps. At step s every rank r sends its chunk (r - s) mod W to the right;
      the receiver ADDS it into its own copy of that chunk. A chunk travels around the ring
      collecting one rank's numbers per step, so after W - 1 steps rank r holds the complete sum
      of chunk (r + 1) mod W.
  all-gather, W - 1 more steps. At step s every rank r sends its chunk (r + 1 - s) mod W (the
      complete one at s = 0, then the one it just received); the receiver OVERWRITES its copy.
      After W - 1 steps every rank holds every complete chunk.

Each rank sends 2 (W - 1) messages of about n / W numbers: 2 (W - 1) / W * n in all, less than
2n however many ranks there are. Worked example, W = 3, one number per chunk, rank r holds
(a_r, b_r, c_r) for chunks 0, 1, 2:

    reduce-scatter step 0: rank 0 sends a_0 to rank 1 (chunk 0), rank 1 sends b_1, rank 2 sends c_2
        rank 1: a = a_0 + a_1     rank 2: b = b_1 + b_2     rank 0: c = c_2 + c_0
    step 1: rank 1 sends its chunk 0, rank 2 its chunk 1, rank 0 its chunk 2:
        rank 2: a = a_0 + a_1 + a_2   rank 0: b complete   rank 1: c complete
    so rank r holds chunk (r + 1) mod 3 complete; the all-gather passes those around.

Chunks: n numbers into W contiguous chunks, the first n mod W of them one number longer (as
``np.array_split``): n = 10, W = 3 -> [0, 4), [4, 7), [7, 10). With n < W some chunks are empty.

The network is simulated by ``Ring`` (given): ``ring.send(r, array)`` puts a copy in the inbox of
rank r + 1, ``ring.receive(r)`` takes the oldest message in rank r's inbox. Within one step let
every rank send, then every rank receive. The grader counts the messages and numbers each rank sent.

You write:
  1. ``chunk_bounds(n, world_size)``: the W (start, stop) pairs.
  2. ``ring_reduce_scatter(ring, buffers, bounds)`` and 3. ``ring_all_gather(ring, buffers, bounds)``:
     ``buffers`` holds each rank's flat (n,) array, changed in place.
  4. ``ring_all_reduce(ring, arrays, average=False)``: the arrays (any shape, all the same) -> a new
     list of W arrays, each the sum (the mean when ``average``), with the inputs' shape and dtype;
     the inputs are not changed.
  5. ``average_gradients(ring, replicas)``: W copies of a model, each parameter with its gradient
     from that rank's data; afterwards every replica's ``p.grad`` is the mean over the replicas.
     Use ONE all-reduce for all parameters (a "bucket": the gradients flattened and concatenated),
     as DistributedDataParallel does: each message costs a latency, so fewer, larger ones are faster.

The grader runs world sizes 1 to 5 with sizes that do not divide evenly, checks that every rank ends
with the same sum, counts the traffic, and checks that a data-parallel SGD step with your averaged
gradients equals one step on the whole batch (lesson 24's simulation).
"""
from __future__ import annotations

import collections

import numpy as np

import tinynn

LESSON = 24
FORBIDDEN = ["tinynn.distributed.all_reduce", "tinynn.distributed.collectives.all_reduce"]


class Ring:
    """W simulated ranks in a ring: rank r sends only to rank (r + 1) % W (given; nothing to write here)."""

    def __init__(self, world_size: int):
        self.world_size = world_size
        self.inboxes = [collections.deque() for _ in range(world_size)]
        self.messages_sent = [0] * world_size     # per rank
        self.numbers_sent = [0] * world_size

    def send(self, rank: int, array: np.ndarray) -> None:
        """Rank ``rank`` sends a copy of ``array`` to its right neighbour."""
        self.inboxes[(rank + 1) % self.world_size].append(np.array(array, copy=True))
        self.messages_sent[rank] += 1
        self.numbers_sent[rank] += int(np.size(array))

    def receive(self, rank: int) -> np.ndarray:
        """The oldest message waiting for rank ``rank`` (from its left neighbour)."""
        if not self.inboxes[rank]:
            raise RuntimeError(f"rank {rank} waits for a message nobody sent (on a real network: a deadlock)")
        return self.inboxes[rank].popleft()


def chunk_bounds(n: int, world_size: int) -> list[tuple[int, int]]:
    """W contiguous (start, stop) chunks of range(n), the first n % W one longer."""
    raise NotImplementedError("exercise 35: chunk_bounds")


def ring_reduce_scatter(ring: Ring, buffers: list, bounds: list) -> None:
    """W - 1 steps; afterwards rank r's chunk (r + 1) % W holds the sum over all ranks (in place)."""
    raise NotImplementedError("exercise 35: ring_reduce_scatter")


def ring_all_gather(ring: Ring, buffers: list, bounds: list) -> None:
    """W - 1 steps passing the complete chunks on; afterwards every rank holds every chunk (in place)."""
    raise NotImplementedError("exercise 35: ring_all_gather")


def ring_all_reduce(ring: Ring, arrays: list, average: bool = False) -> list:
    """W arrays of one shape -> W new arrays, each the sum (or the mean) of all of them."""
    raise NotImplementedError("exercise 35: ring_all_reduce")


def average_gradients(ring: Ring, replicas: list) -> None:
    """Every replica's p.grad becomes the mean over the replicas, with one bucketed all-reduce."""
    raise NotImplementedError("exercise 35: average_gradients")
