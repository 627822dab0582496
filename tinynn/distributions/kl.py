"""KL divergence between two distributions: KL(p || q) = E_p[log p(X) - log q(X)].

``kl_divergence(p, q)`` looks up a closed form registered for the pair of types (most specific
match through the class hierarchy) and raises ``NotImplementedError`` when there is none.
``register_kl(TypeP, TypeQ)`` registers one, as a decorator; the formulas below use it too.

Every result has the broadcast batch shape of p and q and is differentiable in both
distributions' parameters. Where q gives zero probability to something p can produce, the
divergence is +inf.
"""
from __future__ import annotations

import math
import warnings

from .. import creation
from ..nn.functional import softplus
from ..ops import where
from ..ops.gamma import digamma, lgamma
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .distribution import Distribution
from .gamma import Gamma
from .independent import Independent
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis, _half_log_det
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform
from .utils import sum_rightmost, xlogy

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict = {}  # (type_p, type_q) -> fn(p, q)
_KL_MEMO: dict = {}      # (type(p), type(q)) -> the function dispatch chose


def register_kl(type_p, type_q):
    """Decorator registering ``fn(p, q)`` as KL(p || q) for p of type_p and q of type_q (or subclasses)::

        @register_kl(Normal, Normal)
        def kl_normal_normal(p, q):
            ...
    """
    for name, cls in (("type_p", type_p), ("type_q", type_q)):
        if not isinstance(cls, type) or not issubclass(cls, Distribution):
            raise TypeError(f"Expected {name} to be a Distribution subclass but got {cls}")

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        _KL_MEMO.clear()  # a new entry may be a better match for pairs already looked up
        return fn

    return decorator


def _dispatch_kl(type_p, type_q):
    """The registered function for the closest pair of ancestors, or None.

    "Closest" ranks candidates by how far up p's class hierarchy they sit, then q's; ranking by
    q first must pick the same function, or the choice is ambiguous (warned about, as in PyTorch).
    """
    matches = [(sp, sq) for sp, sq in _KL_REGISTRY if issubclass(type_p, sp) and issubclass(type_q, sq)]
    if not matches:
        return None

    def distance(sp, sq):
        return type_p.__mro__.index(sp), type_q.__mro__.index(sq)

    left = min(matches, key=lambda m: distance(*m))
    right = min(matches, key=lambda m: distance(*m)[::-1])
    if _KL_REGISTRY[left] is not _KL_REGISTRY[right]:
        warnings.warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). "
                      f"Please register_kl({left[0].__name__}, {right[1].__name__})", RuntimeWarning, stacklevel=3)
    return _KL_REGISTRY[left]


def kl_divergence(p: Distribution, q: Distribution):
    """KL(p || q), batched over the distributions' (broadcast) batch shape."""
    key = (type(p), type(q))
    if key not in _KL_MEMO:
        _KL_MEMO[key] = _dispatch_kl(*key)
    fn = _KL_MEMO[key]
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} "
                                  f"and q type {type(q).__name__}")
    return fn(p, q)


def _infinite_like(tensor):
    return creation.full_like(tensor, math.inf)


# ---------------------------------------------------------------------------- same family
@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    """p log(p/q) + (1-p) log((1-p)/(1-q)), with log p = -softplus(-logit), log(1-p) = -softplus(logit)."""
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = where(q.probs == 0, math.inf, t1)
    t1 = where(p.probs == 0, 0.0, t1)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = where(q.probs == 1, math.inf, t2)
    t2 = where(p.probs == 1, 0.0, t2)
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    """sum_k p_k (log p_k - log q_k); a class with p_k = 0 adds nothing, q_k = 0 < p_k adds inf."""
    t = p.probs * (p.logits - q.logits)
    t = where((q.probs == 0).expand_as(t), math.inf, t)
    t = where((p.probs == 0).expand_as(t), 0.0, t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    """1/2 (s^2 + d^2 - 1 - log s^2), with s = sigma_p / sigma_q and d = (mu_p - mu_q) / sigma_q."""
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    """log(width_q / width_p) when [low_p, high_p] lies inside [low_q, high_q], else inf."""
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return where((q.low > p.low) | (q.high < p.high), math.inf, result)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariatenormal_multivariatenormal(p, q):
    """1/2 [ tr(Sq^-1 Sp) + (mu_q - mu_p)^T Sq^-1 (mu_q - mu_p) - n ] + 1/2 log(det Sq / det Sp).

    With Sp = Lp Lp^T and Sq = Lq Lq^T: tr(Sq^-1 Sp) = |Lq^-1 Lp|_F^2 (one triangular solve),
    and half the log-determinant ratio is sum log diag(Lq) - sum log diag(Lp).
    """
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes "
                         "cannot be computed")
    from .. import linalg

    half_term1 = _half_log_det(q._unbroadcasted_scale_tril) - _half_log_det(p._unbroadcasted_scale_tril)
    term2 = linalg.solve_triangular(q._unbroadcasted_scale_tril, p._unbroadcasted_scale_tril,
                                    upper=False).pow(2).sum(-1).sum(-1)
    term3 = _batch_mahalanobis(q._unbroadcasted_scale_tril, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - p.event_shape[0])


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    """a_q log(b_p/b_q) + lgamma(a_q) - lgamma(a_p) + (a_p - a_q) psi(a_p) + (b_q - b_p) a_p / b_p."""
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = lgamma(q.concentration) - lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    """log B(a_q, b_q) - log B(a_p, b_p) + (a_p - a_q) psi(a_p) + (b_p - b_q) psi(b_p)
    + (a_q + b_q - a_p - b_p) psi(a_p + b_p)."""
    sum_p = p.concentration1 + p.concentration0
    sum_q = q.concentration1 + q.concentration0
    t1 = lgamma(q.concentration1) + lgamma(q.concentration0) + lgamma(sum_p)
    t2 = lgamma(p.concentration1) + lgamma(p.concentration0) + lgamma(sum_q)
    t3 = (p.concentration1 - q.concentration1) * digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * digamma(p.concentration0)
    t5 = (sum_q - sum_p) * digamma(sum_p)
    return t1 - t2 + t3 + t4 + t5


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    """The base distributions' KL, summed over the reinterpreted dimensions."""
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL between Independent distributions needs equal reinterpreted_batch_ndims, "
                                  f"got {p.reinterpreted_batch_ndims} and {q.reinterpreted_batch_ndims}")
    result = kl_divergence(p.base_dist, q.base_dist)
    return sum_rightmost(result, p.reinterpreted_batch_ndims)


# ---------------------------------------------------------------------------- across families
@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    """-H(p) - E_p[log q(X)] = log(sqrt(2 pi) sigma / w) + (w^2/12 + (m - mu)^2) / (2 sigma^2),
    with w = high - low and m = (high + low) / 2 the uniform's width and midpoint."""
    width = p.high - p.low
    t1 = (math.sqrt(2 * math.pi) * q.scale / width).log()
    t2 = width.pow(2) / 12
    t3 = ((p.high + p.low - 2 * q.loc) / 2).pow(2)
    return t1 + 0.5 * (t2 + t3) / q.scale.pow(2)


@register_kl(Normal, Uniform)
def _kl_normal_uniform(p, q):
    """A normal puts mass outside any interval, where the uniform has none: inf."""
    return _infinite_like(p.loc)


@register_kl(Normal, Beta)
@register_kl(Normal, Gamma)
def _kl_normal_bounded(p, q):
    """A normal puts mass where a Beta or a Gamma has none: inf."""
    return _infinite_like(p.loc)


@register_kl(Gamma, Beta)
@register_kl(Gamma, Uniform)
def _kl_gamma_bounded(p, q):
    """A Gamma puts mass on all of (0, inf), beyond any interval: inf."""
    return _infinite_like(p.concentration)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    """-H(p) + log(high - low) when [0, 1] lies inside [low, high], else inf."""
    result = -p.entropy() + (q.high - q.low).log()
    return where((q.low > 0) | (q.high < 1), math.inf, result)


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    """-H(p) + 1/2 log(2 pi sigma^2) + E_p[(X - mu)^2] / (2 sigma^2), with E[X] = a/(a+b) = m and
    E[X^2] = m (1 - m) / (a + b + 1) + m^2."""
    mean = p.concentration1 / (p.concentration1 + p.concentration0)
    var_normal = q.scale.pow(2)
    t1 = -p.entropy()
    t2 = 0.5 * (var_normal * 2 * math.pi).log()
    t3 = (mean * (1 - mean) / (p.concentration1 + p.concentration0 + 1) + mean.pow(2)) * 0.5
    t4 = q.loc * mean
    t5 = q.loc.pow(2) * 0.5
    return t1 + t2 + (t3 - t4 + t5) / var_normal


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    """-H(p) + lgamma(a_q) - a_q log b_q - (a_q - 1) E_p[log X] + b_q E_p[X],
    with E_p[log X] = psi(a_p) - psi(a_p + b_p)."""
    t1 = -p.entropy()
    t2 = lgamma(q.concentration) - q.concentration * q.rate.log()
    t3 = (q.concentration - 1) * (digamma(p.concentration1) - digamma(p.concentration1 + p.concentration0))
    t4 = q.rate * p.concentration1 / (p.concentration1 + p.concentration0)
    return t1 + t2 - t3 + t4


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    """-H(p) + 1/2 log(2 pi sigma^2) + E_p[(X - mu)^2] / (2 sigma^2), E[X] = a/b, E[X^2] = (a^2 + a)/b^2."""
    var_normal = q.scale.pow(2)
    beta_sqr = p.rate.pow(2)
    t1 = 0.5 * (beta_sqr * var_normal * 2 * math.pi).log() - p.concentration - lgamma(p.concentration)
    t2 = 0.5 * (p.concentration.pow(2) + p.concentration) / beta_sqr
    t3 = q.loc * p.concentration / p.rate
    t4 = 0.5 * q.loc.pow(2)
    return t1 + (p.concentration - 1) * digamma(p.concentration) + (t2 - t3 + t4) / var_normal


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    """-log w - E_p[log q(X)], with E_p[log X] = (h log h - l log l - w) / w on [l, h], w = h - l;
    inf unless [l, h] lies inside [0, 1]."""
    width = p.high - p.low
    t1 = width.log()
    t2 = (q.concentration1 - 1) * (xlogy(p.high, p.high) - xlogy(p.low, p.low) - width) / width
    t3 = ((q.concentration0 - 1) * (xlogy(1 - p.high, 1 - p.high) - xlogy(1 - p.low, 1 - p.low) + width)
          / width)
    t4 = lgamma(q.concentration1) + lgamma(q.concentration0) - lgamma(q.concentration1 + q.concentration0)
    result = t3 + t4 - t1 - t2
    return where((p.high > 1) | (p.low < 0), math.inf, result)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    """-log w + lgamma(a) - a log b - (a - 1) E_p[log X] + b E_p[X]; inf if the interval reaches below 0."""
    width = p.high - p.low
    t1 = width.log()
    t2 = lgamma(q.concentration) - q.concentration * q.rate.log()
    t3 = (1 - q.concentration) * (xlogy(p.high, p.high) - xlogy(p.low, p.low) - width) / width
    t4 = q.rate * (p.high + p.low) / 2
    result = -t1 + t2 + t3 + t4
    return where(p.low < 0, math.inf, result)
