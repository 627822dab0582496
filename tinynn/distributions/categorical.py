"""The categorical distribution over K classes {0, ..., K-1}."""
from __future__ import annotations

import numpy as np

from .. import creation
from ..autograd import no_grad
from ..ops import broadcast_tensors
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import as_shape, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


class Categorical(Distribution):
    """A categorical distribution given by ``probs`` or by ``logits`` (not both), over the last dim.

    ``probs`` (*, K) need only be non-negative: each row is divided by its sum. ``logits`` (*, K)
    are unnormalised log-probabilities: each row is shifted by its logsumexp, so that
    ``logits`` afterwards are the log-probabilities. The batch shape is ``*``; samples are int64
    class indices, of shape ``sample_shape + batch_shape``.

        log p(k) = logits[k]            entropy = -sum_k p_k log p_k

    Sampling inverts the cumulative distribution: a uniform u in [0, 1) falls into class k when
    cdf[k-1] <= u < cdf[k], so the class is the number of cdf entries <= u.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            _check_param(probs, "probs")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            _check_param(logits, "logits")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = tuple(self._param.shape[:-1])
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = as_shape(batch_shape, "batch_shape")
        param_shape = batch_shape + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(param_shape)
            new._param = new.logits
        new._num_events = self._num_events
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> tuple:
        return tuple(self._param.shape)

    @property
    def mean(self) -> Tensor:
        """Undefined for unordered classes: NaN, as in PyTorch."""
        return creation.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype, device=self.probs.device)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        return creation.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype, device=self.probs.device)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            probs = self.probs.detach().double()
            cdf = probs.cumsum(-1)
            cdf = cdf / cdf[..., -1:]  # the last entry exactly 1: u < 1 never passes the last class
            u = creation.rand(shape + (1,), dtype=cdf.dtype, device=cdf.device)
            return (cdf[..., :-1] <= u).sum(-1).long()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self) -> Tensor:
        # a class of probability 0 has logits -inf; clamping makes its term 0 * finite = 0, not nan
        min_real = float(np.finfo(self.logits.dtype).min)
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = creation.arange(self._num_events, dtype=np.int64, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + self._batch_shape)
        return values


def _check_param(value, name: str) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"Categorical: `{name}` must be a Tensor, got {type(value).__name__}")
    if value.dim() < 1:
        raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
