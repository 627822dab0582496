"""rrelu / RReLU and gumbel_softmax (tinynn/nn/functional/stochastic.py)."""
import numpy as np
import pytest

import tinynn
import tinynn.nn.functional as F
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch


@needs_torch
def test_rrelu_in_evaluation_is_a_leaky_relu_with_the_mean_slope_as_in_torch():
    assert_matches_torch(lambda t: F.rrelu(t, 0.1, 0.3), lambda t: torch.nn.functional.rrelu(t, 0.1, 0.3), rand(3, 4))
    layer, theirs = tinynn.nn.RReLU(0.2, 0.4).eval(), torch.nn.RReLU(0.2, 0.4).eval()
    assert_matches_torch(layer, theirs, rand(5))
    assert repr(layer) == repr(theirs)


def test_rrelu_while_training_draws_a_slope_per_element():
    tinynn.manual_seed(0)
    x = tinynn.full((20000,), -1.0, dtype=tinynn.float64, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.003
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)                  # dy/dx = the drawn slope
    assert F.rrelu(tinynn.tensor([2.0, -1.0]), training=True).tolist()[0] == 2.0
    check_gradients(lambda t: F.rrelu(t, 0.1, 0.3), rand(3, 4, seed=3))
    with pytest.raises(ValueError, match="lower <= upper"):
        F.rrelu(tinynn.ones(2), 0.5, 0.1)


def test_gumbel_softmax_samples_the_categorical_distribution():
    tinynn.manual_seed(1)
    logits = tinynn.tensor(np.log([0.1, 0.2, 0.7]), dtype=tinynn.float64).expand(20000, 3)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    assert set(np.unique(hard.numpy())) == {0.0, 1.0} and (hard.sum(1) == 1).all()
    frequencies = hard.numpy().mean(0)
    np.testing.assert_allclose(frequencies, [0.1, 0.2, 0.7], atol=0.015)     # argmax(logits + g) ~ Categorical
    soft = F.gumbel_softmax(logits[:5], tau=2.0)
    np.testing.assert_allclose(soft.sum(1).numpy(), 1.0)
    assert (soft > 0).all() and (soft < 1).all()


def test_gumbel_softmax_hard_passes_the_soft_gradient_straight_through():
    tinynn.manual_seed(2)
    logits = tinynn.randn(4, 5, dtype=tinynn.float64, requires_grad=True)
    weights = tinynn.randn(4, 5, dtype=tinynn.float64)
    tinynn.manual_seed(3)
    (F.gumbel_softmax(logits, tau=0.7, hard=True) * weights).sum().backward()
    hard_grad = logits.grad.numpy().copy()
    logits.grad = None
    tinynn.manual_seed(3)                                                  # the same noise
    (F.gumbel_softmax(logits, tau=0.7) * weights).sum().backward()
    np.testing.assert_allclose(hard_grad, logits.grad.numpy())
    with pytest.warns(UserWarning, match="eps"):
        F.gumbel_softmax(logits, eps=1e-5)
