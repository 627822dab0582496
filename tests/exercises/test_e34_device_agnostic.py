"""Exercise 34, device-agnostic code: the reference passes every check, the student file is reported not
done, and planted mistakes that would only fail on a GPU (np.exp or np.zeros on the input, xp = np, a tensor
never moved, .numpy() of a tensor) or anywhere (no max subtracted, labels cast to float, a tuple turned
into a list, a tensor instead of a float, the library's softmax) fail with a message that names them."""
from __future__ import annotations

import pytest

import tinynn
import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e34_device_agnostic")
FUNCTIONS = ["softmax", "one_hot", "move_to", "accuracy"]

MUTANTS = [
    ("    shifted = xp.exp(", "    shifted = np.exp(", "softmax",
     ["softmax called np.exp directly", "xp = array_module_of(x), then xp.exp(...)"]),
    ("    shifted = xp.exp(x - x.max(axis=axis, keepdims=True))", "    shifted = xp.exp(x)", "softmax",
     ["large logits", "without subtracting the max"]),
    ("    encoded = xp.zeros(", "    encoded = np.zeros(", "one_hot", ["one_hot called np.zeros directly"]),
    ("    xp = array_module_of(labels)", "    xp = np", "one_hot", ["one_hot called np.zeros directly"]),
    ("if dtype is not None and moved.is_floating_point()", "if dtype is not None", "move_to",
     ["a tuple", "a tensor of int64 became float32", "only floating tensors take the dtype"]),
    ("        return type(obj)(move_to(item, device, dtype) for item in obj)",
     "        return [move_to(item, device, dtype) for item in obj]", "move_to",
     ["a list where the batch had a tuple", "the same kind of container"]),
    ("        return {key: move_to(value, device, dtype) for key, value in obj.items()}", "        return dict(obj)",
     "move_to", ["batch['x'] was never moved with .to('cpu')"]),
    ("        obj.to(device)\n", "", "move_to", ["never called the model's .to(device)"]),
    ("    return correct.float().mean().item()",
     "    return float((logits.numpy().argmax(1) == labels.numpy()).mean())", "accuracy",
     ["accuracy called .numpy()", "on a GPU tensor that is an error", ".item()"]),
    ("    return correct.float().mean().item()", "    return correct.float().mean()", "accuracy",
     ["accuracy returned a Tensor, expected a Python float"]),
    ("    xp = array_module_of(x)\n",
     "    return tinynn.nn.functional.softmax(tinynn.tensor(x), dim=axis).numpy()\n", "softmax",
     ["your code called tinynn.nn.functional.softmax"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=16, points=20, functions=FUNCTIONS)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE, FUNCTIONS)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words, found_in="first", with_name=True)


def test_the_watches_are_undone_after_grading(tmp_path):
    """A failing check must not leave tinynn's Tensor.to / .numpy() or array_module_of patched."""
    originals = (tinynn.Tensor.to, tinynn.Tensor.numpy, tinynn.Tensor.__array__, tinynn.nn.Module.to,
                 tinynn.backend.array_module_of)
    grade(EXERCISE, mutant(EXERCISE, tmp_path, "    return correct.float().mean().item()",
                           "    return correct.numpy().mean()"))
    assert (tinynn.Tensor.to, tinynn.Tensor.numpy, tinynn.Tensor.__array__, tinynn.nn.Module.to,
            tinynn.backend.array_module_of) == originals
