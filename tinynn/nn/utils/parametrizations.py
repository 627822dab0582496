"""Ready-made parametrizations (``nn.utils.parametrizations``): ``weight_norm``, ``spectral_norm``, ``orthogonal``.

Each registers a small module with ``parametrize.register_parametrization`` (see parametrize.py),
so the weight is recomputed from the trained tensor(s) at every access:

    weight_norm     weight = g * v / ||v||       originals: original0 = g, original1 = v
    spectral_norm   weight = W / sigma(W)        original = W; buffers _u, _v (power method)
    orthogonal      weight = an orthogonal (n x k) matrix built from an unconstrained one
                    (orthogonal.py explains the three maps)

The numbers and the state_dict names are PyTorch's: ``parametrizations.weight.original0/1`` for
weight_norm, ``parametrizations.weight.original`` and ``parametrizations.weight.0._u/_v`` for
spectral_norm. Where tinynn differs: loading a state_dict saved with the old hook-based
``weight_norm`` (keys ``weight_g``/``weight_v``) into a module with this weight_norm is not
converted on the fly (PyTorch renames the keys in a load_state_dict pre-hook, which tinynn's
Module does not have yet): rename them to ``parametrizations.weight.original0/original1``.
"""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ...creation import randn
from ...tensor import Tensor
from .. import functional as F
from ..module import Module
from . import parametrize
from .orthogonal import orthogonal
from .spectral_norm import default_dim, weight_as_matrix
from .weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    """weight = g * v / ||v|| (the norm over every dim but ``dim``); right_inverse(w) = (||w||, w)."""

    def __init__(self, dim: int | None = 0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Weight normalization as a parametrization: ``module.<name>`` = g * v / ||v||; return module.

    g is ``module.parametrizations.<name>.original0`` (the magnitudes), v is ``original1`` (the
    directions); dim=None uses one norm for the whole tensor. The weight is recomputed at every
    access (wrap a forward in ``parametrize.cached()`` to compute it once).
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    """weight / sigma(weight), sigma from the power method on buffers _u, _v (one step per training forward).

    The same math as the hook-based ``nn.utils.spectral_norm`` (spectral_norm.py), with two
    differences that are PyTorch's: each power step updates u first (u <- normalize(W v), then
    v <- normalize(W^T u)), and 15 steps are run at construction so sigma is accurate from the
    start. A 1-d weight is simply normalized (its spectral norm is its length).
    """

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if not isinstance(n_power_iterations, int) or n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = weight_as_matrix(weight, self.dim)
            h, w = weight_mat.shape
            with no_grad():
                u = F.normalize(randn(h, dtype=weight.dtype, device=weight.device), dim=0, eps=self.eps)
                v = F.normalize(randn(w, dtype=weight.dtype, device=weight.device), dim=0, eps=self.eps)
            self.register_buffer("_u", u)
            self.register_buffer("_v", v)
            self._power_method(weight_mat, 15)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # in place, so that the buffers (and any module sharing them) see the new vectors
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(weight_mat.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = weight_as_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # copies: the buffers change in place at the next step, the graph must keep these values
        u, v = self._u.clone(), self._v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Spectral normalization as a parametrization: ``module.<name>`` = W / sigma(W); return module.

    dim: the output dimension (None: 1 for ConvTranspose layers, else 0). In training mode each
    access runs ``n_power_iterations`` power steps; in eval mode the stored u, v are used.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = default_dim(module)
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
