"""Beta: log_prob, entropy, moments against PyTorch with gradients; gradient checks; rsample's
gradients in expectation; samples; errors."""
import numpy as np
import pytest

import tinynn
from tests.distributions.moments import assert_moments
from tests.helpers import assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch
from tinynn.distributions import Beta

A = rand(2, 3, seed=1, low=0.5, high=4.0)
B = rand(2, 3, seed=2, low=0.5, high=4.0)
VALUE = rand(4, 2, 3, seed=3, low=0.02, high=0.98)


@needs_torch
def test_matches_torch():
    def run(module):
        def fn(a, b, v):
            d = module.Beta(a, b)
            return d.log_prob(v), d.entropy(), d.mean, d.mode, d.variance
        return fn

    assert_matches_torch(run(tinynn.distributions), run(torch.distributions), A, B, VALUE, rtol=1e-9)


@needs_torch
def test_mode_at_the_ends_matches_torch():
    a = np.array([0.5, 2.0, 0.5, 0.3, 0.6, 3.0])
    b = np.array([2.0, 0.5, 0.5, 0.6, 0.3, 3.0])
    ours = Beta(tinynn.tensor(a), tinynn.tensor(b)).mode.numpy()
    np.testing.assert_array_equal(ours, torch.distributions.Beta(torch.tensor(a), torch.tensor(b)).mode.numpy())
    np.testing.assert_array_equal(ours, [0.0, 1.0, 1.0, 1.0, 1.0, 0.5])


def test_gradcheck():
    check_gradients(lambda a, b, v: Beta(a, b).log_prob(v), A, B, VALUE)
    check_gradients(lambda a, b: Beta(a, b).entropy(), A, B)


def test_rsample_gradients_in_expectation():
    tinynn.manual_seed(0)
    n = 20_000
    a, b = leaf([0.7, 2.0, 5.0]), leaf([1.5, 2.0, 0.8])
    x = Beta(a, b).rsample((n,))
    assert x.shape == (n, 3) and x.requires_grad and np.all((x.detach().numpy() > 0) & (x.detach().numpy() < 1))
    an, bn = a.detach().numpy(), b.detach().numpy()
    assert_moments(x, an / (an + bn), an * bn / ((an + bn) ** 2 * (an + bn + 1)))
    weights = rand(3, seed=4)
    (x.mean(0) * tinynn.tensor(weights)).sum().backward()
    # E[X] = a / (a + b): dE/da = b / (a + b)^2, dE/db = -a / (a + b)^2 (per-sample gradients vary: a loose bound)
    np.testing.assert_allclose(a.grad.numpy() / weights, bn / (an + bn) ** 2, rtol=0.05)
    np.testing.assert_allclose(b.grad.numpy() / weights, -an / (an + bn) ** 2, rtol=0.05)


def test_samples_and_shapes():
    tinynn.manual_seed(1)
    s = Beta(tinynn.tensor([0.5, 3.0]), 2.0).sample((500,))
    assert s.shape == (500, 2) and s.dtype == tinynn.float32 and not s.requires_grad
    assert Beta(2.0, 3.0).batch_shape == () and Beta(2.0, 3.0).sample().shape == ()
    assert Beta(tinynn.ones(2), 1.0).expand((3, 2)).sample().shape == (3, 2)


def test_errors():
    with pytest.raises(ValueError, match="Expected parameter concentration0 .* GreaterThan"):
        Beta(1.0, -1.0)
    with pytest.raises(ValueError, match=r"within the support \(Interval\(lower_bound=0.0, upper_bound=1.0\)\)"):
        Beta(1.0, 1.0).log_prob(tinynn.tensor(1.5))
