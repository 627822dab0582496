"""Exercise 32's comparison with the library: the reference solution gives tinynn.quant's int8 codes and
scales, and a student whose scales differ from the library's is told so, naming the library call."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
import tinynn.exercises as exercises
from tests.exercises.exercise_checks import (assert_declarations, assert_mistake_caught, assert_reference_passes,
                                             assert_untouched_is_not_done, grade, mutant, mutant_ids)
from tinynn.quant import NF4_PUBLISHED, quantize
from tinynn.exercises.checks.e32_quantization import _library
from tinynn.exercises.source import e32_quantization as reference

EXERCISE = exercises.find("e32_quantization")

MUTANTS = [
    ("    return levels / quantile(NF4_OFFSET)", "    return np.linspace(-1, 1, 16)", "nf4_levels",
     ["nf4_levels()", "16 evenly spaced levels"]),
    ("    scales = np.where(absmax > 0, absmax, 1.0).astype(w.dtype)",
     "    scales = np.where(absmax > 0, absmax / 7, 1.0).astype(w.dtype)", "nf4_quantize",
     ["nf4_quantize: scales", "max|w| / 7 (int4's scale"]),
    ("    return distance.argmin(axis=2).astype(np.uint8), scales",
     "    return (np.searchsorted(nf4_levels(), normalised, side='right') - 1).clip(0, 15).astype(np.uint8), scales",
     "nf4_quantize", ["nf4_quantize: codes", "the level just below w / s (floor)"]),
    ("    values = nf4_levels().astype(scales.dtype)[codes] * scales[:, None]",
     "    values = codes * scales[:, None]", "nf4_dequantize", ["w_hat", "the codes are indices into the levels"]),
    ("    return values.reshape(-1)[:size].reshape(shape)", "    return values.reshape(shape)", "nf4_dequantize",
     ["nf4_dequantize raised ValueError: cannot reshape array"]),
    ("    flat = w.reshape(-1)\n",
     "    import tinynn\n    from tinynn.quant import quantize as library_quantize\n"
     "    library_quantize(tinynn.tensor(w), 'nf4', block_size=block_size)\n    flat = w.reshape(-1)\n",
     "nf4_quantize", ["your code called tinynn.quant.quantize"]),
]
LIBRARY_CHECKS = {"quantize_per_tensor": "block_size=32", "quantize_per_row": "block_size=8"}


def _library_results(report):
    return {r.function: r for r in report.results if "the library's tinynn.quant.quantize" in r.name}


def test_reference_equals_the_library_codes_and_scales():
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((6, 16)) * np.array([[0.01], [1], [3], [0], [0.5], [8]])).astype(np.float32)
    codes, scales = _library(w, 16)
    q, s = reference.quantize_per_row(w)
    np.testing.assert_array_equal(codes, q)
    np.testing.assert_array_equal(scales.reshape(-1, 1), s)
    codes, scales = _library(w, w.size)
    q, s = reference.quantize_per_tensor(w)
    np.testing.assert_array_equal(codes, q)
    np.testing.assert_array_equal(scales, s.reshape(1))
    assert scales.dtype == s.dtype == np.float32


def test_library_checks_pass_for_the_reference():
    checks = _library_results(grade(EXERCISE, EXERCISE.source))
    assert set(checks) == set(LIBRARY_CHECKS)
    for function, block in LIBRARY_CHECKS.items():
        assert checks[function].status == "pass" and block in checks[function].name


def test_a_scale_unlike_the_library_is_reported(tmp_path):
    path = mutant(EXERCISE, tmp_path, "scales = np.where(absmax > 0, absmax / 127, 1.0)",
                  "scales = np.where(absmax > 0, absmax / 128, 1.0)")
    checks = _library_results(grade(EXERCISE, path))
    assert checks["quantize_per_tensor"].status == "pass"      # only quantize_per_row was changed
    failed = checks["quantize_per_row"]
    assert failed.status == "fail"
    assert "quantize_per_row: scales, against tinynn.quant.quantize(w, 'int8', block_size=8)" in failed.message
    assert "the library's" in failed.message


def test_untouched_file_is_not_done_in_the_library_checks():
    checks = _library_results(grade(EXERCISE))
    assert {r.status for r in checks.values()} == {"not_done"}


def test_reference_nf4_equals_the_library_and_the_published_levels():
    levels = reference.nf4_levels()
    np.testing.assert_allclose(levels, NF4_PUBLISHED, rtol=0, atol=1e-6)
    w = np.random.default_rng(1).standard_normal((7, 10)).astype(np.float32)   # 70 weights: the last block padded
    codes, scales = reference.nf4_quantize(w, 16)
    library = quantize(tinynn.tensor(w), "nf4", block_size=16)
    assert codes.shape == (5, 16) and codes.dtype == np.uint8 and scales.dtype == np.float32
    np.testing.assert_array_equal(codes.reshape(-1)[:w.size], library.int_repr().numpy().reshape(-1))
    np.testing.assert_array_equal(scales, library.block_scales().numpy())
    np.testing.assert_array_equal(reference.nf4_dequantize(codes, scales, w.shape), library.dequantize().numpy())


def test_nf4_worked_example_of_the_docstring():
    codes, scales = reference.nf4_quantize(np.array([0.5, -2.0, 0.0, 1.0]), 4)
    assert codes.tolist() == [[10, 0, 7, 12]] and scales.tolist() == [2.0]
    np.testing.assert_allclose(reference.nf4_dequantize(codes, scales, (4,)), [0.492, -2, 0, 0.881], atol=1e-3)


def test_reference_solution_passes_every_check():
    assert_reference_passes(EXERCISE, checks=34, points=41)


def test_untouched_student_file_is_not_done():
    assert_untouched_is_not_done(EXERCISE)


def test_declarations():
    assert_declarations(EXERCISE, lesson=21)


@pytest.mark.parametrize("old, new, function, words", MUTANTS, ids=mutant_ids(MUTANTS))
def test_planted_mistake_is_caught_and_named(tmp_path, old, new, function, words):
    report = grade(EXERCISE, mutant(EXERCISE, tmp_path, old, new))
    assert_mistake_caught(report, function, words)
