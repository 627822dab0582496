"""``torch.onnx``: exporting a model as a standard ONNX graph.

``export`` is not built yet: it is the deployment issue's work (lesson 25). Until then calling it
raises an error that says so, and ``is_in_onnx_export()`` is False, so programs that only import
``torch.onnx`` or check whether an export is running work unchanged.
"""
from __future__ import annotations

__all__ = ["export", "is_in_onnx_export"]


def is_in_onnx_export() -> bool:
    """Whether an ONNX export is tracing the model right now (never, in tinynn for now)."""
    return False


def export(model, args, f=None, *rest, **kwargs):
    raise NotImplementedError(
        "tinynn.onnx.export: exporting to ONNX is not implemented in tinynn yet; save the weights with "
        "tinynn.save(model.state_dict(), path) and load them into the same model in PyTorch to export there")
