"""Graph nodes: how an operation records itself, saves what backward needs, and runs backward.

Two ways to write an operation, both keeping forward and backward side by side:

* ``Op``, for tinynn's built-in operations: ``forward(ctx, *arrays)`` computes on the raw arrays
  (the array module of the tensor's device) and returns an array; ``backward(ctx, *grads)`` gets
  and returns Tensors, so a backward is itself made of differentiable ops (higher derivatives).
* ``Function``, PyTorch's custom-function API for users: ``forward(ctx, *tensors)`` gets Tensors
  and runs without recording; ``backward`` is the same as for ``Op``.

The object passed as ``ctx`` *is* the graph node (the result's ``grad_fn``). It keeps, for each
input, an edge to where that input's gradient goes: ``(node, output_nr)`` for a tensor made by
another op, ``(leaf_tensor, None)`` for a leaf, ``None`` for inputs that need no gradient.
"""
from __future__ import annotations

import time
import weakref

import numpy as np

from .. import backend
from ..threads import policy as _blas_policy
from ..tensor import Tensor
from . import grad_mode
from . import anomaly

_FREED = object()  # the saved values after backward released them (retain_graph=False)

# kinds of saved values
_INPUT, _OUTPUT, _CONSTANT = 0, 1, 2

# The calling thread's switches (grad_mode.py). ``_thread.autocast_hook`` is set by
# ``tinynn.amp.autocast`` while an autocast region is active in this thread, None otherwise: a
# function ``hook(op_class, args) -> args`` casting an op's floating inputs to the precision the op
# runs in (float16 for matmuls, float32 for losses; ``tinynn/amp/policy.py`` has the lists).
# Outside autocast every op pays one attribute read for it. ``_thread.trace_hook`` likewise: None
# unless ``tinynn.onnx.export`` is recording this thread's ops (``hook(op_class, args, kwargs, result)``).
_thread = grad_mode.state
_clock = time.monotonic


def autocast_off() -> bool:
    """True outside ``tinynn.amp.autocast`` regions (layers relax their dtype checks inside them)."""
    return _thread.autocast_hook is None


class Node:
    """What the engine needs from a graph node; shared by ``Op`` and ``Function``."""

    next_edges: tuple = ()
    input_meta: tuple = ()       # (shape, dtype) for each input that needs a gradient
    output_meta: tuple = ()      # (shape, dtype, xp) of each output, for multi-output nodes
    needs_input_grad: tuple = ()
    creation_trace = None        # set in anomaly mode: where in user code this node was made
    _pre_hooks = None            # {output_nr: [hook]}: tensor hooks and retain_grad
    _non_differentiable = ()
    _saved_raw = ()
    _saved = ()
    is_view = False              # Op subclasses whose forward returns a view of input 0
    # An op whose backward formula is plain arithmetic that NumPy arrays evaluate exactly as
    # Tensors do (``grad * (1 - y * y)``, ``g @ w``, ``g.T``, ``g.sum(0)``) sets this to True: when
    # no graph of the backward is wanted (no create_graph), the engine then runs that same formula on
    # the raw arrays and skips the tensor machinery, which is most of a small op's cost.
    array_backward = False
    _raw = False                 # True while the engine runs this node's backward on raw arrays

    @classmethod
    def name(cls) -> str:
        return cls.__name__ + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    # -------------------------------------------------------------- saving for backward
    def save_for_backward(self, *values) -> None:
        """Keep values for backward: inputs and outputs keep their place in the graph."""
        self._saved_raw = values

    def mark_non_differentiable(self, *outputs) -> None:
        self._non_differentiable = tuple(id(o) for o in outputs)

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to read saved "
                "tensors after they were freed). Saved values are freed after backward; call "
                ".backward(retain_graph=True) the first time if you need to backward twice."
            )
        return tuple([self._unpack(entry) for entry in saved])

    def _resolve_saved(self, inputs, input_values, outputs, output_tensors) -> None:
        """Record each saved value as an input, an output or a constant (with its version)."""
        resolved = []
        for value in self._saved_raw:
            entry = None
            # identity decides; only plain Python numbers are skipped (np.float64 subclasses float,
            # and NumPy returns such scalars from ufuncs on 0-d arrays)
            if value is not None and type(value) not in (int, float, bool):
                for i, candidate in enumerate(input_values):
                    if value is candidate and isinstance(inputs[i], Tensor):
                        tensor = inputs[i]
                        entry = (_INPUT, tensor, tensor._ensure_version_counter()[0])
                        break
                else:
                    for i, candidate in enumerate(outputs):
                        if value is candidate:
                            counter = output_tensors[i]._ensure_version_counter()
                            entry = (_OUTPUT, i, counter, output_tensors[i]._data)
                            break
            resolved.append(entry or (_CONSTANT, value))
        self._saved = tuple(resolved)
        self._saved_raw = ()

    def _unpack(self, entry):
        kind = entry[0]
        if kind == _CONSTANT:
            value = entry[1]
            if self._raw or isinstance(value, Tensor) or not hasattr(value, "dtype") or not hasattr(value, "shape"):
                return value
            return Tensor._make(value)
        if kind == _INPUT:
            tensor, version = entry[1], entry[2]
            if tensor._version_counter[0] != version:
                _check_version(self, tensor._version, version, tensor._data)
            return tensor._data if self._raw else tensor
        index, counter, array = entry[1], entry[2], entry[3]
        _check_version(self, counter[0], 0, array)
        return array if self._raw else Tensor._make(array, True, self, index)

    # -------------------------------------------------------------- engine interface
    def _release(self) -> None:
        """Free the saved values (the engine calls this after backward unless retain_graph)."""
        self._saved = _FREED

    def _retain_grad_of(self, tensor: Tensor) -> None:
        ref = weakref.ref(tensor)

        def store(grad):
            owner = ref()
            if owner is not None:
                owner.grad = grad if grad_mode.state.enabled else grad.detach()
            return None

        self._register_pre_hook(tensor._output_nr, store)

    def _register_pre_hook(self, output_nr: int, hook):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, [])
        hooks.append(hook)
        from ..tensor import _RemovableHandle

        return _RemovableHandle(hooks, hook)

    def _record(self, inputs: tuple) -> None:
        """Set the edges and input metadata of a node whose inputs are ``inputs``."""
        edges = []
        meta = []
        for a, needed in zip(inputs, self.needs_input_grad):
            if needed:
                fn = a.grad_fn
                edges.append((a, None) if fn is None else (fn, a._output_nr))
                meta.append((a._data.shape, a._data.dtype))
            else:
                edges.append(None)
                meta.append(None)
        self.next_edges = tuple(edges)
        self.input_meta = tuple(meta)
        if anomaly.enabled:
            self.creation_trace = anomaly.user_stack()

    def _wrap_outputs(self, outputs, single: bool):
        """Wrap forward's arrays as tensors whose ``grad_fn`` is this node."""
        if single:
            outputs = _as_array(outputs)
            if outputs.dtype.kind != "f":  # integer and bool results carry no gradient
                return Tensor._make(outputs)
            return Tensor._make(outputs, True, self, 0)
        non_diff = self._non_differentiable
        wrapped = []
        originals, outputs = outputs, [_as_array(a) for a in outputs]
        for i, (original, array) in enumerate(zip(originals, outputs)):
            differentiable = array.dtype.kind == "f" and id(original) not in non_diff
            wrapped.append(Tensor._make(array, differentiable, self if differentiable else None, i))
        self.output_meta = tuple((a.shape, a.dtype) for a in outputs)
        return tuple(wrapped)

def _as_array(value):
    """A 0-d array for a NumPy scalar (what ufuncs return for 0-d inputs); arrays unchanged."""
    return np.asarray(value) if isinstance(value, np.generic) else value


def _check_version(node, current: int, expected: int, array) -> None:
    if current != expected:
        raise RuntimeError(
            f"one of the tensors needed for gradient computation has been modified by an in-place "
            f"operation: a {array.dtype} tensor of shape {tuple(array.shape)} saved by {node.name()} "
            f"is at version {current}; expected version {expected} instead. Use an out-of-place op "
            "(or .clone() the tensor) before changing it."
        )


def _share_view(out: Tensor, source: Tensor) -> None:
    """Make ``out`` a view of ``source``: one version counter, and the base recorded."""
    out._version_counter = source._ensure_version_counter()
    base = source._base if source._base is not None else source
    out._base = base
    # remembered on the base (weakly), so that an in-place write can rebase every view; the dead
    # references are dropped whenever the list reaches a power of two (amortised O(1) per view)
    views = base._views
    if views is None:
        base._views = [weakref.ref(out)]
        return
    views.append(weakref.ref(out))
    n = len(views)
    if n >= 64 and n & (n - 1) == 0:
        base._views = [ref for ref in views if ref() is not None]


class Op(Node):
    """Base class of the built-in operations: forward on raw arrays, backward on Tensors.

    Subclasses set ``is_view = True`` when forward returns a view of its first input's memory.
    """

    @classmethod
    def apply(cls, *args, **kwargs):
        now = _clock()
        if now >= _blas_policy.next_check:   # every 0.3 s: fit NumPy's BLAS threads to the free cores
            _blas_policy.check(now)
        hook = _thread.autocast_hook
        if hook is not None:
            args = hook(cls, args)
        ctx = _object_new(cls)
        track = False
        values = []
        for a in args:
            if isinstance(a, Tensor):
                values.append(a._data)
                if a._requires_grad:
                    track = True
            else:
                values.append(a)
        if track and _thread.enabled:
            ctx.needs_input_grad = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        else:
            track = False
        if _gpu_arrays_exist:
            values = _same_device(cls, args, values)
        out = cls.forward(ctx, *values, **kwargs)
        single = type(out) is not tuple
        if not track:
            result = _make(_as_array(out)) if single else tuple([_make(_as_array(o)) for o in out])
        else:
            ctx._record(args)
            result = ctx._wrap_outputs(out, single)
            if ctx._saved_raw:
                outs = (out,) if single else out
                ctx._resolve_saved(args, values, outs, (result,) if single else result)
        if ctx.is_view:
            source = args[0]
            for r in (result,) if single else result:
                _share_view(r, source)
        trace = _thread.trace_hook   # set by tinynn.onnx.export while it records the ops (onnx/trace.py)
        if trace is not None:
            trace(cls, args, kwargs, result)
        return result

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError


class Function(Node):
    """PyTorch's custom autograd function.

    Subclass it with static ``forward(ctx, *args)`` (Tensors in, Tensors out, run without
    recording) and ``backward(ctx, *grad_outputs)`` (one gradient per forward input, or None),
    then call ``MyFunction.apply(*args)``.
    """

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = _new_node(cls)
        track = _thread.enabled and any(isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with grad_mode.no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        for o in outs:
            if not isinstance(o, Tensor):
                raise TypeError(f"{cls.__name__}.forward must return Tensors, got {type(o).__name__}")
        arrays = tuple(o._data for o in outs)
        if not track:
            results = tuple(Tensor._make(a) for a in arrays)
            return results[0] if single else results
        ctx._non_differentiable = tuple(
            id(o._data) for o in outs if id(o) in ctx._non_differentiable
        )
        ctx._record(args)
        results = ctx._wrap_outputs(arrays[0], True) if single else ctx._wrap_outputs(arrays, False)
        if ctx._saved_raw:
            ctx._resolve_saved(args, args, outs, (results,) if single else results)
        return results

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "subclasses of Function implement forward(ctx, *args) as a static method"
        )

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "subclasses of Function implement backward(ctx, *grad_outputs) as a static method"
        )


_object_new = object.__new__
_make = Tensor._make


def _same_device(op, args: tuple, values: list) -> list:
    """The op's tensors' arrays, all on one device, or PyTorch's error when CPU and GPU tensors meet.

    As in PyTorch, a 0-dim CPU tensor may meet a GPU tensor (it is moved to the GPU). Only checked
    where CuPy is installed: without it every array is a NumPy array.
    """
    gpu = None
    on_cpu = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if isinstance(a._data, _cupy_ndarray):
                gpu = a._data
            else:
                on_cpu.append(i)
    if gpu is None or not on_cpu:
        return values
    if any(values[i].ndim > 0 for i in on_cpu):
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found at least two devices, "
            f"{backend.device_of(gpu)} and cpu! (in {op.__name__}; move them with .to(device))"
        )
    values = list(values)
    for i in on_cpu:
        values[i] = backend.to_device(values[i], backend.device_of(gpu))
    return values


_gpu_arrays_exist = backend._cupy is not None
_cupy_ndarray = backend._cupy.ndarray if _gpu_arrays_exist else ()



def _new_node(cls):
    return _object_new(cls)
