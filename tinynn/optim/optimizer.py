"""``Optimizer``: the base class that holds parameter groups and per-parameter state.

An optimizer owns:

- ``param_groups``: a list of dicts, each ``{"params": [tensors], "lr": ..., <options>}``. A group
  lets part of a model train with its own options (a smaller lr for a pretrained backbone).
- ``defaults``: the options a group gets when it does not name them.
- ``state``: a dict from parameter to that parameter's running statistics (momentum buffers,
  moment estimates), created lazily on its first step.

``step()`` updates the parameters *outside the graph*: it reads ``p.grad`` and writes into the
parameter's raw array (``p._data``) with in-place NumPy operations, then bumps the parameter's
version counter, so that a tensor saved for a backward pass and then changed by ``step()`` raises
when that backward runs instead of giving a silently wrong gradient.

``state_dict()`` uses PyTorch's layout, parameters replaced by their index in the order they
appear across the groups::

    {"state": {0: {"step": tensor(3.), "exp_avg": tensor(...), ...}, 1: {...}},
     "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), ..., "params": [0, 1]}]}
"""
from __future__ import annotations

import collections
import itertools
from typing import Any, Callable, Iterable

import numpy as np

from .. import backend, dtypes
from ..autograd import grad_mode
from ..tensor import Tensor


class _RequiredParameter:
    """The default of an option every group must give (SGD's lr in old PyTorch versions)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

# Below this many elements a temporary is cheaper to allocate than to carve out of a scratch buffer.
SCRATCH_MIN_SIZE = 1 << 14

# Options PyTorch's optimizers take for their fused/foreach/compiled kernels. tinynn has one
# implementation, so ``foreach`` is accepted and ignored; asking for the others is an error.
_UNSUPPORTED_FLAGS = ("fused", "capturable", "differentiable")


def check_kernel_flags(name: str, **flags) -> None:
    for flag in _UNSUPPORTED_FLAGS:
        if flags.get(flag):
            raise NotImplementedError(f"{name}: {flag}=True is not supported by tinynn (it has one NumPy implementation)")


# PyTorch's words for an argument in its "Invalid ..." messages; any other is "<name> value"
_ARGUMENT_WORDS = {"lr": "learning rate", "eps": "epsilon value"}


def check_non_negative(**arguments: float) -> None:
    """Every argument >= 0, else PyTorch's error: ``Invalid learning rate: -0.1 (expected lr >= 0)``."""
    for key, value in arguments.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_ARGUMENT_WORDS.get(key, key + ' value')}: {value} (expected {key} >= 0)")


def check_betas(betas, closed: bool = False) -> None:
    """A pair (beta1, beta2), each in [0, 1) (in [0, 1] with ``closed``, as Lion allows)."""
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if not (0.0 <= beta <= 1.0 if closed else 0.0 <= beta < 1.0):
            bound = "<=" if closed else "<"
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (expected 0 <= beta {bound} 1)")


class Optimizer:
    """Base class of all optimizers.

    params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts that each define a
    parameter group (``{"params": [...], "lr": 0.1}``); defaults: the options of every group.
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]):
        self.defaults = defaults
        self.state: collections.defaultdict = collections.defaultdict(dict)
        self.param_groups: list[dict] = []
        self._opt_called = False  # lets a learning-rate scheduler warn about a wrong call order
        self._scratch_buffers: dict = {}
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got a single {type(params).__name__} (wrap it in a list: [param])"
            )
        if isinstance(params, dict):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got a dict (did you mean [group_dict] or model.parameters()?)")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group (``{"params": [...], <options>}``); missing options come from ``defaults``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry listing its tensors")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering "
                "of tensors in sets will change between runs. Please use a list instead."
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(params):
            raise ValueError("all optimizer params should be with/without names. Some param names are missing")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor (optimize the leaf it was computed from)")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer got a parameter group with duplicate parameters; each tensor must appear once")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        if self.param_groups and bool(names) != ("param_names" in self.param_groups[0]):
            raise ValueError("all optimizer param groups should be with/without names")

        group = dict(param_group)
        group["params"] = params
        if names:
            group["param_names"] = names
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        self.param_groups.append(group)

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set them to None (default, frees memory) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad.requires_grad_(False)
                    grad._data.fill(0)
                    grad._bump_version()

    def step(self, closure: Callable | None = None):
        """Update every parameter that has a gradient; returns the closure's loss, if given."""
        raise NotImplementedError

    def _begin_step(self, closure: Callable | None):
        """Evaluate the closure (which recomputes the loss and its gradients) before a step."""
        self._opt_called = True
        if closure is None:
            return None
        with grad_mode.enable_grad():
            return closure()

    def _params_with_grad(self, group: dict, zeros: tuple = (), initial: dict | None = None, count_steps: bool = True):
        """Each parameter of ``group`` that has a gradient, as ``(p, param, grad, state)``: p, the arrays
        of p and p.grad, and p's state. The first visit makes the state, in PyTorch's key order:
        ``step`` (when steps are counted), ``initial`` (name -> a function of p making the value),
        then a zero tensor like p for each name in ``zeros``. Every visit counts one step."""
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                if count_steps:
                    state["step"] = 0
                for name, make in (initial or {}).items():
                    state[name] = make(p)
                for name in zeros:
                    state[name] = self._zeros_state(p)
            if count_steps:
                state["step"] += 1
            yield p, p._data, p.grad._data, state

    def _scratch(self, like, slot: int = 0):
        """A work array shaped like ``like``, passed as ``out=`` to the update's ufuncs.

        For a large parameter it is a view into one flat buffer per (slot, dtype, device), grown
        to the largest parameter seen: reusing it keeps big temporaries from being mapped and
        page-faulted in again at every step. Small ones come cheaply from the allocator's free
        lists, so they are simply allocated.
        """
        if like.size < SCRATCH_MIN_SIZE:
            return backend.array_module_of(like).empty_like(like)
        key = (slot, like.dtype, backend.device_of(like))
        buffer = self._scratch_buffers.get(key)
        if buffer is None or buffer.size < like.size:
            buffer = backend.array_module_of(like).empty(like.size, dtype=like.dtype)
            self._scratch_buffers[key] = buffer
        return buffer[: like.size].reshape(like.shape)

    def _effective_grad(self, param, grad, weight_decay: float, maximize: bool):
        """``(-g if maximize else g) + weight_decay * p``, in a work buffer (``p.grad`` stays intact)."""
        xp = backend.array_module_of(param)
        if weight_decay != 0:
            g = xp.multiply(param, weight_decay, out=self._scratch(param, 1))
            if maximize:
                g -= grad
            else:
                g += grad
            return g
        if maximize:
            return xp.negative(grad, out=self._scratch(param, 1))
        return grad

    def _adam_moments(self, param, grad, state, lr: float, beta1: float, beta2: float, weight_decay: float,
                      decoupled: bool, maximize: bool):
        """The Adam family's common first half of a step (Adam, AdamW, NAdam, RAdam), in place.

        Weight decay: decoupled p <- p (1 - lr lambda), or lambda p added to g. Then the running
        moments m <- beta1 m + (1 - beta1) g (by ``lerp_``, as PyTorch rounds it) and
        v <- beta2 v + (1 - beta2) g^2. Returns g (the decayed gradient), m, v (the state's arrays)
        and a work buffer free for the rest of the step.
        """
        if weight_decay != 0 and decoupled:
            param *= 1.0 - lr * weight_decay
        g = self._effective_grad(param, grad, 0.0 if decoupled else weight_decay, maximize)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        work = self._scratch(param, 0)
        lerp_(exp_avg, g, 1.0 - beta1, work)
        exp_avg_sq *= beta2
        squared = backend.array_module_of(g).multiply(g, g, out=work)
        squared *= 1.0 - beta2
        exp_avg_sq += squared
        return g, exp_avg, exp_avg_sq, work

    @staticmethod
    def _zeros_state(p: Tensor, fill: float = 0.0) -> Tensor:
        """A state tensor with the parameter's shape, dtype and device."""
        xp = backend.array_module_of(p._data)
        return Tensor._make(xp.full(p._data.shape, fill, dtype=p._data.dtype))

    # ------------------------------------------------------------------ saving
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}`` (PyTorch's layout).

        The state tensors are the live ones (as in PyTorch): save or clone them before stepping on.
        """
        index_of: dict[int, int] = {}
        packed_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            packed_groups.append(packed)
        packed_state = {}
        for p, state in self.state.items():
            packed_state[index_of[id(p)] if isinstance(p, Tensor) else p] = self._pack_state(state)
        return {"state": packed_state, "param_groups": packed_groups}

    @staticmethod
    def _pack_state(state: dict) -> dict:
        """The step counter, a Python int while training, is a float32 0-d tensor in PyTorch."""
        packed = dict(state)
        if isinstance(packed.get("step"), int):
            packed["step"] = Tensor._make(np.array(float(packed["step"]), dtype=np.float32))
        return packed

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the groups' options and the per-parameter state saved by ``state_dict()``.

        The state is copied (never aliased) and cast to each parameter's dtype and device.
        """
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("optimizer state_dict must be a dict with 'state' and 'param_groups' entries")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups ({len(saved_groups)}) "
                f"than the optimizer ({len(self.param_groups)})"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size of optimizer's "
                    f"group {i}: {len(saved['params'])} saved parameters, {len(group['params'])} in the optimizer"
                )
        param_of = {
            saved_index: p
            for saved_index, p in zip(
                itertools.chain.from_iterable(g["params"] for g in saved_groups),
                itertools.chain.from_iterable(g["params"] for g in self.param_groups),
            )
        }
        state = collections.defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in param_of:
                p = param_of[key]
                state[p] = {name: _cast_state(p, name, v) for name, v in value.items()}
            else:
                state[key] = value
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = {k: v for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            new_groups.append(new_group)
        self.state = state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"


def _cast_state(p: Tensor, name: str, value):
    """A copy of one saved state entry, on the parameter's device (floats in its dtype)."""
    if name == "step":
        if isinstance(value, Tensor):
            value = value.item()
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, (Tensor, np.ndarray)) or backend.array_module_of(value) is not np:
        array = value._data if isinstance(value, Tensor) else value
        array = backend.to_device(array, p.device)
        dtype = p._data.dtype if dtypes.is_floating(array.dtype) else array.dtype
        return Tensor._make(array.astype(dtype, copy=True))
    return value


def as_float(value) -> float:
    """A hyperparameter as a Python float, so that float32 updates are not promoted to float64."""
    return float(value.item() if isinstance(value, Tensor) else value)


def lerp_(start, end, weight: float, work):
    """``start <- start + weight * (end - start)`` in place, rounding as PyTorch's ``lerp_`` does.

    For weight >= 0.5 the same value is computed from the other end, ``end - (1 - weight) *
    (end - start)``, which is exact at weight = 1. ``work`` is a scratch array shaped like start.
    """
    xp = backend.array_module_of(start)
    difference = xp.subtract(end, start, out=work)
    if abs(weight) < 0.5:
        difference *= weight
        start += difference
    else:
        difference *= 1.0 - weight
        xp.subtract(end, difference, out=start)
    return start
