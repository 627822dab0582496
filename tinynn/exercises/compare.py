"""Compare a student's array with the expected one, and say what differs, where, and maybe why.

``difference(what, got, expected)`` returns None when the two agree, or a message such as::

    gradient of weight: shape (3, 2) but expected (2, 3). Hint: transposed?
    output: 6 of 12 elements differ; first at index (0, 1): expected 0.731059, got 0.5.
        Hint: off by a factor of 2 everywhere.

The order of the questions is the order a teacher would ask them: did you return anything, the
right kind of thing, the right shape, the right dtype, and only then the values. Hints come from
the difference itself (a constant factor, a sign, a transpose, NaN) or from a list of known
mistakes the check computed (``mistakes={"the forget and input gates swapped": array}``): when the
student's answer equals one of those, the hint names it.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

import tinynn

__all__ = ["as_array", "difference", "format_number", "shape_hint"]


def format_number(value) -> str:
    """A short, readable rendering of one array element (6 significant digits)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.6g}"


def as_array(value, expect_tensor: bool = False):
    """(array, problem): the value as a NumPy array, or a sentence saying why it isn't one."""
    if value is None:
        return None, "you returned None (a missing return statement?)"
    if isinstance(value, tinynn.Tensor):
        return np.asarray(value.detach().numpy()), None
    if expect_tensor:
        return None, (f"you returned a {type(value).__name__}, expected a tinynn Tensor "
                      "(wrap a NumPy result with tinynn.tensor(...))")
    if isinstance(value, (tuple, list)):
        return None, f"you returned a {type(value).__name__} of {len(value)} values, expected one array"
    array = np.asarray(value)
    if array.dtype == object:
        return None, f"you returned a {type(value).__name__}, expected an array"
    return array, None


def shape_hint(got: tuple, expected: tuple) -> str:
    """Guess why a shape is wrong."""
    if expected == () and int(np.prod(got)) == 1:
        return "expected a 0-d scalar: reduce to one number and wrap a 0-d array (not a list or 1-element array)"
    if len(got) == len(expected) >= 2 and got == expected[::-1]:
        return "transposed?"
    if len(got) == len(expected) >= 2 and got[:-2] == expected[:-2] and got[-2:] == expected[-2:][::-1]:
        return "the last two dimensions are swapped (a missing or extra transpose?)"
    if len(got) == len(expected) + 1 and got[1:] == expected:
        return "one dimension too many in front: forgot to sum over the batch dimension?"
    if tuple(d for d in got if d != 1) == tuple(d for d in expected if d != 1):
        return "only dimensions of size 1 differ: a missing or extra keepdims / reshape?"
    if int(np.prod(got)) == int(np.prod(expected)):
        return "the right number of elements in the wrong shape: reshape in the wrong order?"
    return ""


def _ratio_text(r: float) -> str:
    fraction = Fraction(r).limit_denominator(64)
    if abs(float(fraction) - r) <= 1e-6 * abs(r) and fraction.denominator != 1:
        return f"{fraction.numerator}/{fraction.denominator}"
    return format_number(r)


def _is_simple_ratio(r: float) -> bool:
    """2, -1, 1/4: a whole number or one over a whole number, the factors a slip of the pen makes."""
    fraction = Fraction(r).limit_denominator(64)
    return (abs(float(fraction) - r) <= 1e-6 * abs(r) and 1 in (abs(fraction.numerator), fraction.denominator)
            and abs(fraction.numerator) <= 64)


def _close(a, b, rtol, atol) -> bool:
    """Same shape and close everywhere; NaN matches NaN (a known mistake may make NaN too)."""
    with np.errstate(invalid="ignore"):
        near = (np.abs(a - b) <= atol + rtol * np.abs(b)) | (np.isnan(a) & np.isnan(b)) | (a == b)
    return a.shape == b.shape and bool(np.all(near))


def value_hints(got, expected, rtol, atol, mistakes=None) -> list:
    """Sentences that may explain why ``got`` differs from ``expected`` (same shape, float math)."""
    for description, wrong in (mistakes or {}).items():
        wrong = np.asarray(wrong)
        if wrong.shape == got.shape and _close(got.astype(np.float64), wrong.astype(np.float64), rtol, atol):
            return [f"your result equals {description}"]
    g, e = got.astype(np.float64), expected.astype(np.float64)
    hints = []
    if not np.all(np.isfinite(g)) and np.all(np.isfinite(e)):
        kind = "nan" if np.isnan(g).any() else "inf"
        hints.append(f"you have {kind} values: an overflow (exp of a large number), a division by zero, "
                     "or a softmax over a row that is all -inf?")
        return hints
    if not g.size:
        return hints
    if np.all(g == 0) and np.any(e != 0):
        hints.append("your result is all zeros")
    elif _close(g, -e, rtol, atol):
        hints.append("the sign is flipped")
    elif g.ndim >= 2 and g.shape[-1] == g.shape[-2] and _close(g, np.swapaxes(e, -1, -2), rtol, atol):
        hints.append("transposed? (your result equals the expected one with its last two axes swapped)")
    else:
        big = np.abs(e) > max(atol, 1e-12) * 10
        if big.sum() >= 1:
            ratios = g[big] / e[big]
            r = float(np.median(ratios))
            # one number is always "off by some factor": say so only for a simple one (2, 1/4, -1)
            simple = big.sum() >= 2 or _is_simple_ratio(r)
            if r != 0 and simple and np.allclose(ratios, r, rtol=1e-5, atol=0) and _close(g, r * e, 1e-5, atol):
                hints.append(f"off by a factor of {_ratio_text(r)}" + (" everywhere" if big.sum() >= 2 else ""))
        if not hints and g.size >= 2:
            offset = float(np.median(g - e))
            if offset != 0 and _close(g, e + offset, 1e-5, atol):
                hints.append(f"off by a constant {format_number(offset)} everywhere")
    return hints


def difference(what: str, got, expected, *, rtol: float = 1e-6, atol: float = 1e-9, exact: bool = False,
               check_dtype: bool = True, mistakes: dict | None = None, expect_tensor: bool | None = None,
               got_label: str = "got", expected_label: str = "expected") -> str | None:
    """None if ``got`` matches ``expected``; otherwise a message naming the first difference.

    ``exact``: compare element for element (integers, booleans, quantized codes). Otherwise
    |got - expected| <= atol + rtol * |expected| elementwise; NaN matches only NaN.
    """
    if expect_tensor is None:
        expect_tensor = isinstance(expected, tinynn.Tensor)
    e, _ = as_array(expected)
    g, problem = as_array(got, expect_tensor)
    if problem:
        return f"{what}: {problem}"
    if g.shape != e.shape:
        hint = shape_hint(g.shape, e.shape)
        return f"{what}: shape {g.shape} but expected {e.shape}" + (f". Hint: {hint}" if hint else "")
    if check_dtype and g.dtype != e.dtype:
        if e.dtype.kind in "iub":
            return f"{what}: dtype {g.dtype} but expected {e.dtype}. Hint: convert with .astype(np.{e.dtype})"
        return (f"{what}: dtype {g.dtype} but expected {e.dtype}. Hint: keep the input's dtype "
                "(e.g. np.zeros(shape, dtype=x.dtype), and beware of float64 constants and np.float64 scalars)")
    if e.dtype.kind not in "fc" or exact:
        bad = ~((g == e) | (_isnan(g) & _isnan(e)))
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            g64, e64 = g.astype(np.float64), e.astype(np.float64)
            bad = ~((np.abs(g64 - e64) <= atol + rtol * np.abs(e64)) | (np.isnan(g64) & np.isnan(e64))
                    | ((g64 == e64) & np.isinf(e64)))
    if not bad.any():
        return None
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    where = f"at index {first}" if e.ndim else "(a scalar)"
    message = (f"{what}: {int(bad.sum())} of {bad.size} elements differ; first {where}: "
               f"{expected_label} {format_number(e[first])}, {got_label} {format_number(g[first])}")
    if g.dtype.kind in "biuf":
        with np.errstate(all="ignore"):
            hints = value_hints(g, e, max(rtol, 1e-7), atol, mistakes)
        if hints:
            message += ". Hint: " + "; ".join(hints)
    return message


def _isnan(a):
    return np.isnan(a) if a.dtype.kind in "fc" else np.zeros(a.shape, dtype=bool)
