"""Process-wide settings PyTorch programs make: compilation, determinism, matmul precision, threads.

Each function has PyTorch's name and arguments; its docstring says what it means in tinynn.
"""
from __future__ import annotations

import functools
import os
import warnings

from . import threads

__all__ = [
    "are_deterministic_algorithms_enabled", "compile", "get_float32_matmul_precision", "get_num_interop_threads",
    "get_num_threads", "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
    "set_num_interop_threads", "set_num_threads", "use_deterministic_algorithms",
]

_compile_notice_given = False


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor", mode=None,
            options=None, disable: bool = False):
    """``torch.compile``: returns ``model`` (a module or a function) unchanged, and says so once.

    tinynn has no compiler: every op runs eagerly, as written, which is what a reader of the code
    wants to see. Works as ``compile(model)``, as ``@compile`` and as ``@compile(mode=...)``.
    """
    if model is None:  # @compile(...) with arguments: the decorator to apply
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                 options=options, disable=disable)
    if not callable(model):
        raise TypeError(f"compile(): expected a module or a function, got {type(model).__name__}")
    global _compile_notice_given
    if not _compile_notice_given and not disable:
        _compile_notice_given = True
        warnings.warn("tinynn.compile: tinynn has no compiler; the model runs eagerly, unchanged", stacklevel=2)
    return model


# ---------------------------------------------------------------------------- determinism
_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms. tinynn's are deterministic already: its CPU ops are NumPy's
    (fixed order), and on the GPU its scatter-adds go through CuPy's ``add.at`` whose float order
    may vary; the setting is recorded and read back, as in PyTorch."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): mode must be a bool, got {type(mode).__name__}")
    _deterministic.update(mode=mode, warn_only=bool(warn_only))


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic["warn_only"]


# ---------------------------------------------------------------------------- matmul precision
_matmul_precision = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """"highest", "high" or "medium": whether float32 products may use TF32/bfloat16 internally on a
    GPU. tinynn's float32 products are always full float32 (NumPy's BLAS, CuPy's cuBLAS without
    TF32), so every setting gives "highest" numbers; the value is recorded and read back."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"set_float32_matmul_precision: expected 'highest', 'high' or 'medium', got {precision!r}")
    _matmul_precision[0] = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision[0]


# ---------------------------------------------------------------------------- threads
_threads = {"intra": None, "interop": 1}


def set_num_threads(n: int) -> None:
    """The number of threads NumPy's BLAS uses for matrix products (tinynn's only parallel work).

    By default tinynn fits the BLAS threads to the cores other programs leave free (``tinynn.threads``:
    all of them on a quiet machine, one on a busy one); ``set_num_threads`` fixes the number instead,
    as OMP_NUM_THREADS or OPENBLAS_NUM_THREADS in the environment do. Where NumPy's BLAS library is not
    found (macOS's Accelerate, an unknown BLAS) the number is recorded and a warning says the BLAS
    threads are unchanged.
    """
    n = int(n)
    if n < 1:
        raise RuntimeError(f"set_num_threads: expected a positive number of threads, got {n}")
    _threads["intra"] = n
    threads.policy.stop()
    if not threads.set_blas_threads(n):
        warnings.warn("set_num_threads: NumPy's BLAS library was not found, so its threads stay as they are "
                      "(set OPENBLAS_NUM_THREADS or OMP_NUM_THREADS before starting Python instead)", stacklevel=2)


def get_num_threads() -> int:
    """The BLAS threads set with ``set_num_threads``, else the threads NumPy's BLAS runs with now (the
    environment's setting or the CPU count where that cannot be read)."""
    if _threads["intra"] is not None:
        return _threads["intra"]
    now = threads.blas_threads()
    return now if now is not None else _env_threads()


def _env_threads() -> int:
    for name in threads.THREAD_VARIABLES:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return os.cpu_count() or 1


def set_num_interop_threads(n: int) -> None:
    """Threads for running independent ops in parallel: tinynn runs ops one after another, so this is
    recorded only."""
    n = int(n)
    if n < 1:
        raise RuntimeError(f"set_num_interop_threads: expected a positive number of threads, got {n}")
    _threads["interop"] = n


def get_num_interop_threads() -> int:
    return _threads["interop"]
