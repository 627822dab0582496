"""The student files: generated from the sources by stripping the solution fences, and never drifting."""
from __future__ import annotations

import ast

import pytest

from tinynn.exercises import all_exercises
from tinynn.exercises.catalog import STUDENT_DIR
from tinynn.exercises.generate import FENCE_END, FENCE_START, build, find_fences, strip_solutions

EXERCISES = all_exercises()

SOURCE = '''"""doc"""
def f(x):
    """f's maths."""
    # >>> solution
    return x + 1
    # <<< solution


class C:
    def g(self):
        # >>> solution
        y = 2
        return y
        # <<< solution
'''


def test_there_are_at_least_ten_exercises_numbered_in_order():
    numbers = [e.number for e in EXERCISES]
    assert len(numbers) >= 10
    assert numbers == [f"{i:02d}" for i in range(1, len(numbers) + 1)]


def test_strip_replaces_each_fence_with_a_raise_naming_the_function():
    stripped = strip_solutions(SOURCE, "07")
    assert 'raise NotImplementedError("exercise 07: f")' in stripped
    assert '        raise NotImplementedError("exercise 07: C.g")' in stripped   # at the fence's indentation
    assert "return x + 1" not in stripped and "y = 2" not in stripped
    assert '"""f\'s maths."""' in stripped
    ast.parse(stripped)


@pytest.mark.parametrize("bad, message", [
    (SOURCE.replace("    # <<< solution\n\n\nclass", "\n\nclass", 1), "opens inside another"),
    ("def f():\n    # <<< solution\n    pass\n", "without a matching"),
    ("def f():\n    # >>> solution\n    pass\n", "never closed"),
    ("# >>> solution\nx = 1\n# <<< solution\n", "outside any function"),
    ("def f():\n    # >>> solution\n    pass\n    # <<< solution\n    # >>> solution\n    pass\n    # <<< solution\n",
     "more than one solution fence in f"),
])
def test_malformed_fences_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        find_fences(bad)


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.stem)
def test_committed_student_file_is_exactly_what_the_generator_writes(exercise, tmp_path):
    assert build([exercise], STUDENT_DIR, write=False) == [], (
        f"lessons/exercises/{exercise.source.name} differs from its source: run python -m tinynn.exercises build")
    written = build([exercise], tmp_path)
    assert written == [tmp_path / exercise.source.name]
    assert written[0].read_text() == (STUDENT_DIR / exercise.source.name).read_text()


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.stem)
def test_student_file_holds_no_solution_code(exercise):
    source = exercise.source.read_text()
    student = (STUDENT_DIR / exercise.source.name).read_text()
    assert FENCE_START not in student and FENCE_END not in student
    fences = find_fences(source)
    assert fences, "an exercise without anything to write"
    source_lines = source.splitlines()
    student_lines = {line.strip() for line in student.splitlines()}
    for fence in fences:
        for line in source_lines[fence.start + 1:fence.end]:
            code = line.strip()
            if len(code) >= 12 and not code.startswith("#"):
                assert code not in student_lines, f"solution line of {fence.function} left in: {code}"
        assert f'raise NotImplementedError("exercise {exercise.number}: {fence.function}")' in student
    ast.parse(student)


def test_every_exercise_has_a_title_and_a_checks_module():
    import importlib

    for exercise in EXERCISES:
        assert exercise.title and not exercise.title.lower().startswith("exercise")
        checks = importlib.import_module(f"tinynn.exercises.checks.{exercise.stem}")
        assert callable(checks.grade)
