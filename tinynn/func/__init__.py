"""``tinynn.func`` (PyTorch's ``torch.func``): function transforms and running modules as functions.

    functional_call(model, params, (x,))    model(x) with ``params`` (name -> tensor) in place of its own
    stack_module_state(models)              the parameters and buffers of several same-shaped models, stacked
    grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd, hessian      (transforms.py)
    vmap                                    (vmap.py: a loop over the batch)

Together they let a model be treated as a pure function of its parameters, the style of
meta-learning (MAML), per-example gradients and ensembles::

    params = dict(model.named_parameters())
    def loss(params, x, y):
        return F.cross_entropy(functional_call(model, params, (x,)), y)
    grads = grad(loss)(params, x, y)                       # {name: gradient}

tinynn computes every transform with its reverse-mode engine; see transforms.py and vmap.py for
what that changes (speed, never the numbers).
"""
from __future__ import annotations

from collections.abc import Sequence

from ..nn.module import Module
from ..nn.utils.stateless import _functional_call
from ..ops.join import stack
from .transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from .vmap import vmap

__all__ = ["functional_call", "stack_module_state", "grad", "grad_and_value", "vjp", "jvp", "linearize",
           "jacrev", "jacfwd", "hessian", "vmap"]


def functional_call(module: Module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` using the given tensors (by state_dict name) instead of its own.

    parameter_and_buffer_dicts: a dict name -> tensor, or a sequence of such dicts (their keys
    must not repeat). Names not given keep the module's tensors, unless ``strict=True``.
    ``tie_weights``: a tensor registered under several names (tied weights) is replaced under all
    of them when one is given. ``args``: a tuple, or one argument. Gradients flow to the given
    tensors; the module is left exactly as it was (see nn/utils/stateless.py).
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        values = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence) and not isinstance(parameter_and_buffer_dicts, str):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        keys = [k for d in parameter_and_buffer_dicts for k in d]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        values = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    return _functional_call(module, values, args, kwargs, tie_weights=tie_weights, strict=strict)


def stack_module_state(models) -> tuple[dict, dict]:
    """({name: parameters of all models stacked on a new dim 0}, {name: buffers stacked}).

    The stacked parameters are new leaves (requiring grad when the models' do), ready for
    ``vmap(functional_call)`` over an ensemble of models of the same class.
    """
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    if len({type(m) for m in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked(named: list[dict]) -> dict:
        result = {}
        for name in named[0]:
            tensors = [d[name] for d in named]
            flags = {t.requires_grad for t in tensors}
            if len(flags) != 1:
                raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
            value = stack([t.detach() for t in tensors])
            result[name] = value.requires_grad_(True) if flags == {True} else value
        return result

    return (stacked([dict(m.named_parameters()) for m in models]),
            stacked([dict(m.named_buffers()) for m in models]))
