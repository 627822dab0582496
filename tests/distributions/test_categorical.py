"""Categorical (probs or logits): log_prob, entropy, probs/logits against PyTorch with gradients,
gradient checks, sample shapes and frequencies, enumerate_support, errors."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch
from tinynn.distributions import Categorical

LOGITS = rand(2, 4, seed=1) * 2
PROBS = rand(2, 4, seed=2, low=0.1, high=1.0)   # unnormalised: each row is divided by its sum
ACTIONS = np.array([[0, 3], [2, 1], [1, 1]])    # (3, 2): a sample shape of (3,) over the batch (2,)


def _everything(module, by):
    def run(param):
        d = module.Categorical(**{by: param})
        return (d.log_prob(module_tensor(module, ACTIONS)), d.entropy(), d.probs, d.logits, d.perplexity())
    return run


def module_tensor(module, array):
    return tinynn.tensor(array) if module is tinynn.distributions else torch.tensor(array)


@needs_torch
@pytest.mark.parametrize("by", ["probs", "logits"])
def test_matches_torch(by):
    param = PROBS if by == "probs" else LOGITS
    assert_matches_torch(_everything(tinynn.distributions, by), _everything(torch.distributions, by), param)


@needs_torch
def test_zero_probabilities_and_broadcast_values_match_torch():
    probs = np.array([[0.0, 0.5, 0.5], [0.2, 0.8, 0.0]])
    value = np.array([[1], [2]])  # (2, 1) against batch (2,): broadcasts to (2, 2)
    assert_matches_torch(lambda p: (Categorical(p).entropy(), Categorical(p).log_prob(tinynn.tensor(value))),
                         lambda p: (torch.distributions.Categorical(p).entropy(),
                                    torch.distributions.Categorical(p).log_prob(torch.tensor(value))), probs)
    assert np.isfinite(Categorical(tinynn.tensor(probs)).entropy().numpy()).all()


def test_gradcheck():
    actions = tinynn.tensor(ACTIONS)
    check_gradients(lambda z: Categorical(logits=z).log_prob(actions), LOGITS)
    check_gradients(lambda p: Categorical(probs=p).log_prob(actions), PROBS)
    check_gradients(lambda z: Categorical(logits=z).entropy(), LOGITS)
    check_gradients(lambda p: Categorical(probs=p).entropy(), PROBS)


def test_sample_shapes_and_dtype():
    d = Categorical(logits=tinynn.tensor(LOGITS))
    assert d.batch_shape == (2,) and d.event_shape == ()
    assert d.sample().shape == (2,) and d.sample().dtype == tinynn.int64
    assert d.sample((5, 3)).shape == (5, 3, 2)
    single = Categorical(probs=tinynn.tensor([0.3, 0.7]))
    assert single.batch_shape == () and single.sample().shape == () and single.sample((4,)).shape == (4,)


def test_sample_frequencies():
    tinynn.manual_seed(0)
    probs = np.array([[0.1, 0.0, 0.6, 0.3], [0.0, 0.0, 0.0, 1.0], [0.25, 0.25, 0.25, 0.25]])
    n = 40_000
    s = Categorical(probs=tinynn.tensor(probs)).sample((n,)).numpy()
    counts = np.stack([(s == k).mean(0) for k in range(4)], -1)     # (3, 4) frequencies
    assert np.all(counts[probs == 0] == 0)                          # impossible classes never drawn
    bound = 6 * np.sqrt(probs * (1 - probs) / n) + 1e-12
    np.testing.assert_array_less(np.abs(counts - probs), bound)


def test_enumerate_support_and_moments():
    d = Categorical(logits=tinynn.zeros(2, 3))
    support = d.enumerate_support()
    assert support.shape == (3, 2) and support.dtype == tinynn.int64
    np.testing.assert_array_equal(support.numpy()[:, 0], [0, 1, 2])
    assert d.enumerate_support(expand=False).shape == (3, 1)
    np.testing.assert_allclose(d.log_prob(support).numpy(), np.full((3, 2), -np.log(3)), rtol=1e-6)
    assert np.isnan(d.mean.numpy()).all() and np.isnan(d.variance.numpy()).all() and d.mean.shape == (2,)
    np.testing.assert_array_equal(Categorical(tinynn.tensor([[0.1, 0.9], [0.8, 0.2]])).mode.numpy(), [1, 0])
    assert repr(d.support) == "IntegerInterval(lower_bound=0, upper_bound=2)"


def test_expand():
    d = Categorical(logits=tinynn.tensor([0.0, 1.0, 2.0])).expand((4,))
    assert d.batch_shape == (4,) and d.logits.shape == (4, 3) and d.sample().shape == (4,)


def test_errors():
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both"):
        Categorical()
    with pytest.raises(ValueError, match="`probs` parameter must be at least one-dimensional"):
        Categorical(probs=tinynn.tensor(1.0))
    with pytest.raises(ValueError, match="`logits` parameter must be at least one-dimensional"):
        Categorical(logits=tinynn.tensor(1.0))
    with pytest.raises(TypeError, match="`probs` must be a Tensor"):
        Categorical(probs=[0.5, 0.5])
    with pytest.raises(ValueError, match="Expected parameter probs .* Simplex"):
        Categorical(probs=tinynn.tensor([-0.5, 1.5]))
    with pytest.raises(ValueError, match=r"within the support \(IntegerInterval\(lower_bound=0, upper_bound=1\)\)"):
        Categorical(probs=tinynn.tensor([0.5, 0.5])).log_prob(tinynn.tensor(2))
