"""Module backward hooks: ``hook(module, grad_input, grad_output)`` once the gradients w.r.t. a module's
inputs are known (``register_full_backward_hook``), and ``hook(module, grad_output)`` when the gradients
w.r.t. its outputs arrive (``register_full_backward_pre_hook``).

How: the module's input tensors and its output tensors each pass through a ``GradientTap``, an
identity whose backward hands the incoming gradients to a callback (which may replace them). The
output tap fires first (it is nearest the loss) and records grad_output; the input tap fires after
the module's own backward and calls the hooks with both. A module none of whose inputs needs a
gradient gets its hooks called from the output tap, with ``grad_input`` all None, as in PyTorch.
"""
from __future__ import annotations

from ..autograd.function import Function
from ..tensor import Tensor


class GradientTap(Function):
    """y = x for each tensor (an identity); backward: the gradients, as ``callback(grads)`` returns them."""

    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        return tensors if len(tensors) > 1 else tensors[0]

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.callback(grads))


def _as_tuple(result, expected: int, what: str) -> tuple:
    result = result if isinstance(result, tuple) else (result,)
    if len(result) != expected:
        raise RuntimeError(f"backward hook returned {len(result)} {what} gradients, expected {expected}")
    return result


def call_with_backward_hooks(module, args: tuple, kwargs: dict, forward):
    """``forward(*args, **kwargs)`` with the module's backward (pre-)hooks wired into the graph."""
    state = {"grad_output": None}
    input_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]

    def on_grad_output(grads):
        for hook in list(module._backward_pre_hooks.values()):
            result = hook(module, grads)
            if result is not None:
                grads = _as_tuple(result, len(grads), "output")
        state["grad_output"] = grads
        if not input_positions:  # nothing upstream will report grad_input: call the hooks now
            for hook in list(module._backward_hooks.values()):
                hook(module, (None,) * sum(isinstance(a, Tensor) for a in args), grads)
        return grads

    def on_grad_input(grads):
        for hook in list(module._backward_hooks.values()):
            result = hook(module, grads, state["grad_output"])
            if result is not None:
                grads = _as_tuple(result, len(grads), "input")
        return grads

    if input_positions:
        tapped = GradientTap.apply(on_grad_input, *(args[i] for i in input_positions))
        tapped = tapped if isinstance(tapped, tuple) else (tapped,)
        args = list(args)
        for i, t in zip(input_positions, tapped):
            args[i] = t
        args = tuple(args)
    output = forward(*args, **kwargs)
    return _tap_outputs(output, on_grad_output), args


def _tap_outputs(output, callback):
    """The output with its tensors that need gradients passed through one GradientTap."""
    if isinstance(output, Tensor):
        return GradientTap.apply(callback, output) if output.requires_grad else output
    if isinstance(output, (tuple, list)):
        positions = [i for i, o in enumerate(output) if isinstance(o, Tensor) and o.requires_grad]
        if not positions:
            return output
        tapped = GradientTap.apply(callback, *(output[i] for i in positions))
        tapped = tapped if isinstance(tapped, tuple) else (tapped,)
        items = list(output)
        for i, t in zip(positions, tapped):
            items[i] = t
        return type(output)(items) if not hasattr(output, "_fields") else type(output)(*items)
    return output
