"""Exercise 35, the ring all-reduce: the reference passes every check, the student file is reported not
done, and planted mistakes (the remainder in the last chunk, '=' where reduce-scatter adds, the wrong chunk
passed on in the all-gather, no ring at all, inputs changed in place, no division for the mean, one
all-reduce per parameter, the library's all_reduce) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e35_allreduce")
FUNCTIONS = ["chunk_bounds", "ring_reduce_scatter", "ring_all_gather", "ring_all_reduce", "average_gradients"]

PER_PARAMETER = '''    for i, p in enumerate(replicas[0].parameters()):
        grads = [list(model.parameters())[i].grad.numpy() for model in replicas]
        for model, mean in zip(replicas, ring_all_reduce(ring, grads, average=True)):
            list(model.parameters())[i].grad = tinynn.tensor(mean)
    return
'''

MUTANTS = [
    ("        stop = start + base + (1 if rank < extra else 0)",
     "        stop = start + base if rank < world_size - 1 else n", "chunk_bounds",
     ["chunk_bounds(10, 3) = [(0, 3), (3, 6), (6, 10)], expected [(0, 4), (4, 7), (7, 10)]", "spread the remainder"]),
    ("            buffers[rank][start:stop] += ring.receive(rank)",
     "            buffers[rank][start:stop] = ring.receive(rank)",
     "ring_reduce_scatter", ["W = 3, n = 10", "rank 0's chunk 1 [4:7]", "first at index", "stored with '='"]),
    ("            start, stop = bounds[(rank + 1 - step) % world]",
     "            start, stop = bounds[(rank - step) % world]",
     "ring_all_gather", ["W = 3, n = 10", "could not broadcast", "line"]),
    ("    buffers = [np.array(a, copy=True).reshape(-1) for a in arrays]\n",
     "    return [sum(arrays) / (ring.world_size if average else 1) for _ in arrays]\n", "ring_all_reduce",
     ["ring_all_reduce: rank 0 sent 0 messages, expected 6", "pass the chunks with ring.send and ring.receive"]),
    ("    buffers = [np.array(a, copy=True).reshape(-1) for a in arrays]",
     "    buffers = [np.asarray(a).reshape(-1) for a in arrays]", "ring_all_reduce",
     ["changed rank 0's input array"]),
    ("    if average:\n", "    if False:\n", "ring_all_reduce", ["average", "the sum, not divided by W"]),
    ("    buckets = [", PER_PARAMETER + "    buckets = [", "average_gradients",
     ["rank 0 sent 16 messages: 4 all-reduces", "one bucket"]),
    ("    buffers = [np.array(a, copy=True).reshape(-1) for a in arrays]\n",
     "    import tinynn.distributed\n    tinynn.distributed.all_reduce(tinynn.tensor(arrays[0]))\n", "ring_all_reduce",
     ["your code called tinynn.distributed.all_reduce"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=28, points=36, functions=FUNCTIONS)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first", with_name=True)


def test_the_wrong_chunk_in_the_all_gather_leaves_holes(tmp_path):
    """With equal chunks the wrong chunk does not crash: the chunks never filled stay NaN, and the check says so."""
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, "            start, stop = bounds[(rank + 1 - step) % world]",
                                    "            start, stop = bounds[(rank - step) % world]"))
    equal = [r for r in report.results if r.function == "ring_all_gather" and r.name.startswith("W = 4, n = 4")]
    assert equal and equal[0].status == "fail"
    assert "rank 0's array" in equal[0].message and "you have nan values" in equal[0].message
