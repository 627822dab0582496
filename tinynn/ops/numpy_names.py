"""NumPy's keyword names, accepted where PyTorch accepts them: ``axis`` for ``dim``, ``keepdims`` for ``keepdim``.

PyTorch's argument parser lets every built-in function and Tensor method that takes ``dim`` (or
``keepdim``) be called with NumPy's name instead: ``x.sum(axis=0)``, ``torch.argmax(x, axis=1,
keepdims=True)``. Programs written by NumPy users rely on it. tinynn's ops are written with
PyTorch's names only; ``accept_numpy_names`` wraps, once at import, each public op function whose
signature has ``dim`` or ``keepdim`` so that the NumPy names are renamed before the call. (Python
functions such as ``tinynn.nn.functional.softmax`` are not wrapped: PyTorch's are plain Python
functions that do not accept them either.)
"""
from __future__ import annotations

import functools
import inspect

_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))


def _with_numpy_names(fn, name: str):
    @functools.wraps(fn)
    def call(*args, **kwargs):
        if kwargs and ("axis" in kwargs or "keepdims" in kwargs):
            for numpy_name, torch_name in _ALIASES:
                if numpy_name in kwargs:
                    if torch_name in kwargs:
                        raise TypeError(f"{name}() got both {torch_name}= and its NumPy alias {numpy_name}=")
                    kwargs[torch_name] = kwargs.pop(numpy_name)
        return fn(*args, **kwargs)

    call.accepts_numpy_names = True
    return call


def _takes_dim(fn) -> bool:
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "dim" in parameters or "keepdim" in parameters


def accept_numpy_names(modules, namespace: dict) -> None:
    """Wrap every function in the modules' ``__all__`` that takes ``dim``/``keepdim``, in each module
    and in ``namespace`` (the ops package), so that every later lookup finds the wrapped one."""
    for module in modules:
        for name in getattr(module, "__all__", ()):
            fn = getattr(module, name, None)
            if not inspect.isfunction(fn) or getattr(fn, "accepts_numpy_names", False) or not _takes_dim(fn):
                continue
            wrapped = _with_numpy_names(fn, name)
            setattr(module, name, wrapped)
            if namespace.get(name) is fn:
                namespace[name] = wrapped
