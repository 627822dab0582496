"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

The switches are per thread, as in PyTorch: two threads training two models, one of them inside
``no_grad``, do not see each other's mode, and every new thread starts with recording on. They live
on ``state``, a ``threading.local`` that the op machinery reads on every call (``state.enabled``).
``state.autocast_hook`` is ``tinynn.amp.autocast``'s per-thread switch (see amp/autocast_mode.py).
"""
from __future__ import annotations

import functools
import threading


class _ThreadState(threading.local):
    """The per-thread switches; the class attributes are what each new thread starts with."""

    enabled = True          # operations record the graph
    inference = False       # inside inference_mode
    autocast_hook = None    # set by tinynn.amp.autocast inside an autocast region of this thread
    trace_hook = None       # set by tinynn.onnx.export while it records this thread's ops


state = _ThreadState()


def is_grad_enabled() -> bool:
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _GradMode:
    """Sets the recording mode on entering and restores it on leaving; also a decorator."""

    mode = True

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        state.enabled = self.prev
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


class inference_mode:
    """``no_grad`` for inference: ``with tinynn.inference_mode():`` or ``@tinynn.inference_mode()``.

    ``inference_mode(mode=True)``; ``inference_mode(False)`` does nothing (a way to switch it off
    with a flag). Also usable as a bare decorator ``@tinynn.inference_mode``.

    Differs from PyTorch on purpose: PyTorch also marks the tensors made inside as "inference
    tensors", which skip version counting and may never enter a graph later. tinynn's tensors are
    cheap to count, so they stay ordinary tensors; a program written for PyTorch behaves the same,
    except that using such a tensor in autograd later works here where PyTorch raises.
    """

    def __new__(cls, mode=True):
        if callable(mode):  # @inference_mode without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __enter__(self):
        self.prev = (state.enabled, state.inference)
        if self.mode:
            state.enabled, state.inference = False, True
        return self

    def __exit__(self, *exc):
        state.enabled, state.inference = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper
