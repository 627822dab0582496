"""Wall time of every lesson's quick mode, on a quiet machine or a busy one.

    python benchmarks/lesson_times.py                 # every lesson, quiet
    python benchmarks/lesson_times.py --busy          # beside one CPU-bound process per core
    python benchmarks/lesson_times.py 9 13 15 --busy  # some of them

A class runs the lessons on shared machines (a JupyterHub server, a laptop with other work); the
goal is that each quick mode finishes in under a minute of wall time there too. Each lesson runs
as a student runs it, ``python lessons/run.py N`` in a fresh process with the environment as it is
(no thread variables are set: the library's thread policy, ``tinynn/threads.py``, decides), in a
temporary folder so that its figures go nowhere. ``--busy`` starts one ``while True`` process per
core for the whole run.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from run import Hogs, _Nothing, machine  # noqa: E402

GOAL_SECONDS = 60


def lesson_numbers() -> list:
    """The numbers of the lessons, as ``lessons/run.py`` finds them."""
    spec = importlib.util.spec_from_file_location("lesson_runner", os.path.join(ROOT, "lessons", "run.py"))
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    return list(runner.lessons())


def time_lesson(number: int, folder: str) -> tuple:
    """(wall seconds, exit status, last lines of output) of one lesson's quick mode."""
    env = dict(os.environ, MPLBACKEND="Agg")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, os.path.join(ROOT, "lessons", "run.py"), str(number)], cwd=folder,
                         capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - start, out.returncode, (out.stdout + out.stderr)[-1500:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", type=int, help="lesson numbers (default: all)")
    parser.add_argument("--busy", action="store_true", help="beside one CPU-bound process per core")
    args = parser.parse_args(argv)
    numbers = args.lessons or lesson_numbers()
    about = machine()
    print(f"{about['date']}  {about['cpu']}, {about['cpus']} CPUs, Python {about['python']}; "
          + ("busy: one CPU-bound process per core" if args.busy else "quiet"))
    failed, slow = [], []
    with tempfile.TemporaryDirectory() as folder, (Hogs() if args.busy else _Nothing()):
        for number in numbers:
            seconds, status, tail = time_lesson(number, folder)
            mark = "" if status == 0 else f"  FAILED (exit {status})"
            print(f"  lesson {number:2d}  {seconds:6.1f} s{mark}", flush=True)
            if status != 0:
                failed.append(number)
                print(tail)
            elif seconds >= GOAL_SECONDS:
                slow.append(number)
    print(f"{len(numbers)} lessons; over {GOAL_SECONDS} s: {slow or 'none'}; failed: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
