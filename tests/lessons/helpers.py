"""Running a lesson script in its quick mode, as a student would, and reading its summary line."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

LESSONS = pathlib.Path(__file__).resolve().parents[2] / "lessons"


def run_lesson(number: int, figures: pathlib.Path, *extra: str, timeout: float = 900.0):
    """Run lessons/NN_*.py headless; return (summary dict, figure file names, stdout).

    The timeout only stops a hung lesson: how long a lesson takes is not judged here (shared
    machines are noisy); quick modes are sized to run in under a minute on a quiet 2-core CPU.
    """
    (script,) = sorted(LESSONS.glob(f"{number:02d}_*.py"))
    # one BLAS thread: a shared CI machine with threaded BLAS can turn 1 ms products into 15 ms ones
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, str(script), "--figures", str(figures), *extra],
                            capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, f"lesson {number} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    lines = [line for line in result.stdout.splitlines() if line.startswith("summary: ")]
    assert lines, f"lesson {number} printed no summary line:\n{result.stdout[-2000:]}"
    summary = json.loads(lines[-1][len("summary: "):])
    files = sorted(p.name for p in figures.iterdir() if p.stat().st_size > 0)
    return summary, files, result.stdout
