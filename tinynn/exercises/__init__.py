"""Classroom exercises: files a student completes, and a grader that says what is wrong and where.

Each exercise is one source file, ``source/eNN_name.py``: the functions a student writes, with the
maths and shapes in their docstrings and the reference solution between ``# >>> solution`` and
``# <<< solution`` fences. ``python -m tinynn.exercises build`` strips the fences to make the student
files in ``lessons/exercises/``. The grader imports a student's file, runs it on fixed inputs next to
the reference (and next to tinynn's own library version where there is one), checks gradients
against finite differences in float64, and reports each check::

    python -m tinynn.exercises list
    python -m tinynn.exercises show 03
    python -m tinynn.exercises check 03 lessons/exercises/e03_softmax_cross_entropy.py [--json]

From Python: ``report = tinynn.exercises.check("03", path)``; ``report.passed``, ``report.to_text()``.
"""
from __future__ import annotations

from pathlib import Path

from .catalog import Exercise, UsageError, all_exercises, find, load_student
from .grading import Grader, describe_exception
from .report import Report, import_failure

__all__ = ["Exercise", "Report", "UsageError", "all_exercises", "check", "find"]


def check(number, path=None) -> Report:
    """Grade the student file at ``path`` (default: the one in lessons/exercises) for exercise ``number``."""
    exercise = find(number)
    path = Path(path) if path is not None else exercise.student_file
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    try:
        student = load_student(path)
    except Exception as exc:  # a syntax error or a failing import: the student's problem, not a usage error
        message = describe_exception(exc, str(path.resolve()))
        return import_failure(exercise.number, exercise.name, exercise.title, str(path),
                              "your file does not import: " + message)
    grader = Grader(str(path))
    exercise.grade(grader, student)
    return Report(exercise.number, exercise.name, exercise.title, str(path), grader.results)
