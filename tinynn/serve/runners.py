"""What runs the model behind the service: a tinynn Module, or an ONNX file in ONNX Runtime.

Both take a batch ``(N, *input_shape)`` as a NumPy array and return the model's outputs as
``[(name, array (N, ...)), ...]``; the first is the answer. A tinynn model that returns a tuple
(GPT returns ``(logits, loss)``) gives its tensors in order, named "0", "1", ...; ``None`` items
(the loss without targets) are left out.

Thread safety: a tinynn Module is not written to be called from several threads at once (a layer
may keep state between calls), so ``ModuleRunner`` holds a lock around each call: requests are
checked in parallel and run one at a time. An ONNX Runtime ``InferenceSession.run`` is safe to
call concurrently (ONNX Runtime documents it), so ``OnnxRunner`` takes no lock.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import threading

import numpy as np

_ONNX_TYPES = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
               "tensor(int64)": "int64", "tensor(int32)": "int32", "tensor(int16)": "int16",
               "tensor(int8)": "int8", "tensor(uint8)": "uint8"}


def require_extra(module: str, extra: str):
    """Import an optional dependency, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"tinynn.serve needs the {module} package, which is not installed: "
                          f'pip install -e ".[{extra}]" (from a tinynn checkout) or '
                          f'pip install "tinynn-edu[{extra}]"') from err


class ModuleRunner:
    """A tinynn Module, called in eval mode under ``no_grad`` and a lock."""

    kind = "tinynn"

    def __init__(self, model, checkpoint: dict | None = None):
        import tinynn

        self.tinynn, self.model, self.checkpoint = tinynn, model.eval(), checkpoint
        self.name = type(model).__qualname__
        self.lock = threading.Lock()
        first = next(iter(model.parameters()), None)
        self.device = None if first is None else first.device
        saved = (checkpoint or {}).get("input") or {}
        shape = saved.get("shape")
        if shape is not None and not (type(shape) is list and all(s is None or (type(s) is int and s > 0)
                                                                   for s in shape)):
            raise ValueError(f"tinynn.serve: the checkpoint records an invalid input shape {shape!r:.60}")
        self.input_shape = None if shape is None else tuple(shape)
        floating = next((p.dtype for p in model.parameters() if p.is_floating_point()), None)
        self.input_dtype = saved.get("dtype") or (str(floating) if floating is not None else "float32")

    def run(self, batch: np.ndarray) -> list[tuple[str, np.ndarray]]:
        x = self.tinynn.from_numpy(batch)
        if self.device is not None:
            x = x.to(self.device)
        with self.lock, self.tinynn.no_grad():
            result = self.model(x)
        items = result if isinstance(result, (tuple, list)) else [result]
        outputs = [(str(i), item.detach().cpu().numpy()) for i, item in enumerate(items)
                   if isinstance(item, self.tinynn.Tensor)]
        if not outputs:
            raise TypeError(f"{self.name} returned a {type(result).__name__}; tinynn.serve expects a tensor, or a "
                            "tuple or list holding tensors")
        return outputs

    def describe(self) -> dict:
        if self.checkpoint is None:
            module = type(self.model).__module__
            return {"model_class": {"module": module, "qualname": self.name}}
        return {"checkpoint": self.checkpoint}


class OnnxRunner:
    """An ONNX file in an ONNX Runtime session on the CPU; its single input's first dimension is the batch."""

    kind = "onnx"

    def __init__(self, path: str):
        ort = require_extra("onnxruntime", "onnx")
        self.path = path
        with open(path, "rb") as handle:
            self.sha256 = hashlib.sha256(handle.read()).hexdigest()
        try:
            self.session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        except Exception as err:  # ONNX Runtime raises its own exception types for an unreadable model
            raise ValueError(f"tinynn.serve: {path} is neither a tinynn deployment checkpoint (tinynn.deploy.save) "
                             f"nor an ONNX model ONNX Runtime can load: {err}") from err
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ValueError(f"tinynn.serve: {path} has {len(inputs)} inputs "
                             f"({', '.join(i.name for i in inputs)}); the service feeds models with one input")
        self.input = inputs[0]
        if self.input.type not in _ONNX_TYPES:
            raise ValueError(f"tinynn.serve: {path}'s input {self.input.name!r} has type {self.input.type}; the "
                             f"service feeds {', '.join(_ONNX_TYPES)}")
        shape = list(self.input.shape)
        if not shape:
            raise ValueError(f"tinynn.serve: {path}'s input {self.input.name!r} is a scalar; the service needs a "
                             "first (batch) dimension")
        self.fixed_batch = shape[0] if isinstance(shape[0], int) else None
        if self.fixed_batch not in (None, 1):
            raise ValueError(f"tinynn.serve: {path}'s batch dimension is fixed at {shape[0]}; export it with a "
                             "dynamic batch (dynamic_axes={name: {0: 'batch'}}) or a batch of 1")
        self.input_shape = tuple(size if isinstance(size, int) and size > 0 else None for size in shape[1:])
        self.input_dtype = _ONNX_TYPES[self.input.type]
        graph_name = self.session.get_modelmeta().graph_name
        self.name = graph_name or os.path.basename(path)

    def run(self, batch: np.ndarray) -> list[tuple[str, np.ndarray]]:
        names = [output.name for output in self.session.get_outputs()]
        if self.fixed_batch == 1 and len(batch) > 1:  # a batch-1 model: one example at a time
            parts = [self.session.run(names, {self.input.name: batch[i:i + 1]}) for i in range(len(batch))]
            return [(name, np.concatenate([part[k] for part in parts])) for k, name in enumerate(names)]
        return list(zip(names, self.session.run(names, {self.input.name: batch})))

    def describe(self) -> dict:
        def tensors(items):
            return [{"name": t.name, "shape": list(t.shape), "type": t.type} for t in items]

        meta = self.session.get_modelmeta()
        onnx_info = {"file": os.path.basename(self.path), "sha256": self.sha256,
                     "inputs": tensors(self.session.get_inputs()), "outputs": tensors(self.session.get_outputs()),
                     "producer": meta.producer_name, "graph_name": meta.graph_name,
                     "metadata_props": dict(meta.custom_metadata_map)}
        try:
            import onnx
        except ImportError:  # the opsets are in the protobuf, which ONNX Runtime does not expose
            onnx_info["opset"] = None
        else:
            proto = onnx.load(self.path, load_external_data=False)
            onnx_info["opset"] = [{"domain": o.domain or "ai.onnx", "version": o.version} for o in proto.opset_import]
            onnx_info["ir_version"] = proto.ir_version
        return {"onnx": onnx_info}


def open_model(model_or_path, model_class=None, trust_model_class: bool = False):
    """A runner for a tinynn Module, a deployment checkpoint (tinynn.deploy) or an ONNX file."""
    import tinynn

    if isinstance(model_or_path, tinynn.nn.Module):
        return ModuleRunner(model_or_path)
    path = os.fspath(model_or_path)
    with open(path, "rb") as handle:  # FileNotFoundError names the path
        magic = handle.read(4)
    if magic == b"PK\x03\x04":  # a zip archive: what tinynn.save writes
        model = tinynn.deploy.load(path, model_class=model_class, trust_model_class=trust_model_class)
        return ModuleRunner(model, tinynn.deploy.metadata(path))
    return OnnxRunner(path)
