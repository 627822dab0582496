"""Probability distributions, PyTorch's ``torch.distributions``: sample, score, and differentiate.

A distribution object holds the parameters of a batch of distributions of one family and answers
``sample``/``rsample`` (draws), ``log_prob`` (log density or mass), ``entropy``, ``mean``,
``variance``, ``cdf``/``icdf`` where they have a closed form; ``kl_divergence(p, q)`` compares
two. Reinforcement learning uses ``Categorical(logits=...)``: sample an action, then
``-log_prob(action) * return`` is the policy-gradient loss. A VAE uses ``Normal(mu, sigma)``:
``rsample()`` keeps the sample differentiable in mu and sigma, and
``kl_divergence(q, Normal(0, 1))`` is the regulariser.

    distribution.py          Distribution: shapes, sampling, validation (read it first)
    constraints.py           the sets parameters and values must lie in
    normal.py                Normal                    uniform.py       Uniform
    bernoulli.py             Bernoulli                 categorical.py   Categorical
    one_hot_categorical.py   OneHotCategorical         independent.py   Independent
    multivariate_normal.py   MultivariateNormal (full covariance, via Cholesky)
    gamma.py, beta.py        Gamma, Beta               kl.py            kl_divergence, register_kl
    gamma_sampling.py        reparameterised Gamma draws, the incomplete gamma function (Gamma.cdf)
    utils.py                 broadcast_all, probs_to_logits, logits_to_probs, lazy_property
"""
from . import constraints  # noqa: F401
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .distribution import Distribution
from .gamma import Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

__all__ = [
    "Bernoulli", "Beta", "Categorical", "Distribution", "Gamma", "Independent", "MultivariateNormal",
    "Normal", "OneHotCategorical", "Uniform", "constraints", "kl_divergence", "register_kl",
]
