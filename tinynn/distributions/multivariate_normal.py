"""The multivariate normal distribution N(loc, Sigma) over R^n, with a full covariance matrix.

Everything is computed from the Cholesky factor L of the covariance (Sigma = L L^T, L lower
triangular with a positive diagonal), which is what makes a Gaussian cheap and stable:

    sample            x = loc + L eps,  eps ~ N(0, I)        (L eps has covariance L I L^T = Sigma)
    Mahalanobis term  (x - loc)^T Sigma^-1 (x - loc) = |y|^2  with  L y = x - loc  (one triangular solve)
    log-determinant   log det Sigma = 2 sum_i log L_ii
    log p(x)          = -1/2 (n log(2 pi) + |y|^2) - sum_i log L_ii
    entropy           = n/2 (1 + log(2 pi)) + sum_i log L_ii

Give exactly one of ``covariance_matrix`` (factored with ``linalg.cholesky``), ``precision_matrix``
(Sigma^-1; see ``_precision_to_scale_tril``) or ``scale_tril`` (L itself). Gradients flow into
loc and whichever matrix was given, through tinynn.linalg's cholesky and solve_triangular.
"""
from __future__ import annotations

import math

import numpy as np

from .. import creation
from ..ops import flip
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import as_shape, lazy_property, standard_normal

__all__ = ["MultivariateNormal"]


def _linalg():
    from .. import linalg

    return linalg


def _diagonal(matrices: Tensor) -> Tensor:
    """The diagonals of a batch of square matrices: (*, n, n) -> (*, n)."""
    idx = creation.arange(matrices.shape[-1], device=matrices.device)
    return matrices[..., idx, idx]


def _batch_mv(matrices: Tensor, vectors: Tensor) -> Tensor:
    """M v for batches (broadcast): (*, n, n) and (*, n) -> (*, n)."""
    return (matrices @ vectors.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(scale_tril: Tensor, x: Tensor) -> Tensor:
    """x^T (L L^T)^-1 x = |L^-1 x|^2 for batches (broadcast): (*, n, n) and (*, n) -> (*)."""
    y = _linalg().solve_triangular(scale_tril, x.unsqueeze(-1), upper=False).squeeze(-1)
    return y.pow(2).sum(-1)


def _half_log_det(scale_tril: Tensor) -> Tensor:
    """1/2 log det(L L^T) = sum_i log L_ii."""
    return _diagonal(scale_tril).log().sum(-1)


def _precision_to_scale_tril(precision: Tensor) -> Tensor:
    """The Cholesky factor L of Sigma = P^-1, without forming the inverse of P.

    With J the matrix reversing the order of rows, J P J (P read backwards) has a Cholesky factor
    Lf, so P = (J Lf J)(J Lf J)^T = U U^T with U = J Lf J upper triangular. Then
    P^-1 = U^-T U^-1, and L = U^-T is lower triangular: one Cholesky, one triangular solve.
    """
    linalg = _linalg()
    lf = linalg.cholesky(flip(precision, (-2, -1)))
    u_transposed = flip(lf, (-2, -1)).mT  # U^T, lower triangular
    eye = creation.eye(precision.shape[-1], dtype=precision.dtype, device=precision.device)
    return linalg.solve_triangular(u_transposed, eye, upper=False)


class MultivariateNormal(Distribution):
    """Multivariate normal with mean ``loc`` (*, n) and one of ``covariance_matrix``,
    ``precision_matrix`` or ``scale_tril`` (*, n, n); batch dims of loc and the matrix broadcast.
    event_shape is (n,)."""

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Tensor, covariance_matrix: Tensor | None = None, precision_matrix: Tensor | None = None,
                 scale_tril: Tensor | None = None, validate_args: bool | None = None):
        if not isinstance(loc, Tensor):
            raise TypeError(f"MultivariateNormal: loc must be a Tensor, got {type(loc).__name__}")
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(name, m) for name, m in (("covariance_matrix", covariance_matrix),
                                           ("precision_matrix", precision_matrix),
                                           ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, matrix = given[0]
        if not isinstance(matrix, Tensor):
            raise TypeError(f"MultivariateNormal: {name} must be a Tensor, got {type(matrix).__name__}")
        if matrix.dim() < 2:
            raise ValueError(f"{name} matrix must be at least two-dimensional, with optional leading batch dimensions")
        if matrix.shape[-1] != matrix.shape[-2] or matrix.shape[-1] != loc.shape[-1]:
            raise ValueError(f"MultivariateNormal: {name} must be square and match loc's last dimension "
                             f"({loc.shape[-1]}), got shape {tuple(matrix.shape)}")
        try:
            batch_shape = tuple(np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1])))
        except ValueError:
            raise ValueError(f"MultivariateNormal: the batch shapes of loc {tuple(loc.shape[:-1])} and {name} "
                             f"{tuple(matrix.shape[:-2])} do not broadcast") from None
        setattr(self, name, matrix.expand(batch_shape + (-1, -1)))
        self.loc = loc.expand(batch_shape + (-1,))
        super().__init__(batch_shape, tuple(self.loc.shape[-1:]), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = _linalg().cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = as_shape(batch_shape, "batch_shape")
        loc_shape = batch_shape + self.event_shape
        cov_shape = batch_shape + self.event_shape + self.event_shape
        new.loc = self.loc.expand(loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self) -> Tensor:
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        L = self._unbroadcasted_scale_tril
        return (L @ L.mT).expand(self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self) -> Tensor:
        """(L L^T)^-1 = L^-T L^-1."""
        L = self._unbroadcasted_scale_tril
        eye = creation.eye(L.shape[-1], dtype=L.dtype, device=L.device)
        L_inv = _linalg().solve_triangular(L, eye, upper=False)
        return (L_inv.mT @ L_inv).expand(self._batch_shape + self._event_shape + self._event_shape)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        """The diagonal of L L^T: the squared row norms of L."""
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = standard_normal(shape, self.loc.dtype, self.loc.device)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = _half_log_det(self._unbroadcasted_scale_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self) -> Tensor:
        half_log_det = _half_log_det(self._unbroadcasted_scale_tril)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        if len(self._batch_shape) == 0:
            return H
        return H.expand(self._batch_shape)
