"""tests/programs/prog_ddpm_ring.py: a DDPM on 2-d ring data (cumprod noise schedule, per-sample
gathers, bucketize/bincount/scatter_add loss buckets, atan2/hypot/histc sample statistics) runs
unchanged on tinynn, learns, and gives PyTorch's numbers."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_ddpm_ring"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_learns_on_tinynn(ours):
    losses = np.array(ours["losses"])
    assert losses.shape == (150,) and np.all(np.isfinite(losses))
    assert losses[-20:].mean() < losses[:20].mean() / 3
    first, last = ours["alphas_cumprod_ends"]
    assert first == pytest.approx(1 - 1e-4) and 0 < last < 0.01  # the schedule destroys the signal
    buckets = ours["bucket_losses"]
    assert buckets == sorted(buckets, reverse=True)  # predicting the noise is hardest at small t
    histogram = np.array(ours["angle_histogram"])
    assert histogram.sum() == 256 and histogram.min() >= 10  # the samples go all round the ring
    assert 0.5 < ours["sample_radius_mean"] < 1.3


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert_same_results(ours, theirs, rtol=1e-6, atol=1e-9)
