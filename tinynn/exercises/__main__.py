"""The exercises from the command line.

    python -m tinynn.exercises list                        the exercises and their functions
    python -m tinynn.exercises show NN                     the task text of exercise NN
    python -m tinynn.exercises check NN [FILE] [--json]    grade FILE (default: lessons/exercises/eNN_*.py)
    python -m tinynn.exercises build [--out DIR] [--check] write (or compare) the student files

Exit codes, for autograders: 0 all checks passed (or the command succeeded), 1 some check failed
(or ``build --check`` found files out of date), 2 a usage error (unknown exercise, missing file).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import check
from .catalog import STUDENT_DIR, UsageError, all_exercises, find
from .generate import build


def _list() -> int:
    print("tinynn exercises (grade one with: python -m tinynn.exercises check NN FILE):")
    for exercise in all_exercises():
        print(f"  {exercise.number}  {exercise.title}")
        print(f"      you write: {', '.join(exercise.functions)}")
    return 0


def _show(number: str) -> int:
    exercise = find(number)
    print(exercise.docstring)
    print(f"\nYou write: {', '.join(exercise.functions)} (each docstring gives the maths and shapes).")
    print(f"Your file: {exercise.student_file}")
    return 0


def _check(number: str, path: str | None, as_json: bool) -> int:
    report = check(number, path)
    print(report.to_json() if as_json else report.to_text())
    return 0 if report.passed else 1


def _build(out: str | None, compare_only: bool) -> int:
    out_dir = Path(out) if out else STUDENT_DIR
    changed = build(all_exercises(), out_dir, write=not compare_only)
    if compare_only:
        for path in changed:
            print(f"out of date: {path}")
        print("student files are up to date" if not changed else
              f"{len(changed)} student file(s) differ from their sources: run python -m tinynn.exercises build")
        return 1 if changed else 0
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(all_exercises())} exercises, {len(changed)} file(s) written to {out_dir}")
    return 0


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinynn.exercises",
                                     description="tinynn's classroom exercises: list, show, check, build.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the exercises")
    show = commands.add_parser("show", help="print an exercise's task text")
    show.add_argument("number")
    grade = commands.add_parser("check", help="grade a student's file")
    grade.add_argument("number")
    grade.add_argument("file", nargs="?", help="the student's file (default: lessons/exercises/eNN_name.py)")
    grade.add_argument("--json", action="store_true", help="print a machine-readable result")
    make = commands.add_parser("build", help="write the student files from the sources")
    make.add_argument("--out", help=f"output folder (default: {STUDENT_DIR})")
    make.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file is out of date")
    args = parser.parse_args(argv)   # exits with code 2 on a usage error
    try:
        if args.command == "list":
            return _list()
        if args.command == "show":
            return _show(args.number)
        if args.command == "check":
            return _check(args.number, args.file, args.json)
        return _build(args.out, args.check)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
