"""``torch.onnx``: exporting a model as a standard ONNX graph.

``export(model, args, "model.onnx")`` runs the model on ``args`` while recording every op
(trace.py), writes each op as standard ONNX nodes (convert_*.py), checks the model with
``onnx.checker`` and writes the file. ONNX Runtime, or any other ONNX runtime, can then run it
without tinynn. ``describe(path)`` prints a saved graph as a table of ops.

As in PyTorch's tracing exporter, Python control flow is frozen at the path the example inputs
took, and sizes are fixed unless ``dynamic_axes`` names them. The model is traced twice: a second
run on changed inputs (values flipped, dynamic axes grown) shows which sizes follow the dynamic
axes, and catches tensors computed outside the ops (they would silently become constants).
Needs the ``onnx`` package: ``pip install -e ".[onnx]"`` (``onnxruntime`` to run the result).
"""
from __future__ import annotations

import enum
import inspect
import io
import os
import tempfile
import warnings

import numpy as np

from .builder import ExportError
from .describe import describe, format_graph

__all__ = ["ExportError", "TrainingMode", "describe", "export", "is_in_onnx_export"]

DEFAULT_OPSET = 17
_MIN_OPSET = 13
_exporting = 0


class TrainingMode(enum.IntEnum):
    """PyTorch's ``torch.onnx.TrainingMode`` (deprecated there: set the mode with model.eval() instead)."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


def is_in_onnx_export() -> bool:
    """Whether ``tinynn.onnx.export`` is tracing a model right now."""
    return _exporting > 0


_UNSUPPORTED = {   # PyTorch's options that have no meaning here, and why
    "dynamic_shapes": "tinynn traces with dynamic_axes (dict of input/output name -> axes)",
    "custom_translation_table": "converters are registered in tinynn/onnx/convert_*.py",
    "custom_opsets": "only the default ONNX domain is written",
    "report": "there is no export report",
    "profile": "there is no export profiler",
    "dump_exported_program": "there is no torch.export ExportedProgram in tinynn",
    "export_modules_as_functions": "modules are always inlined",
}


def export(model, args=(), f=None, *, kwargs=None, verbose=None, input_names=None, output_names=None,
           opset_version=None, dynamic_axes=None, do_constant_folding: bool = True, export_params: bool = True,
           keep_initializers_as_inputs: bool = False, training=None, operator_export_type=None,
           dynamo: bool = True, external_data: bool = True, optimize: bool = True, verify: bool = False,
           artifacts_dir=".", autograd_inlining: bool = True, **unsupported):
    """Export ``model`` to ONNX by running it once on ``args``; PyTorch's ``torch.onnx.export``.

    args: a Tensor or a tuple of positional arguments, optionally ending in a dict of keyword
        arguments (PyTorch's convention); ``kwargs`` is the newer spelling of that dict. Tensors
        become graph inputs in order; other values are frozen into the graph.
    f: a path or a binary file object; None returns the ``onnx.ModelProto`` without writing.
    input_names, output_names: names of the graph's inputs and outputs, in order.
    dynamic_axes: {name: [axis, ...] or {axis: "axis_name"}}: sizes known only at run time.
    opset_version: the ONNX opset (default 17, at least 13). do_constant_folding: ops on
        parameters and constants only are computed now and stored as initializers.
    export_params: False makes the parameters graph inputs instead of initializers;
    keep_initializers_as_inputs: also list the initializers as inputs.
    verbose: print the graph (op, inputs -> outputs, attributes, shapes).
    verify: run the file in ONNX Runtime and compare with tinynn's outputs (1e-5).
    The model is exported in its current mode (call ``model.eval()`` first: a model in training
    mode exports with a warning). ``training`` (deprecated in PyTorch) sets the mode for the export.
    ``dynamo``, ``optimize``, ``external_data``, ``artifacts_dir``, ``autograd_inlining`` are
    accepted and have no effect (weights are stored in the file).
    """
    for name, value in unsupported.items():
        if name not in _UNSUPPORTED:
            raise TypeError(f"export() got an unexpected keyword argument {name!r}")
        if value not in (None, False, {}, ()):
            raise ValueError(f"tinynn.onnx.export: {name} is not supported ({_UNSUPPORTED[name]})")
    if operator_export_type not in (None, "ONNX", 0) and getattr(operator_export_type, "name", None) != "ONNX":
        raise ValueError(f"tinynn.onnx.export: operator_export_type={operator_export_type!r}; only ONNX is supported")
    onnx = _require("onnx")
    opset = _check_opset(onnx, DEFAULT_OPSET if opset_version is None else opset_version)
    args, kwargs = _split_args(args, kwargs)
    from ..nn.module import Module

    if not isinstance(model, Module):
        raise TypeError(f"tinynn.onnx.export: expected a tinynn.nn.Module, got {type(model).__name__}")
    with _mode(model, training):
        proto = _export_proto(model, args, kwargs, input_names, output_names, dynamic_axes or {}, opset,
                              do_constant_folding, export_params, keep_initializers_as_inputs)
    onnx.checker.check_model(proto)
    if verbose:
        print(format_graph(proto))
    if f is None:
        return proto
    _write(proto.SerializeToString(), f)
    if verify:
        from .verify import verify_against_runtime

        verify_against_runtime(model, args, kwargs, proto)
    return None


def _export_proto(model, args, kwargs, input_names, output_names, dynamic_axes, opset, fold, export_params,
                  keep_initializers_as_inputs):
    from .graph import build_model
    from .trace import record

    global _exporting
    tensors = _input_tensors(args, kwargs)
    names = _input_names(model, args, kwargs, tensors, input_names)
    _exporting += 1
    try:
        rec = record(model, args, kwargs)
        out_names = _output_names(output_names, len(rec.outputs))
        axes = _normalize_axes(dynamic_axes, names, out_names)
        args2, kwargs2 = _second_inputs(args, kwargs, names, axes)
        rec2 = record(model, args2, kwargs2)
    finally:
        _exporting -= 1
    return build_model(model, rec, rec2, input_names=names, output_names=out_names, dynamic_axes=axes, opset=opset,
                       fold=fold, export_params=export_params, keep_initializers_as_inputs=keep_initializers_as_inputs)


# ---------------------------------------------------------------------------- arguments
def _require(name: str):
    try:
        return __import__(name)
    except ImportError:
        raise ImportError(f"tinynn.onnx needs the '{name}' package: pip install -e \".[onnx]\" "
                          f"(or pip install {name})") from None


def _check_opset(onnx, opset) -> int:
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) or not _MIN_OPSET <= opset <= newest:
        raise ValueError(f"tinynn.onnx.export: opset_version should be an int from {_MIN_OPSET} to {newest} "
                         f"(this onnx package's newest), got {opset!r}")
    return int(opset)


def _split_args(args, kwargs):
    """PyTorch's rules: a lone Tensor is (tensor,); a trailing dict in the tuple holds keyword arguments."""
    from ..tensor import Tensor

    if isinstance(args, Tensor):
        args = (args,)
    elif isinstance(args, list):
        args = tuple(args)
    elif not isinstance(args, tuple):
        raise TypeError(f"tinynn.onnx.export: args should be a Tensor or a tuple of arguments, got {type(args).__name__}")
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):
        kwargs = {**args[-1], **kwargs}
        args = args[:-1]
    return args, kwargs


def _input_tensors(args, kwargs) -> list:
    from ..tensor import Tensor
    from .trace import flatten

    return [t for t in flatten(args) + flatten(kwargs) if isinstance(t, Tensor)]


def _input_names(model, args, kwargs, tensors, given) -> list:
    """Given names first; then forward's parameter names (x, idx, ...), or input_<k>."""
    if given is not None and len(given) > len(tensors):
        raise ValueError(f"tinynn.onnx.export: {len(given)} input_names for {len(tensors)} input tensors")
    try:
        params = [p for p in inspect.signature(model.forward).parameters if p not in ("self", "args", "kwargs")]
    except (TypeError, ValueError):
        params = []
    from ..tensor import Tensor

    guessed = [params[i] if i < len(params) else f"input_{i}" for i, a in enumerate(args) if isinstance(a, Tensor)]
    guessed += [k for k, v in kwargs.items() if isinstance(v, Tensor)]
    if len(guessed) != len(tensors) or len(set(guessed)) != len(guessed):
        guessed = [f"input_{i}" for i in range(len(tensors))]
    names = list(given or []) + guessed[len(given or []):]
    if len(set(names)) != len(names):
        raise ValueError(f"tinynn.onnx.export: input names must be distinct, got {names}")
    return names


def _output_names(given, count: int) -> list:
    if given is not None and len(given) > count:
        raise ValueError(f"tinynn.onnx.export: {len(given)} output_names for {count} outputs")
    names = list(given or []) + [f"output_{i}" for i in range(len(given or []), count)]
    if len(set(names)) != len(names):
        raise ValueError(f"tinynn.onnx.export: output names must be distinct, got {names}")
    return names


def _normalize_axes(dynamic_axes, inputs: list, outputs) -> dict:
    """{name: {axis: axis_name}}; a list of axes gets PyTorch's names '<name>_dynamic_axes_<k>'."""
    if not isinstance(dynamic_axes, dict):
        raise TypeError(f"tinynn.onnx.export: dynamic_axes should be a dict, got {type(dynamic_axes).__name__}")
    known = set(inputs) | set(outputs)
    axes = {}
    for name, spec in dynamic_axes.items():
        if name not in known:
            raise ValueError(f"tinynn.onnx.export: dynamic_axes names {name!r}, which is neither an input nor an "
                             f"output name ({sorted(known)}); name it in input_names or output_names")
        if isinstance(spec, dict):
            axes[name] = {int(k): str(v) for k, v in spec.items()}
        elif isinstance(spec, (list, tuple)):
            axes[name] = {int(k): f"{name}_dynamic_axes_{i + 1}" for i, k in enumerate(spec)}
        else:
            raise TypeError(f"tinynn.onnx.export: dynamic_axes[{name!r}] should be a list of axes or a dict "
                            f"{{axis: name}}, got {type(spec).__name__}")
    return axes


def _second_inputs(args, kwargs, names: list, axes: dict):
    """The inputs of the second trace: values flipped; each dynamic axis grown (axis name k: by k + 1)."""
    from ..tensor import Tensor

    growth, counter = {}, iter(range(1, 10 ** 6))
    it = iter(names)
    changed = {}   # id(tensor) -> its changed twin: a tensor passed twice stays one tensor (x is y checks)

    def change(value):
        if not isinstance(value, Tensor):
            return value
        name = next(it)
        if id(value) in changed:
            return changed[id(value)]
        array = value._data
        for axis, axis_name in sorted(axes.get(name, {}).items()):
            if not -array.ndim <= axis < array.ndim:
                raise ValueError(f"tinynn.onnx.export: dynamic axis {axis} of input {name!r} is out of range for its "
                                 f"{array.ndim} dims")
            n = array.shape[axis]
            if axis_name not in growth:
                growth[axis_name] = next(counter)
            array = np.take(array, np.arange(n + growth[axis_name]) % n, axis=axis)
        changed[id(value)] = Tensor._make(np.ascontiguousarray(np.flip(array)), value.requires_grad)
        return changed[id(value)]

    def walk(value):
        if isinstance(value, (tuple, list)):
            return type(value)(walk(v) for v in value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return change(value)

    return walk(args), walk(kwargs)


class _mode:
    """Export in the model's current mode (a warning in training mode), or as ``training`` says."""

    def __init__(self, model, training):
        self.model, self.training = model, training

    def __enter__(self):
        self.was = self.model.training
        if self.training is not None:
            warnings.warn("tinynn.onnx.export: 'training' is deprecated (as in PyTorch); call model.eval() or "
                          "model.train() before exporting", DeprecationWarning, stacklevel=3)
            if int(self.training) == TrainingMode.EVAL:
                self.model.eval()
            elif int(self.training) == TrainingMode.TRAINING:
                self.model.train()
        if self.model.training:
            warnings.warn("tinynn.onnx.export: the model is in training mode (dropout, batch statistics); the graph "
                          "records that mode. Call model.eval() before exporting for inference", UserWarning,
                          stacklevel=3)
        return self

    def __exit__(self, *exc):
        self.model.train(self.was)
        return False


def _write(data: bytes, f) -> None:
    """To a path atomically (a temporary file beside it, then os.replace), or into a binary file object."""
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".onnx", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        return
    if isinstance(f, io.TextIOBase) or not hasattr(f, "write"):
        raise TypeError(f"tinynn.onnx.export: f should be a path or a binary file object, got {type(f).__name__}")
    f.write(data)
