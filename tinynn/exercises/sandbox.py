"""Grading a student's file in a separate process, with a time limit and a memory limit.

A student's file is arbitrary code: it may call ``sys.exit()``, loop forever, exhaust memory or crash
the interpreter. So the grader runs it in a child process (``python -m tinynn.exercises.sandbox``)
that imports the file, runs the checks and writes the report as JSON to a file the parent names. The
parent waits at most ``timeout`` seconds, limits the child's address space to ``memory_mb`` and its
CPU time, and reads the report back. A report is accepted only if it carries a random token the
parent sent on the child's stdin (read, and the pipe closed, before the student's file is imported),
so that printing or writing something that looks like a report does not count. When no report
comes, the parent says why, and the grade is 0:

    timeout     the file did not finish within the time limit (an infinite loop?)
    crash       the interpreter died on a signal (out of memory, a segfault in an extension)
    exit        the process ended before the checks finished (sys.exit(), exit(), os._exit() in the file)

``grade_file`` is the grading itself (in this process; the child calls it).
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .catalog import find, load_student
from .grading import ERROR, FAIL, CheckResult, Grader, describe_exception
from .integrity import borrowed_definitions, reference_imports, tripwires
from .report import Report, import_failure

__all__ = ["DEFAULT_MEMORY_MB", "DEFAULT_TIMEOUT", "grade_file", "grade_in_subprocess", "max_points"]

DEFAULT_TIMEOUT = 120.0     # seconds for one exercise's checks
DEFAULT_MEMORY_MB = 4096    # address space of the child (NumPy and its BLAS reserve some of it up front)


def grade_file(exercise, path) -> Report:
    """Run ``exercise``'s checks on the student's file at ``path``, in this process."""
    path = Path(path)
    title, name, number = exercise.title, exercise.name, exercise.number
    source = path.read_text(encoding="utf-8", errors="replace")
    copied = reference_imports(source)
    if copied:
        return _integrity_failure(exercise, path, "your file imports the reference solution or the checks ("
                                  + "; ".join(copied) + "): write the code yourself")
    grader = Grader(str(path))
    with tripwires(grader, exercise.forbidden, number):
        grader.in_student_code += 1   # the file's import runs the student's code too
        try:
            student = load_student(path)
        except SystemExit as exc:
            return import_failure(number, name, title, str(path),
                                  f"your file called sys.exit({exc.code!r}) while it was being imported: remove it")
        except Exception as exc:   # a syntax error or a failing import: the student's problem
            return import_failure(number, name, title, str(path),
                                  "your file does not import: " + describe_exception(exc, str(path.resolve())))
        finally:
            grader.in_student_code -= 1
        borrowed = borrowed_definitions(student, exercise.functions)
        if borrowed:
            return _integrity_failure(exercise, path, "these come from another module, not from your file: "
                                      + ", ".join(borrowed) + ". Write them yourself")
        exercise.grade(grader, student)
    return Report(number, name, title, str(path), grader.results)


def _integrity_failure(exercise, path, message: str) -> Report:
    total = max_points(exercise)
    return Report(exercise.number, exercise.name, exercise.title, str(path),
                  [CheckResult("the code is your own", "(the file)", FAIL, message, total)])


_MAX_POINTS: dict = {}


def max_points(exercise) -> float:
    """What the exercise is worth: the points of every check, counted by grading the reference."""
    if exercise.number not in _MAX_POINTS:
        grader = Grader(str(exercise.source))
        exercise.grade(grader, exercise.reference())
        _MAX_POINTS[exercise.number] = sum(r.points for r in grader.results)
    return _MAX_POINTS[exercise.number]


def _limits(memory_mb: int, cpu_seconds: int):
    """The child's resource limits (POSIX): address space and CPU time; a process group of its own."""
    def apply():
        os.setsid()
        try:
            import resource

            limit = int(memory_mb) * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        except (ImportError, ValueError, OSError):   # no resource module (Windows), or a lower hard limit
            pass
    return apply if os.name == "posix" else None


def grade_in_subprocess(exercise, path, timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB) -> Report:
    """Grade ``path`` for ``exercise`` in a child process; a Report in every case (see the module doc)."""
    path = Path(path).resolve()
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="tinynn-grade-") as workdir:
        result_file = Path(workdir) / "report.json"
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg",
                   PYTHONDONTWRITEBYTECODE="1")
        command = [sys.executable, "-m", "tinynn.exercises.sandbox", exercise.number, str(path), str(result_file)]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   cwd=workdir, env=env, text=True, preexec_fn=_limits(memory_mb, int(timeout) + 10))
        try:
            output, _ = process.communicate(token + "\n", timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            output, _ = process.communicate()
            return _process_failure(exercise, path, "timeout", f"your code did not finish within {timeout:g} s "
                                    "(an infinite loop, or a very slow loop?)", output)
        report = _read_report(result_file, token)
    if report is not None:
        return report
    code = process.returncode
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        why = " (out of memory?)" if name in ("SIGKILL", "SIGSEGV", "SIGABRT") else ""
        return _process_failure(exercise, path, "crash", f"the grading process crashed on signal {name}{why}", output)
    if "MemoryError" in output:
        return _process_failure(exercise, path, "crash", f"your code ran out of memory (the limit is "
                                f"{memory_mb} MB)", output)
    return _process_failure(exercise, path, "exit", f"the grading process ended (exit code {code}) before the checks "
                            "finished: does your file call sys.exit(), exit(), quit() or os._exit()?", output)


def _kill_group(process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        process.kill()


def _read_report(result_file: Path, token: str):
    try:
        data = json.loads(result_file.read_text())
    except (OSError, ValueError):
        return None
    if data.get("token") != token:
        return None
    return Report.from_dict(data["report"])


def _process_failure(exercise, path, kind: str, message: str, output: str) -> Report:
    tail = (output or "").strip()[-800:]
    if tail:
        message += f". The last lines it printed: {tail}"
    report = Report(exercise.number, exercise.name, exercise.title, str(path),
                    [CheckResult("the checks run to the end", "(the file)", ERROR, message, max_points(exercise))])
    report.failure = kind
    return report


def _child(argv: list) -> int:
    number, path, result_file = argv
    token = sys.stdin.readline().strip()
    sys.stdin.close()
    exercise = find(number)
    try:
        report = grade_file(exercise, path)
    except Exception as exc:   # a failure of the grader itself, not of the student's checks
        report = Report(exercise.number, exercise.name, exercise.title, str(path), [CheckResult(
            "the grader runs", "(the grader)", ERROR, f"the grader itself failed ({type(exc).__name__}: {exc}): "
            "please report this to your teacher", max_points(exercise))])
    Path(result_file).write_text(json.dumps({"token": token, "report": report.to_dict()}))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
