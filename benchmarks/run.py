"""Time tinynn against PyTorch and a hand-written NumPy reference, side by side.

    python benchmarks/run.py                  # all five workloads, full length
    python benchmarks/run.py --quick          # a short run (CI checks that it runs)
    python benchmarks/run.py W_cnn W_gpt --json results.json

Timing: in one process per workload, the engines take turns step by step (A B C A B C ...) after
a warm-up, so that machine noise hits them alike; the table shows median ms per step and the
ratios tinynn/PyTorch and tinynn/NumPy. Peak memory: each engine runs the workload in a process
of its own, and its growth in peak resident memory over the process's state before building the
model is reported.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import workloads  # noqa: E402

ENGINES = ("tinynn", "torch", "numpy")


def load_engine(name):
    """The library object for an engine, or None when it is not installed."""
    try:
        if name == "tinynn":
            import tinynn

            return tinynn
        if name == "torch":
            import torch

            torch.set_num_threads(os.cpu_count() or 1)
            return torch
        import numpy_reference

        return numpy_reference
    except ImportError:
        return None


def build(engine_name, lib, workload):
    if engine_name == "numpy":
        return lib.make(workload)
    return workloads.make(workload, lib)


def time_interleaved(workload: str, steps: int, warmup: int) -> dict:
    """Median ms per step of each available engine, the engines taking turns."""
    runners = {}
    for name in ENGINES:
        lib = load_engine(name)
        if lib is not None:
            try:
                runners[name] = build(name, lib, workload)
            except NotImplementedError:
                continue
    times = {name: [] for name in runners}
    for i in range(warmup + steps):
        for name, runner in runners.items():
            start = time.perf_counter()
            runner.step()
            elapsed = time.perf_counter() - start
            if i >= warmup:
                times[name].append(elapsed * 1e3)
    return {name: statistics.median(t) for name, t in times.items()}


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_memory(workload: str, engine_name: str, steps: int) -> float | None:
    """Growth of peak resident memory (MiB) while building and training, in this process."""
    lib = load_engine(engine_name)
    if lib is None:
        return None
    before = _current_rss_mb()
    runner = build(engine_name, lib, workload)
    for _ in range(steps):
        runner.step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return max(peak - before, 0.0)


def child(argv):
    """Entry point of the subprocesses: one measurement, printed as JSON."""
    kind, workload, steps, warmup = argv[0], argv[1], int(argv[2]), int(argv[3])
    if kind == "time":
        print(json.dumps(time_interleaved(workload, steps, warmup)))
    else:
        print(json.dumps(peak_memory(workload, kind, steps)))


def run_child(*args) -> object:
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, args)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark child {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


STEPS = {"W_tiny": (400, 50), "W_mlp": (60, 10), "W_cnn": (30, 5), "W_lstm": (20, 3), "W_gpt": (12, 3)}
QUICK = {"W_tiny": (40, 5), "W_mlp": (6, 2), "W_cnn": (4, 1), "W_lstm": (3, 1), "W_gpt": (2, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workloads", nargs="*", default=list(workloads.WORKLOADS))
    parser.add_argument("--quick", action="store_true", help="few steps: checks that everything runs")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    args = parser.parse_args(argv)
    results = {}
    print(f"{'workload':8s} {'tinynn':>9s} {'torch':>9s} {'numpy':>9s} {'/torch':>7s} {'/numpy':>7s}"
          f" {'MiB tinynn':>11s} {'MiB torch':>10s}")
    for name in args.workloads:
        steps, warmup = (QUICK if args.quick else STEPS)[name]
        times = run_child("time", name, steps, warmup)
        memory = {} if args.no_memory else {
            engine: run_child(engine, name, max(2, warmup), 0) for engine in ("tinynn", "torch")
        }
        results[name] = {"ms_per_step": times, "peak_memory_mib": memory}
        t = times.get("tinynn")

        def ratio(other):
            return f"{t / times[other]:7.2f}" if t and times.get(other) else f"{'-':>7s}"

        def cell(key, table, width, fmt):
            value = table.get(key)
            return f"{value:{width}{fmt}}" if value is not None else f"{'-':>{width}s}"

        print(f"{name:8s} {cell('tinynn', times, 9, '.2f')} {cell('torch', times, 9, '.2f')} "
              f"{cell('numpy', times, 9, '.2f')} {ratio('torch')} {ratio('numpy')} "
              f"{cell('tinynn', memory, 11, '.1f')} {cell('torch', memory, 10, '.1f')}")
    if args.json:
        meta = {"date": datetime.date.today().isoformat(), "machine": platform.platform(),
                "processor": platform.processor(), "cpus": os.cpu_count(), "quick": args.quick}
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        sys.exit(main())
