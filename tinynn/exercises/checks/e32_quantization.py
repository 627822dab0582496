"""Checks for exercise 32, quantization. int8: codes, clamping, scales per tensor and per row, round trips, and the
same codes and scales as the library's ``tinynn.quant.quantize(w, "int8", block_size)``. NF4: the 16 levels (against
the published table), block scales, codes, padding, dequantization, and the library's ``quantize(w, "nf4", ...)``."""
from __future__ import annotations

from statistics import NormalDist

import numpy as np

import tinynn
from ...quant import NF4_LEVELS, NF4_PUBLISHED, quantize
from ..compare import as_array
from ..grading import Grader, Mismatch


def _wrong_codes(w, scale) -> dict:
    """Known mistakes in turning w / scale into codes, for the hints."""
    x = w / scale
    with np.errstate(all="ignore"):
        return {"floor instead of round-to-nearest": np.clip(np.floor(x), -127, 127).astype(np.int8),
                "truncation towards zero (astype without rounding) instead of round-to-nearest":
                np.clip(np.trunc(x), -127, 127).astype(np.int8),
                "no clamp: values beyond 127 wrapped around in int8": np.round(x).astype(np.int64).astype(np.int8),
                "a clamp to [-128, 127] (the symmetric range is [-127, 127])": np.clip(np.round(x), -128, 127).astype(np.int8)}


def _expect_codes(g: Grader, what: str, got, w, scale, expected) -> None:
    """Codes must match exactly, except that where w / scale sits within 1e-4 of a half either neighbour is fine."""
    codes, problem = as_array(got)
    if problem is None and codes.shape == expected.shape and codes.dtype == expected.dtype:
        ratio = np.asarray(w, dtype=np.float64) / np.asarray(scale, dtype=np.float64)
        near_half = np.abs(np.abs(ratio - np.floor(ratio)) - 0.5) < 1e-4
        close = np.abs(codes.astype(np.int64) - expected.astype(np.int64)) <= 1
        got = np.where(near_half & close, expected, codes)
    g.expect(what, got, expected, exact=True, mistakes=_wrong_codes(w, scale))


def _with_outlier(g: Grader, shape) -> np.ndarray:
    w = g.randn(*shape)
    w.flat[g.rng.integers(w.size)] = 8.0     # one big weight: the per-tensor grid gets coarse
    return w


def grade(g: Grader, student, reference) -> None:
    w = g.randn(3, 4)
    scale_cases = [(w, np.asarray(np.abs(w).max() / 127), "w (3, 4), the absmax scale"),
                   (w, np.asarray(np.abs(w).max() / 300), "w (3, 4), a scale too small: codes beyond 127 must clamp"),
                   (g.randn(3, 5), g.uniform(0.005, 0.02, 3, 1), "w (3, 5), one scale per row (3, 1)"),
                   (g.randn(2, 6, dtype=np.float32), np.asarray(0.01, dtype=np.float32), "float32 w (2, 6)")]
    for w, scale, case in scale_cases:
        with g.check(case, "quantize"):
            got = g.call(student.quantize, w.copy(), scale.copy())
            _expect_codes(g, "q", got, w, scale, reference.quantize(w, scale))

    for q_shape, scale, case in [((3, 4), np.asarray(0.02), "q (3, 4), a 0-d scale"),
                                 ((3, 4), g.uniform(0.01, 0.1, 3, 1), "q (3, 4), scales (3, 1)"),
                                 ((5,), np.asarray(0.5, dtype=np.float32), "q (5,), a float32 scale")]:
        q = g.rng.integers(-127, 128, size=q_shape).astype(np.int8)
        with g.check(case, "dequantize"):
            got = g.call(student.dequantize, q.copy(), scale.copy())
            g.expect("w_hat", got, reference.dequantize(q, scale),
                     mistakes={"q / scale (dequantizing multiplies)": q / scale})

    for w, case in [(g.randn(4, 6), "w (4, 6)"), (_with_outlier(g, (10,)), "w (10,) with one large weight"),
                    (np.zeros((2, 3)), "an all-zero w (scale 1.0)"), (g.randn(3, 3, dtype=np.float32), "float32 w (3, 3)")]:
        q_expected, s_expected = reference.quantize_per_tensor(w)
        absmax = np.abs(w).max()
        with g.check(case, "quantize_per_tensor"):
            got = g.call(student.quantize_per_tensor, w.copy())
            g.expect_count("quantize_per_tensor", ["q", "scale"], got)
            g.expect("quantize_per_tensor: scale", got[1], s_expected,
                     mistakes={"max(w) / 127: the largest w, not the largest |w|": np.asarray(w.max() / 127),
                               "max|w| / 128": np.asarray(absmax / 128), "max|w| / 255": np.asarray(absmax / 255)})
            _expect_codes(g, "quantize_per_tensor: q", got[0], w, s_expected, q_expected)

    w = g.randn(5, 6) * np.array([[0.01], [1.0], [10.0], [0.0], [3.0]])   # rows of very different sizes, one zero
    for w, case in [(w, "w (5, 6) with rows of different magnitude and an all-zero row"),
                    (g.randn(3, 8, dtype=np.float32), "float32 w (3, 8)"), (g.randn(1, 4), "one row")]:
        q_expected, s_expected = reference.quantize_per_row(w)
        with g.check(case, "quantize_per_row"):
            got = g.call(student.quantize_per_row, w.copy())
            g.expect_count("quantize_per_row", ["q", "scales"], got)
            g.expect("quantize_per_row: scales", got[1], s_expected)
            _expect_codes(g, "quantize_per_row: q", got[0], w, s_expected, q_expected)

    w = _with_outlier(g, (6, 16))
    with g.check("round trip: |dequantize(quantize_per_row(w)) - w| <= scale / 2, below the per-tensor error",
                 "quantize_per_row"):
        q, scales = g.call(student.quantize_per_row, w.copy())
        error = np.abs(g.call(student.dequantize, np.asarray(q), np.asarray(scales)) - w)
        worst = error / np.asarray(scales)
        if worst.max() > 0.5 + 1e-6:
            row, col = np.unravel_index(np.argmax(worst), worst.shape)
            raise Mismatch(f"round-trip error {error[row, col]:.4g} at index {(int(row), int(col))} is "
                           f"{worst[row, col]:.3g} scales; rounding to nearest keeps it within 0.5")
        q_t, s_t = g.call(student.quantize_per_tensor, w.copy())
        tensor_error = np.abs(g.call(student.dequantize, np.asarray(q_t), np.asarray(s_t)) - w).mean()
        if not error.mean() < tensor_error:
            raise Mismatch(f"per-row mean error {error.mean():.4g} is not below per-tensor {tensor_error:.4g}")

    grade_against_library(g, student)
    grade_nf4(g, student, reference)


def _library(w: np.ndarray, block_size: int):
    """tinynn.quant's int8 codes (in w's shape) and block scales for w."""
    q = quantize(tinynn.tensor(w), "int8", block_size=block_size)
    return q.int_repr().numpy(), q.block_scales().numpy()


def grade_against_library(g: Grader, student) -> None:
    """The student's per-tensor and per-row quantization against the library's block quantization:
    one block of w.size weights is per tensor, blocks of one row (block_size = cols) are per row."""
    w = g.randn(4, 8, dtype=np.float32) * np.array([[0.1], [1.0], [5.0], [0.0]], dtype=np.float32)
    library_name = f"tinynn.quant.quantize(w, 'int8', block_size={w.size})"
    with g.check(f"same codes and scale as the library's {library_name} (one block: per tensor)",
                 "quantize_per_tensor"):
        codes, scales = _library(w, w.size)
        got = g.call(student.quantize_per_tensor, w.copy())
        g.expect_count("quantize_per_tensor", ["q", "scale"], got)
        g.expect(f"quantize_per_tensor: scale, against {library_name}", np.asarray(got[1]).reshape(-1), scales,
                 expected_label="the library's")
        _expect_codes(g, f"quantize_per_tensor: q, against {library_name}", got[0], w, scales.reshape(()), codes)

    library_name = f"tinynn.quant.quantize(w, 'int8', block_size={w.shape[1]})"
    with g.check(f"same codes and scales as the library's {library_name} (one block per row, an all-zero row)",
                 "quantize_per_row"):
        codes, scales = _library(w, w.shape[1])
        got = g.call(student.quantize_per_row, w.copy())
        g.expect_count("quantize_per_row", ["q", "scales"], got)
        g.expect(f"quantize_per_row: scales, against {library_name}", got[1], scales.reshape(-1, 1),
                 expected_label="the library's")
        _expect_codes(g, f"quantize_per_row: q, against {library_name}", got[0], w, scales.reshape(-1, 1), codes)


# ------------------------------------------------------------------------------------------ NF4
def _nf4_wrong_levels() -> dict:
    unscaled = NF4_LEVELS * NormalDist().inv_cdf(1 - 0.5 * (1 / 30 + 1 / 32))
    return {"16 evenly spaced levels (int4's grid; NF4 puts them at normal quantiles)": np.linspace(-1, 1, 16),
            "the quantiles not divided by the largest one (the levels must span [-1, 1])": unscaled,
            "8 negative and 7 positive levels (NF4 has 8 positive and 7 negative)": -NF4_LEVELS[::-1],
            "the levels in descending order (ascending: index 0 is -1)": NF4_LEVELS[::-1]}


def _nf4_ratio(w, block_size: int, scales) -> np.ndarray:
    """w / s block by block, float64, (n_blocks, block_size), the padding included."""
    padded = np.zeros(scales.shape[0] * block_size)
    padded[:w.size] = w.reshape(-1)
    return padded.reshape(-1, block_size) / np.asarray(scales, dtype=np.float64)[:, None]


def _nf4_wrong_codes(ratio) -> dict:
    below = np.clip(np.searchsorted(NF4_LEVELS, ratio, side="right") - 1, 0, 15)
    even = np.abs(ratio[..., None] - np.linspace(-1, 1, 16)).argmin(axis=-1)
    return {"the level just below w / s (floor), not the nearest one": below.astype(np.uint8),
            "the nearest of 16 evenly spaced levels (use the NF4 levels)": even.astype(np.uint8)}


def _expect_nf4_codes(g: Grader, what: str, got, ratio, expected, mistakes=None) -> None:
    """Codes must match exactly, except where w / s (``ratio``) lies within 1e-5 of the midpoint of two levels."""
    codes, problem = as_array(got)
    if problem is None and codes.shape == expected.shape and codes.dtype == expected.dtype:
        midpoints = (NF4_LEVELS[1:] + NF4_LEVELS[:-1]) / 2
        near = np.abs(ratio[..., None] - midpoints).min(axis=-1) < 1e-5
        close = np.abs(codes.astype(np.int64) - expected.astype(np.int64)) <= 1
        got = np.where(near & close, expected, codes)
    g.expect(what, got, expected, exact=True, mistakes=mistakes)


def _nf4_cases(g: Grader) -> list:
    """(w, block_size, description): blocks as rows, padding, an outlier, an all-zero block, float32, 3-d, tiny."""
    outlier = g.randn(128)
    outlier[5] = 12.0
    zero_row = g.randn(3, 8)
    zero_row[1] = 0.0
    return [(g.randn(4, 64), 64, "w (4, 64), block_size 64: one block per row"),
            (g.randn(3, 10), 8, "w (3, 10), block_size 8: 30 weights in 4 blocks, the last padded with zeros"),
            (outlier, 64, "w (128,) with one large weight, block_size 64: only its block gets coarse"),
            (zero_row, 8, "w (3, 8) with an all-zero row, block_size 8 (scale 1.0)"),
            (g.randn(2, 3, 4, dtype=np.float32), 6, "float32 w (2, 3, 4), block_size 6"),
            (g.randn(5), 64, "w (5,), fewer weights than one block of 64")]


def grade_nf4(g: Grader, student, reference) -> None:
    with g.check("16 levels, ascending, -1 to 1, against the published NF4 table", "nf4_levels", points=2):
        got = g.call(student.nf4_levels)
        g.expect("nf4_levels()", got, reference.nf4_levels(), rtol=1e-9, atol=1e-12, mistakes=_nf4_wrong_levels())
        g.expect("nf4_levels() against the QLoRA paper's table", got, np.array(NF4_PUBLISHED), rtol=0, atol=1e-6,
                 expected_label="published")

    cases = _nf4_cases(g)
    for w, block_size, case in cases:
        codes_expected, scales_expected = reference.nf4_quantize(w, block_size)
        ratio = _nf4_ratio(w, block_size, scales_expected)
        with g.check(case, "nf4_quantize", points=2):
            got = g.call(student.nf4_quantize, w.copy(), block_size)
            g.expect_count("nf4_quantize", ["codes", "scales"], got)
            g.expect("nf4_quantize: scales", got[1], scales_expected,
                     mistakes={"max|w| / 7 (int4's scale; NF4's levels span [-1, 1], so s = max|w|)":
                               scales_expected / 7})
            _expect_nf4_codes(g, "nf4_quantize: codes", got[0], ratio, codes_expected, mistakes=_nf4_wrong_codes(ratio))

        library_call = f"tinynn.quant.quantize(w, 'nf4', block_size={block_size})"
        with g.check(case + f": the same codes and scales as {library_call}", "nf4_quantize"):
            library = quantize(tinynn.tensor(w), "nf4", block_size=block_size)
            got = g.call(student.nf4_quantize, w.copy(), block_size)
            g.expect_count("nf4_quantize", ["codes", "scales"], got)
            g.expect(f"nf4_quantize: scales, against {library_call}", got[1], library.block_scales(),
                     expected_label="the library's", expect_tensor=False)
            codes = np.asarray(got[0])
            if codes.shape != codes_expected.shape:
                raise Mismatch(f"nf4_quantize: codes of shape {codes.shape}, expected (n_blocks, block_size) = "
                               f"{codes_expected.shape}")
            _expect_nf4_codes(g, f"nf4_quantize: codes (flattened, padding dropped), against {library_call}",
                              codes.reshape(-1)[:w.size], ratio.reshape(-1)[:w.size],
                              library.int_repr().numpy().reshape(-1))

    for w, block_size, case in [cases[1], cases[2], cases[4]]:
        codes, scales = reference.nf4_quantize(w, block_size)
        codes = g.rng.integers(0, 16, size=codes.shape).astype(np.uint8)    # every level, anywhere
        with g.check(f"codes {codes.shape} and scales {scales.shape} {scales.dtype} -> w {w.shape}", "nf4_dequantize"):
            got = g.call(student.nf4_dequantize, codes.copy(), scales.copy(), w.shape)
            g.expect("w_hat", got, reference.nf4_dequantize(codes, scales, w.shape),
                     mistakes={"codes * scale: the codes are indices into the levels (levels[codes] * scale)":
                               (codes * scales[:, None]).reshape(-1)[:w.size].reshape(w.shape)})

    w = g.randn(6, 20, dtype=np.float32)
    with g.check("round trip nf4_dequantize(nf4_quantize(w)) against the library's dequantize(quantize(w, 'nf4'))",
                 "nf4_dequantize"):
        codes, scales = g.call(student.nf4_quantize, w.copy(), 16)
        got = g.call(student.nf4_dequantize, np.asarray(codes), np.asarray(scales), w.shape)
        expected = quantize(tinynn.tensor(w), "nf4", block_size=16).dequantize()
        g.expect("w_hat", got, expected, expected_label="the library's", expect_tensor=False)
