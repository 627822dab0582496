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


class ModeSwitch:
    """A mode set on entering a ``with`` block and restored on leaving it; also a decorator.

    Every switch (``no_grad``, ``inference_mode``, ``detect_anomaly``, ...) is this pattern: a
    subclass says how to read its mode (``current``), how to set it (``apply``), what entering sets
    (``target``) and how to make a fresh switch for each call of a decorated function (``again``).
    """

    def current(self):
        raise NotImplementedError

    def apply(self, setting) -> None:
        raise NotImplementedError

    def target(self):
        return self.mode

    def again(self) -> "ModeSwitch":
        raise NotImplementedError

    def __enter__(self):
        self.prev = self.current()
        self.apply(self.target())
        return self

    def __exit__(self, *exc):
        self.apply(self.prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.again():
                return fn(*args, **kwargs)

        return wrapper


class SetAtOnce(ModeSwitch):
    """The ``set_*`` form of a switch: the call itself sets the mode (``set_grad_enabled(False)``);
    as a ``with`` block it restores the mode before the call on leaving; as a decorator it undoes the
    call and sets the mode only while the function runs."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        super().__enter__()

    def __enter__(self):
        return self

    def __call__(self, fn):
        self.__exit__()
        return super().__call__(fn)


class _GradMode(ModeSwitch):
    """Sets the recording mode (``state.enabled``) on entering and restores it on leaving."""

    mode = True

    def current(self) -> bool:
        return state.enabled

    def apply(self, setting: bool) -> None:
        state.enabled = setting

    def again(self):
        return set_grad_enabled(self.mode)


class no_grad(_GradMode):
    """Operations inside record no graph: ``with tinynn.no_grad(): ...`` or ``@tinynn.no_grad()``."""

    mode = False


class enable_grad(_GradMode):
    """Turn recording back on inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(SetAtOnce, _GradMode):
    """Turn recording on or off: as a function call (effective at once), a context manager or a decorator."""


class inference_mode(ModeSwitch):
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

    def current(self) -> tuple:
        return state.enabled, state.inference

    def apply(self, setting: tuple) -> None:
        state.enabled, state.inference = setting

    def target(self) -> tuple:
        return (False, True) if self.mode else self.prev

    def again(self):
        return inference_mode(self.mode)
