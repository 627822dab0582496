"""Shared helpers of the ONNX export tests: export a model, run it in ONNX Runtime, compare with tinynn.

``assert_exports(label, model, args, ...)`` exports ``model`` on ``args`` (to bytes, through a file
object), runs the graph in ONNX Runtime (CPU) on ``args`` and on each of ``more`` (other inputs,
e.g. another batch size for the dynamic axes) and asserts every output within ``TOLERANCE`` (max
abs difference, relative where |value| > 1). The largest difference is kept in ``DIFFERENCES`` under
``label``; the conftest prints that table at the end of the run.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

import tinynn  # noqa: E402
from tinynn.onnx.trace import flatten  # noqa: E402
from tinynn.onnx.verify import max_difference  # noqa: E402

TOLERANCE = 1e-5
DIFFERENCES: dict = {}


def tinynn_outputs(model, args) -> list:
    kwargs = args[-1] if args and isinstance(args[-1], dict) else {}
    with tinynn.no_grad():
        out = model(*args[:len(args) - isinstance(args[-1:] and args[-1], dict)], **kwargs)
    return [t.numpy() for t in flatten(out) if isinstance(t, tinynn.Tensor)]


def run_runtime(data: bytes, names, args) -> list:
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    tensors = [t for t in flatten(args) if isinstance(t, tinynn.Tensor)]
    return session.run(None, {n: t.numpy() for n, t in zip(names, tensors)})


def export_bytes(model, args, **options) -> bytes:
    buffer = io.BytesIO()
    tinynn.onnx.export(model, args, buffer, **options)
    return buffer.getvalue()


def assert_exports(label: str, model, args, more=(), tolerance: float = TOLERANCE, **options):
    """Export, run in ONNX Runtime on args and on each of ``more``, compare; return the model proto."""
    args = args if isinstance(args, tuple) else (args,)
    data = export_bytes(model, args, **options)
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto)
    names = [i.name for i in proto.graph.input]
    worst = 0.0
    for inputs in (args,) + tuple(m if isinstance(m, tuple) else (m,) for m in more):
        expected = tinynn_outputs(model, inputs)
        got = run_runtime(data, names, inputs)
        assert len(got) == len(expected), f"{label}: {len(got)} outputs from ONNX Runtime, {len(expected)} from tinynn"
        for a, b in zip(expected, got):
            assert a.shape == b.shape, f"{label}: shape {b.shape} from ONNX Runtime, {a.shape} from tinynn"
            worst = max(worst, max_difference(a, b))
    assert worst <= tolerance, f"{label}: ONNX Runtime differs from tinynn by {worst:.3g}"
    DIFFERENCES[label] = max(worst, DIFFERENCES.get(label, 0.0))
    return proto


def randn(*shape, seed: int = 0):
    return tinynn.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))
