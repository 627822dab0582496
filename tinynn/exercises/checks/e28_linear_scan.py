"""Checks for exercise 28, the linear scan: the loop, one doubling round, the parallel scan (its values and
its number of rounds) and the backward scan against finite differences and tinynn.nn.linear_scan."""
from __future__ import annotations

import math

import numpy as np

import tinynn
import tinynn.nn as nn
from ..grading import Grader, Mismatch, numeric_gradient

# (B, T, D, with h0, reset): a power-of-2 length, T = 1, a batch of one and one feature, lengths that are
# not powers of 2, and a_t = 0 at one step (the state restarts there)
CASES = [(2, 8, 3, True, False), (1, 1, 2, True, False), (1, 5, 1, False, False), (3, 7, 2, False, True),
         (2, 13, 2, True, True)]
# (T, offset) for scan_round: the first rounds, a last round that overlaps only partly
ROUNDS = [(8, 1), (8, 2), (8, 4), (5, 4), (6, 2)]


def _inputs(g: Grader, batch, steps, features, with_h0, reset, dtype=np.float64):
    a = g.uniform(-1.1, 1.1, batch, steps, features).astype(dtype)
    if reset:
        a[:, steps // 2] = 0
    b = g.randn(batch, steps, features).astype(dtype)
    h0 = g.randn(batch, features).astype(dtype) if with_h0 else None
    return a, b, h0


def _describe(a, h0, reset=False) -> str:
    text = f"a, b: {a.shape}, " + (f"h0: {h0.shape}" if h0 is not None else "no h0")
    return text + (f", a_t = 0 at t = {a.shape[1] // 2}" if reset else "")


def _library_scan(a, b, h0):
    return nn.linear_scan(tinynn.tensor(a), tinynn.tensor(b), None if h0 is None else tinynn.tensor(h0)).numpy()


def _forward_mistakes(reference, a, b, h0) -> dict:
    mistakes = {"the states shifted by one step (h_{t-1} stored at t)":
                np.concatenate([np.zeros_like(b[:, :1]) if h0 is None else h0[:, None],
                                reference.scan_sequential(a, b, h0)[:, :-1]], axis=1)}
    if h0 is not None:
        mistakes["the scan without the initial state h0"] = reference.scan_sequential(a, b, None)
        without_a0 = b.copy()
        without_a0[:, 0] += h0
        mistakes["h0 added to b_0 without the factor a_0"] = reference.scan_sequential(a, without_a0, None)
    return mistakes


def _round_a_first(a, b, offset):
    """A known mistake: a round that updates A in place first, so that B reads the new A_t."""
    a, b = a.copy(), b.copy()
    a[:, offset:] = a[:, offset:] * a[:, :-offset]
    b[:, offset:] = a[:, offset:] * b[:, :-offset] + b[:, offset:]
    return a, b


def _counting_rounds(g: Grader, student, a, b, h0):
    """Run the student's scan_parallel (on these arrays) with scan_round wrapped to record its offsets."""
    offsets, original = [], student.scan_round

    def counted(a_, b_, offset):
        offsets.append(offset)
        return original(a_, b_, offset)

    student.scan_round = counted
    try:
        got = g.call(student.scan_parallel, a, b, h0, what="scan_parallel")
    finally:
        student.scan_round = original
    return got, offsets


def _expect_unchanged(what: str, arrays: dict, copies: dict) -> None:
    for name, array in arrays.items():
        if array is not None and not np.array_equal(array, copies[name]):
            raise Mismatch(f"{what} changed its input {name} in place. Hint: work on copies "
                           f"(a.copy()), the caller still needs the original {name}")


def _check_sequential(g: Grader, student, reference, cases) -> None:
    for a, b, h0, case in cases:
        with g.check(case, "scan_sequential"):
            got = g.call(student.scan_sequential, a.copy(), b.copy(), None if h0 is None else h0.copy())
            g.expect("h", got, reference.scan_sequential(a, b, h0), rtol=1e-10,
                     mistakes=_forward_mistakes(reference, a, b, h0))
            g.expect("h against the library", got, _library_scan(a, b, h0), rtol=1e-10,
                     expected_label="tinynn.nn.linear_scan")


def _check_round(g: Grader, student, reference) -> None:
    for steps, offset in ROUNDS:
        a, b = g.uniform(-1.1, 1.1, 2, steps, 3), g.randn(2, steps, 3)
        with g.check(f"a, b: {a.shape}, offset {offset}", "scan_round"):
            copies = {"a": a.copy(), "b": b.copy()}
            new_a, new_b = reference.scan_round(a, b, offset)
            a_first = _round_a_first(a, b, offset)[1]
            got = g.call(student.scan_round, a, b, offset)
            g.expect_count("scan_round", ["A", "B"], got)
            g.expect("A", got[0], new_a, rtol=1e-12)
            g.expect("B", got[1], new_b, rtol=1e-12, mistakes={
                "B computed with A already updated in this round (B needs the old A_t)": a_first})
            _expect_unchanged("scan_round", {"a": a, "b": b}, copies)


def _check_parallel(g: Grader, student, reference, cases) -> None:
    for a, b, h0, case in cases:
        with g.check(case, "scan_parallel", points=2):
            copies = {"a": a.copy(), "b": b.copy(), "h0": None if h0 is None else h0.copy()}
            expected, mistakes = reference.scan_sequential(a, b, h0), _forward_mistakes(reference, a, b, h0)
            got, offsets = _counting_rounds(g, student, *copies.values())
            g.expect("h (against the loop)", got, expected, rtol=1e-10, mistakes=mistakes)
            steps = b.shape[1]
            wanted = [2 ** r for r in range(math.ceil(math.log2(steps)))]
            if offsets != wanted:
                raise Mismatch(f"scan_parallel called scan_round {len(offsets)} times with offsets {offsets} for "
                               f"T = {steps}; the doubling scan needs ceil(log2 T) = {len(wanted)} rounds with offsets "
                               f"{wanted}. Hint: double the offset after each round and stop once it reaches T; "
                               "combine whole arrays with scan_round, never loop over t")
            _expect_unchanged("scan_parallel", copies, {"a": a, "b": b, "h0": h0})

    a, b, h0 = _inputs(g, 2, 6, 3, True, False, dtype=np.float32)
    for name in ("scan_sequential", "scan_parallel"):
        with g.check(f"float32 inputs ({_describe(a, h0)}): the dtype is kept", name):
            got = g.call(getattr(student, name), a.copy(), b.copy(), h0.copy(), what=name)
            g.expect("h", got, reference.scan_sequential(a, b, h0), rtol=1e-5, atol=1e-6)


def _check_backward(g: Grader, student, reference, cases) -> None:
    for a, b, h0, case in cases:
        h = reference.scan_sequential(a, b, h0)
        upstream = g.randn(*b.shape)
        with g.check(case + ": gradients against finite differences", "scan_backward", points=2):
            got = g.call(student.scan_backward, upstream.copy(), a.copy(), h.copy(), None if h0 is None else h0.copy())
            g.expect_count("scan_backward", ["dL/da", "dL/db", "dL/dh0"], got)
            inputs = [a, b] + ([h0] if h0 is not None else [])
            numeric = [numeric_gradient(reference.scan_sequential, inputs, i, upstream) for i in range(len(inputs))]
            g_total = reference.scan_backward(upstream, a, h, h0)[1]
            g.expect_gradient("b", got[1], numeric[1], mistakes={
                "dL/dh_t alone: the gradient flowing back through h_{t+1} is missing": upstream,
                "g_t = G_t + a_t g_{t+1}: the coefficient must be a_{t+1}, shifted by one step":
                    reference.scan_sequential(a[:, ::-1], upstream[:, ::-1])[:, ::-1]})
            g.expect_gradient("a", got[0], numeric[0], mistakes={
                "g_t * h_t: dL/da_t needs the previous state h_{t-1}": g_total * h})
            if h0 is None:
                if got[2] is not None:
                    raise Mismatch("scan_backward: dL/dh0 should be None when there is no h0, "
                                   f"got a {type(got[2]).__name__}")
            else:
                g.expect_gradient("h0", got[2], numeric[2], mistakes={"g_0 without the factor a_0": g_total[:, 0]})

    a, b, h0 = _inputs(g, 2, 9, 2, True, False)
    with g.check("agrees with the gradients of tinynn.nn.linear_scan (T = 9, with h0)", "scan_backward"):
        tensors = [tinynn.tensor(x, requires_grad=True) for x in (a, b, h0)]
        h = nn.linear_scan(*tensors)
        upstream = g.randn(*b.shape)
        (h * tinynn.tensor(upstream)).sum().backward()
        got = g.call(student.scan_backward, upstream.copy(), a.copy(), h.detach().numpy(), h0.copy())
        g.expect_values("scan_backward", ["dL/da", "dL/db", "dL/dh0"], got, tuple(t.grad.numpy() for t in tensors),
                        rtol=1e-9, atol=1e-12, expected_label="tinynn.nn.linear_scan's", got_label="yours")


def grade(g: Grader, student, reference) -> None:
    cases = []
    for batch, steps, features, with_h0, reset in CASES:
        a, b, h0 = _inputs(g, batch, steps, features, with_h0, reset)
        cases.append((a, b, h0, _describe(a, h0, reset)))
    _check_sequential(g, student, reference, cases)
    _check_round(g, student, reference)
    _check_parallel(g, student, reference, cases)
    _check_backward(g, student, reference, cases)
