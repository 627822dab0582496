"""One measurement in a process of its own: one engine, one workload (run by ``run.py``).

    python benchmarks/measure.py ENGINE WORKLOAD STEPS WARMUP

prints one JSON line: the engine's milliseconds for each timed step, its peak-memory growth (MiB)
while building the model and training, and the thread settings it ran with. Each engine runs alone
in its process: two engines in one process disturb each other (their BLAS and OpenMP worker threads
compete for the same cores, and tinynn's allocator settings are process-wide).

Engines: ``tinynn``; ``torch`` (PyTorch's CPU build, its default threads unless the environment
limits them); ``numpy``, the hand-written NumPy steps of ``numpy_reference.py`` with the allocator
settings tinynn applies at import (``tinynn.backend.keep_freed_memory``), so that the floor is not
slowed by page faults that tinynn avoids.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import workloads  # noqa: E402

ENGINES = ("tinynn", "torch", "numpy")
# tinynn.threads.THREAD_VARIABLES, written out: importing tinynn here would apply its process-wide
# allocator settings to the PyTorch process too
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def current_rss_mib() -> float:
    """This process's resident memory now (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mib()


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024   # bytes on macOS, KiB elsewhere


def load(engine: str):
    """(library, thread description) of an engine; ImportError when it is not installed."""
    if engine == "tinynn":
        import tinynn

        from tinynn.threads import blas_threads

        return tinynn, f"tinynn: NumPy's BLAS {blas_threads()} threads"
    if engine == "torch":
        import torch

        return torch, f"torch {torch.__version__}: {torch.get_num_threads()} intra-op threads"
    import numpy_reference

    from tinynn.backend import keep_freed_memory
    from tinynn.threads import blas_threads

    keep_freed_memory()
    return numpy_reference, f"NumPy's BLAS: {blas_threads()} threads; tinynn's allocator settings"


def build(engine: str, lib, workload: str):
    return lib.make(workload) if engine == "numpy" else workloads.make(workload, lib)


def measure(engine: str, workload: str, steps: int, warmup: int) -> dict:
    lib, threads = load(engine)
    before = current_rss_mib()
    runner = build(engine, lib, workload)
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        runner.step()
        if i >= warmup:
            times.append((time.perf_counter() - start) * 1e3)
    return {"engine": engine, "workload": workload, "ms": times, "peak_mib": max(peak_rss_mib() - before, 0.0),
            "threads": threads, "environment": {k: os.environ[k] for k in THREAD_VARIABLES if k in os.environ}}


if __name__ == "__main__":
    engine, workload, steps, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    try:
        print(json.dumps(measure(engine, workload, steps, warmup)))
    except (ImportError, NotImplementedError) as error:   # an engine that is not installed, or lacks the workload
        print(json.dumps({"engine": engine, "workload": workload, "missing": str(error)}))
