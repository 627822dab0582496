"""Gamma: log_prob, entropy, cdf, moments against PyTorch with gradients; gradient checks; the
implicit reparameterisation gradient of rsample (against finite differences of the cdf and in
expectation); samples; errors."""
import numpy as np
import pytest

import tinynn
from tests.distributions.moments import assert_moments
from tests.helpers import assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch
from tinynn.distributions import Gamma
from tinynn.distributions.gamma_sampling import regularized_gamma_p, standard_gamma_grad
from tinynn.ops.gamma import lgamma_array

CONC = rand(2, 3, seed=1, low=0.3, high=4.0)
RATE = rand(2, 3, seed=2, low=0.5, high=2.0)
VALUE = rand(4, 2, 3, seed=3, low=0.05, high=5.0)


@needs_torch
def test_matches_torch():
    def run(module):
        def fn(c, r, v):
            d = module.Gamma(c, r)
            return d.log_prob(v), d.entropy(), d.mean, d.mode, d.variance
        return fn

    assert_matches_torch(run(tinynn.distributions), run(torch.distributions), CONC, RATE, VALUE, rtol=1e-9)


@needs_torch
def test_cdf_matches_torch():
    # PyTorch has no gradient of the cdf in the concentration (igamma's derivative in a): compare the others
    assert_matches_torch(lambda c, r, v: Gamma(c, r).cdf(v), lambda c, r, v: torch.distributions.Gamma(c, r).cdf(v),
                         CONC, RATE, VALUE, differentiable=[False, True, True], rtol=1e-10)
    a = np.array([0.5, 3.0, 40.0, 1000.0, 2.0])
    x = np.array([0.2, 9.0, 30.0, 1050.0, 500.0])   # the last far in the upper tail: exactly 1
    # PyTorch's igamma is good to about 1e-9 here (ours to about 1e-12, checked against mpmath)
    np.testing.assert_allclose(regularized_gamma_p(a, x), torch.special.gammainc(torch.tensor(a), torch.tensor(x)),
                               rtol=1e-8)


def test_gradcheck():
    check_gradients(lambda c, r, v: Gamma(c, r).log_prob(v), CONC, RATE, VALUE)
    check_gradients(lambda c, r: Gamma(c, r).entropy(), CONC, RATE)
    check_gradients(lambda r, v: Gamma(tinynn.tensor(CONC), r).cdf(v), RATE, VALUE)
    # in the concentration, the cdf's gradient is a series evaluated once: first order only
    check_gradients(lambda c: Gamma(c, tinynn.tensor(RATE)).cdf(tinynn.tensor(VALUE)), CONC, second_order=False)


def test_implicit_gradient_matches_finite_differences_of_the_cdf():
    # X = F^-1(U; a) with U fixed: dX/da = -(dF/da) / f, with f the Gamma(a, 1) density
    a = np.array([0.05, 0.5, 1.0, 2.5, 10.0, 150.0, 3000.0])
    x = np.array([1e-12, 0.3, 1.7, 2.0, 12.0, 140.0, 3100.0])
    h = 1e-6 * a
    dF_da = (regularized_gamma_p(a + h, x) - regularized_gamma_p(a - h, x)) / (2 * h)
    density = np.exp((a - 1) * np.log(x) - x - lgamma_array(a))
    np.testing.assert_allclose(standard_gamma_grad(a, x), -dF_da / density, rtol=1e-6)


def test_rsample_gradients_in_expectation():
    tinynn.manual_seed(0)
    n = 20_000
    c, r = leaf([0.4, 2.0, 9.0]), leaf([2.0, 0.5, 1.0])
    x = Gamma(c, r).rsample((n,))
    assert x.shape == (n, 3) and x.dtype == tinynn.float64 and x.requires_grad
    a, b, xs = c.detach().numpy(), r.detach().numpy(), x.detach().numpy()
    assert_moments(xs, a / b, a / b**2)
    x.mean(0).sum().backward()
    # E[X] = a / b: dE/da = 1 / b, dE/db = -a / b^2; the estimate's error shrinks like 1/sqrt(n)
    dx_da = standard_gamma_grad(np.broadcast_to(a, (n, 3)), xs * b) / b
    np.testing.assert_allclose(c.grad.numpy(), dx_da.mean(0), rtol=1e-12)
    np.testing.assert_array_less(np.abs(c.grad.numpy() - 1 / b), 6 * dx_da.std(0) / np.sqrt(n))
    # X = G / b exactly, so dX/db = -X / b for every sample
    np.testing.assert_allclose(r.grad.numpy(), -(xs / b).mean(0), rtol=1e-12)


def test_samples():
    tinynn.manual_seed(1)
    s = Gamma(tinynn.tensor([0.01, 1.0]), 1.0).sample((1000,))
    assert s.dtype == tinynn.float32 and not s.requires_grad and np.all(s.numpy() > 0)
    assert Gamma(2.0, 3.0).sample().shape == () and Gamma(2.0, 3.0).batch_shape == ()
    assert Gamma(tinynn.ones(2), 1.0).expand((3, 2)).sample().shape == (3, 2)


def test_errors():
    with pytest.raises(ValueError, match="Expected parameter concentration .* GreaterThan"):
        Gamma(tinynn.tensor([1.0, 0.0]), 1.0)
    with pytest.raises(ValueError, match=r"within the support \(GreaterThanEq\(lower_bound=0.0\)\)"):
        Gamma(1.0, 1.0).log_prob(tinynn.tensor(-1.0))
