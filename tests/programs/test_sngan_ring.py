"""tests/programs/prog_sngan_ring.py: a GAN with spectral_norm (hooks), weight_norm and orthogonal
(parametrizations), deployed with remove_parametrizations, fuse_linear_bn_eval and
torch.hub.load_state_dict_from_url, runs unchanged on tinynn, learns, and gives PyTorch's numbers."""
import numpy as np
import pytest

from tests.helpers import needs_torch
from tests.programs import assert_same_results, run_program

NAME = "prog_sngan_ring"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return run_program(NAME, "tinynn", tmp_path_factory.mktemp(NAME))


def test_trains_and_deploys_on_tinynn(ours):
    assert ours["generator_keys"] == sorted(
        ["0.bias", "0.parametrizations.weight.original0", "0.parametrizations.weight.original1", "1.weight",
         "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "3.bias",
         "3.parametrizations.weight.original", "3.parametrizations.weight.0.base", "5.weight", "5.bias"])
    assert ours["discriminator_keys"] == sorted(f"{i}.{name}" for i in (0, 2, 4)
                                                for name in ("bias", "weight_orig", "weight_u", "weight_v"))
    distances = np.array(ours["ring_distances"])
    assert distances[-1] < 0.6 * distances[0]                    # the samples move onto the ring
    assert all(0.95 < s < 1.1 for s in ours["discriminator_sigmas"])   # spectral norm keeps D 1-Lipschitz
    assert ours["orthogonality_error"] < 1e-10
    assert ours["baked_error"] < 1e-12 and ours["fused_error"] < 1e-12 and ours["released_error"] == 0.0
    assert ours["deployed_keys"] == sorted(f"{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias"))
    assert ours["cached"] is True


@needs_torch
def test_matches_torch(ours, tmp_path):
    theirs = run_program(NAME, "torch", tmp_path)
    assert sorted(ours) == sorted(theirs)
    for key in ("generator_keys", "discriminator_keys", "deployed_keys", "cached"):
        assert ours[key] == theirs[key], key
    numbers = [k for k in theirs if k not in ("generator_keys", "discriminator_keys", "deployed_keys", "cached",
                                              "baked_error", "fused_error", "released_error", "orthogonality_error")]
    assert_same_results(ours, theirs, keys=numbers, rtol=1e-6, atol=1e-9)
