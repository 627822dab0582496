"""Anomaly detection: stop backward at the first op that produces a NaN or infinite gradient.

Inside ``with tinynn.autograd.detect_anomaly():`` every op records where in user code it was
created, and the engine checks each gradient it computes; the error names the op and that place.
"""
from __future__ import annotations

from .grad_mode import ModeSwitch, SetAtOnce

enabled = False


class detect_anomaly(ModeSwitch):
    """Context manager (and decorator) turning anomaly detection on."""

    def __init__(self, check_nan: bool = True):
        self.mode = self.check_nan = check_nan

    def current(self) -> bool:
        return enabled

    def apply(self, setting: bool) -> None:
        global enabled
        enabled = setting

    def again(self):
        return detect_anomaly(self.mode)


class set_detect_anomaly(SetAtOnce, detect_anomaly):
    """``set_detect_anomaly(True)`` as a function call or a context manager."""


def user_stack(limit: int = 8) -> str:
    """The innermost frames of the current stack outside tinynn itself, formatted for a report."""
    import os
    import traceback

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = [f for f in traceback.extract_stack() if not os.path.abspath(f.filename).startswith(package)]
    return "".join(traceback.format_list(frames[-limit:]))


def is_anomaly_enabled() -> bool:
    return enabled


def check_gradient(node, index: int, grad) -> None:
    """Raise if ``grad`` (the gradient ``node`` computed for its input ``index``) is not finite."""
    from ..backend import array_module_of

    data = grad._data
    xp = array_module_of(data)
    if bool(xp.isfinite(data).all()):
        return
    what = "nan" if bool(xp.isnan(data).any()) else "inf"
    where = node.creation_trace or "  (the op was created outside detect_anomaly: its origin is unknown)\n"
    raise RuntimeError(
        f"Function '{node.name()}' returned {what} values in its gradient for input {index}.\n"
        f"The op was created here (most recent call last):\n{where}"
    )
