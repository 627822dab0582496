"""benchmarks/lesson_times.py: each lesson in a process of its own, with the environment as a student has
it (no thread variables added), failures and lessons over the goal reported. Runs are faked here."""
import os
import sys

import pytest

BENCHMARKS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
sys.path.insert(0, BENCHMARKS)

import lesson_times  # noqa: E402

pytestmark = pytest.mark.cpu_only


def test_every_lesson_is_found_and_timed_in_its_own_process(monkeypatch, capsys):
    runs = []

    class Finished:
        def __init__(self, args, env, cwd):
            runs.append((args, env, cwd))
            self.returncode = 3 if args[-1] == "2" else 0
            self.stdout, self.stderr = "lesson output\n", "the error\n"

    real_run = lesson_times.subprocess.run

    def fake_run(args, **kw):     # the lessons are faked; anything else (platform's uname) runs
        is_lesson = str(args[1]).endswith("run.py")
        return Finished(args, kw["env"], kw["cwd"]) if is_lesson else real_run(args, **kw)

    monkeypatch.setattr(lesson_times.subprocess, "run", fake_run)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert lesson_times.lesson_numbers()[:3] == [0, 1, 2] and len(lesson_times.lesson_numbers()) >= 25
    assert lesson_times.main(["1", "2"]) == 1
    out = capsys.readouterr().out
    assert "lesson  2" in out and "FAILED (exit 3)" in out and "the error" in out and "failed: [2]" in out
    assert [args[-1] for args, _, _ in runs] == ["1", "2"]
    assert all(args[1].endswith(os.path.join("lessons", "run.py")) for args, _, _ in runs)
    assert all("OPENBLAS_NUM_THREADS" not in env for _, env, _ in runs)     # the library's policy decides
    assert runs[0][2] != os.getcwd()                                        # figures go to a scratch folder
