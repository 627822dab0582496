"""Anomaly detection: stop backward at the first op that produces a NaN or infinite gradient.

Inside ``with tinynn.autograd.detect_anomaly():`` every op records where in user code it was
created, and the engine checks each gradient it computes; the error names the op and that place.
"""
from __future__ import annotations

enabled = False


class detect_anomaly:
    """Context manager (and decorator) turning anomaly detection on."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        global enabled
        self.prev = enabled
        enabled = self.check_nan
        return self

    def __exit__(self, *exc):
        global enabled
        enabled = self.prev
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly(detect_anomaly):
    """``set_detect_anomaly(True)`` as a function call or a context manager."""

    def __init__(self, mode: bool):
        global enabled
        super().__init__(mode)
        self.prev = enabled
        enabled = bool(mode)


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
