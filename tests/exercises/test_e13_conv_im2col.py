"""Exercise 13, im2col convolution: the reference passes every check, the student file is reported not done,
and planted mistakes (the weight flattened in (c, a, e) order, a bias gradient not summed over the batch, the
library's F.conv2d and im2col) fail with a message that names them. The im2col layout and col2im's '=' are in
test_grader.py."""
from __future__ import annotations

import pytest

import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)

EXERCISE = exercises.find("e13_conv_im2col")

MUTANTS = [
    ("w_mat = weight.transpose(0, 2, 3, 1).reshape(o, kh * kw * c)   # columns in im2col's row order",
     "w_mat = weight.reshape(o, kh * kw * c)", "conv2d_forward", ["y:", "first at index"]),
    ("grad_bias = dy.sum(axis=(0, 2, 3))", "grad_bias = dy.sum(axis=(2, 3))", "conv2d_backward",
     ["gradient of bias", "shape (2, 4) but expected (4,)"]),
    ("    cols = im2col(x, kh, kw, stride, padding)                     # (kh*kw*C, Ho*Wo*N)\n",
     "    import tinynn\n    return tinynn.nn.functional.conv2d(tinynn.tensor(x), tinynn.tensor(weight),\n"
     "        None if bias is None else tinynn.tensor(bias), stride=stride, padding=padding).numpy()\n",
     "conv2d_forward", ["your code called tinynn.nn.functional.conv2d"]),
    ("    n, c, h, w = x.shape\n    ho, wo = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)\n"
     "    xpad = np.pad(",
     "    from tinynn.ops import conv\n    conv.im2col(x, (kh, kw), None, None)\n"
     "    n, c, h, w = x.shape\n    ho, wo = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)\n"
     "    xpad = np.pad(", "im2col", ["your code called tinynn.ops.conv.im2col"]),
]


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=25, points=37)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE)


def test_declarations():
    assert_declarations(EXERCISE, lesson=8)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words)
