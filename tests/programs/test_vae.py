"""tests/programs/prog_vae.py: a VAE with distributions.Independent(Normal), kl_divergence and
rsample runs unchanged on tinynn, raises its ELBO, and gives PyTorch's numbers (ELBO, KL,
gradients, log densities) for the same NumPy-drawn weights, data and noise."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_vae"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_learns_on_tinynn(ours):
    elbo, kl = np.array(ours["elbo"]), np.array(ours["kl"])
    assert elbo.shape == kl.shape == (60,)
    assert elbo[-5:].mean() > elbo[:5].mean() + 1.5          # the bound rises (noisy: one draw per step)
    assert np.all(kl >= 0)
    assert ours["max_kl_gap"] < 1e-12                        # kl_divergence == the closed form by hand
    assert ours["rsample_shape"] == [3, 4, 2] and ours["rsample_reaches_encoder"]
    assert np.all(np.isfinite(ours["first_log_q"])) and np.all(np.array(ours["first_log_prior"]) < 0)


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    assert_same_results(ours, theirs, rtol=1e-7, atol=1e-9)
