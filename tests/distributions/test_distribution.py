"""The Distribution base class: shapes, validation (PyTorch's default and errors), repr, helpers."""
import warnings

import numpy as np
import pytest

import tinynn
from tinynn.distributions import Distribution, MultivariateNormal, Normal, Uniform, constraints
from tinynn.distributions.utils import broadcast_all, clamp_probs, logits_to_probs, probs_to_logits


@pytest.fixture
def restore_validation():
    saved = Distribution._validate_args
    yield
    Distribution.set_default_validate_args(saved)


def test_validation_is_on_by_default_and_switchable(restore_validation):
    assert Distribution._validate_args is True          # like `assert`: on unless python -O
    with pytest.raises(ValueError, match="Expected parameter scale"):
        Normal(0.0, -1.0)
    Distribution.set_default_validate_args(False)
    d = Normal(0.0, -1.0)                                  # accepted without validation
    assert d.scale.item() == -1.0
    with pytest.raises(ValueError, match="Expected parameter scale"):
        Normal(0.0, -1.0, validate_args=True)             # the argument overrides the default
    with pytest.raises(ValueError, match="expected True or False"):
        Distribution.set_default_validate_args(1.5)


def test_parameter_error_names_parameter_constraint_and_values():
    with pytest.raises(ValueError) as info:
        Normal(tinynn.tensor([0.0, 1.0]), tinynn.tensor([1.0, -2.0]))
    message = str(info.value)
    assert message.startswith("Expected parameter scale (Tensor of shape (2,)) of distribution "
                              "Normal(loc: (2,), scale: (2,)) to satisfy the constraint GreaterThan(lower_bound=0.0)")
    assert "-2." in message
    with pytest.raises(ValueError, match="Expected parameter loc .* Real()"):
        Normal(float("nan"), 1.0)


def test_sample_validation_errors():
    d = Normal(tinynn.zeros(3), tinynn.ones(3))
    with pytest.raises(ValueError, match="must be a Tensor"):
        d.log_prob(0.5)
    with pytest.raises(ValueError, match=r"not broadcastable with batch_shape\+event_shape: \(2,\) vs \(3,\)"):
        d.log_prob(tinynn.zeros(2))
    assert d.log_prob(tinynn.zeros(4, 1)).shape == (4, 3)  # broadcasting values are fine
    m = MultivariateNormal(tinynn.zeros(3), tinynn.eye(3))
    with pytest.raises(ValueError, match=r"right-most size of value must match event_shape: \(2,\) vs \(3,\)"):
        m.log_prob(tinynn.zeros(2))
    u = Uniform(0.0, 1.0)
    with pytest.raises(ValueError, match=r"Expected value argument \(Tensor of shape \(\)\) to be within the support "
                                         r"\(Interval\(lower_bound=0.0, upper_bound=1.0\)\)"):
        u.log_prob(tinynn.tensor(1.5))
    assert Uniform(0.0, 1.0, validate_args=False).log_prob(tinynn.tensor(1.5)).item() == float("-inf")


def test_shapes_and_sample_shape_arguments():
    d = Normal(tinynn.zeros(2, 3), 1.0)
    assert d.batch_shape == (2, 3) and d.event_shape == ()
    assert d.sample().shape == (2, 3)
    assert d.sample((4,)).shape == (4, 2, 3)
    assert d.sample([4, 5]).shape == (4, 5, 2, 3)
    assert d._extended_shape((7,)) == (7, 2, 3)
    with pytest.raises(TypeError, match="sample_shape must be a tuple of ints"):
        d.sample(4)
    with pytest.raises(ValueError, match="negative"):
        d.sample((-1,))
    with pytest.warns(FutureWarning, match="sample_n"):
        assert d.sample_n(3).shape == (3, 2, 3)


def test_base_class_defaults_and_errors():
    class Bare(Distribution):
        pass

    with pytest.warns(UserWarning, match="does not define `arg_constraints`"):
        bare = Bare()
    for call in (lambda: bare.sample(), lambda: bare.log_prob(tinynn.zeros(1)), lambda: bare.entropy(),
                 lambda: bare.mean, lambda: bare.variance, lambda: bare.cdf(tinynn.zeros(1)),
                 lambda: bare.icdf(tinynn.zeros(1)), lambda: bare.enumerate_support(), lambda: bare.expand((2,))):
        with pytest.raises(NotImplementedError):
            call()
    with pytest.raises(NotImplementedError, match="does not implement mode"):
        bare.mode
    assert Distribution.has_rsample is False and Distribution.has_enumerate_support is False

    class Shifted(Normal):
        def __init__(self, loc):
            super().__init__(loc, 1.0)

    with pytest.raises(NotImplementedError, match="must also define a custom .expand"):
        Shifted(tinynn.zeros(2)).expand((3, 2))


def test_repr():
    assert repr(Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(Normal(tinynn.zeros(2), 1.0)) == "Normal(loc: (2,), scale: (2,))"


def test_stddev_perplexity_and_expand():
    d = Normal(tinynn.tensor([0.0, 1.0]), tinynn.tensor([2.0, 3.0]))
    np.testing.assert_allclose(d.perplexity().numpy(), np.exp(d.entropy().numpy()), rtol=1e-6)
    e = d.expand((4, 2))
    assert e.batch_shape == (4, 2) and e.loc.shape == (4, 2) and e._validate_args == d._validate_args
    np.testing.assert_array_equal(e.scale.numpy()[3], [2.0, 3.0])


def test_utils():
    a, b = broadcast_all(tinynn.zeros(2, 1, dtype=tinynn.float64), 3)
    assert a.shape == b.shape == (2, 1) and b.dtype == tinynn.float64
    c, d = broadcast_all(1.0, 2)
    assert c.dtype == tinynn.float32 and d.shape == ()
    with pytest.raises(ValueError, match="numbers or tensors, got list"):
        broadcast_all([1.0], 2.0)
    p = tinynn.tensor([0.0, 0.25, 1.0], dtype=tinynn.float64)
    assert np.all(np.isfinite(probs_to_logits(p, is_binary=True).numpy()))
    np.testing.assert_allclose(logits_to_probs(probs_to_logits(p, is_binary=True), is_binary=True).numpy(),
                               clamp_probs(p).numpy(), rtol=1e-12)
    np.testing.assert_allclose(logits_to_probs(tinynn.tensor([0.0, 0.0])).numpy(), [0.5, 0.5])


def test_constraint_of_class_attribute_is_dependent():
    assert constraints.is_dependent(Uniform.support)
    assert Uniform.support.event_dim == 0 and Uniform.support.is_discrete is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert repr(Uniform(0.0, 2.0).support) == "Interval(lower_bound=0.0, upper_bound=2.0)"
