"""Running a class: grading everyone's files into a gradebook, and the files a teacher hands out.

``grade_class(root)`` grades a folder with one subfolder per student (each holding that student's
``eNN_*.py`` files, as a GitHub Classroom or an LMS export lays them out) and returns one row per
(student, exercise): points, max points, status. ``write_csv`` writes them as a gradebook.

``release(out)`` writes the student files (every solution replaced by ``raise NotImplementedError``)
and a README for students; with ``package=True`` also a copy of tinynn in which the exercises'
sources hold no solutions either (``pip install OUT/package`` gives a class tinynn without them;
its grader then refuses to run, since it has nothing to compare with: grading happens on the
teacher's side). ``solutions(out)`` writes the teacher's reference solution files, which also serve
as a complete "student" folder for ``milestone K --use OUT``.
"""
from __future__ import annotations

import csv
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .catalog import all_exercises, find
from .generate import FENCE_END, FENCE_START, build, strip_solutions
from .sandbox import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, grade_in_subprocess, max_points

__all__ = ["NO_SOLUTIONS_MARKER", "find_submissions", "grade_class", "release", "solutions", "write_csv"]

NO_SOLUTIONS_MARKER = "NO_SOLUTIONS"   # a file in tinynn/exercises/ of a student release package
_EXERCISE_FILE = re.compile(r"^e(\d\d)_\w*\.py$")


def find_submissions(root) -> dict:
    """{student: {exercise number: path}} for ``root/STUDENT/.../eNN_*.py`` (the newest match wins)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no such folder: {root}")
    found = {}
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = {}
        for path in sorted(student_dir.rglob("e[0-9][0-9]_*.py")):
            match = _EXERCISE_FILE.match(path.name)
            if match:
                files[match.group(1)] = path
        found[student_dir.name] = files
    return found


def grade_class(root, numbers=None, timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB,
                jobs: int = 1) -> list:
    """One row per student and exercise: {"student", "exercise", "points", "max_points", "status", "summary"}.

    ``numbers``: the exercises to grade (default: every exercise some student handed in). A missing
    file is a row with 0 points and status "missing". Each file is graded in its own process.
    """
    submissions = find_submissions(root)
    if numbers is None:
        numbers = sorted({n for files in submissions.values() for n in files})
    exercises = [find(n) for n in numbers]
    tasks = [(student, exercise, files.get(exercise.number))
             for student, files in submissions.items() for exercise in exercises]

    def grade(task):
        student, exercise, path = task
        row = {"student": student, "exercise": exercise.number, "max_points": max_points(exercise)}
        if path is None:
            return {**row, "points": 0.0, "status": "missing", "summary": "no file handed in"}
        report = grade_in_subprocess(exercise, path, timeout=timeout, memory_mb=memory_mb)
        return {**row, "points": report.points, "status": report.status, "summary": report.summary()}

    for exercise in exercises:   # counted once, before the threads start
        max_points(exercise)
    with ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
        return list(pool.map(grade, tasks))


def write_csv(rows: list, path) -> None:
    """The gradebook: student, exercise, points, max_points, status (and the one-line summary)."""
    fields = ["student", "exercise", "points", "max_points", "status", "summary"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{row[k]:g}" if k in ("points", "max_points") else row[k]) for k in fields})


_STUDENT_README = """# Exercises

Each `eNN_*.py` file is one exercise: functions whose docstrings give the maths and the shapes, with
the body left out (`raise NotImplementedError`). Replace each `raise` with your code, then grade it:

    python -m tinynn.exercises check NN eNN_name.py

The grader runs your file in a separate process (time and memory limits), checks values against the
reference, your gradients against finite differences, and the edge cases, and says what is wrong and
where. Your file must not import the reference solutions or use tinynn's own version of what the
exercise asks you to write: such use fails the check, and the message says so.
"""


def release(out, package: bool = False, notebooks: bool = False) -> list:
    """Write the student release into ``out``: ``exercises/`` and a README; with ``package``, also
    ``package/`` (tinynn without the solutions); with ``notebooks``, each exercise also as a Jupyter
    notebook beside its file, ``exercises/eNN_name.ipynb`` (needs the ``notebooks`` extra)."""
    out = Path(out)
    exercises = all_exercises()
    written = build(exercises, out / "exercises")
    (out / "exercises" / "README.md").write_text(_STUDENT_README, encoding="utf-8")
    if notebooks:
        from ..course.notebooks import write_notebooks

        students = sorted((out / "exercises").glob("e[0-9][0-9]_*.py"))
        written += write_notebooks([], students, out)      # into out/exercises/
    if package:
        written += _package_without_solutions(out / "package", exercises)
    return written


def _package_without_solutions(out: Path, exercises: list) -> list:
    """A copy of the tinynn package whose exercise sources are the student files, marked as such."""
    source_root = Path(__file__).resolve().parents[1]      # the installed tinynn/
    target = out / "tinynn"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source_root, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for exercise in exercises:
        stripped = strip_solutions(exercise.source.read_text(encoding="utf-8"), exercise.number, str(exercise.source))
        (target / "exercises" / "source" / exercise.source.name).write_text(stripped, encoding="utf-8")
    (target / "exercises" / NO_SOLUTIONS_MARKER).write_text(
        "This copy of tinynn is a student release: the exercises' reference solutions are not in it.\n")
    from .. import __version__

    (out / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "tinynn-edu"\nversion = "{__version__}"\nrequires-python = ">=3.10"\n'
        'dependencies = ["numpy>=1.24", "matplotlib>=3.6"]\n\n'
        '[tool.setuptools.packages.find]\ninclude = ["tinynn*"]\n\n'
        '[tool.setuptools.package-data]\n"tinynn.datasets" = ["data/*.csv.gz", "data/README.md"]\n'
        '"tinynn.exercises" = ["NO_SOLUTIONS"]\n', encoding="utf-8")
    return [target, out / "pyproject.toml"]


def solutions(out) -> list:
    """Write every exercise's reference solution (the source without its fence markers) into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for exercise in all_exercises():
        lines = exercise.source.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if line.strip() not in (FENCE_START, FENCE_END)]
        path = out / exercise.source.name
        path.write_text("".join(kept), encoding="utf-8")
        written.append(path)
    return written


def has_solutions() -> bool:
    """False in a student release package (its sources have no solutions to compare with)."""
    return not (Path(__file__).resolve().parent / NO_SOLUTIONS_MARKER).exists()
