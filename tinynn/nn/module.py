"""``Module``: the base class of every layer and model.

A module owns parameters (tensors to train), buffers (tensors to keep, such as batch norm's
running mean) and submodules, all registered by plain attribute assignment::

    self.weight = Parameter(...)     # -> self._parameters["weight"]
    self.fc = Linear(3, 4)           # -> self._modules["fc"]
    self.register_buffer("running_mean", tinynn.zeros(4))

``state_dict()`` names them by their path (``fc.weight``) in PyTorch's order, so weights move
between tinynn and PyTorch unchanged.
"""
from __future__ import annotations

import collections
import copy
import itertools
import warnings

import numpy as np

from .. import backend, dtypes
from ..autograd import grad_mode
from ..tensor import Tensor, _RemovableHandle, parse_to_args
from .parameter import Buffer, Parameter


class _IncompatibleKeys(collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys the module lacked in the dict, and those it did not use."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, unexpected_keys={self.unexpected_keys!r})"

    __str__ = __repr__


class Module:
    """Base class for all neural-network modules. Subclasses define ``forward``."""

    training: bool
    _version = 1

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments {args} {kwargs}")
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", {})
        setattr_(self, "_buffers", {})
        setattr_(self, "_non_persistent_buffers", set())
        setattr_(self, "_modules", {})
        setattr_(self, "_forward_hooks", {})
        setattr_(self, "_forward_pre_hooks", {})
        setattr_(self, "_hooks_with_kwargs", set())     # keys of (pre-)hooks that take and give kwargs
        setattr_(self, "_backward_hooks", {})
        setattr_(self, "_backward_pre_hooks", {})

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self.__dict__.get("_backward_hooks")
                or self.__dict__.get("_backward_pre_hooks")):
            return self.forward(*args, **kwargs)
        with_kwargs = self.__dict__.get("_hooks_with_kwargs", ())
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"forward pre-hook must return None or a tuple of (new_args, new_kwargs), got {result!r}")
                    args, kwargs = result
                    args = args if isinstance(args, tuple) else (args,)
                continue
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        if (self.__dict__.get("_backward_hooks") or self.__dict__.get("_backward_pre_hooks")) and grad_mode.state.enabled:
            from .hooks import call_with_backward_hooks

            output, args = call_with_backward_hooks(self, args, kwargs, self.forward)
        else:
            output = self.forward(*args, **kwargs)
        for key, hook in list(self._forward_hooks.items()):
            result = hook(self, args, kwargs, output) if key in with_kwargs else hook(self, args, output)
            if result is not None:
                output = result
        return output

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            if name in params:  # replacing keeps the key's place in state_dict, as in PyTorch
                params[name] = value
                return
            self._forget(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} as parameter '{name}' (a Parameter or None is expected)"
                )
            params[name] = None
        elif isinstance(value, Buffer):  # nn.Buffer: registered, as a plain tensor sharing its memory
            if params is None:
                raise AttributeError("cannot assign buffers before Module.__init__() call")
            if name not in self._buffers:
                self._forget(name)
            self.register_buffer(name, Tensor._make(value._data), persistent=value.persistent)
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign a module before Module.__init__() call")
            if name not in self._modules:
                self._forget(name)
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} as child module '{name}' (a Module or None is expected)")
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign a {type(value).__name__} as buffer '{name}' (a Tensor or None is expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # only called when normal lookup fails: parameters, buffers and submodules live in dicts
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = d.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _forget(self, name: str) -> None:
        for registry in (self.__dict__, self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared but absent one such as a disabled bias)."""
        _check_name(name, self, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign a {type(param).__name__} as parameter '{name}' (tinynn.nn.Parameter or None expected)")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (saved in state_dict when persistent)."""
        _check_name(name, self, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign a {type(tensor).__name__} as buffer '{name}' (a Tensor or None expected)")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        _check_name(name, self, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> "Module":
        module = self
        if target == "":
            return module
        for part in target.split("."):
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no submodule '{part}' (looking for '{target}')")
            module = module._modules[part]
        return module

    def get_parameter(self, target: str) -> Parameter:
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter '{name}'")
        return module._parameters[name]

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """(path, module) for this module and every descendant, each shared module once."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            path, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield path, module
            children = [(path + ("." if path else "") + name, child)
                        for name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for path, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield path + ("." if path else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(name, parameter) pairs; a parameter shared by two modules (tied weights) appears once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode: bool = True) -> "Module":
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)  # a subclass may override train()
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if p.grad.grad_fn is not None:
                    p.grad = p.grad.detach()
                p.grad.requires_grad_(False)
                p.grad.zero_()

    def apply(self, fn) -> "Module":
        """Call ``fn(module)`` on every submodule (children first) and on self; return self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ device and dtype
    def _convert(self, convert) -> "Module":
        """Replace every parameter's and buffer's array with ``convert(array)``, keeping identities."""
        for module in self.modules():
            for p in module._parameters.values():
                if p is not None:
                    p._data = convert(p._data)
                    if p.grad is not None:
                        p.grad._data = convert(p.grad._data)
            for name, b in module._buffers.items():
                if b is not None:
                    b._data = convert(b._data)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """``to(device)``, ``to(dtype)`` or both: converts floating parameters and buffers in place."""
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        device, dtype = parse_to_args(args, device, dtype)
        if dtype is not None and dtypes.to_dtype(dtype).kind != "f":
            raise TypeError(f"Module.to() only accepts floating point dtypes, but got desired dtype={dtype}")
        target = backend.as_device(device) if device is not None else None

        def convert(array):
            if dtype is not None and array.dtype.kind == "f":
                array = dtypes.cast_array(array, dtype)
            if target is not None:
                array = backend.to_device(array, target)
            return array

        return self._convert(convert)

    def bfloat16(self) -> "Module":
        """Floating parameters and buffers rounded to bfloat16 (float32 storage; see ``tinynn.bfloat16``)."""
        return self.to(dtypes.bfloat16)

    def float(self) -> "Module":
        return self.to(dtypes.float32)

    def double(self) -> "Module":
        return self.to(dtypes.float64)

    def half(self) -> "Module":
        return self.to(dtypes.float16)

    def type(self, dst_type) -> "Module":
        """Cast floating parameters and buffers to ``dst_type`` (a dtype or a legacy type such as
        tinynn.DoubleTensor), as ``Module.to(dtype)``."""
        from ..tensor_types import dtype_of_type_name

        legacy = dtype_of_type_name(dst_type)
        return self.to(legacy[0]) if legacy is not None else self.to(dst_type)

    def to_empty(self, *, device=None, recurse: bool = True) -> "Module":
        """Move parameters and buffers to ``device`` without copying their values (PyTorch's way to
        materialise a model built on the meta device); the values are then uninitialised."""
        target = backend.as_device(device) if device is not None else backend.get_default_device()
        xp = backend.array_module(target)
        return self._convert(lambda array: xp.empty(array.shape, dtype=array.dtype))

    def share_memory(self) -> "Module":
        """Itself: PyTorch moves the tensors to shared memory for torch.multiprocessing workers;
        tinynn has no multiprocessing of its own (its DataLoader has no worker processes)."""
        return self

    def cpu(self) -> "Module":
        return self.to("cpu")

    def cuda(self, device=None) -> "Module":
        return self.to("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name, in PyTorch's order (detached tensors)."""
        destination = collections.OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values (tensors, or NumPy arrays) into the parameters and buffers, by name.

        With ``strict=True`` the keys must match exactly; missing, unexpected, wrongly shaped and
        non-tensor entries are all listed in one error. Returns ``(missing_keys, unexpected_keys)``,
        which prints as ``<All keys matched successfully>`` when both are empty. ``assign=True``
        makes each parameter and buffer take the checkpoint's array (its dtype, its memory) instead
        of copying into its own. Where tinynn differs: NumPy arrays are accepted as values, and with
        ``assign=True`` the module keeps its Parameter objects (PyTorch makes new ones), so an
        optimizer built before the load still holds them.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        state_dict = collections.OrderedDict(state_dict)   # the modules' hooks may add entries: not to the caller's
        for name, module in self.named_modules():
            # a module may adapt the checkpoint to itself first: lazy modules (nn/lazy.py) take its
            # shapes, batch norm fills in a num_batches_tracked that older checkpoints lack
            prepare = getattr(module, "_before_load_state_dict", None)
            if prepare is not None:
                prepare(state_dict, name + "." if name else "")
        own = self.state_dict(keep_vars=True)
        extra = {(name + "." if name else "") + "_extra_state": module for name, module in self.named_modules()
                 if type(module).set_extra_state is not Module.set_extra_state}
        for key in extra:
            own.pop(key, None)
        missing = [k for k in own if k not in state_dict] + [k for k in extra if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own and k not in extra]
        mismatched = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, (Tensor, np.ndarray)):
                mismatched.append(f'While copying the parameter named "{key}", expected a Tensor (or a NumPy array) '
                                  f"from checkpoint but received {type(value)}")
                continue
            array = value._data if isinstance(value, Tensor) else value
            if tuple(array.shape) != tuple(target.shape):
                mismatched.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(array.shape)} from "
                    f"checkpoint, the shape in current model is {tuple(target.shape)}."
                )
        if strict and (missing or unexpected) or mismatched:
            lines = []
            if strict and missing:
                lines.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
            if strict and unexpected:
                lines.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
            lines += mismatched
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(lines)
            )
        with grad_mode.no_grad():
            for key, target in own.items():
                if key in state_dict:
                    value = state_dict[key]
                    array = value._data if isinstance(value, Tensor) else value
                    array = backend.to_device(array, backend.device_of(target._data))
                    if assign:  # the module takes the checkpoint's array as it is (dtype and memory)
                        target._data = array if getattr(array.flags, "writeable", True) else array.copy()
                    else:
                        target._data[...] = array
                    target._bump_version()
        for key, module in extra.items():
            if key in state_dict:
                module.set_extra_state(state_dict[key])
        return _IncompatibleKeys(missing, unexpected)

    def get_extra_state(self):
        """State beyond parameters and buffers to put in ``state_dict()`` (under ``_extra_state``):
        override it, and ``set_extra_state``, in a module that has such state."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called: override "
                           "get_extra_state() in the module to return its extra state")

    def set_extra_state(self, state) -> None:
        """Restore what ``get_extra_state`` returned, from ``load_state_dict``."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called: override "
                           "set_extra_state() in the module that overrides get_extra_state()")

    # ------------------------------------------------------------------ hooks
    _hook_ids = itertools.count()

    def _add_hook(self, registry: str, hook, prepend: bool = False, with_kwargs: bool = False):
        key = next(Module._hook_ids)
        hooks = self.__dict__.setdefault(registry, {})
        hooks[key] = hook
        if prepend:  # run before the hooks registered so far
            for other in [k for k in hooks if k != key]:
                hooks[other] = hooks.pop(other)
        if with_kwargs:
            self.__dict__.setdefault("_hooks_with_kwargs", set()).add(key)
        return _DictHandle(hooks, key)

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """``hook(module, args)`` runs before forward; returning a value replaces the arguments.
        With ``with_kwargs=True``: ``hook(module, args, kwargs)``, returning None or (args, kwargs)."""
        return self._add_hook("_forward_pre_hooks", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False):
        """``hook(module, args, output)`` runs after forward; returning a value replaces the output.
        With ``with_kwargs=True``: ``hook(module, args, kwargs, output)``."""
        return self._add_hook("_forward_hooks", hook, prepend, with_kwargs)

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """``hook(module, grad_input, grad_output)`` once the gradients w.r.t. the module's inputs are
        computed (tuples, one entry per tensor input/output); returning a tuple replaces grad_input.
        See ``tinynn/nn/hooks.py`` for how."""
        return self._add_hook("_backward_hooks", hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False):
        """``hook(module, grad_output)`` when the gradients w.r.t. the module's outputs arrive, before
        the module's own backward; returning a tuple replaces grad_output."""
        return self._add_hook("_backward_pre_hooks", hook, prepend)

    def register_backward_hook(self, hook):
        """PyTorch's deprecated form; tinynn gives it the ``register_full_backward_hook`` semantics
        (the old one reported the gradients of the module's last operation, not of its inputs)."""
        warnings.warn("register_backward_hook is deprecated: tinynn runs it as register_full_backward_hook",
                      FutureWarning, stacklevel=2)
        return self.register_full_backward_hook(hook)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr (its constructor arguments)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, child in self._modules.items():
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_text}")
        if not lines:
            return f"{self._get_name()}()"
        if len(lines) == 1 and not self._modules:
            return f"{self._get_name()}({lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    # Pickling (tinynn.save(model, path), copy.copy) uses the default: the instance's __dict__, restored
    # as is without __setattr__. tinynn.save keeps the tensors out of the pickle (serialization/pickled.py).

    def __deepcopy__(self, memo):
        """An independent copy (parameters copied, ties within the module kept): copy.deepcopy(model)."""
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            object.__setattr__(new, key, copy.deepcopy(value, memo))
        return new


class _DictHandle:
    """Returned by register_*_hook: ``handle.remove()`` takes the hook away."""

    def __init__(self, hooks: dict, key):
        self.hooks, self.key = hooks, key

    def remove(self) -> None:
        self.hooks.pop(self.key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _check_name(name, module, kind):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == "" or "." in name:
        raise KeyError(f"{kind} name can't be empty or contain '.', got {name!r}")
    if "_parameters" not in module.__dict__:
        raise AttributeError(f"cannot assign {kind} before Module.__init__() call")


del _RemovableHandle
