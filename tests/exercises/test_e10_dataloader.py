"""Exercise 10, the DataLoader: the reference passes every check, the student file is reported not done,
and planted mistakes (concatenating instead of stacking, a lost last batch, drop_last ignored, NumPy's
random order, the same order every epoch, len by floor division, samples not collated, shuffle ignored,
the library's DataLoader) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e10_dataloader")
FUNCTIONS = ["collate", "batch_indices", "DataLoader.__len__", "DataLoader.__iter__"]

RANDPERM = "tinynn.randperm(n, generator=generator)"
MUTANTS = [
    ("tinynn.stack([sample[j]", "tinynn.cat([sample[j]", "collate", ["cannot be concatenated; use stack", "line"]),
    ("range(0, n, batch_size)", "range(0, n - batch_size + 1, batch_size)", "batch_indices",
     ["batch_size=3, shuffle=False, drop_last=False", "the last, smaller batch is missing"]),
    ("        batches.pop()\n", "        pass\n", "batch_indices", ["drop_last=True", "kept although drop_last=True"]),
    (RANDPERM, "__import__('numpy').random.permutation(n)", "batch_indices",
     ["epoch 1", "a valid random order, but not the one tinynn.randperm(n, generator=generator) gives"]),
    (RANDPERM,
     "tinynn.randperm(n, generator=tinynn.Generator().set_state(generator.get_state()) if generator else None)",
     "batch_indices", ["epoch 2", "the same order as the epoch before"]),
    ("return (n + self.batch_size - 1) // self.batch_size", "return n // self.batch_size", "DataLoader.__len__",
     ["got 3, expected 4", "n // batch_size drops the last, smaller batch"]),
    ("yield collate([self.dataset[i] for i in indices])", "yield [self.dataset[i] for i in indices]",
     "DataLoader.__iter__", ["batch 1: a list of 4 values, expected a tuple of 2 Tensors", "yield collate(samples)"]),
    ("self.batch_size, self.shuffle, self.drop_last", "self.batch_size, False, self.drop_last", "DataLoader.__iter__",
     ["epoch 1, batch 1: the samples [0, 1, 2, 3], but tinynn.utils.data.DataLoader with the same seed gives",
      "your samples come in order"]),
    ("        n = len(self.dataset)\n        for indices",
     "        yield from tinynn.utils.data.DataLoader(self.dataset, self.batch_size)\n"
     "        n = 0\n        for indices",
     "DataLoader.__iter__", ["your code called tinynn.utils.data.DataLoader"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=15, points=23)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


def test_declarations():
    assert_declarations(EXERCISE, lesson=7)
    assert "tinynn.utils.data.DataLoader" in EXERCISE.forbidden
    assert EXERCISE.parts == {"dataloader": ["DataLoader", "collate", "batch_indices"]}


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first")
