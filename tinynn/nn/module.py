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

import copy
import itertools
import warnings

from ..autograd import grad_mode
from ..tensor import Tensor, _RemovableHandle
from .module_convert import ModuleConversions
from .module_state import ModuleStateDict
from .parameter import Buffer, Parameter


class Module(ModuleStateDict, ModuleConversions):
    """Base class for all neural-network modules. Subclasses define ``forward``.

    Its methods are in three files: this one (registration, traversal, calls, hooks, repr),
    nn/module_convert.py (``to``, ``float``, ``cuda``, ...) and nn/module_state.py (``state_dict``,
    ``load_state_dict``)."""

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
