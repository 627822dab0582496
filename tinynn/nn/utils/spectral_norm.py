"""Spectral normalization (Miyato et al., 2018), the hook-based form: ``nn.utils.spectral_norm``.

The weight is divided by its largest singular value sigma, so the layer is 1-Lipschitz (the
standard way to keep a GAN's discriminator smooth):

    W_sn = W / sigma(W),      sigma(W) = u^T W v

where u, v approximate the leading left and right singular vectors of W (viewed as a matrix of
shape (W.shape[dim], -1)). Computing the SVD at each step would be costly; instead each training
forward runs ``n_power_iterations`` steps of the power method, starting from the u and v kept
from the previous step:

    v <- normalize(W^T u),   u <- normalize(W v)          (no gradient flows through these)

Because W changes little between steps, one iteration per step is enough to track sigma. The
gradient then flows through sigma = u^T W v with u, v held fixed:

    d sigma / dW = u v^T,     dL/dW = (dL/dW_sn - (dL/dW_sn . W_sn) u v^T) / sigma

In eval mode the stored u and v are used as they are (no power iteration), so inference is
deterministic.

How it is wired (as in PyTorch): the parameter ``weight`` becomes ``weight_orig``; ``weight_u`` and
``weight_v`` are buffers (u, v, updated in place during training); a forward pre-hook sets
``module.weight`` (a plain attribute) to W / sigma before each call. A Linear layer's state_dict
holds ``bias``, ``weight_orig``, ``weight_u``, ``weight_v``. u and v start as normalized standard
normal vectors drawn from tinynn's generator (so their values differ from PyTorch's for the same
seed; copy them through the state_dict to compare).

Not copied from PyTorch: the hook that converts state_dicts of PyTorch < 1.1 (a stored ``weight``
and no ``weight_v``) on load; such a dict is refused by ``load_state_dict`` as a missing key.
"""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ...creation import randn
from ...tensor import Tensor
from .. import functional as F
from ..parameter import Parameter

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _transposed_conv_types() -> tuple:
    from .. import conv

    return tuple(getattr(conv, name) for name in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
                 if hasattr(conv, name))


def default_dim(module) -> int:
    """The output-feature dimension of a weight: 1 for transposed convolutions, 0 otherwise."""
    return 1 if isinstance(module, _transposed_conv_types()) else 0


def weight_as_matrix(weight: Tensor, dim: int) -> Tensor:
    """``weight`` with ``dim`` moved first and the rest flattened: shape (weight.shape[dim], -1)."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.ndim) if d != dim])
    return weight.reshape(weight.shape[0], -1)


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name>`` to ``<name>_orig / sigma``."""

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12):
        if not isinstance(n_power_iterations, int) or n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def compute_weight(self, module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = weight_as_matrix(weight, self.dim)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(weight_mat.t().mv(u), dim=0, eps=self.eps))
                    u.copy_(F.normalize(weight_mat.mv(v), dim=0, eps=self.eps))
            # u and v are updated in place at every step; the graph keeps copies, so a loss built
            # from two forwards (a GAN's D(real) - D(fake)) can still be backpropagated
            u, v = u.clone(), v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    @staticmethod
    def apply(module, name: str, n_power_iterations: int, dim: int, eps: float) -> "SpectralNorm":
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        if name not in module._parameters:
            raise AttributeError(f"spectral_norm: {type(module).__name__} has no parameter named {name!r}")
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if weight.ndim < 1 or not -weight.ndim <= dim < weight.ndim:
            raise IndexError(f"spectral_norm: dim {dim} is out of range for a weight of shape {tuple(weight.shape)}")
        fn.dim = dim % weight.ndim
        with no_grad():
            h, w = weight_as_matrix(weight, fn.dim).shape
            u = F.normalize(randn(h, dtype=weight.dtype, device=weight.device), dim=0, eps=eps)
            v = F.normalize(randn(w, dtype=weight.dtype, device=weight.device), dim=0, eps=eps)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        # ``module.weight`` keeps existing (code that initialises weights reads it) as a plain tensor
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))


def spectral_norm(module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None):
    """Divide ``module.<name>`` by its spectral norm before each forward; return ``module``.

    dim: the output dimension (None: 1 for ConvTranspose layers, else 0). eps: the floor of the
    norms in the power method's normalizations.
    """
    if dim is None:
        dim = default_dim(module)
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name: str = "weight"):
    """Make ``module.<name>`` an ordinary parameter again, holding the current W / sigma."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
