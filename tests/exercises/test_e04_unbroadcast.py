"""Exercise 04, unbroadcast: the reference passes every check, the student file is reported not done, and
planted mistakes (a mean for the sum, the first copy for the sum, the stretched dims left alone, a
numpy scalar for a 0-d array, no error for shapes that cannot broadcast, the library's sum_to_shape)
fail with a message that names them."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)
from tinynn.exercises.source.e04_unbroadcast import unbroadcast

EXERCISE = exercises.find("e04_unbroadcast")

MUTANTS = [
    ("summed = grad.sum(axis=tuple(range(extra)))", "summed = grad.mean(axis=tuple(range(extra)))", "unbroadcast",
     ["grad (3, 4) -> shape (4,)", "the mean over the broadcast dims, where the gradient is their SUM"]),
    ("summed = grad.sum(axis=tuple(range(extra)))", "summed = grad[(0,) * extra]", "unbroadcast",
     ["grad (3, 4) -> shape (4,)", "the first copy only"]),
    ("        if size == 1 and summed.shape[axis] != 1:\n"
     "            summed = summed.sum(axis=axis, keepdims=True)   # rule 2: a dim stretched from 1\n"
     "        elif size != summed.shape[axis]:",
     "        if size != summed.shape[axis] and size != 1:", "unbroadcast",
     ["grad (3, 4) -> shape (1, 4)", "shape (3, 4) but expected (1, 4)"]),
    ("    return np.asarray(summed)", "    return summed", "unbroadcast",
     ["grad (3, 4) -> shape ()", "expected a 0-d np.ndarray", "np.asarray"]),
    ("        elif size != summed.shape[axis]:\n            raise ValueError(",
     "        elif False:\n            raise ValueError(", "unbroadcast",
     ["cannot have been broadcast", "raise a ValueError"]),
    ("    shape = tuple(shape)\n    extra",
     "    import tinynn\n    from tinynn.ops.shape import sum_to_shape\n"
     "    return sum_to_shape(tinynn.tensor(grad), tuple(shape)).numpy()\n    shape = tuple(shape)\n    extra",
     "unbroadcast", ["your code called tinynn.ops.shape.sum_to_shape"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=15, points=21)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, ["unbroadcast"])


def test_declarations():
    assert_declarations(EXERCISE, lesson=4)
    assert "tinynn.ops.shape.sum_to_shape" in EXERCISE.forbidden
    assert EXERCISE.parts == {"unbroadcast": "unbroadcast"}


@pytest.mark.parametrize("grad_shape, shape", [((3, 4), (4,)), ((2, 3, 4), (3, 1)), ((3, 4), ()), ((1, 4), (4,)),
                                               ((2, 1, 3), (1, 3)), ((4,), (4,))])
def test_reference_is_the_adjoint_of_broadcasting(grad_shape, shape):
    """<broadcast_to(v, grad_shape), g> = <v, unbroadcast(g, shape)> for every v and g."""
    rng = np.random.default_rng(0)
    g, v = rng.standard_normal(grad_shape), rng.standard_normal(shape)
    result = unbroadcast(g, shape)
    assert isinstance(result, np.ndarray) and result.shape == tuple(shape)
    assert np.isclose(np.sum(np.broadcast_to(v, grad_shape) * g), np.sum(v * result))


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, with_name=True)
