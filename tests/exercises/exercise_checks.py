"""What every tests/exercises/test_eNN_*.py asks of its exercise, written once.

Each test file keeps its own short test functions (so the test ids stay per exercise) and calls these:
the reference solution passes every check with exactly the expected number of checks and points, the
untouched student file is reported not done, the exercise's declarations resolve, and a planted mistake
(a mutant: the reference source with a line or two changed) fails with a message that names it. Grading
here runs in this process (``sandbox=False``), which is much faster than the sandbox's subprocess.
"""
from __future__ import annotations

import tinynn.exercises as exercises
from tinynn.exercises.integrity import _resolve

__all__ = ["assert_declarations", "assert_mistake_caught", "assert_reference_passes", "assert_untouched_is_not_done",
           "grade", "mutant", "mutant_ids", "mutant_with_changes", "solution_block"]


def grade(exercise, path=None):
    """The report for the file at ``path`` (default: the untouched student file), graded in this process."""
    return exercises.check(exercise.number, path, sandbox=False)


def mutant_with_changes(exercise, tmp_path, changes):
    """The reference source with each (old, new) of ``changes`` applied, written under ``tmp_path``.

    Each ``old`` must stand exactly once in the source, so that a change to the reference that moves it
    fails here rather than silently planting nothing."""
    source = exercise.source.read_text()
    for old, new in changes:
        assert source.count(old) == 1, f"the planted change no longer applies: {old!r}"
        source = source.replace(old, new)
    path = tmp_path / f"mutant_{exercise.stem}.py"
    path.write_text(source)
    return path


def mutant(exercise, tmp_path, old: str, new: str):
    """The reference source with its one ``old`` replaced by ``new``: the path of the mutant file."""
    return mutant_with_changes(exercise, tmp_path, [(old, new)])


def solution_block(exercise, function: str) -> str:
    """The reference's solution of ``function``, its ``# >>> solution`` and ``# <<< solution`` fences included."""
    source = exercise.source.read_text()
    start = source.index("    # >>> solution\n", source.index(f"def {function}("))
    end = source.index("    # <<< solution\n", start) + len("    # <<< solution\n")
    return source[start:end]


def mutant_ids(mutants) -> list:
    """The test ids of a parametrized MUTANTS list: mutant-0, mutant-1, ..."""
    return [f"mutant-{i}" for i in range(len(mutants))]


def assert_reference_passes(exercise, *, checks: int, points: float, functions=None):
    """The reference solution passes every check (the failures listed if not), with exactly ``checks``
    checks worth ``points`` points. The checks cover exactly the exercise's functions; with ``functions``
    they also come function by function in that order."""
    report = grade(exercise, exercise.source)
    failures = [f"{r.function}: {r.name}: {r.message}" for r in report.results if r.status != "pass"]
    assert report.passed, "\n".join(failures)
    counts = (len(report.results), report.max_points)
    assert counts == (checks, points), f"(checks, points) = {counts}, expected {(checks, points)}"
    if functions is None:
        covered = {r.function for r in report.results}
        assert covered == set(exercise.functions), f"checks of {sorted(covered)}, expected {exercise.functions}"
    else:
        covered = list(dict.fromkeys(r.function for r in report.results))
        assert covered == functions, f"checks of {covered} in this order, expected {functions}"


def assert_untouched_is_not_done(exercise, functions=None):
    """The student file as released grades as not done, check by check, for each of the exercise's
    functions in order; with ``functions``, the exercise's functions are exactly these."""
    report = grade(exercise)
    assert report.results and all(r.status == "not_done" for r in report.results), [
        (r.name, r.status, r.message) for r in report.results if r.status != "not_done"]
    assert report.not_done_functions() == exercise.functions, (report.not_done_functions(), exercise.functions)
    if functions is not None:
        assert exercise.functions == functions, f"the exercise's functions are {exercise.functions}"


def assert_declarations(exercise, lesson):
    """The source declares ``LESSON = lesson``, each name in PARTS is defined by the reference, and each
    FORBIDDEN dotted name resolves to a callable of the library."""
    assert exercise.lesson == lesson, f"LESSON = {exercise.lesson!r}, expected {lesson!r}"
    reference = exercise.reference()
    for part, names in exercise.parts.items():
        for name in [names] if isinstance(names, str) else names:
            assert hasattr(reference, name), (part, name)
    for dotted in exercise.forbidden:
        owner, attr = _resolve(dotted)
        assert callable(getattr(owner, attr)), dotted


def assert_mistake_caught(report, function: str, words, *, found_in: str = "any", with_name: bool = False,
                          check: str | None = None):
    """The report fails, some check of ``function`` fails or errors, and its message names the mistake.

    The failed checks looked at are those of ``function`` (and whose name starts with ``check``, if given);
    every one of ``words`` must be found, per ``found_in``, in
    - "any": one of them, whichever;
    - "first": the first of them, the failure a student reads first;
    - "all": the failures together (each word in one of them, not necessarily the same one).
    The words are looked for in the message, or with ``with_name`` in "check name: message".
    """
    assert found_in in ("first", "any", "all"), found_in
    assert not report.passed, "the mutant passed every check"
    failed = [r for r in report.results if r.status in ("fail", "error") and r.function == function
              and (check is None or r.name.startswith(check))]
    assert failed, [(r.function, r.name, r.status, r.message) for r in report.results]
    texts = [f"{r.name}: {r.message}" if with_name else r.message for r in failed]
    if found_in == "any":
        assert any(all(word in text for word in words) for text in texts), f"{words} not in any of: {texts}"
    elif found_in == "first":
        missing = [word for word in words if word not in texts[0]]
        assert not missing, f"{missing} not in the first failure of {function}: {texts[0]}"
    else:
        joined = " | ".join(texts)
        missing = [word for word in words if word not in joined]
        assert not missing, f"{missing} not in: {joined}"
