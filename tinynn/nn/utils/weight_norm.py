"""Weight normalization (Salimans & Kingma, 2016), the hook-based form: ``nn.utils.weight_norm``.

A weight w is split into a magnitude g and a direction v and rebuilt before every forward:

    w = g * v / ||v||          ||v|| taken over every dimension except ``dim`` (one norm per slice)

so gradient descent moves the length and the direction of each output's weights separately. For a
Linear layer (weight (out, in)) and dim=0, g has shape (out, 1) and ||v|| is the norm of each row.

How it is wired (as in PyTorch, so that state_dicts move between the two): the parameter ``weight``
is replaced by two parameters ``weight_g`` (the magnitude, initialised to ||weight||) and
``weight_v`` (the direction, initialised to weight), and a forward pre-hook sets ``module.weight``
(now a plain attribute, not a parameter) to g * v / ||v|| before each call. The state_dict of a
Linear layer then holds ``bias``, ``weight_g``, ``weight_v``.

Gradients: w depends on g and v through ordinary tensor operations, so autograd gives

    dL/dg = sum over the slice of dL/dw * v / ||v||
    dL/dv = (g / ||v||) * (dL/dw - dL/dg * v / ||v||)     (dL/dw with its part along v removed)

``dim=None`` means one norm over the whole tensor (g is a 0-d tensor). As in PyTorch, ``dim=-1``
means the same thing (not "the last dimension"); other negative dims count from the end.

PyTorch deprecates this form in favour of ``nn.utils.parametrizations.weight_norm`` (which keeps
the same numbers under the names ``parametrizations.weight.original0/original1``); tinynn gives
the same FutureWarning.
"""
from __future__ import annotations

import warnings

from ...tensor import Tensor
from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm", "norm_except_dim"]


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of ``v`` over every dimension but ``dim``, keeping dims (shape 1 elsewhere).

    ``dim=-1`` (PyTorch's convention) or None gives the norm of the whole tensor, a 0-d tensor.
    """
    if dim is None or dim == -1:
        return v.norm(pow)
    dim = _wrap_dim(dim, v.ndim)
    others = tuple(d for d in range(v.ndim) if d != dim)
    if not others:  # a 1-d tensor normed "except dim 0": each element's absolute value
        return v.abs()
    return v.norm(pow, dim=others, keepdim=True)


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """w = v * (g / ||v||), the norm as in ``norm_except_dim``."""
    return v * (g / norm_except_dim(v, 2, dim))


def _wrap_dim(dim: int, ndim: int) -> int:
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"weight_norm: dim must be an int or None, got {type(dim).__name__}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, {max(ndim, 1) - 1}], "
                         f"but got {dim})")
    return dim % max(ndim, 1)


class WeightNorm:
    """The forward pre-hook that rebuilds ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name: str, dim: int | None):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module, name: str, dim: int | None) -> "WeightNorm":
        warnings.warn("`tinynn.nn.utils.weight_norm` is deprecated in favor of "
                      "`tinynn.nn.utils.parametrizations.weight_norm` (as in PyTorch).", FutureWarning, stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        weight = module._parameters.get(name) if isinstance(name, str) else None
        if weight is None:
            raise AttributeError(f"weight_norm: {type(module).__name__} has no parameter named {name!r} "
                             f"(its parameters: {sorted(k for k, p in module._parameters.items() if p is not None)})")
        fn = WeightNorm(name, dim)
        if fn.dim != -1:
            _wrap_dim(fn.dim, weight.ndim)  # a bad dim fails here, before the module is changed
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight.detach(), 2, fn.dim)))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))  # a plain attribute from now on
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name: str = "weight", dim: int | None = 0):
    """Replace ``module.<name>`` by ``<name>_g`` (magnitude) and ``<name>_v`` (direction); return module.

    Example: ``m = weight_norm(nn.Linear(20, 40))`` gives ``m.weight_g`` of shape (40, 1) and
    ``m.weight_v`` of shape (40, 20); ``dim=None`` uses one norm for the whole weight.
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name: str = "weight"):
    """Fold g and v back into one ordinary parameter ``module.<name>`` (with the current value)."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
