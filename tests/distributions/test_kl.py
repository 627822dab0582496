"""kl_divergence: every registered pair against PyTorch (values and gradients into both
distributions), float64 gradient checks, the infinite cases, dispatch through subclasses, errors."""
import math
import warnings

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch
from tinynn.distributions import (Bernoulli, Beta, Categorical, Gamma, Independent, MultivariateNormal, Normal, kl,
                                  kl_divergence, register_kl)

POS = rand(3, seed=1, low=0.5, high=2.0)
POS2 = rand(3, seed=2, low=0.5, high=2.0)
REAL = rand(3, seed=3)
REAL2 = rand(3, seed=4)
UNIT = rand(3, seed=5, low=0.05, high=0.45)      # low ends inside [0, 1]
A = rand(3, 3, seed=6)


def _mvn_pair(D, m, a, m2):
    """p with a full covariance A A^T + 3I, q with a lower-triangular factor tril(A) + 3I."""
    eye = (tinynn.eye if D is tinynn.distributions else torch.eye)(3, dtype=a.dtype)
    return (D.MultivariateNormal(m, covariance_matrix=a @ a.mT + 3 * eye),
            D.MultivariateNormal(m2, scale_tril=a.tril() + 3 * eye))


# name -> (function of (module, *arrays) returning (p, q), arrays)
PAIRS = {
    "normal-normal": (lambda D, m, s, m2, s2: (D.Normal(m, s), D.Normal(m2, s2)), (REAL, POS, REAL2, POS2)),
    "bernoulli-bernoulli": (lambda D, p, z: (D.Bernoulli(probs=p / 3), D.Bernoulli(logits=z)), (POS, REAL)),
    "categorical-categorical": (lambda D, z, p: (D.Categorical(logits=z), D.Categorical(probs=p)),
                                (A, np.abs(A) + 0.1)),
    "onehot-onehot": (lambda D, z, p: (D.OneHotCategorical(logits=z), D.OneHotCategorical(probs=p)),
                      (A, np.abs(A) + 0.1)),
    "uniform-uniform": (lambda D, lo, w, lo2: (D.Uniform(lo, lo + w), D.Uniform(lo - lo2.abs(), lo + w + 1)),
                        (REAL, POS, REAL2)),
    "mvn-mvn": (_mvn_pair, (REAL, A, REAL2)),
    "independent-independent": (lambda D, m, s, m2, s2: (D.Independent(D.Normal(m, s), 1),
                                                         D.Independent(D.Normal(m2, s2), 1)), (REAL, POS, REAL2, POS2)),
    "gamma-gamma": (lambda D, a, b, a2, b2: (D.Gamma(a, b), D.Gamma(a2, b2)), (POS, POS2, POS2, POS)),
    "beta-beta": (lambda D, a, b, a2, b2: (D.Beta(a, b), D.Beta(a2, b2)), (POS, POS2, POS2, POS)),
    "uniform-normal": (lambda D, lo, w, m, s: (D.Uniform(lo, lo + w), D.Normal(m, s)), (REAL, POS, REAL2, POS2)),
    "beta-uniform": (lambda D, a, b, lo: (D.Beta(a, b), D.Uniform(-lo.abs(), 1 + lo.abs())), (POS, POS2, REAL)),
    "beta-normal": (lambda D, a, b, m, s: (D.Beta(a, b), D.Normal(m, s)), (POS, POS2, REAL, POS2)),
    "beta-gamma": (lambda D, a, b, c, r: (D.Beta(a, b), D.Gamma(c, r)), (POS, POS2, POS2, POS)),
    "gamma-normal": (lambda D, a, b, m, s: (D.Gamma(a, b), D.Normal(m, s)), (POS, POS2, REAL, POS2)),
    "uniform-beta": (lambda D, lo, w, a, b: (D.Uniform(lo, lo + w), D.Beta(a, b)), (UNIT, UNIT, POS, POS2)),
    "uniform-gamma": (lambda D, lo, w, a, b: (D.Uniform(lo, lo + w), D.Gamma(a, b)), (UNIT, POS, POS, POS2)),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(PAIRS))
def test_matches_torch(name):
    build, arrays = PAIRS[name]
    assert_matches_torch(lambda *xs: kl_divergence(*build(tinynn.distributions, *xs)),
                         lambda *xs: torch.distributions.kl_divergence(*build(torch.distributions, *xs)),
                         *arrays, rtol=1e-9)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_gradcheck(name):
    build, arrays = PAIRS[name]
    check_gradients(lambda *xs: kl_divergence(*build(tinynn.distributions, *xs)), *arrays)


def test_kl_of_a_distribution_with_itself_is_zero():
    for p in (Normal(tinynn.tensor(REAL), tinynn.tensor(POS)), Gamma(tinynn.tensor(POS), 2.0),
              Categorical(logits=tinynn.tensor(A)), Beta(tinynn.tensor(POS), tinynn.tensor(POS2))):
        np.testing.assert_allclose(kl_divergence(p, p).numpy(), 0.0, atol=1e-6)


INFINITE = {
    "uniform not covered": (lambda D: (D.Uniform(0.0, 2.0), D.Uniform(0.5, 3.0))),
    "bernoulli q = 0": (lambda D: (D.Bernoulli(0.3), D.Bernoulli(0.0))),
    "categorical q_k = 0": (lambda D: (D.Categorical(probs=tinynnish(D, [0.5, 0.5])),
                                       D.Categorical(probs=tinynnish(D, [1.0, 0.0])))),
    "normal-uniform": (lambda D: (D.Normal(0.0, 1.0), D.Uniform(-1.0, 1.0))),
    "normal-beta": (lambda D: (D.Normal(0.0, 1.0), D.Beta(1.0, 1.0))),
    "normal-gamma": (lambda D: (D.Normal(0.0, 1.0), D.Gamma(1.0, 1.0))),
    "gamma-beta": (lambda D: (D.Gamma(1.0, 1.0), D.Beta(1.0, 1.0))),
    "gamma-uniform": (lambda D: (D.Gamma(1.0, 1.0), D.Uniform(0.0, 1.0))),
    "beta-uniform not covered": (lambda D: (D.Beta(2.0, 2.0), D.Uniform(0.1, 1.0))),
    "uniform-beta outside": (lambda D: (D.Uniform(-0.5, 0.5), D.Beta(2.0, 2.0))),
    "uniform-gamma below 0": (lambda D: (D.Uniform(-0.5, 0.5), D.Gamma(2.0, 2.0))),
}


def tinynnish(D, values):
    return tinynn.tensor(values) if D is tinynn.distributions else torch.tensor(values)


@pytest.mark.parametrize("name", sorted(INFINITE))
def test_infinite_cases(name):
    assert kl_divergence(*INFINITE[name](tinynn.distributions)).item() == math.inf
    if torch is not None:
        assert torch.distributions.kl_divergence(*INFINITE[name](torch.distributions)).item() == math.inf


def test_zero_probabilities_in_p_add_nothing():
    p = Categorical(probs=tinynn.tensor([0.0, 0.5, 0.5]))
    q = Categorical(probs=tinynn.tensor([0.0, 0.25, 0.75]))
    np.testing.assert_allclose(kl_divergence(p, q).item(), 0.5 * math.log(2) + 0.5 * math.log(2 / 3), rtol=1e-6)
    np.testing.assert_allclose(kl_divergence(Bernoulli(0.0), Bernoulli(0.5)).item(), math.log(2), rtol=1e-6)


def test_missing_pairs_raise_not_implemented():
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Categorical "
                                                  "and q type Normal"):
        kl_divergence(Categorical(logits=tinynn.zeros(2)), Normal(0.0, 1.0))
    with pytest.raises(NotImplementedError, match="equal reinterpreted_batch_ndims"):
        base = Normal(tinynn.zeros(2, 2), 1.0)
        kl_divergence(Independent(base, 1), Independent(base, 2))
    with pytest.raises(ValueError, match="different event shapes"):
        kl_divergence(MultivariateNormal(tinynn.zeros(2), tinynn.eye(2)),
                      MultivariateNormal(tinynn.zeros(3), tinynn.eye(3)))


@pytest.fixture
def registry_snapshot():
    saved = dict(kl._KL_REGISTRY)
    yield
    kl._KL_REGISTRY.clear()
    kl._KL_REGISTRY.update(saved)
    kl._KL_MEMO.clear()


def test_register_kl_and_dispatch_through_subclasses(registry_snapshot):
    class MyNormal(Normal):
        pass

    class OtherNormal(Normal):
        pass

    p, q = MyNormal(0.0, 1.0), Normal(1.0, 1.0)
    np.testing.assert_allclose(kl_divergence(p, q).item(), 0.5)      # Normal-Normal serves subclasses

    @register_kl(MyNormal, Normal)
    def _always_seven(p, q):
        return tinynn.tensor(7.0)

    assert kl_divergence(p, q).item() == 7.0                          # the more specific pair wins
    assert kl_divergence(q, p).item() == 0.5

    @register_kl(Normal, OtherNormal)
    def _always_eight(p, q):
        return tinynn.tensor(8.0)

    with pytest.warns(RuntimeWarning, match="Ambiguous kl_divergence\\(MyNormal, OtherNormal\\)"):
        kl_divergence(p, OtherNormal(0.0, 1.0))
    with pytest.raises(TypeError, match="Expected type_p to be a Distribution subclass"):
        register_kl(int, Normal)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kl_divergence(Normal(0.0, 1.0), Normal(0.0, 1.0)).item() == 0.0
