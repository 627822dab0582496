"""tests/programs/prog_gaussian_process.py: Gaussian-process regression (cdist, cholesky,
cholesky_solve, solve_triangular, slogdet, eigvalsh, solve, lstsq) fitted with Adam runs unchanged on
tinynn, learns, and gives PyTorch's numbers."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_gaussian_process"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_fits_on_tinynn(ours):
    losses = np.array(ours["losses"])
    assert losses.shape == (40,) and np.all(np.isfinite(losses))
    assert losses[-1] < losses[0] - 5  # the marginal likelihood improves a lot from the first guess
    length, signal, noise = ours["hyperparameters"]
    assert 0.5 < length < 3 and 0.03 < noise < 0.3  # the data: sin(x) plus noise of std 0.1
    assert ours["mean_error_vs_sine"] < 0.4 < 0.8 < ours["line_error_vs_sine"]  # the GP beats a straight line
    std = np.array(ours["posterior_std"])
    assert std.shape == (13,) and np.all(std >= 0) and np.all(std < signal)
    assert ours["logdet_gap"] < 1e-10 and ours["solve_residual"] < 1e-8 and ours["condition_number"] > 1


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    keys = [k for k in theirs if k not in ("logdet_gap", "solve_residual")]  # rounding-level numbers
    assert_same_results(ours, theirs, keys, rtol=1e-6, atol=1e-9)
