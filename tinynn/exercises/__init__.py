"""Classroom exercises: files a student completes, and a grader that says what is wrong and where.

Each exercise is one source file, ``source/eNN_name.py``: the functions a student writes, with the
maths and shapes in their docstrings and the reference solution between ``# >>> solution`` and
``# <<< solution`` fences. ``python -m tinynn.exercises build`` strips the fences to make the student
files in ``lessons/exercises/``. The grader imports a student's file, runs it on fixed inputs next to
the reference (and next to tinynn's own library version where there is one), checks gradients
against finite differences in float64, and reports each check::

    python -m tinynn.exercises list [--json]
    python -m tinynn.exercises show 06
    python -m tinynn.exercises check 03 my_e03_linear.py [--json] [--gradescope results.json]
    python -m tinynn.exercises grade SUBMISSIONS_DIR --csv grades.csv
    python -m tinynn.exercises release DIR [--package]      the student files, without the solutions
    python -m tinynn.exercises solutions DIR                the teacher's reference solution files
    python -m tinynn.exercises milestone K [--use DIR]      train a real model with the student's parts

The student's file runs in a separate process with time and memory limits (sandbox.py); it may not
use the reference solution nor the library's own version of what it is asked to write (integrity.py).
Milestones (milestones/) assemble the student's parts into real models. From Python:
``report = tinynn.exercises.check("03", path)``; ``report.passed``, ``report.points``, ``report.to_text()``.
"""
from __future__ import annotations

from pathlib import Path

from .catalog import Exercise, UsageError, all_exercises, find
from .report import Report
from .sandbox import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, grade_file, grade_in_subprocess

__all__ = ["Exercise", "Report", "UsageError", "all_exercises", "check", "find"]


def check(number, path=None, *, sandbox: bool = True, timeout: float = DEFAULT_TIMEOUT,
          memory_mb: int = DEFAULT_MEMORY_MB) -> Report:
    """Grade the student file at ``path`` (default: the one in lessons/exercises) for exercise ``number``.

    With ``sandbox`` (the default) the file runs in a separate process with a time limit and a memory
    limit (sandbox.py); ``sandbox=False`` grades in this process (faster, for tests of the checks).
    """
    exercise = find(number)
    path = Path(path) if path is not None else exercise.student_file
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    if sandbox:
        return grade_in_subprocess(exercise, path, timeout=timeout, memory_mb=memory_mb)
    return grade_file(exercise, path)
