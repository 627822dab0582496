"""Keeping a grade honest: the student's code may not use the reference solution, nor the library's own
implementation of what the exercise asks for.

Three checks, run by the grader around every exercise:

* ``reference_imports(path)`` reads the student's file (without running it) and lists the imports of
  the reference solutions or the checks (``tinynn.exercises.source``, ``.checks``, ``.solutions``).
* ``borrowed_definitions(module, exercise)`` lists the functions and classes the exercise asks for
  that the student's module did not define itself (``from ... import LinearFunction``).
* ``tripwires(grader, names)`` replaces each library callable the exercise's source lists in
  ``FORBIDDEN`` (``"tinynn.nn.functional.linear"``) by a wrapper that raises ``ForbiddenUse`` when it
  is called while the student's code runs (``grader.in_student_code``); the grader's own calls, and
  everything outside the exercise, still reach the real function.

This guards against mistakes and casual copying, not against a determined attacker (a student who
rewrites the library's code by hand has, after all, written it).
"""
from __future__ import annotations

import ast
import contextlib
import functools
import importlib

from .grading import ForbiddenUse

__all__ = ["borrowed_definitions", "reference_imports", "tripwires"]

_REFERENCE_MODULES = ("tinynn.exercises.source", "tinynn.exercises.checks", "tinynn.exercises.solutions")


def reference_imports(source: str) -> list:
    """The lines of ``source`` that import a reference solution or the checks, as 'line N: text'."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []   # the import of the file reports the syntax error itself
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]   # importlib.import_module("tinynn.exercises.source....")
        if any(name.startswith(_REFERENCE_MODULES) for name in names):
            found.append(f"line {node.lineno}: {ast.get_source_segment(source, node) or names[0]}")
    return found


def borrowed_definitions(module, names: list) -> list:
    """The top-level ``names`` (e.g. "LinearFunction" of "LinearFunction.forward") that ``module``
    holds but did not define: they come from another module."""
    borrowed = []
    for top in dict.fromkeys(name.split(".")[0] for name in names):
        obj = getattr(module, top, None)
        owner = getattr(obj, "__module__", None)
        if obj is not None and owner is not None and owner != module.__name__:
            borrowed.append(f"{top} (from {owner})")
    return borrowed


def _resolve(dotted: str):
    """(owner, attribute name) for 'package.module.attr' or 'package.module.Class.attr'."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:-1]:
            owner = getattr(owner, part)
        return owner, parts[-1]
    raise ImportError(f"cannot resolve {dotted!r}")


@contextlib.contextmanager
def tripwires(grader, names: list, exercise_number: str):
    """While active, calling any of ``names`` from the student's code fails with ``ForbiddenUse``."""
    patched = []
    for dotted in names:
        owner, attr = _resolve(dotted)
        original = owner.__dict__[attr] if isinstance(owner, type) and attr in owner.__dict__ else getattr(owner, attr)
        patched.append((owner, attr, original))
        setattr(owner, attr, _tripwire(grader, original, dotted, exercise_number))
    try:
        yield
    finally:
        for owner, attr, original in reversed(patched):
            setattr(owner, attr, original)


def _tripwire(grader, original, dotted: str, exercise_number: str):
    is_static = isinstance(original, staticmethod)
    function = original.__func__ if isinstance(original, (staticmethod, classmethod)) else original
    if isinstance(function, type):   # a class (nn.Linear): refuse building one from the student's code
        class Guarded(function):
            def __init__(self, *args, **kwargs):
                _refuse_in_student_code(grader, dotted, exercise_number)
                super().__init__(*args, **kwargs)

        Guarded.__name__, Guarded.__qualname__ = function.__name__, function.__qualname__
        Guarded.__module__ = function.__module__
        return Guarded

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        _refuse_in_student_code(grader, dotted, exercise_number)
        return function(*args, **kwargs)

    if is_static:
        return staticmethod(guarded)
    if isinstance(original, classmethod):
        return classmethod(guarded)
    return guarded


def _refuse_in_student_code(grader, dotted: str, exercise_number: str) -> None:
    if grader.in_student_code > 0:
        raise ForbiddenUse(
            f"your code called {dotted}, tinynn's own implementation of what exercise {exercise_number} asks "
            "you to write: write it yourself with the operations the docstring names")
