"""The BLAS library's threads: how many NumPy's matrix products run on.

NumPy multiplies matrices in the BLAS library it was built with: OpenBLAS in the wheels from PyPI
(renamed ``scipy_openblas`` since NumPy 2), MKL in some conda builds, Accelerate on macOS. Their
thread count is set when the library loads (``OPENBLAS_NUM_THREADS`` and friends) and can be changed
at run time only through the library's own C functions, which this module finds and calls with
``ctypes``. Where none is found (Accelerate, an unknown BLAS) nothing is changed and the count reads
as None.

Why not threadpoolctl, which does this for every BLAS: tinynn's run-time dependencies are NumPy and
matplotlib only, and the thread policy must work in a default install. Two C functions of the one
BLAS that NumPy has loaded are all tinynn needs.
"""
from __future__ import annotations

import ctypes
import glob
import os
import sys

__all__ = ["blas_info", "blas_threads", "set_blas_threads"]

# (setter, getter) pairs, by library: OpenBLAS's own names, the names in NumPy's and SciPy's wheels
# (64-bit integer interface), and MKL's.
_FUNCTIONS = (
    ("OpenBLAS", "scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("OpenBLAS", "scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("OpenBLAS", "openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("OpenBLAS", "openblas_set_num_threads", "openblas_get_num_threads"),
    ("MKL", "MKL_Set_Num_Threads", "MKL_Get_Max_Threads"),
)


class _Blas:
    """The loaded BLAS library's name, file and thread functions."""

    def __init__(self, name: str, path: str, setter, getter):
        self.name, self.path, self.setter, self.getter = name, path, setter, getter
        self.threads = getter()   # what the library runs with now; kept in step by set_blas_threads


def _candidate_files() -> list:
    """Files that may be NumPy's BLAS: the loaded libraries named like one (Linux), then the
    libraries shipped beside NumPy (its wheels put them in numpy.libs or numpy/.libs)."""
    found = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rsplit(" ", 1)[-1].strip()
                name = os.path.basename(path).lower()
                if path.startswith("/") and ("blas" in name or "mkl_rt" in name) and path not in found:
                    found.append(path)
    except OSError:
        pass
    import numpy

    root = os.path.dirname(os.path.dirname(numpy.__file__))
    for folder in (os.path.join(root, "numpy.libs"), os.path.join(os.path.dirname(numpy.__file__), ".libs")):
        for pattern in ("*openblas*", "*mkl_rt*"):
            found += [p for p in sorted(glob.glob(os.path.join(folder, pattern))) if p not in found]
    return found


def _find_blas() -> _Blas | None:
    for path in _candidate_files():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name, set_name, get_name in _FUNCTIONS:
            setter, getter = getattr(library, set_name, None), getattr(library, get_name, None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                return _Blas(name, path, setter, getter)
    return None


_UNSET = object()
_blas = _UNSET


def _library() -> _Blas | None:
    global _blas
    if _blas is _UNSET:
        _blas = _find_blas() if sys.platform != "emscripten" else None
    return _blas


def blas_info() -> dict | None:
    """{"library": "OpenBLAS", "file": ..., "threads": n} for NumPy's BLAS, or None where it is not found."""
    blas = _library()
    return None if blas is None else {"library": blas.name, "file": blas.path, "threads": blas.getter()}


def blas_threads() -> int | None:
    """How many threads NumPy's matrix products may use now (None where the BLAS is not found)."""
    blas = _library()
    if blas is None:
        return None
    blas.threads = blas.getter()
    return blas.threads


def set_blas_threads(n: int) -> bool:
    """Let NumPy's matrix products use ``n`` threads; False where the BLAS library is not found."""
    blas = _library()
    if blas is None:
        return False
    if n != blas.threads:
        blas.setter(int(n))
        blas.threads = int(n)
    return True


# ---------------------------------------------------------------------------- the policy
# OpenBLAS's worker threads spin while they wait for the next product. On a machine whose cores are
# taken by other programs (a shared JupyterHub server, a laptop compiling something) the spinning
# workers and the Python thread that feeds them fight for the same cores, and every product waits
# for a worker that is not running: a training step took 2.6-6 times its quiet time with two BLAS
# threads, against 1.1-1.6 times with one (benchmarks/run.py --busy). So tinynn watches how much
# CPU the *other* processes use and gives NumPy's BLAS only the cores they leave free:
#
#     threads = clamp(round(cpus - others), 1, the BLAS library's own default)
#
# where ``others`` is the cores' worth of CPU time the rest of the machine used over the last
# ``INTERVAL`` seconds (Linux's /proc/stat, minus this process's own time from /proc/self/stat).
# The check costs a clock read per operation and two small file reads every INTERVAL seconds.
# It stays out of the way when the user chose: OMP_NUM_THREADS / OPENBLAS_NUM_THREADS /
# MKL_NUM_THREADS in the environment, or tinynn.set_num_threads(n), fix the count.

INTERVAL = 0.3
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _machine_busy_and_own_ticks():
    """(clock ticks every CPU spent busy, ticks this process spent), both since boot (Linux)."""
    with open("/proc/stat", "rb") as f:
        fields = f.readline().split()[1:]      # user nice system idle iowait irq softirq steal ...
    ticks = [int(v) for v in fields[:8]]
    busy = sum(ticks) - ticks[3] - ticks[4]      # all but idle and iowait
    with open("/proc/self/stat", "rb") as f:
        own = f.read().rsplit(b")", 1)[1].split()  # after the command name, which may hold spaces
    return busy, int(own[11]) + int(own[12])     # utime + stime, fields 14 and 15 of stat


class _Policy:
    """Adapts the BLAS threads to the cores the rest of the machine leaves free (see above)."""

    def __init__(self):
        self.active = None        # decided on the first check: False where the user fixed the threads
        self.next_check = 0.0
        self.last = None

    def start(self, now: float) -> None:
        self.active = False
        if any(os.environ.get(name) for name in THREAD_VARIABLES) or _library() is None:
            return
        try:
            self.last = (now, *_machine_busy_and_own_ticks())
        except (OSError, ValueError, IndexError):   # no /proc (macOS, Windows): leave the BLAS as it is
            return
        self.cpus, self.default, self.tick = _cpu_count(), blas_threads(), os.sysconf("SC_CLK_TCK")
        self.active = self.default > 1

    def check(self, now: float) -> None:
        """Called every operation: every INTERVAL seconds, look at the machine and set the threads."""
        if now < self.next_check:
            return
        self.next_check = now + INTERVAL
        if self.active is None:
            self.start(now)    # the first look: where the machine stands now; the next one compares
            return
        if not self.active:
            return
        busy, own = _machine_busy_and_own_ticks()
        then, busy_then, own_then = self.last
        self.last = (now, busy, own)
        others = max(0, (busy - busy_then) - (own - own_then)) / (self.tick * (now - then))
        set_blas_threads(max(1, min(self.default, round(self.cpus - others))))

    def stop(self) -> None:
        """The user fixed the threads (tinynn.set_num_threads): adapt no more."""
        self.active = False
        self.next_check = float("inf")


policy = _Policy()
