"""Time tinynn against PyTorch and the hand-written NumPy floor, each engine in a process of its own.

    python benchmarks/run.py                       # the five workloads, default threads, 3 rounds
    python benchmarks/run.py --threads 1           # every engine limited to one thread
    python benchmarks/run.py --busy                # also with one CPU-bound process per core beside it
    python benchmarks/run.py W_mlp W_gpt --rounds 5 --json results.json
    python benchmarks/run.py --quick               # a short run (CI checks that it runs)

The method (PERFORMANCE.md, "How to measure fairly"): every measurement is a fresh process running
one engine on one workload (``measure.py``): a warm-up, then timed steps, and their median. The
engines take turns, process after process, in an order that rotates every round, so that drift of
the machine hits them alike; a workload's figure is the median over the rounds, and the ratios are
ratios of those medians. ``--threads N`` sets OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and
MKL_NUM_THREADS for every engine alike; the default leaves each library its default. The thread
settings each engine ran with are printed.

``--busy`` measures every engine twice in each round: on the quiet machine, and with one CPU-bound
process per core running beside it (a class's shared server, a laptop doing other work). It reports
each engine's slowdown, busy time over quiet time, next to the quiet figures. A busy measurement
takes the mean step (the total time over the steps), not the median: on a shared core a short step
can fit in one time slice, and a median would count only those.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from measure import ENGINES, THREAD_VARIABLES  # noqa: E402
from workloads import WORKLOADS  # noqa: E402

STEPS = {"W_tiny": (400, 50), "W_mlp": (60, 10), "W_cnn": (30, 5), "W_lstm": (20, 3), "W_gpt": (12, 3)}
QUICK = {"W_tiny": (40, 5), "W_mlp": (6, 2), "W_cnn": (4, 1), "W_lstm": (3, 1), "W_gpt": (2, 1)}


def measure(engine: str, workload: str, steps: int, warmup: int, threads: int | None) -> dict:
    """Run ``measure.py`` in a new process; its JSON result (``missing`` when the engine is absent)."""
    env = dict(os.environ)
    if threads is not None:
        env.update({name: str(threads) for name in THREAD_VARIABLES})
    out = subprocess.run([sys.executable, os.path.join(HERE, "measure.py"), engine, workload, str(steps), str(warmup)],
                         capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"measuring {engine} on {workload} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


class Hogs:
    """One CPU-bound process per core, for as long as the ``with`` block runs."""

    def __init__(self, count: int | None = None):
        self.count = count or os.cpu_count() or 1

    def __enter__(self):
        self.processes = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(self.count)]
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.wait()


def run_workload(workload: str, rounds: int, steps: int, warmup: int, threads, busy: bool, log) -> dict:
    """Each engine's median ms per step (quiet, and busy with ``busy``), peak memory and thread settings."""
    runs = {"quiet": {}, "busy": {}}
    info = {}
    for r in range(rounds):
        order = ENGINES[r % len(ENGINES):] + ENGINES[:r % len(ENGINES)]
        for condition in ("quiet", "busy") if busy else ("quiet",):
            with Hogs() if condition == "busy" else _Nothing():
                for engine in order:
                    result = measure(engine, workload, steps, warmup, threads)
                    if "missing" in result:
                        continue
                    info[engine] = result["threads"]
                    # quiet: the median step; busy: the mean (total time over steps), because on a
                    # shared core a short step may fit in one time slice, and the median then hides
                    # the steps that waited for the core
                    typical = statistics.median if condition == "quiet" else statistics.fmean
                    runs[condition].setdefault(engine, []).append((typical(result["ms"]), result["peak_mib"]))
        log(".")
    table = {}
    for engine in ENGINES:
        quiet = runs["quiet"].get(engine)
        if not quiet:
            continue
        row = {"ms": statistics.median(ms for ms, _ in quiet), "peak_mib": statistics.median(m for _, m in quiet),
               "rounds_ms": [round(ms, 4) for ms, _ in quiet], "threads": info[engine]}
        if runs["busy"].get(engine):
            row["busy_ms"] = statistics.median(ms for ms, _ in runs["busy"][engine])
            row["slowdown"] = row["busy_ms"] / row["ms"]
        table[engine] = row
    return table


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def machine() -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"date": datetime.datetime.now().isoformat(timespec="minutes"), "platform": platform.platform(),
            "cpu": cpu, "cpus": os.cpu_count(), "python": platform.python_version()}


def _cell(value, width: int, fmt: str) -> str:
    return f"{value:{width}{fmt}}" if value is not None else f"{'-':>{width}s}"


def print_table(results: dict, busy: bool) -> None:
    def get(row, engine, key):
        return row.get(engine, {}).get(key)

    def ratio(row, key, other):
        a, b = get(row, "tinynn", key), get(row, other, key)
        return a / b if a and b else None

    print(f"{'workload':8s} {'tinynn':>8s} {'torch':>8s} {'numpy':>8s} {'/torch':>7s} {'/numpy':>7s}"
          f" {'MiB tinynn':>11s} {'MiB torch':>10s}" + ("   slowdown busy: tinynn  torch  numpy" if busy else ""))
    for name, row in results.items():
        line = (f"{name:8s} {_cell(get(row, 'tinynn', 'ms'), 8, '.2f')} {_cell(get(row, 'torch', 'ms'), 8, '.2f')} "
                f"{_cell(get(row, 'numpy', 'ms'), 8, '.2f')} {_cell(ratio(row, 'ms', 'torch'), 7, '.2f')} "
                f"{_cell(ratio(row, 'ms', 'numpy'), 7, '.2f')} {_cell(get(row, 'tinynn', 'peak_mib'), 11, '.1f')} "
                f"{_cell(get(row, 'torch', 'peak_mib'), 10, '.1f')}")
        if busy:
            line += "                  " + "  ".join(_cell(get(row, e, "slowdown"), 5, ".2f") for e in ENGINES)
        print(line)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS), help=f"any of {', '.join(WORKLOADS)}")
    parser.add_argument("--rounds", type=int, default=3, help="processes per engine and workload (default 3)")
    parser.add_argument("--threads", type=int, help="limit every engine to this many threads (default: their own)")
    parser.add_argument("--busy", action="store_true", help="also measure beside one CPU-bound process per core")
    parser.add_argument("--quick", action="store_true", help="one round of a few steps: checks that all runs")
    parser.add_argument("--json", help="also write the results, the machine and the method to this JSON file")
    args = parser.parse_args(argv)
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    rounds = 1 if args.quick else args.rounds
    about = machine()
    threads = "each library's default" if args.threads is None else f"{args.threads} ({', '.join(THREAD_VARIABLES)})"
    print(f"{about['date']}  {about['cpu']}, {about['cpus']} CPUs, {about['platform']}, Python {about['python']}")
    print(f"each engine in its own process, {rounds} round(s), engines alternating; threads: {threads}"
          + ("; busy: one CPU-bound process per core" if args.busy else ""))
    results = {}
    for name in args.workloads:
        steps, warmup = (QUICK if args.quick else STEPS)[name]
        print(f"  {name} ", end="", flush=True)
        results[name] = run_workload(name, rounds, steps, warmup, args.threads, args.busy,
                                     lambda s: print(s, end="", flush=True))
        print()
    engines_seen = {e: row[e]["threads"] for row in results.values() for e in row}
    for engine, text in engines_seen.items():
        print(f"  {engine}: {text}")
    print_table(results, args.busy)
    if args.json:
        meta = {**about, "rounds": rounds, "threads": threads, "busy": args.busy, "quick": args.quick,
                "method": "each engine in its own process; engines alternate, order rotating per round; "
                          "median of steps per process, median over rounds"}
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
