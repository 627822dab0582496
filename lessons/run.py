"""List the lessons, or run one by number: ``python lessons/run.py`` / ``python lessons/run.py 0``.

Extra arguments are passed on to the lesson (e.g. ``--full``).
"""
from __future__ import annotations

import pathlib
import runpy
import sys

HERE = pathlib.Path(__file__).resolve().parent


def lessons() -> dict:
    """Lesson number -> script path, for every ``NN_name.py`` beside this file."""
    found = {}
    for path in sorted(HERE.glob("[0-9][0-9]_*.py")):
        found[int(path.name[:2])] = path
    return found


def main(argv: list) -> int:
    available = lessons()
    if not argv or argv[0] in ("-h", "--help", "list"):
        print("tinynn lessons (run one with: python lessons/run.py NUMBER [--full]):")
        for number, path in available.items():
            print(f"  {number:2d}  {path.stem[3:].replace('_', ' ')}")
        return 0
    try:
        number = int(argv[0])
    except ValueError:
        print(f"expected a lesson number, got {argv[0]!r}; run without arguments to list them", file=sys.stderr)
        return 2
    if number not in available:
        print(f"there is no lesson {number}; the lessons are {sorted(available)}", file=sys.stderr)
        return 2
    sys.argv = [str(available[number])] + argv[1:]
    runpy.run_path(str(available[number]), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
