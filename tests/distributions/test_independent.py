"""Independent: a diagonal Gaussian (Independent(Normal, 1)) against PyTorch's; shapes, support,
expand, gradient checks and errors."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch
from tinynn.distributions import Bernoulli, Independent, Normal

MU = rand(5, 3, seed=1)
SIGMA = rand(5, 3, seed=2, low=0.5, high=1.5)
Z = rand(4, 5, 3, seed=3)


@needs_torch
def test_diagonal_gaussian_matches_torch():
    def run(module):
        def fn(mu, sigma, z):
            q = module.Independent(module.Normal(mu, sigma), 1)
            return q.log_prob(z), q.entropy(), q.mean, q.variance
        return fn

    assert_matches_torch(run(tinynn.distributions), run(torch.distributions), MU, SIGMA, Z)


def test_shapes_and_sums():
    base = Normal(tinynn.tensor(MU), tinynn.tensor(SIGMA))
    q = Independent(base, 1)
    assert q.batch_shape == (5,) and q.event_shape == (3,)
    assert Independent(base, 2).batch_shape == () and Independent(base, 2).event_shape == (5, 3)
    z = tinynn.tensor(Z)
    np.testing.assert_allclose(q.log_prob(z).numpy(), base.log_prob(z).numpy().sum(-1), rtol=1e-12)
    np.testing.assert_allclose(Independent(base, 2).entropy().numpy(), base.entropy().numpy().sum(), rtol=1e-12)
    assert q.sample((2,)).shape == (2, 5, 3) and q.has_rsample and q.rsample().shape == (5, 3)
    assert repr(q.support) == "IndependentConstraint(Real(), 1)"
    assert repr(q).startswith("Independent(Normal(loc: (5, 3), scale: (5, 3)), 1)")
    e = q.expand((2, 5))
    assert e.batch_shape == (2, 5) and e.event_shape == (3,) and e.base_dist.batch_shape == (2, 5, 3)


def test_gradcheck():
    check_gradients(lambda mu, s, z: Independent(Normal(mu, s), 1).log_prob(z), MU, SIGMA, Z)
    check_gradients(lambda s: Independent(Normal(0.0, s), 2).entropy(), SIGMA)


def test_enumerate_support_and_errors():
    b = Bernoulli(probs=tinynn.tensor([0.2, 0.7]))
    assert Independent(b, 0).has_enumerate_support and Independent(b, 0).enumerate_support().shape == (2, 2)
    assert not Independent(b, 1).has_enumerate_support
    with pytest.raises(NotImplementedError, match="Enumeration over cartesian product is not implemented"):
        Independent(b, 1).enumerate_support()
    with pytest.raises(ValueError, match=r"Expected reinterpreted_batch_ndims <= len\(base_distribution.batch_shape\), "
                                         r"actual 2 vs 1"):
        Independent(b, 2)
    with pytest.raises(TypeError, match="base_distribution must be a Distribution"):
        Independent(tinynn.zeros(2), 1)
    with pytest.raises(ValueError, match=r"within the support \(Boolean\(\)\)"):  # the base validates
        Independent(b, 1).log_prob(tinynn.tensor([0.0, 0.5]))
