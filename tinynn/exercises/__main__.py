"""The exercises from the command line.

    python -m tinynn.exercises list [--json]                       number, title, lesson, functions, points
    python -m tinynn.exercises show NN                             the task text of exercise NN
    python -m tinynn.exercises check NN [FILE] [--json] [--gradescope results.json]
    python -m tinynn.exercises grade SUBMISSIONS_DIR --csv grades.csv [--exercises 03 07] [--jobs 2]
    python -m tinynn.exercises gradescope SUBMISSION_DIR results.json [--exercises 03 07]
    python -m tinynn.exercises release DIR [--package --notebooks] the student files, without solutions
    python -m tinynn.exercises solutions DIR                       the teacher's reference solutions
    python -m tinynn.exercises milestone K [--use DIR] [--full] [--json]
    python -m tinynn.exercises build [--out DIR] [--check]         write (or compare) lessons/exercises/

``check`` and ``grade`` run each student file in its own process, limited by ``--timeout`` seconds
and ``--memory-mb``. Exit codes, for autograders: 0 all checks passed (or the command succeeded;
``milestone``: the target was reached), 1 some check failed (or ``build --check`` found files out of
date, or the milestone's target was not reached), 2 a usage error (unknown exercise, missing file).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import check
from .catalog import STUDENT_DIR, UsageError, all_exercises, find
from .classroom import find_submissions, grade_class, has_solutions, release, solutions, write_csv
from .generate import build
from .report import gradescope_results
from .sandbox import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, grade_in_subprocess, max_points


def _list(as_json: bool) -> int:
    exercises = all_exercises()
    rows = [{"number": e.number, "name": e.name, "title": e.title, "lesson": e.lesson, "functions": e.functions,
             "parts": sorted(e.parts), "file": e.source.name} for e in exercises]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"tinynn exercises ({len(rows)}; grade one with: python -m tinynn.exercises check NN FILE):")
    for row in rows:
        lesson = f"lesson {row['lesson']:>2}" if row["lesson"] is not None else "         "
        print(f"  {row['number']}  {lesson}  {row['title']}")
        print(f"                 you write: {', '.join(row['functions'])}")
    return 0


def _show(number: str) -> int:
    exercise = find(number)
    print(exercise.docstring)
    print(f"\nYou write: {', '.join(exercise.functions)} (each docstring gives the maths and shapes).")
    print(f"Your file: {exercise.student_file}")
    return 0


def _require_solutions() -> None:
    if not has_solutions():
        raise UsageError("this copy of tinynn is a student release without the reference solutions, so it "
                         "cannot grade: hand your files in to your course's autograder")


def _check(args) -> int:
    _require_solutions()
    report = check(args.number, args.file, sandbox=not args.no_sandbox, timeout=args.timeout, memory_mb=args.memory_mb)
    print(report.to_json() if args.json else report.to_text())
    if args.gradescope:
        Path(args.gradescope).write_text(json.dumps(gradescope_results([report]), indent=2))
    return 0 if report.passed else 1


def _grade(args) -> int:
    _require_solutions()
    rows = grade_class(args.submissions, args.exercises, args.timeout, args.memory_mb, args.jobs)
    write_csv(rows, args.csv)
    students = len({r["student"] for r in rows})
    print(f"graded {len(rows)} exercise files of {students} students into {args.csv}")
    return 0


def _gradescope(args) -> int:
    """Gradescope's run_autograder calls this: every exercise file of one submission into results.json."""
    _require_solutions()
    files = find_submissions(Path(args.submission).parent).get(Path(args.submission).name, {})
    numbers = args.exercises or sorted(files)
    reports, missing = [], []
    for number in numbers:
        exercise = find(number)
        if number in files:
            reports.append(grade_in_subprocess(exercise, files[number], args.timeout, args.memory_mb))
        else:
            missing.append(f"exercise {number}: no e{number}_*.py in the submission ({max_points(exercise):g} points)")
    results = gradescope_results(reports, "\n".join(missing + [r.summary() for r in reports]))
    results["max_score"] += sum(max_points(find(n)) for n in numbers if n not in files)
    Path(args.results).write_text(json.dumps(results, indent=2))
    print(results["output"])
    return 0


def _milestone(args) -> int:
    from .milestones import run_milestone

    def to_stderr(line: str) -> None:   # with --json, stdout holds the JSON only
        print(line, file=sys.stderr)

    result = run_milestone(args.number, use=args.use, log=to_stderr if args.json else print, quick=not args.full,
                           timeout=args.timeout, memory_mb=args.memory_mb)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    return 0 if result.reached else 1


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


def _limits(parser) -> None:
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per exercise file")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB, help="memory limit of the grading process")


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinynn.exercises",
                                     description="tinynn's exercises: list, show, check, grade a class, release, milestones.")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list the exercises")
    listing.add_argument("--json", action="store_true")
    show = commands.add_parser("show", help="print an exercise's task text")
    show.add_argument("number")
    grade = commands.add_parser("check", help="grade a student's file")
    grade.add_argument("number")
    grade.add_argument("file", nargs="?", help="the student's file (default: lessons/exercises/eNN_name.py)")
    grade.add_argument("--json", action="store_true", help="print a machine-readable result")
    grade.add_argument("--gradescope", metavar="RESULTS_JSON", help="also write Gradescope's results.json")
    grade.add_argument("--no-sandbox", action="store_true", help="grade in this process (no time or memory limit)")
    _limits(grade)
    klass = commands.add_parser("grade", help="grade a class: SUBMISSIONS_DIR/STUDENT/eNN_*.py into a CSV gradebook")
    klass.add_argument("submissions")
    klass.add_argument("--csv", required=True, help="the gradebook to write")
    klass.add_argument("--exercises", nargs="*", help="the exercises to grade (default: every one handed in)")
    klass.add_argument("--jobs", type=int, default=1, help="files graded at the same time")
    _limits(klass)
    scope = commands.add_parser("gradescope", help="grade one submission folder into Gradescope's results.json")
    scope.add_argument("submission")
    scope.add_argument("results")
    scope.add_argument("--exercises", nargs="*", help="the exercises of the assignment (default: the files present)")
    _limits(scope)
    out = commands.add_parser("release", help="write the student files (no solutions) into DIR")
    out.add_argument("dir")
    out.add_argument("--package", action="store_true", help="also a copy of tinynn without the solutions")
    out.add_argument("--notebooks", action="store_true",
                     help="also each exercise as a Jupyter notebook (needs the notebooks extra)")
    sol = commands.add_parser("solutions", help="write the reference solution files into DIR")
    sol.add_argument("dir")
    stone = commands.add_parser("milestone", help="train a real model with your parts")
    stone.add_argument("number", type=int)
    stone.add_argument("--use", metavar="DIR", help="the folder with your exercise files")
    stone.add_argument("--full", action="store_true", help="train longer")
    stone.add_argument("--json", action="store_true")
    _limits(stone)
    make = commands.add_parser("build", help="write the student files from the sources")
    make.add_argument("--out", help=f"output folder (default: {STUDENT_DIR})")
    make.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file is out of date")
    args = parser.parse_args(argv)   # exits with code 2 on a usage error
    try:
        if args.command == "list":
            return _list(args.json)
        if args.command == "show":
            return _show(args.number)
        if args.command == "check":
            return _check(args)
        if args.command == "grade":
            return _grade(args)
        if args.command == "gradescope":
            return _gradescope(args)
        if args.command == "release":
            try:
                written = release(args.dir, package=args.package, notebooks=args.notebooks)
            except ImportError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            print(f"wrote the student release ({len(written)} files) into {args.dir}")
            return 0
        if args.command == "solutions":
            _require_solutions()
            print(f"wrote {len(solutions(args.dir))} reference solution files into {args.dir}")
            return 0
        if args.command == "milestone":
            return _milestone(args)
        return _build(args.out, args.check)
    except (UsageError, FileNotFoundError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
