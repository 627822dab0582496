"""Run a module with other tensors in place of its parameters and buffers (``nn.utils.stateless``).

``functional_call(model, {"fc.weight": w2, ...}, (x,))`` computes ``model(x)`` as if ``fc.weight``
were ``w2``: the tensors are swapped into the module for the call and the originals put back
afterwards, even if the call raises. Because the substitutes are used as they are (not copied),
gradients flow to them; this is how meta-learning (MAML) differentiates through an inner update:

    fast = {name: p - lr * g for (name, p), g in zip(model.named_parameters(), grads)}
    loss = loss_fn(functional_call(model, fast, (x,)), y)       # d loss / d model's parameters
                                                                 # passes through the update
Names are the state_dict's (``"0.weight"``, ``"fc.bias"``, ``"bn.running_mean"``); names not given
keep the module's own tensors (unless ``strict=True``, which requires exactly the module's names).
``tie_weights=True``: a tensor registered under two names (a language model's tied embedding and
output weights) is replaced under both when either name is given.

``torch.func.functional_call`` (tinynn/func) is the same function and also takes a sequence of
dicts; PyTorch deprecates this module's name for it, and tinynn gives the same FutureWarning.
"""
from __future__ import annotations

import contextlib
import warnings

from ...tensor import Tensor
from ..module import Module

__all__ = ["functional_call"]

_MISSING = object()


def _untie(module: Module, values: dict) -> dict:
    """``values`` with every name tied to a given name added, mapped to the same tensor."""
    names_of = {}   # id(tensor) -> every name it is registered under
    for name, tensor in list(module.named_parameters(remove_duplicate=False)) + \
            list(module.named_buffers(remove_duplicate=False)):
        names_of.setdefault(id(tensor), set()).add(name)
    tied = {name: names for names in names_of.values() if len(names) > 1 for name in names}
    result = dict(values)
    for name in values:
        if name not in tied:
            continue
        given = tied[name] & set(values)
        if len({id(values[n]) for n in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(tied[name])}, which are tied. "
                             "Consider using tie_weights=False")
        for other in tied[name]:
            result[other] = values[name]
    return result


def _check_keys(module: Module, values: dict) -> None:
    own = [name for name, _ in module.named_parameters(remove_duplicate=False)]
    own += [name for name, _ in module.named_buffers(remove_duplicate=False)]
    missing = [name for name in own if name not in values]
    unexpected = [name for name in values if name not in set(own)]
    messages = []
    if unexpected:
        messages.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        messages.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if messages:
        raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(messages))


def _swap(module: Module, path: str, tensor):
    """Put ``tensor`` at ``path`` (``_MISSING``: remove it); return what was there."""
    owner_path, _, name = path.rpartition(".")
    owner = module.get_submodule(owner_path)
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"functional_call: the value for {path!r} must be a Tensor, got {type(tensor).__name__}")
    for registry in (owner._parameters, owner._buffers):
        if name in registry:
            old = registry[name]
            if tensor is _MISSING:
                del registry[name]
            else:
                registry[name] = tensor   # directly: a plain tensor may stand in for a Parameter
            return old
    old = getattr(owner, name) if hasattr(owner, name) else _MISSING
    if old is not _MISSING and old is not None and not isinstance(old, Tensor):
        raise TypeError(f"functional_call: attribute {path!r} of the module is a {type(old).__name__}, not a Tensor")
    if tensor is not _MISSING:
        setattr(owner, name, tensor)
    elif hasattr(owner, name):
        delattr(owner, name)
    return old


@contextlib.contextmanager
def _reparametrize_module(module: Module, values: dict, tie_weights: bool = False, strict: bool = False):
    """Within the block, ``module`` uses ``values`` (name -> tensor) instead of its own tensors."""
    swapped = _untie(module, values) if tie_weights else values
    if strict:
        _check_keys(module, swapped)
    originals = {}
    try:
        for path, tensor in swapped.items():
            originals[path] = _swap(module, path, tensor)
        yield
    finally:
        final = {path: _swap(module, path, old) for path, old in reversed(list(originals.items()))}
        # a module that replaced one of its tensors during the call: the caller's dict sees the new one
        values.update({path: final[path] for path in values if path in final and final[path] is not _MISSING})


def _functional_call(module: Module, parameters_and_buffers: dict, args=None, kwargs=None, *,
                     tie_weights: bool = True, strict: bool = False):
    if not isinstance(module, Module):
        raise TypeError(f"functional_call: expected an nn.Module, got {type(module).__name__}")
    if not isinstance(parameters_and_buffers, dict):
        raise TypeError("functional_call: expected a dict of name -> tensor, got "
                        f"{type(parameters_and_buffers).__name__}")
    kwargs = {} if kwargs is None else kwargs
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module: Module, parameters_and_buffers: dict, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with the tensors of ``parameters_and_buffers`` (by name) in place of
    the module's own. ``args``: a tuple, or a single argument. Deprecated name of
    ``tinynn.func.functional_call`` (kept because PyTorch keeps it)."""
    warnings.warn("`tinynn.nn.utils.stateless.functional_call` is deprecated (as in PyTorch 2.0+): use "
                  "`tinynn.func.functional_call` instead, a drop-in replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
