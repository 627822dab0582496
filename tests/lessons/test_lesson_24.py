"""Lesson 24 (data-parallel training) in quick mode: two MPI ranks (or, without MPI, simulated ranks)
train exactly like one process on the full batch, and
ZeRO-1 halves Adam's state per rank without changing the parameters."""
import json
import os
import subprocess
import sys

import pytest

import tinynn.distributed as dist
from tests.lessons.helpers import LESSONS, run_lesson

MPI_READY = dist.is_available() and dist.find_mpiexec() is not None


def check_summary(summary):
    assert summary["world"] == 2
    assert summary["first_step_difference"] < 1e-14        # identical up to float64 rounding ...
    assert summary["max_parameter_difference"] < 1e-9      # ... which 120 Adam steps grow only a little
    assert summary["spread_across_ranks"] == 0.0
    assert summary["accuracy"] > 0.8 and summary["final_loss"] < 0.6  # it learned the 3 spirals
    assert 0.45 < summary["zero_state_share"] < 0.55         # each rank keeps about half of Adam's state
    assert summary["zero_max_parameter_difference"] < 1e-12


def test_data_parallel_lesson(tmp_path):
    summary, files, stdout = run_lesson(24, tmp_path)
    check_summary(summary)
    if MPI_READY:
        assert summary["mode"] == "mpi"
        assert "launching 2 processes: mpiexec -n 2" in stdout
    else:
        assert summary["mode"] == "simulated" and "MPI is not available" in stdout
    assert {"identical_training.png", "communication_and_memory.png"} <= set(files)


@pytest.mark.skipif(not MPI_READY, reason="without MPI the test above already runs the simulation")
def test_data_parallel_lesson_without_mpi_simulates_the_ranks(tmp_path):
    (script,) = sorted(LESSONS.glob("24_*.py"))
    code = (f"import sys, runpy; sys.modules['mpi4py'] = None; "
            f"sys.argv = [{str(script)!r}, '--figures', {str(tmp_path)!r}]; "
            f"runpy.run_path({str(script)!r}, run_name='__main__')")
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "MPI is not available here" in result.stdout
    summary = json.loads([line for line in result.stdout.splitlines() if line.startswith("summary: ")][-1][9:])
    assert summary["mode"] == "simulated" and summary["bucketing_speedup"] is None
    check_summary(summary)
    assert (tmp_path / "identical_training.png").stat().st_size > 0
