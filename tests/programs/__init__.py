"""Realistic PyTorch programs, run unchanged on tinynn (``python -m tinynn.as_torch``) and on PyTorch.

Each ``prog_*.py`` here is a plain PyTorch script (``import torch``, ``import torch.nn as nn``, ...)
of the kind a course or tutorial has. It puts what it measured in a global dict ``RESULTS``
(numbers and lists of numbers). ``run_program`` runs a script in its own process, with ``torch``
being tinynn or the real PyTorch, and returns that dict, so a test can compare the two engines.
Scripts that compare numbers start from weights and data drawn with NumPy (same on both engines)
and compute in float64.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent

_BOOT = """
import json, runpy, sys
engine, path, out = sys.argv[1:4]
if engine == "tinynn":
    from tinynn import as_torch
    as_torch.install()
sys.argv = [path]
scope = runpy.run_path(path, run_name="__main__")
with open(out, "w") as f:
    json.dump(scope.get("RESULTS", {}), f)
"""


def run_program(name: str, engine: str, tmp_path, timeout: float = 300.0) -> dict:
    """Run ``tests/programs/<name>.py`` with ``torch`` = ``engine`` ("tinynn" or "torch"); its RESULTS."""
    out = pathlib.Path(tmp_path) / f"{name}.{engine}.json"
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-c", _BOOT, engine, str(HERE / f"{name}.py"), str(out)],
                            capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp_path)
    assert result.returncode == 0, (f"{name} on {engine} failed:\n{result.stdout[-2000:]}\n"
                                    f"{result.stderr[-4000:]}")
    return json.loads(out.read_text())


def assert_same_results(ours: dict, theirs: dict, keys=None, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """The numbers both engines reported under ``keys`` (default: every key) agree."""
    import numpy as np

    for key in keys if keys is not None else sorted(theirs):
        assert key in ours, f"tinynn's run reported no {key!r}"
        np.testing.assert_allclose(np.asarray(ours[key], dtype=float), np.asarray(theirs[key], dtype=float),
                                   rtol=rtol, atol=atol, err_msg=key)
