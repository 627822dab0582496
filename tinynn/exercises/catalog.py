"""The exercises: found by their source files, and the student's file loaded from a path.

Exercise ``NN`` is the source ``source/eNN_name.py`` (the reference solution, fenced) with its
checks in ``checks/eNN_name.py`` (a function ``grade(g, student, reference)``). Adding an exercise
means adding those two files; ``python -m tinynn.exercises build`` then writes the student file.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

from .generate import find_fences

__all__ = ["Exercise", "UsageError", "all_exercises", "find", "load_student", "STUDENT_DIR"]

SOURCE_DIR = Path(__file__).resolve().parent / "source"
# Where the generated student files live in a checkout of the repository.
STUDENT_DIR = Path(__file__).resolve().parents[2] / "lessons" / "exercises"

_loaded = itertools.count()


class UsageError(Exception):
    """The command was asked for something that does not exist (exit code 2)."""


@dataclass(frozen=True)
class Exercise:
    number: str     # "01"
    name: str       # "sigmoid"
    source: Path    # .../tinynn/exercises/source/e01_sigmoid.py

    @property
    def stem(self) -> str:
        return self.source.stem

    @property
    def docstring(self) -> str:
        return ast.get_docstring(ast.parse(self.source.read_text(encoding="utf-8"))) or ""

    @property
    def title(self) -> str:
        """The docstring's first line without its "Exercise NN:" prefix."""
        first = self.docstring.splitlines()[0] if self.docstring else self.name
        if first.lower().startswith("exercise") and ":" in first:
            first = first.split(":", 1)[1].strip()
        return first.rstrip(".")

    def _declared(self, name: str, default):
        """A module-level constant of the source (LESSON, FORBIDDEN, PARTS), read without importing it."""
        for node in ast.parse(self.source.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                return ast.literal_eval(node.value)
        return default

    @property
    def lesson(self):
        """The lesson the exercise belongs to (``LESSON`` in the source), or None."""
        return self._declared("LESSON", None)

    @property
    def forbidden(self) -> list:
        """Library callables the student's code may not use (``FORBIDDEN``): they do the exercise's work."""
        return list(self._declared("FORBIDDEN", []))

    @property
    def parts(self) -> dict:
        """What this exercise contributes to the milestones (``PARTS``): part name -> name in the file."""
        return dict(self._declared("PARTS", {}))

    @property
    def functions(self) -> list:
        """The student's functions: the ones that hold a solution fence."""
        return [f.function for f in find_fences(self.source.read_text(encoding="utf-8"), str(self.source))]

    @property
    def student_file(self) -> Path:
        return STUDENT_DIR / self.source.name

    def reference(self):
        """The source module itself: the reference solution."""
        return importlib.import_module(f"tinynn.exercises.source.{self.stem}")

    def grade(self, grader, student) -> None:
        """Run this exercise's checks on the ``student`` module."""
        checks = importlib.import_module(f"tinynn.exercises.checks.{self.stem}")
        checks.grade(grader, student, self.reference())


def all_exercises() -> list:
    found = []
    for path in sorted(SOURCE_DIR.glob("e[0-9][0-9]_*.py")):
        found.append(Exercise(path.stem[1:3], path.stem[4:], path))
    return found


def find(key) -> Exercise:
    """The exercise numbered ``key`` ("3", "03", "e03", 3) or named ``key`` ("sigmoid")."""
    text = str(key).strip().lower()
    number = text[1:] if text[:1] == "e" and text[1:].isdigit() else text
    for exercise in all_exercises():
        if (number.isdigit() and int(number) == int(exercise.number)) or text in (exercise.name, exercise.stem):
            return exercise
    choices = ", ".join(f"{e.number} ({e.name})" for e in all_exercises())
    raise UsageError(f"there is no exercise {key!r}; the exercises are: {choices}")


def load_student(path) -> object:
    """Import the Python file at ``path`` as a fresh module (never cached: each check re-reads it)."""
    path = Path(path)
    name = f"tinynn_student_{path.stem}_{next(_loaded)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module   # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
