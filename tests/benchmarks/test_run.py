"""benchmarks/run.py's method: engines in processes of their own, alternating in an order that rotates
every round, the median step when quiet and the mean step when busy, medians over rounds. The
measurements are faked here (no timing is asserted)."""
import os
import sys

import pytest

BENCHMARKS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
sys.path.insert(0, BENCHMARKS)

import run  # noqa: E402

pytestmark = pytest.mark.cpu_only


class _NoHogs:
    started = 0

    def __enter__(self):
        _NoHogs.started += 1
        return self

    def __exit__(self, *exc):
        return False


def test_engines_alternate_and_rounds_take_medians(monkeypatch):
    calls = []
    steps = {"tinynn": [1.0, 2.0, 9.0], "torch": [2.0, 2.0, 2.0], "numpy": [1.0, 1.0, 1.0]}

    def fake(engine, workload, n, warmup, threads):
        calls.append((engine, _NoHogs.started))
        if engine == "numpy" and workload == "W_gpt":
            return {"engine": engine, "missing": "no such workload"}
        ms = [v * (len(calls) % 3 + 1) if engine == "torch" else v for v in steps[engine]]
        return {"engine": engine, "ms": ms, "peak_mib": 10.0, "threads": f"{engine} threads"}

    monkeypatch.setattr(run, "measure", fake)
    monkeypatch.setattr(run, "Hogs", _NoHogs)
    table = run.run_workload("W_mlp", 3, 3, 1, None, busy=True, log=lambda s: None)
    engines = [engine for engine, _ in calls]
    assert engines[:3] == ["tinynn", "torch", "numpy"] and engines[6:9] == ["torch", "numpy", "tinynn"]
    assert engines[12:15] == ["numpy", "tinynn", "torch"]                 # each round starts one later
    assert table["tinynn"]["ms"] == 2.0                                   # quiet: the median step
    assert table["tinynn"]["busy_ms"] == 4.0 and table["tinynn"]["slowdown"] == 2.0   # busy: the mean
    assert table["numpy"]["ms"] == 1.0 and table["torch"]["threads"] == "torch threads"
    assert _NoHogs.started == 3                                           # one busy phase a round
    assert "numpy" not in run.run_workload("W_gpt", 1, 3, 1, None, busy=False, log=lambda s: None)


def test_thread_limit_reaches_every_engine_alike(monkeypatch):
    seen = []

    class Done:
        returncode, stdout, stderr = 0, '{"engine": "x", "missing": "-"}', ""

    monkeypatch.setattr(run.subprocess, "run", lambda args, env, **kw: (seen.append(env), Done)[1])
    for engine in run.ENGINES:
        run.measure(engine, "W_tiny", 1, 1, threads=1)
    assert all(env[name] == "1" for env in seen for name in run.THREAD_VARIABLES)
