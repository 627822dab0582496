"""OneHotCategorical: log_prob, entropy, mean, variance, mode against PyTorch; samples; support."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch
from tinynn.distributions import OneHotCategorical

LOGITS = rand(2, 4, seed=1)
VALUE = np.eye(4)[[[0, 3], [2, 2]]]  # (2, 2, 4) one-hot vectors


@needs_torch
def test_matches_torch():
    def run(module):
        def fn(logits, value):
            d = module.OneHotCategorical(logits=logits)
            return d.log_prob(value), d.entropy(), d.mean, d.variance, d.mode, d.probs
        return fn

    assert_matches_torch(run(tinynn.distributions), run(torch.distributions), LOGITS, VALUE,
                         differentiable=[True, False])


def test_gradcheck():
    check_gradients(lambda z: OneHotCategorical(logits=z).log_prob(tinynn.tensor(VALUE)), LOGITS)
    check_gradients(lambda p: OneHotCategorical(probs=p).entropy(), np.abs(LOGITS) + 0.1)


def test_samples_and_support():
    tinynn.manual_seed(0)
    d = OneHotCategorical(probs=tinynn.tensor([[0.2, 0.8, 0.0], [1.0, 0.0, 0.0]], dtype=tinynn.float64))
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    s = d.sample((5000,))
    assert s.shape == (5000, 2, 3) and s.dtype == tinynn.float64
    np.testing.assert_array_equal(s.numpy().sum(-1), 1.0)
    freq = s.numpy().mean(0)
    assert freq[0, 2] == 0 and freq[1, 0] == 1 and abs(freq[0, 1] - 0.8) < 6 * np.sqrt(0.16 / 5000)
    support = d.enumerate_support()
    assert support.shape == (3, 2, 3)
    np.testing.assert_array_equal(support.numpy()[:, 0], np.eye(3))
    assert d.enumerate_support(expand=False).shape == (3, 1, 3)
    assert d.expand((4, 2)).sample().shape == (4, 2, 3)


def test_errors():
    d = OneHotCategorical(logits=tinynn.zeros(3))
    with pytest.raises(ValueError, match=r"within the support \(OneHot\(\)\)"):
        d.log_prob(tinynn.tensor([1.0, 1.0, 0.0]))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        OneHotCategorical()
