"""Recording a model's forward pass as a list of op calls: the tracer behind ``tinynn.onnx.export``.

Every built-in operation runs through ``Op.apply`` (tinynn/autograd/function.py), which calls
``_thread.trace_hook(op_class, args, kwargs, result)`` while a tracer is installed in the thread.
The tracer keeps each call with the module whose forward was running (forward pre/post hooks),
so an op that cannot be exported is reported with its module's name.

Tensors are known by their raw arrays (``id(tensor._data)``): a custom ``Function`` hands back new
Tensor objects around the arrays its inner ops made, and ops such as ``masked_fill`` pass a mask's
raw array, so the arrays are what connects one call to the next. Every recorded array is kept
alive until the export ends, so that no id is reused.

Two things are recorded beyond ``Op.apply``:

* comparisons and logical operations (``x > 0``, ``a & b``) make bool tensors without an Op (they
  carry no gradient); while tracing, those Tensor methods are wrapped so they are recorded too;
* recurrent layers (``nn.RNN``/``LSTM``/``GRU``) are recorded as one call of the whole module, as
  ONNX has an op for each; the ops inside them are not recorded.
"""
from __future__ import annotations

import contextlib
import dataclasses

from ..autograd.grad_mode import state as _thread
from ..nn.module import Module
from ..tensor import Tensor

# Tensor methods that compute without Op.apply but whose results the graph needs (bool masks)
RECORDED_METHODS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__and__", "__or__",
                    "__xor__", "__invert__", "eq", "ne", "lt", "le", "gt", "ge", "logical_not",
                    "logical_and", "logical_or", "logical_xor", "isnan", "bitwise_not")


@dataclasses.dataclass(frozen=True)
class TensorMethod:
    """The op key of a recorded Tensor method (a comparison or logical operation)."""

    name: str

    @property
    def __name__(self) -> str:  # reads like an op class in messages
        return f"Tensor.{self.name}"


@dataclasses.dataclass(frozen=True)
class ModuleOp:
    """The op key of a module recorded as one call (a recurrent layer)."""

    module_type: type

    @property
    def __name__(self) -> str:
        return self.module_type.__name__


@dataclasses.dataclass
class OpCall:
    """One recorded operation: ``outputs = op(*args, **kwargs)`` inside module ``module_path``."""

    op: object                 # the Op class, a TensorMethod or a ModuleOp
    args: tuple
    kwargs: dict
    outputs: tuple             # raw arrays
    module_path: str           # '' for the model itself
    module: Module | None

    @property
    def op_name(self) -> str:
        return getattr(self.op, "__name__", str(self.op))

    def where(self) -> str:
        """'op Add in module 'encoder.0' (Linear)' for error messages."""
        owner = "the model's own forward" if not self.module_path else f"module '{self.module_path}'"
        kind = f" ({type(self.module).__name__})" if self.module is not None else ""
        return f"op {self.op_name} in {owner}{kind}"


def _recurrent_types() -> tuple:
    from ..nn.recurrent import GRU, LSTM, RNN

    return (RNN, LSTM, GRU)


class Tracer:
    """Collects the op calls of one forward pass (install with ``tracing(model)``)."""

    def __init__(self, model: Module):
        self.calls: list[OpCall] = []
        self.paths = {id(m): name for name, m in model.named_modules()}
        self.stack: list[Module] = []
        self.whole_module: Module | None = None   # a module recorded as one call, while it runs
        self.module_types = _recurrent_types()

    def __call__(self, op, args, kwargs, result) -> None:
        if self.whole_module is not None:
            return
        outputs = result if isinstance(result, tuple) else (result,)
        module = self.stack[-1] if self.stack else None
        self.calls.append(OpCall(op, tuple(args), dict(kwargs), tuple(_array_of(o) for o in outputs),
                                 self.paths.get(id(module), ""), module))

    def enter(self, module, args, kwargs):
        self.stack.append(module)
        if self.whole_module is None:
            _check_supported(module, args, self.paths.get(id(module), ""))
        if self.whole_module is None and isinstance(module, self.module_types):
            self.whole_module = module

    def leave(self, module, args, kwargs, output):
        self.stack.pop()
        if self.whole_module is module:
            self.whole_module = None
            outputs = tuple(t for t in flatten(output) if isinstance(t, Tensor))
            call_args = (args[0],) + tuple(flatten(args[1:] + tuple(kwargs.values())))
            self.calls.append(OpCall(ModuleOp(type(module)), call_args, {}, tuple(o._data for o in outputs),
                                     self.paths.get(id(module), ""), module))


def _check_supported(module, args, path: str) -> None:
    """Refuse early, with the reason, what the converters cannot express (adaptive max pooling over
    windows of varying size: its argmax is computed outside the ops)."""
    from ..nn.pooling import AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d
    from .builder import ExportError

    if isinstance(module, (AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d)) and args:
        dims = {AdaptiveMaxPool1d: 1, AdaptiveMaxPool2d: 2, AdaptiveMaxPool3d: 3}[type(module)]
        size = args[0].shape[-dims:]
        out = module.output_size if isinstance(module.output_size, (tuple, list)) else (module.output_size,) * dims
        if any(o is not None and n % o for n, o in zip(size, out)):
            raise ExportError(f"module '{path}' ({type(module).__name__}): adaptive max pooling of size {tuple(size)} "
                              f"to {tuple(out)} uses windows of varying size, which is not exported; only output "
                              "sizes that divide the input size (then it is a MaxPool)")


def _array_of(value):
    return value._data if isinstance(value, Tensor) else value


def flatten(value) -> list:
    """The tensors (and Nones) of nested tuples, lists and dicts, in order."""
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in flatten(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in flatten(item)]
    return [value]


def _recording_method(name: str, method):
    key = TensorMethod(name)

    def recorded(*args, **kwargs):
        out = method(*args, **kwargs)
        hook = _thread.trace_hook
        if hook is not None and isinstance(out, Tensor):
            hook(key, args, kwargs, out)
        return out

    recorded.__name__ = name
    return recorded


@contextlib.contextmanager
def tracing(model: Module):
    """Install a Tracer for this thread (ops, Tensor comparisons, module hooks); yield it."""
    tracer = Tracer(model)
    handles = []
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(tracer.enter, with_kwargs=True))
        handles.append(module.register_forward_hook(tracer.leave, with_kwargs=True))
    originals = {name: Tensor.__dict__[name] for name in RECORDED_METHODS if name in Tensor.__dict__}
    for name, method in originals.items():
        setattr(Tensor, name, _recording_method(name, method))
    previous, _thread.trace_hook = _thread.trace_hook, tracer
    try:
        yield tracer
    finally:
        _thread.trace_hook = previous
        for name, method in originals.items():
            setattr(Tensor, name, method)
        for handle in handles:
            handle.remove()


@dataclasses.dataclass
class Recording:
    """One traced run: the calls, the model's flattened input and output arrays."""

    calls: list
    inputs: list       # raw arrays of the graph inputs, in order
    outputs: list      # raw arrays of the outputs (Nones dropped), in order


def record(model: Module, args: tuple, kwargs: dict) -> Recording:
    """Run ``model(*args, **kwargs)`` once without gradients, recording every op."""
    from ..autograd.grad_mode import no_grad

    with tracing(model) as tracer, no_grad():
        output = model(*args, **kwargs)
    leaves = flatten(output)
    for leaf in leaves:
        if leaf is not None and not isinstance(leaf, Tensor):
            raise TypeError(f"tinynn.onnx.export: the model returned a {type(leaf).__name__}; outputs should be "
                            "Tensors (or tuples, lists and dicts of them)")
    inputs = [t._data for t in flatten(args) + flatten(kwargs) if isinstance(t, Tensor)]
    return Recording(tracer.calls, inputs, [t._data for t in leaves if t is not None])
