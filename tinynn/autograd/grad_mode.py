"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

One module-level flag (not thread-local: tinynn runs a training loop in one thread). The op
machinery reads ``grad_mode.enabled`` on every call, so it is a plain attribute.
"""
from __future__ import annotations

import functools

enabled = True


def is_grad_enabled() -> bool:
    return enabled


class _GradMode:
    """Sets the recording mode on entering and restores it on leaving; also a decorator."""

    mode = True

    def __enter__(self):
        global enabled
        self.prev = enabled
        enabled = self.mode
        return self

    def __exit__(self, *exc):
        global enabled
        enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Operations inside record no graph: ``with tinynn.no_grad(): ...`` or ``@tinynn.no_grad()``."""

    mode = False


class enable_grad(_GradMode):
    """Turn recording back on inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn recording on or off: as a function call (effective at once), a context manager or a decorator."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        super().__enter__()  # the function-call form takes effect immediately

    def __enter__(self):
        return self

    def __call__(self, fn):
        super().__exit__()  # used as a decorator: the constructor must not have changed the mode
        return super().__call__(fn)
