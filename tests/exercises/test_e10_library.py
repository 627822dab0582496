"""Exercise 10's comparison with the library: the reference solution gives tinynn.quant's int8 codes and
scales, and a student whose scales differ from the library's is told so, naming the library call."""
from __future__ import annotations

import numpy as np

import tinynn.exercises as exercises
from tinynn.exercises.checks.e10_int8_quantization import _library
from tinynn.exercises.source import e10_int8_quantization as reference

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
    report = exercises.check("10", exercises.find("10").source)
    checks = _library_results(report)
    assert set(checks) == set(LIBRARY_CHECKS)
    for function, block in LIBRARY_CHECKS.items():
        assert checks[function].status == "pass" and block in checks[function].name


def test_a_scale_unlike_the_library_is_reported(tmp_path):
    source = exercises.find("10").source.read_text()
    old = "scales = np.where(absmax > 0, absmax / 127, 1.0)"
    assert source.count(old) == 1
    path = tmp_path / "mutant_10.py"
    path.write_text(source.replace(old, "scales = np.where(absmax > 0, absmax / 128, 1.0)"))
    checks = _library_results(exercises.check("10", path))
    assert checks["quantize_per_tensor"].status == "pass"      # only quantize_per_row was changed
    failed = checks["quantize_per_row"]
    assert failed.status == "fail"
    assert "quantize_per_row: scales, against tinynn.quant.quantize(w, 'int8', block_size=8)" in failed.message
    assert "the library's" in failed.message


def test_untouched_file_is_not_done_in_the_library_checks():
    checks = _library_results(exercises.check("10"))
    assert {r.status for r in checks.values()} == {"not_done"}
