"""tinynn.autograd: the graph, backward, higher derivatives, custom Functions and gradient checks."""
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function, Op
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from . import functional

__all__ = [
    "Function", "Op", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
    "gradcheck", "gradgradcheck", "GradcheckError", "functional",
]
