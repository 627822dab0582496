"""Starting W copies of a script under MPI from Python: ``mpiexec -n W python script.py ...``.

A lesson or a test that wants to show data parallelism runs itself (or a worker script) through
``mpiexec``; ``find_mpiexec`` finds the launcher that ``pip install mpich`` put next to Python.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

from .process_group import INSTALL_HINT, is_available

__all__ = ["find_mpiexec", "mpiexec_command", "run_with_mpiexec"]


def find_mpiexec() -> str | None:
    """The path of ``mpiexec``: next to this Python's scripts first, then on PATH; None if absent."""
    candidates = [os.path.join(sysconfig.get_path("scripts"), "mpiexec"),
                  os.path.join(os.path.dirname(sys.executable), "mpiexec")]
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return shutil.which("mpiexec")


def mpiexec_command(nprocs: int, script: str, *args: str) -> list[str]:
    """``[mpiexec, -n, nprocs, python, script, *args]``; a clear error when MPI is not installed."""
    if not isinstance(nprocs, int) or isinstance(nprocs, bool) or nprocs < 1:
        raise ValueError(f"mpiexec_command: nprocs must be a positive int, got {nprocs!r}")
    launcher = find_mpiexec()
    if launcher is None or not is_available():
        raise RuntimeError(f"running {nprocs} processes needs mpiexec and mpi4py: {INSTALL_HINT}")
    return [launcher, "-n", str(nprocs), sys.executable, str(script), *map(str, args)]


def run_with_mpiexec(nprocs: int, script: str, *args: str, timeout: float | None = None,
                     env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``script`` in ``nprocs`` MPI processes and wait; returns the completed process (text output)."""
    env = dict(os.environ if env is None else env)
    # Open MPI refuses to start as root unless told it may (containers and CI often run as root);
    # MPICH ignores these variables.
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    return subprocess.run(mpiexec_command(nprocs, script, *args), capture_output=True, text=True,
                          timeout=timeout, env=env)
