"""tinynn.autograd: the graph, backward, higher derivatives, custom Functions and gradient checks."""
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function, Op
from .grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from . import functional


def Variable(data, requires_grad: bool = False, volatile: bool = False):  # noqa: N802 (PyTorch's name)
    """The pre-0.4 wrapper ``torch.autograd.Variable(t, requires_grad=...)``: since PyTorch 0.4 (and
    always in tinynn) every tensor is a Variable, so this returns ``data`` with ``requires_grad`` set."""
    if requires_grad:
        data.requires_grad_(True)
    return data

__all__ = [
    "Function", "Op", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "inference_mode", "is_inference_mode_enabled", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
    "gradcheck", "gradgradcheck", "GradcheckError", "functional", "Variable",
]
