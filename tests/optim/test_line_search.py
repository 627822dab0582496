"""The strong-Wolfe line search and its cubic interpolation (tinynn/optim/line_search.py)."""
import numpy as np
import pytest

from tinynn.optim.line_search import LinePoint, cubic_minimizer, strong_wolfe


def point(f, df, t):
    return LinePoint(t, f(t), None, df(t))


def test_cubic_minimizer_is_exact_on_a_cubic_and_clamps_to_its_bounds():
    f, df = (lambda t: t**3 - 3 * t), (lambda t: 3 * t**2 - 3)  # local minimum at t = 1
    for a, b in ((0.0, 2.0), (2.0, 0.0), (-0.5, 3.0)):
        assert cubic_minimizer(point(f, df, a), point(f, df, b)) == pytest.approx(1.0, abs=1e-12)
    assert cubic_minimizer(point(f, df, 0.0), point(f, df, 2.0), bounds=(1.5, 4.0)) == 1.5
    # a quadratic is a cubic too: its vertex
    q, dq = (lambda t: (t - 0.3) ** 2), (lambda t: 2 * (t - 0.3))
    assert cubic_minimizer(point(q, dq, -1.0), point(q, dq, 2.0)) == pytest.approx(0.3, abs=1e-12)


def test_cubic_without_a_minimum_gives_the_middle_of_the_bounds():
    # both slopes negative and the values consistent with a monotone cubic: d1^2 < g1 g2
    a, b = LinePoint(0.0, 0.0, None, -1.0), LinePoint(1.0, -1.0, None, -1.2)
    assert cubic_minimizer(a, b) == 0.5
    assert cubic_minimizer(a, b, bounds=(1.01, 10.0)) == pytest.approx(5.505)


@pytest.mark.parametrize("first_step", [0.01, 1.0, 30.0])
def test_strong_wolfe_returns_a_step_meeting_both_conditions(first_step):
    """phi(t) = f(x + t d) for f(x) = sum(c x^4 + x^2) along d = -grad f(x)."""
    c, x = np.array([0.5, 2.0, 1.0]), np.array([1.0, -0.7, 0.4])
    grad = lambda y: 4 * c * y**3 + 2 * y  # noqa: E731
    d = -grad(x)
    evaluations = []

    def evaluate(t):
        y = x + t * d
        evaluations.append(t)
        return LinePoint(t, float(np.sum(c * y**4 + y**2)), grad(y), float(grad(y) @ d))

    start = LinePoint(0.0, float(np.sum(c * x**4 + x**2)), grad(x), float(grad(x) @ d))
    found, count = strong_wolfe(evaluate, d, start, first_step)
    assert count == len(evaluations) and found.t in evaluations
    assert found.loss <= start.loss + 1e-4 * found.t * start.slope  # sufficient decrease
    assert abs(found.slope) <= 0.9 * abs(start.slope)  # curvature
    assert first_step != 1.0 or count <= 3


def test_strong_wolfe_stops_after_max_ls_evaluations_with_the_better_end():
    d = np.array([1.0])
    evaluate = lambda t: LinePoint(t, -t, np.array([-1.0]), -1.0)  # noqa: E731  (phi keeps falling)
    found, count = strong_wolfe(evaluate, d, LinePoint(0.0, 0.0, np.array([-1.0]), -1.0), 1.0, max_ls=3)
    assert count == 4 and found.t == 1000.0  # 1, then extrapolations by 10x: 10, 100, 1000
