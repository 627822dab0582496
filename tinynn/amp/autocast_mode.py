"""``autocast``: run each operation in the precision that suits it (PyTorch's ``torch.amp.autocast``).

Inside ``with autocast("cpu"):`` matrix products and convolutions cast their floating inputs to
float16 and losses cast theirs to float32 (``policy.py`` has the lists); every other op runs in its
inputs' dtype. Nothing else changes: parameters stay float32 (the "master weights"), and each
cast is an ordinary differentiable op, so a gradient flows back through it and arrives in the
parameter's own dtype::

    with autocast("cpu"):
        logits = model(x)                     # Linear layers compute in float16: logits.dtype == float16
        loss = F.cross_entropy(logits, y)     # a loss runs in float32: loss.dtype == float32
    loss.backward()                           # model.weight.grad.dtype == float32

How it works: ``Op.apply`` (``tinynn/autograd/function.py``), through which every built-in op
runs, calls the calling thread's ``autocast_hook(op_class, args)`` while some autocast region is on
in that thread; the hook looks the op up in its device's list and casts the tensor arguments.
Outside autocast the hook is None and an op pays one attribute read. As in PyTorch, the autocast
state is per thread: a region opened in one thread does not change the ops of another.

tinynn's default autocast dtype is float16 on every device (PyTorch's CPU default is bfloat16).
``dtype=tinynn.bfloat16`` works too, by emulation: the inputs of the lower-precision ops are
rounded to bfloat16's precision and stay in float32 storage (``tinynn.bfloat16`` says more).
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

from .. import backend
from ..autograd import grad_mode
from ..dtypes import bfloat16, float16, float32, to_dtype
from ..tensor import Tensor
from . import policy

__all__ = ["autocast", "get_autocast_dtype", "is_autocast_available", "is_autocast_cache_enabled",
           "is_autocast_enabled"]

_DEVICE_TYPES = ("cpu", "cuda")


@dataclass
class _DeviceState:
    enabled: bool = False
    dtype: object = float16
    cache_enabled: bool = True


class _ThreadAutocast(threading.local):
    """One thread's autocast state (``__init__`` runs once in each thread that uses it)."""

    def __init__(self):
        self.states = {device_type: _DeviceState() for device_type in _DEVICE_TYPES}
        self.depth = 0          # how many autocast regions are open (enabled or not)
        self.cast_cache = {}    # (id(leaf), dtype) -> (leaf, its array, its version, the cast): weights cast once per region


_local = _ThreadAutocast()


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast supports ``device_type`` ("cpu" and "cuda" do)."""
    return device_type in _DEVICE_TYPES


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an autocast region is on for ``device_type`` (for "cuda" when None, as in PyTorch)."""
    return _local.states[_checked_device_type(device_type or "cuda")].enabled


def get_autocast_dtype(device_type: str):
    """The lower-precision dtype autocast uses on ``device_type`` (float16 unless changed)."""
    return _local.states[_checked_device_type(device_type)].dtype


def is_autocast_cache_enabled() -> bool:
    """Whether casts of parameters are cached inside the innermost autocast region."""
    return any(s.cache_enabled for s in _local.states.values() if s.enabled)


class autocast:
    """Context manager and decorator turning autocast on (or off) for one device type.

    ``autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``:

    * ``device_type``: "cpu" or "cuda"; only ops on tensors of that device are affected.
    * ``dtype``: the lower precision, float16 (the default, on both devices) or tinynn.bfloat16
      (emulated: float32 inputs rounded to bfloat16's precision, in float32 storage).
    * ``enabled``: False turns autocast off inside an enclosing region (``autocast(..., enabled=False)``
      around code that must run in float32).
    * ``cache_enabled``: cast each parameter (a leaf that requires grad) once per outermost region
      and reuse the cast. As in PyTorch, wrap only the forward pass and the loss in autocast: an
      optimizer step inside the region would change the weights under the cached casts.

    Regions nest: leaving one restores the state of the one around it. One object may be entered
    again while it is open (a decorated function that recurses).
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None):
        self.device = _checked_device_type(device_type)
        self.fast_dtype = float16 if dtype is None else _lower_precision_dtype(dtype)
        self._enabled = bool(enabled)
        self._cache_enabled = True if cache_enabled is None else bool(cache_enabled)
        self._saved = []    # a stack of the states this object replaced, so it is re-entrant

    def __enter__(self):
        state = _local.states[self.device]
        self._saved.append(_DeviceState(state.enabled, state.dtype, state.cache_enabled))
        _local.states[self.device] = _DeviceState(self._enabled, self.fast_dtype, self._cache_enabled)
        _local.depth += 1
        _install_hook()
        return self

    def __exit__(self, *exc):
        _local.states[self.device] = self._saved.pop()
        _local.depth -= 1
        if _local.depth == 0:
            _local.cast_cache.clear()
        _install_hook()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def run_with_autocast(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return run_with_autocast


def _checked_device_type(device_type) -> str:
    if isinstance(device_type, backend.device):
        device_type = device_type.type
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError(
            f"autocast: expected device_type 'cpu' or 'cuda', got {device_type!r}"
        )
    return device_type


def _lower_precision_dtype(dtype):
    if dtype is bfloat16 or str(dtype) in ("bfloat16", "torch.bfloat16"):
        return bfloat16
    dtype = to_dtype(dtype)
    if dtype != float16:
        raise RuntimeError(f"autocast: the lower-precision dtype must be float16 or bfloat16, got {dtype}")
    return dtype


def _install_hook() -> None:
    """Point this thread's ``Op.apply`` hook at the caster while any device has autocast on; else None."""
    on = any(state.enabled for state in _local.states.values())
    grad_mode.state.autocast_hook = cast_op_inputs if on else None


def _state_snapshot() -> dict:
    """The autocast state of every device (``checkpoint`` replays a segment under it)."""
    return {d: _DeviceState(s.enabled, s.dtype, s.cache_enabled) for d, s in _local.states.items()}


class _restored_state:
    """Run a block under a snapshot from ``_state_snapshot`` (restoring the current state after)."""

    def __init__(self, snapshot: dict):
        self.snapshot = snapshot

    def __enter__(self):
        self.current = _local.states
        _local.states = {d: _DeviceState(s.enabled, s.dtype, s.cache_enabled) for d, s in self.snapshot.items()}
        _install_hook()

    def __exit__(self, *exc):
        _local.states = self.current
        _install_hook()
        return False


# ---------------------------------------------------------------------------- the hook
def cast_op_inputs(op: type, args: tuple) -> tuple:
    """The hook ``Op.apply`` calls under autocast: ``args`` cast to the precision ``op`` runs in."""
    device_type = None
    for a in args:
        if isinstance(a, Tensor):
            device_type = backend.device_of(a._data).type
            break
    if device_type is None:
        return args
    state = _local.states.get(device_type)
    if state is None or not state.enabled:
        return args
    kind = policy.kind_of(op, device_type)
    if kind is None:
        return args
    if kind == policy.BANNED:
        raise RuntimeError(policy.BANNED_MESSAGE)
    if kind == policy.LOWER:
        # float32 inputs go down; float64 is left alone (and so is float16 already)
        return tuple(_cast(a, state.dtype, state.cache_enabled) if _is(a, float32) else a for a in args)
    if kind == policy.FP32:
        return tuple(_cast(a, float32, state.cache_enabled) if _is(a, float16) else a for a in args)
    # MATCH_INPUT: weights follow the first (the data) argument
    target = args[0].dtype if isinstance(args[0], Tensor) else None
    if target is None or target.kind != "f":
        return args
    return (args[0],) + tuple(
        _cast(a, target, state.cache_enabled) if isinstance(a, Tensor) and a.dtype.kind == "f"
        and a.dtype != target and a.dtype != "float64" else a for a in args[1:])


def _is(a, dtype) -> bool:
    return isinstance(a, Tensor) and a._data.dtype == dtype


def _cast(t: Tensor, dtype, cache_enabled: bool) -> Tensor:
    """``t.to(dtype)``, differentiable; a parameter's cast is cached for the rest of the region."""
    if not (cache_enabled and t.grad_fn is None and t._requires_grad and grad_mode.state.enabled):
        return t.to(dtype)
    key = (id(t), dtype)
    entry = _local.cast_cache.get(key)
    if entry is not None and entry[0] is t and entry[1] is t._data and entry[2] == t._version:
        return entry[3]
    cast = t.to(dtype)
    _local.cast_cache[key] = (t, t._data, t._version, cast)
    return cast
