r"""Line searches for ``LBFGS``: the strong-Wolfe search, with cubic interpolation.

A line search looks at the objective along one direction d from the current point x::

    phi(t)  = f(x + t d)                 the loss after a step of length t
    phi'(t) = grad f(x + t d) . d        its slope (negative at t = 0 for a descent direction)

and picks a step t that satisfies the *strong Wolfe conditions* (0 < c1 < c2 < 1)::

    phi(t) <= phi(0) + c1 t phi'(0)      sufficient decrease (Armijo): the loss fell enough
    |phi'(t)| <= c2 |phi'(0)|            curvature: the slope has flattened out

The first condition rejects steps that are too long, the second steps that are too short; with
both, the pair (s, y) that L-BFGS remembers has y . s > 0, which keeps its inverse-Hessian
estimate positive definite. The search follows Nocedal & Wright, *Numerical Optimization*,
algorithms 3.5 (bracketing) and 3.6 (zoom), in the variant of minFunc's and Torch7's lswolfe
that PyTorch uses: the same trial steps, in the same order, so the same closure calls.
"""
from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import numpy as np

from ..backend import array_module_of

__all__ = ["LinePoint", "cubic_minimizer", "strong_wolfe"]


class LinePoint(NamedTuple):
    """One evaluation along the line: the step ``t``, phi(t), grad f there (flat), phi'(t)."""

    t: float
    loss: float
    grad: Any
    slope: float


def cubic_minimizer(a: LinePoint, b: LinePoint, bounds: tuple[float, float] | None = None) -> float:
    r"""The minimizer of the cubic through two points with given values and slopes, clamped.

    The cubic c with c(x1) = f1, c'(x1) = g1, c(x2) = f2, c'(x2) = g2 has its local minimum at
    (Nocedal & Wright, eq. 3.59, writing x2 for the point further right)::

        d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2)
        d2 = sqrt(d1^2 - g1 g2)
        x* = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2)

    clamped to ``bounds`` (default: the interval between the two points). When d1^2 < g1 g2
    the cubic has no local minimum and the middle of the bounds is returned instead.
    """
    x1, f1, g1 = a.t, a.loss, a.slope
    x2, f2, g2 = b.t, b.loss, b.slope
    low, high = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - _divide(3 * (f1 - f2), x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        minimizer = x2 - (x2 - x1) * _divide(g2 + d2 - d1, g2 - g1 + 2 * d2)
    else:
        minimizer = x1 - (x1 - x2) * _divide(g1 + d2 - d1, g1 - g2 + 2 * d2)
    return min(max(minimizer, low), high)


def _divide(numerator: float, denominator: float) -> float:
    """numerator / denominator, giving inf or nan for a zero denominator (as tensors divide)
    instead of raising: a straight-line phi has no minimizer, and an infinite one is clamped."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(numerator) / np.float64(denominator))


def strong_wolfe(evaluate: Callable[[float], LinePoint], direction, start: LinePoint, t: float,
                 c1: float = 1e-4, c2: float = 0.9, tolerance_change: float = 1e-9,
                 max_ls: int = 25) -> tuple[LinePoint, int]:
    r"""A step along ``direction`` satisfying the strong Wolfe conditions; (the point, evaluations).

    ``evaluate(t)`` returns the ``LinePoint`` at x + t d (one closure call); ``start`` is the point
    at t = 0 and ``t`` the first step to try. At most ``max_ls`` evaluations after the first.

    1. Bracketing: try t, then larger steps (cubic extrapolation, between 1.01 t and 10 t), until
       an interval is known to contain acceptable steps: the loss stopped decreasing enough, or
       the slope turned non-negative. A step that already satisfies both conditions is returned.
    2. Zoom: shrink the bracket [lo, hi] (phi(lo) <= phi(hi), the slope at lo pointing towards
       hi) by cubic interpolation, keeping each trial at least 10% of the bracket's width away
       from its ends when the last trial made too little progress, until a trial satisfies both
       conditions or the bracket is shorter than ``tolerance_change`` (in units of max|d|).

    Returns the best point found (the bracket's low end if the search stopped early).
    """
    direction_size = float(array_module_of(direction).abs(direction).max())
    origin = start._replace(t=0)

    def too_high(point: LinePoint) -> bool:  # the sufficient-decrease condition fails
        return point.loss > start.loss + c1 * point.t * start.slope

    def flat_enough(point: LinePoint) -> bool:  # the curvature condition holds
        return abs(point.slope) <= -c2 * start.slope

    # 1. bracketing
    previous, current = origin, evaluate(t)
    evaluations, iterations = 1, 0
    bracket = None
    while iterations < max_ls:
        if too_high(current) or (iterations > 1 and current.loss >= previous.loss):
            bracket = [previous, current]
            break
        if flat_enough(current):
            return current, evaluations
        if current.slope >= 0:
            bracket = [previous, current]
            break
        bounds = (current.t + 0.01 * (current.t - previous.t), current.t * 10)
        t = cubic_minimizer(previous, current, bounds)
        previous, current = current, evaluate(t)
        evaluations += 1
        iterations += 1
    if bracket is None:  # out of evaluations without a bracket: keep the better end
        return (origin if origin.loss <= current.loss else current), evaluations

    # 2. zoom
    low, high = (0, 1) if bracket[0].loss <= bracket[1].loss else (1, 0)
    insufficient_progress = False
    while iterations < max_ls:
        if abs(bracket[1].t - bracket[0].t) * direction_size < tolerance_change:
            break
        t = cubic_minimizer(bracket[0], bracket[1])
        t, insufficient_progress = _away_from_the_ends(t, bracket[0].t, bracket[1].t, insufficient_progress)
        point = evaluate(t)
        evaluations += 1
        iterations += 1
        if too_high(point) or point.loss >= bracket[low].loss:
            bracket[high] = point  # the minimum lies between lo and the new point
            low, high = (0, 1) if bracket[0].loss <= bracket[1].loss else (1, 0)
        else:
            if flat_enough(point):
                return point, evaluations
            if point.slope * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]  # the slope points away from hi: the old lo bounds it
            bracket[low] = point
    return bracket[low], evaluations


def _away_from_the_ends(t: float, end_a: float, end_b: float, insufficient_progress: bool) -> tuple[float, bool]:
    """Move a trial step that sits within 10% of the bracket's ends to 10% inside, if needed.

    A trial close to an end is accepted once; if the previous trial was also close to an end (the
    bracket is shrinking too slowly), or the trial lies on or beyond an end, it is moved to 10% of
    the bracket's width inside the nearer end. Returns (t, whether this trial was close to an end).
    """
    left, right = min(end_a, end_b), max(end_a, end_b)
    margin = 0.1 * (right - left)
    if not min(right - t, t - left) < margin:
        return t, False
    if not (insufficient_progress or t >= right or t <= left):
        return t, True
    if abs(t - right) < abs(t - left):
        return right - margin, False
    return left + margin, False
