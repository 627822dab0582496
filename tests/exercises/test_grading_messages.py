"""The grader's messages: what differs, where, and the hints; finite differences; the check bookkeeping."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
from tinynn.exercises.compare import difference
from tinynn.exercises.grading import Grader, Mismatch, numeric_gradient

E = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])


def test_equal_arrays_have_no_difference():
    assert difference("y", E.copy(), E) is None
    assert difference("y", E * (1 + 1e-9), E) is None


@pytest.mark.parametrize("got, words", [
    (None, ["y: you returned None", "missing return"]),
    ((E, E), ["a tuple of 2 values"]),
    (E.T.copy(), ["shape (3, 2) but expected (2, 3)", "transposed?"]),
    (E[None], ["shape (1, 2, 3) but expected (2, 3)"]),
    (E.reshape(6), ["the right number of elements in the wrong shape"]),
    (E.astype(np.float32), ["dtype float32 but expected float64"]),
    (2 * E, ["6 of 6 elements differ", "first at index (0, 0)", "expected 1, got 2", "off by a factor of 2 everywhere"]),
    (E / 4, ["off by a factor of 1/4 everywhere"]),
    (-E, ["the sign is flipped"]),
    (E + 0.25, ["off by a constant 0.25 everywhere"]),
    (np.where(E > 3.5, np.nan, E), ["1 of 6 elements differ", "first at index (1, 1)", "got nan", "overflow"]),
    (np.zeros_like(E), ["your result is all zeros"]),
])
def test_messages_name_the_difference_and_a_hint(got, words):
    message = difference("y", got, E)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_square_transpose_and_known_mistakes():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert "transposed?" in difference("dW", a.T.copy(), a)
    message = difference("dW", a + 1e-3, a, mistakes={"the bias counted twice": a + 1e-3, "other": a * 7})
    assert message.endswith("Hint: your result equals the bias counted twice")


def test_scalars_integers_and_tensors():
    assert difference("loss", np.float64(0.5), np.asarray(0.25)) == (
        "loss: 1 of 1 elements differ; first (a scalar): expected 0.25, got 0.5. Hint: off by a factor of 2")
    assert "expected 0.3, got 0.7" in difference("loss", 0.7, np.asarray(0.3))   # no "factor 7/3" for one number
    assert "off by a factor" not in difference("loss", 0.7, np.asarray(0.3))
    codes = np.array([1, -2, 127], dtype=np.int8)
    assert difference("q", codes, codes, exact=True) is None
    assert "expected int8. Hint: convert with .astype(np.int8)" in difference("q", codes.astype(np.int64), codes)
    assert "first at index (2,): expected 127, got -128" in difference("q", np.array([1, -2, -128], np.int8), codes)
    t = tinynn.tensor(E)
    assert difference("y", tinynn.tensor(E), t) is None
    assert "expected a tinynn Tensor" in difference("y", E, t)
    assert difference("y", tinynn.tensor(E), E) is None   # a Tensor where an array is expected is fine


def test_numeric_gradient_matches_calculus():
    x, w = np.array([0.3, -1.2, 2.0]), np.array([1.0, 2.0, -0.5])
    grad = numeric_gradient(lambda x: np.sin(x) * x, [x], 0, w)
    np.testing.assert_allclose(grad, w * (np.cos(x) * x + np.sin(x)), rtol=1e-8)
    # two outputs, one upstream gradient each
    grad = numeric_gradient(lambda x: (x**2, 3 * x), [x], 0, (w, np.ones(3)))
    np.testing.assert_allclose(grad, w * 2 * x + 3, rtol=1e-8)


def test_checks_record_pass_fail_not_done_and_error_with_the_line():
    g = Grader(__file__)

    def unfinished():
        raise NotImplementedError("exercise 99: unfinished")

    def broken():
        return [1, 2][5]

    with g.check("passes", "f"):
        g.expect("y", E, E)
    with g.check("fails", "f"):
        g.expect("y", 2 * E, E)
    with g.check("not done", "unfinished"):
        g.call(unfinished)
    with g.check("waits", "later"):
        g.call(unfinished)
    with g.check("error", "broken"):
        g.call(broken)
    with g.check("count", "pair"):
        g.expect_count("pair", ["h", "c"], E)
    statuses = [(r.status, r.message) for r in g.results]
    assert [s for s, _ in statuses] == ["pass", "fail", "not_done", "not_done", "error", "fail"]
    assert statuses[1][1].startswith("y: 6 of 6 elements differ")
    assert statuses[2][1] == "not done yet (NotImplementedError: exercise 99: unfinished)"
    assert statuses[3][1].startswith("not done yet: it needs unfinished first")
    assert "broken raised IndexError: list index out of range (line" in statuses[4][1]
    assert "return [1, 2][5]" in statuses[4][1]
    assert statuses[5][1] == "pair: you returned one ndarray, expected 2 values (h, c)"
    with pytest.raises(Mismatch, match="gradient of w: none was computed"):
        g.require_gradient("w", None)
