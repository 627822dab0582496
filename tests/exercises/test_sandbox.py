"""The grader a class can rely on (tinynn/exercises/sandbox.py, integrity.py): a student's file runs in its
own process with time and memory limits; exiting early, hanging, crashing, not importing, forging a
report, importing the reference solution or calling the library's own version all fail, with the reason."""
import signal
import sys

import pytest

import tinynn.exercises as exercises
from tinynn.exercises.integrity import reference_imports

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the sandbox's limits need POSIX")

EXERCISE = "03"


def solution_text() -> str:
    """Exercise 03's reference solution as a student would hand it in (fence markers removed)."""
    lines = exercises.find(EXERCISE).source.read_text().splitlines(keepends=True)
    return "".join(line for line in lines if line.strip() not in ("# >>> solution", "# <<< solution"))


def grade(tmp_path, text: str, **limits):
    path = tmp_path / "e03_linear.py"
    path.write_text(text)
    return exercises.check(EXERCISE, path, **limits)


def test_a_correct_file_passes_in_the_sandbox_with_its_points(tmp_path):
    report = grade(tmp_path, solution_text())
    assert report.passed and report.status == "passed" and report.points == report.max_points > 0


@pytest.mark.parametrize("ending, words", [
    ("import sys\nsys.exit(0)\n", "sys.exit(0)"),
    ("raise SystemExit(3)\n", "sys.exit(3)"),
])
def test_exiting_while_being_imported_fails(tmp_path, ending, words):
    report = grade(tmp_path, solution_text() + ending)
    assert not report.passed and report.points == 0 and words in report.to_text()


def test_exiting_from_inside_a_checked_function_fails_as_an_early_exit(tmp_path):
    text = solution_text().replace("        ctx.save_for_backward(x, weight)\n",
                                   "        import os\n        os._exit(0)\n", 1)
    report = grade(tmp_path, text)
    assert report.status == "exit" and report.points == 0
    assert "ended (exit code 0) before the checks finished" in report.results[0].message


def test_an_infinite_loop_times_out(tmp_path):
    text = solution_text().replace("        ctx.save_for_backward(x, weight)\n", "        while True:\n            pass\n", 1)
    report = grade(tmp_path, text, timeout=4)
    assert report.status == "timeout" and report.points == 0 and "did not finish within 4 s" in report.to_text()


def test_a_crash_of_the_interpreter_is_reported(tmp_path):
    text = solution_text().replace("        ctx.save_for_backward(x, weight)\n",
                                   f"        import os\n        os.kill(os.getpid(), {int(signal.SIGSEGV)})\n", 1)
    report = grade(tmp_path, text)
    assert report.status == "crash" and "SIGSEGV" in report.to_text()


def test_running_out_of_memory_is_reported(tmp_path):
    text = solution_text().replace("        ctx.save_for_backward(x, weight)\n",
                                   "        hog = bytearray(3 * 2**30)\n", 1)
    report = grade(tmp_path, text, memory_mb=1500)
    assert report.points == 0
    assert report.status == "crash" or "MemoryError" in report.to_text()


def test_a_syntax_error_and_an_empty_file_fail_with_the_reason(tmp_path):
    report = grade(tmp_path, "def broken(:\n")
    assert report.points == 0 and "SyntaxError" in report.to_text()
    report = grade(tmp_path, "")
    assert report.points == 0 and not report.passed
    assert "no 'LinearFunction'" in report.to_text()


def test_printing_a_fake_report_does_not_count(tmp_path):
    fake = '{"token": "x", "report": {"exercise": "03", "checks": []}}'
    text = f"import sys, json\nprint({fake!r})\nsys.stdout.flush()\nimport os\nos._exit(0)\n"
    report = grade(tmp_path, text)
    assert report.points == 0 and report.status in ("exit", "failed")


@pytest.mark.parametrize("line", [
    "from tinynn.exercises.source.e03_linear import *",
    "from tinynn.exercises.source.e03_linear import LinearFunction",
    "import tinynn.exercises.source.e03_linear as ref\nLinearFunction = ref.LinearFunction",
    "from tinynn.exercises import source\nLinearFunction = source.e03_linear.LinearFunction",
    "import importlib\nLinearFunction = importlib.import_module('tinynn.exercises.source.e03_linear').LinearFunction",
])
def test_using_the_reference_solution_fails_and_says_so(tmp_path, line):
    report = grade(tmp_path, line + "\n")
    assert report.points == 0 and "reference solution" in report.to_text()
    assert reference_imports(line)


def test_a_definition_borrowed_from_elsewhere_is_not_the_students(tmp_path):
    text = "from tinynn.nn.functional import linear\nclass LinearFunction:\n    pass\nLinearFunction = linear\n"
    report = grade(tmp_path, text)
    assert report.points == 0 and "come from another module" in report.to_text()


def test_calling_the_librarys_implementation_fails_that_check(tmp_path):
    text = solution_text().replace("        y = x @ weight.T\n        if bias is not None:\n            y = y + bias\n",
                                   "        y = tinynn.nn.functional.linear(x, weight, bias)\n", 1)
    assert "tinynn.nn.functional.linear" in exercises.find(EXERCISE).forbidden
    report = grade(tmp_path, text)
    assert not report.passed
    messages = " ".join(r.message for r in report.results)
    assert "your code called tinynn.nn.functional.linear, tinynn's own implementation of what exercise 03 asks" in messages
    assert report.points < report.max_points


def test_the_in_process_grader_gives_the_same_result(tmp_path):
    path = tmp_path / "e03_linear.py"
    path.write_text(solution_text())
    fast, isolated = exercises.check(EXERCISE, path, sandbox=False), exercises.check(EXERCISE, path)
    assert [r.status for r in fast.results] == [r.status for r in isolated.results]
    assert fast.points == isolated.points
