"""tests/programs/prog_robust_glm.py: robust preprocessing (nanmedian, quantile, aminmax), a Poisson
regression on xlogy and lgamma, a probit classifier on special.log_ndtr, renorm, a trapezoid ROC
AUC and pdist, run unchanged on tinynn: it fits, and gives PyTorch's numbers."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_robust_glm"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_fits_on_tinynn(ours):
    poisson, probit = np.array(ours["poisson_losses"]), np.array(ours["probit_losses"])
    assert poisson[-1] < poisson[0] - 0.1 and probit[0] == pytest.approx(np.log(2))
    assert probit[-1] < 0.6 * probit[0]
    assert 0.85 < ours["auc"] <= 1.0
    assert np.linalg.norm(ours["poisson_weights"]) <= 2.0 + 1e-9  # the max-norm constraint holds
    assert ours["median_all"] == pytest.approx(0.0, abs=0.2)  # the columns are centred on their medians
    np.testing.assert_allclose(ours["pairwise"], ours["pairwise_check"], rtol=1e-12)


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert_same_results(ours, theirs, rtol=1e-9, atol=1e-12)
