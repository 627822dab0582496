"""Running an exported model in ONNX Runtime and comparing it with tinynn (``export(..., verify=True)``)."""
from __future__ import annotations

import numpy as np

from .trace import flatten


def run_onnx(proto_or_path, inputs: dict) -> list:
    """The outputs of ONNX Runtime (CPU) for ``inputs`` ({name: array})."""
    try:
        import onnxruntime
    except ImportError:
        raise ImportError("verify=True needs onnxruntime: pip install onnxruntime") from None
    source = proto_or_path.SerializeToString() if hasattr(proto_or_path, "SerializeToString") else proto_or_path
    session = onnxruntime.InferenceSession(source, providers=["CPUExecutionProvider"])
    return session.run(None, inputs)


def max_difference(expected, got) -> float:
    """The largest |a - b|, relative to |a| where |a| > 1 (so large values are compared by their digits)."""
    expected, got = np.asarray(expected, dtype=np.float64), np.asarray(got, dtype=np.float64)
    if expected.shape != got.shape:
        raise AssertionError(f"shapes differ: tinynn {expected.shape}, ONNX Runtime {got.shape}")
    if expected.size == 0:
        return 0.0
    both_inf = np.isinf(expected) & (expected == got)
    diff = np.abs(expected - got) / np.maximum(np.abs(expected), 1.0)
    return float(np.max(np.where(both_inf, 0.0, diff)))


def verify_against_runtime(model, args, kwargs, proto, tolerance: float = 1e-5) -> float:
    """Run the model in tinynn and the graph in ONNX Runtime on the same inputs; raise if they differ."""
    from ..autograd.grad_mode import no_grad
    from ..tensor import Tensor

    with no_grad():
        expected = [t._data for t in flatten(model(*args, **kwargs)) if isinstance(t, Tensor)]
    tensors = [t for t in flatten(args) + flatten(kwargs) if isinstance(t, Tensor)]
    names = [i.name for i in proto.graph.input][:len(tensors)]
    got = run_onnx(proto, {n: t._data for n, t in zip(names, tensors)})
    worst = max((max_difference(a, b) for a, b in zip(expected, got)), default=0.0)
    if worst > tolerance:
        raise AssertionError(f"tinynn.onnx.export(verify=True): ONNX Runtime differs from tinynn by {worst:.3g} "
                             f"(tolerance {tolerance:g})")
    return worst
