"""Gradient checkpointing: trade compute for memory by recomputing a segment in backward.

Backward needs what forward saved: every layer keeps its input (and often its output) until the
gradient has passed. For a network of L layers with activations of A bytes each, that is ~L * A
bytes held at the end of forward. ``checkpoint(f, x)`` instead runs ``f`` without recording
(nothing inside is saved: only ``x`` is kept) and, when backward reaches it, runs ``f(x)`` again
with recording on and backpropagates through that fresh graph. Cut a network into ~sqrt(L)
checkpointed segments and the peak drops from ~L * A to ~2 sqrt(L) * A, for one extra forward pass
(about a third more compute: a backward costs about two forwards).

Randomness must repeat: the random generator's state is saved before the first run and restored
for the second (``preserve_rng_state=True``), so a dropout mask is the same both times. The
autocast state is replayed too.

tinynn runs both of PyTorch's variants on one mechanism (a graph node whose backward recomputes):

* ``use_reentrant=False`` (the default, PyTorch's recommended one): keyword arguments are passed
  on, and when no input requires a gradient but parameters inside ``function`` do, the segment is
  still differentiated (its parameters get their gradients).
* ``use_reentrant=True``: PyTorch's older rules: no keyword arguments, and with no input requiring
  a gradient the outputs don't either (a warning says so).

The default variant records the segment once in forward (then drops that graph) to learn which
parameters it uses; they become inputs of the checkpoint node, so ``autograd.grad`` reaches them
too. The reentrant one runs forward without recording and, in backward, leaves parameter
gradients in ``.grad`` (``autograd.grad`` does not see them: PyTorch's reentrant rule). Double
backward (``create_graph=True``) through a segment is refused in both.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Callable

from ..autograd import engine, grad_mode
from ..autograd.engine import leaf_edges
from ..autograd.function import Function
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "noop_context_fn"]


def noop_context_fn():
    """The default ``context_fn``: no extra context around the forward run or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def checkpoint(function: Callable, *args, use_reentrant: bool | None = None,
               context_fn: Callable = noop_context_fn, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, **kwargs) -> Any:
    """``function(*args, **kwargs)``, with its intermediate values recomputed in backward instead
    of stored. Returns what ``function`` returns (a Tensor, or a tuple/list holding Tensors).

    ``use_reentrant``: None means False (PyTorch's recommended variant; tinynn does not warn).
    ``context_fn``: returns two context managers, entered around the forward run and around the
    recomputation. ``determinism_check``: "default" checks that the recomputed outputs have the
    shapes and dtypes of the first run; "none" skips it. ``debug``: add the function's name and the
    outputs' shapes to that check's error. ``preserve_rng_state``: replay random draws (dropout).
    """
    if determinism_check not in ("default", "none"):
        raise ValueError(f"checkpoint: determinism_check must be 'default' or 'none', got {determinism_check!r}")
    reentrant = bool(use_reentrant)
    if reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if reentrant and context_fn is not noop_context_fn:
        raise ValueError("Passing context_fn is only supported when use_reentrant=False.")
    if not grad_mode.state.enabled:   # nothing will be differentiated: nothing to save, nothing to recompute
        return function(*args, **kwargs)

    inputs = tuple(a for a in args if isinstance(a, Tensor))
    rng_state = get_rng_state() if preserve_rng_state else None
    from ..amp import autocast_mode   # tinynn.amp imports after tinynn.utils

    amp_state = autocast_mode._state_snapshot()
    forward_context, recompute_context = context_fn()
    if reentrant:
        params = ()
        with grad_mode.no_grad(), forward_context:
            out = function(*args, **kwargs)
        if not any(t.requires_grad for t in inputs):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None")
            return out
    else:
        # Record the segment once on stand-ins for the inputs, to find the parameters (leaves that
        # require grad) it uses: they become inputs of the checkpoint node, so their gradients flow
        # through the ordinary graph. The recorded graph is dropped when this function returns.
        stand_ins = [t.detach().requires_grad_(t.requires_grad) for t in inputs]
        with forward_context:
            out = function(*_with_tensors(args, stand_ins), **kwargs)
        params = _leaves_used(_tensor_outputs(out), stand_ins)
        if not any(t.requires_grad for t in stand_ins) and not params:
            return out

    node = CheckpointFunction()
    node.run = (function, args, kwargs, recompute_context, reentrant)
    node.rng_state, node.amp_state = rng_state, amp_state
    node.determinism_check, node.debug = determinism_check, debug
    node_inputs = inputs + params
    node.needs_input_grad = tuple(t.requires_grad for t in node_inputs)
    node._record(node_inputs)
    node.save_for_backward(*inputs)   # version-checked: changing an input in place is caught
    flat = _tensor_outputs(out)
    results = node._wrap_outputs([t._data for t in flat], False)
    node._resolve_saved(inputs, inputs, [t._data for t in flat], results)
    node.params = params
    return _replace_tensors(out, iter(results))


class CheckpointFunction(Function):
    """The graph node of a checkpointed segment: its backward re-runs the segment with recording
    on and backpropagates the output gradients through that fresh graph."""

    def __init__(self):
        pass

    @staticmethod
    def backward(ctx, *grad_outputs):
        if grad_mode.state.enabled:
            raise RuntimeError("checkpoint: backward with create_graph=True (double backward) through a "
                               "checkpointed segment is not supported")
        function, args, kwargs, recompute_context, reentrant = ctx.run
        inputs = ctx.saved_tensors
        stand_ins = [t.detach().requires_grad_(t.requires_grad) for t in inputs]
        from ..amp import autocast_mode

        current_rng = get_rng_state() if ctx.rng_state is not None else None
        try:
            if ctx.rng_state is not None:
                set_rng_state(ctx.rng_state)
            with grad_mode.enable_grad(), autocast_mode._restored_state(ctx.amp_state), recompute_context:
                out = function(*_with_tensors(args, stand_ins), **kwargs)
        finally:
            if current_rng is not None:
                set_rng_state(current_rng)
        flat = _tensor_outputs(out)
        _check_recomputed(ctx, function, flat)
        pairs = [(o, g) for o, g in zip(flat, grad_outputs) if o.requires_grad and g is not None]
        outs, grads = [o for o, _ in pairs], [g for _, g in pairs]
        if reentrant:   # PyTorch's reentrant rule: parameters inside get their gradients in .grad
            if pairs:
                engine.backward(outs, grads)
            return tuple(s.grad if s.requires_grad else None for s in stand_ins)
        wanted = [t for t in list(stand_ins) + list(ctx.params) if t.requires_grad]
        if not pairs or not wanted:
            return (None,) * (len(stand_ins) + len(ctx.params))
        # retain_graph: a tensor captured from outside the segment links into the outer graph,
        # whose backward must stay possible
        found = iter(engine.grad(outs, wanted, grads, retain_graph=True, allow_unused=True))
        return tuple(next(found) if t.requires_grad else None for t in list(stand_ins) + list(ctx.params))


def _with_tensors(args: tuple, tensors) -> tuple:
    """``args`` with its Tensors replaced, in order, by ``tensors``."""
    replacements = iter(tensors)
    return tuple(next(replacements) if isinstance(a, Tensor) else a for a in args)


def _leaves_used(outputs: list, stand_ins: list) -> tuple:
    """The leaves that require grad in the graph behind ``outputs``, other than ``stand_ins``."""
    skip = {id(t) for t in stand_ins}
    found = {}
    for leaf in leaf_edges(outputs):
        if id(leaf) not in skip:
            found.setdefault(id(leaf), leaf)
    return tuple(found.values())


def _check_recomputed(ctx, function, flat) -> None:
    if ctx.determinism_check == "none":
        return
    first = [(tuple(shape), str(dtype)) for shape, dtype in ctx.output_meta]
    again = [(tuple(t.shape), str(t.dtype)) for t in flat]
    if first != again:
        where = f" in {getattr(function, '__name__', function)!r}" if ctx.debug else ""
        raise RuntimeError(
            f"checkpoint: the recomputed outputs{where} differ from the first run's (shape, dtype): "
            f"{first} then {again}. The function must compute the same thing twice (pass "
            "determinism_check='none' to skip this check)."
        )


def _tensor_outputs(out) -> list:
    """The Tensors of ``function``'s result: itself, or those inside a tuple/list."""
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [o for o in out if isinstance(o, Tensor)]
    raise TypeError(f"checkpoint: the function must return a Tensor or a tuple/list of Tensors, got {type(out).__name__}")


def _replace_tensors(out, results):
    if isinstance(out, Tensor):
        return next(results)
    return type(out)(next(results) if isinstance(o, Tensor) else o for o in out)


def checkpoint_sequential(functions, segments: int, input: Tensor, use_reentrant: bool | None = None,
                          **kwargs) -> Tensor:
    """Run a sequence of modules/functions in ``segments`` chunks, checkpointing all but the last.

    ``functions``: an ``nn.Sequential`` or a list of callables, applied in order. The last chunk
    runs normally (its activations are needed at once by backward anyway). ``kwargs``:
    ``preserve_rng_state`` (default True).
    """
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if not isinstance(segments, int) or segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be a positive int, got {segments!r}")
    if segments > len(functions):
        raise ValueError(f"checkpoint_sequential: {segments} segments for {len(functions)} functions")

    def run_chunk(start: int, end: int):
        def forward(x):
            for f in functions[start:end + 1]:
                x = f(x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run_chunk(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run_chunk(end + 1, len(functions) - 1)(input)
