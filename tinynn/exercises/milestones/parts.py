"""The replaceable parts: which exercise provides each, and whether the student's version is used.

An exercise declares what it contributes in its source (``PARTS = {"linear": "LinearFunction"}``).
A milestone asks for parts by name; ``load_parts`` looks for the exercise's file in the student's
folder, grades it (in a separate process, as the grader always does), and uses the student's code
when every check of that part's functions passes. Otherwise, or when there is no file, the
milestone runs on tinynn's version (the exercise's reference solution), and says which exercise to
finish or go back to.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import FunctionType, SimpleNamespace

from ..catalog import all_exercises, load_student
from ..grading import PASS
from ..sandbox import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, grade_in_subprocess

__all__ = ["Part", "load_parts", "provider_of", "rebind"]


@dataclass
class Part:
    name: str                  # "linear"
    exercise: str              # "03"
    file: str                  # the exercise's file name, e.g. "e03_linear.py"
    attributes: tuple          # the names the part reads from the file, e.g. ("LinearFunction",)
    owner: str                 # "yours" or "tinynn's"
    note: str = ""             # why tinynn's is used, and what to do about it
    impl: SimpleNamespace = field(default_factory=SimpleNamespace)   # attribute name -> the object

    def __getattr__(self, name):   # part.LinearFunction reads the implementation's attribute
        impl = self.__dict__.get("impl")
        if impl is not None and hasattr(impl, name):
            return getattr(impl, name)
        raise AttributeError(name)


def rebind(function, **names) -> FunctionType:
    """A copy of ``function`` that sees ``names`` in place of its module's globals of those names.

    Exercise 20's ``multi_head_attention`` calls the module-level ``scaled_dot_product_attention``
    (tinynn's, imported at the top of the file); ``rebind(mha, scaled_dot_product_attention=yours)``
    makes it call exercise 19's instead, without changing the module itself.
    """
    copy = FunctionType(function.__code__, {**function.__globals__, **names}, function.__name__,
                        function.__defaults__, function.__closure__)
    copy.__kwdefaults__ = function.__kwdefaults__
    return copy


def provider_of(part: str):
    """(exercise, attribute names) of the exercise that declares ``part``."""
    for exercise in all_exercises():
        declared = exercise.parts.get(part)
        if declared is not None:
            names = (declared,) if isinstance(declared, str) else tuple(declared)
            return exercise, names
    raise KeyError(f"no exercise provides the part {part!r}")


def _student_file(folder: Path, exercise) -> Path | None:
    exact = folder / exercise.source.name
    if exact.is_file():
        return exact
    matches = sorted(folder.glob(f"e{exercise.number}_*.py"))
    return matches[0] if matches else None


def _part_checks_pass(report, names: tuple) -> tuple:
    """(passed, failing count) over the checks about the part's functions (all checks if none match)."""
    relevant = [r for r in report.results if r.function.split(".")[0] in names] or report.results
    failing = [r for r in relevant if r.status != PASS]
    return not failing and not report.failure, len(failing), len(relevant)


def load_parts(names: list, use=None, timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB) -> dict:
    """{part name: Part} for ``names``, from the student's folder ``use`` where their code passes."""
    folder = Path(use) if use is not None else None
    graded = {}   # exercise number -> (module or None, report): each file graded once
    parts = {}
    for name in names:
        exercise, attributes = provider_of(name)
        reference = exercise.reference()
        owner, note, module = "tinynn's", "", reference
        if folder is None:
            note = f"exercise {exercise.number} (give your folder with --use DIR to use yours)"
        else:
            path = _student_file(folder, exercise)
            if path is None:
                note = f"no {exercise.source.name} in {folder}: do exercise {exercise.number}"
            else:
                if exercise.number not in graded:
                    report = grade_in_subprocess(exercise, path, timeout=timeout, memory_mb=memory_mb)
                    graded[exercise.number] = (path, report)
                path, report = graded[exercise.number]
                ok, failing, total = _part_checks_pass(report, attributes)
                if ok:
                    owner, note, module = "yours", f"{path.name} passes its checks", load_student(path)
                else:
                    why = report.failure or f"{failing} of {total} checks do not pass"
                    note = f"your {path.name}: {why}; go back to exercise {exercise.number}"
        impl = SimpleNamespace(**{a: getattr(module, a) for a in attributes})
        parts[name] = Part(name, exercise.number, exercise.source.name, attributes, owner, note, impl)
    return parts
