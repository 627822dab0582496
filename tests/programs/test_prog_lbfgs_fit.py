"""tests/programs/prog_lbfgs_fit.py: full-batch L-BFGS with the strong-Wolfe line search and a closure,
as tutorials write it, runs unchanged on tinynn, fits, and gives PyTorch's losses and closure counts."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_lbfgs_fit"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_fits_on_tinynn(ours):
    curve = np.array(ours["curve_losses"])
    assert curve.shape == (6,) and np.all(np.diff(curve) < 0)  # every L-BFGS step lowers the loss
    assert curve[-1] < 0.02 < 0.5 < curve[0]  # noise variance 0.01: close to the best possible fit
    # each step is at most 10 iterations, each at most max_eval = 12 closure calls in all
    assert 5 < ours["curve_closure_calls"] == ours["curve_func_evals"] <= 5 * 12
    assert ours["curve_n_iter"] <= 50
    logistic = np.array(ours["logistic_losses"])
    assert logistic.shape == (4,) and logistic[0] == pytest.approx(np.log(2), abs=0.05)
    assert logistic[-1] < 0.5 * logistic[0] and ours["logistic_accuracy"] > 0.8


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    for key in ("curve_closure_calls", "curve_func_evals", "curve_n_iter", "logistic_func_evals"):
        assert ours[key] == theirs[key], key
    assert_same_results(ours, theirs, rtol=1e-7, atol=1e-10)
