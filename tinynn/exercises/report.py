"""A grade: the results of one exercise's checks, as text for a student or JSON for an autograder.

Text (failures in full, unfinished functions one line each, a last line that says it all)::

    exercise 01: the sigmoid and its derivative
      ok    sigmoid: x of shape (5,)
      FAIL  Sigmoid.backward: x of shape (3, 4)
            gradient of x: 12 of 12 elements differ; first at index (0, 0): ...
      todo  Sigmoid.forward: not done yet (NotImplementedError: exercise 01: Sigmoid.forward) [3 checks]
    exercise 01 failed: 4 of 9 checks passed (2 failed, 3 not done yet)

JSON: ``{"exercise": "01", "passed": false, "points": 4.0, "max_points": 9.0, "checks": [...]}``
with each check's name, function, status ("pass", "fail", "not_done", "error"), message and points.
``to_gradescope()`` gives Gradescope's autograder ``results.json`` layout. ``failure`` is set when the
grading process itself did not finish ("timeout", "crash", "exit"; see sandbox.py).
"""
from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field

from .grading import ERROR, FAIL, NOT_DONE, PASS, CheckResult

__all__ = ["Report", "gradescope_results", "import_failure"]

_MARK = {PASS: "ok  ", FAIL: "FAIL", ERROR: "ERR ", NOT_DONE: "todo"}


@dataclass
class Report:
    number: str
    name: str
    title: str
    file: str
    results: list = field(default_factory=list)   # CheckResult, in the order the checks ran
    failure: str | None = None                     # "timeout", "crash" or "exit" when the process did not finish

    @property
    def points(self) -> float:
        return sum(r.earned for r in self.results)

    @property
    def max_points(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def status(self) -> str:
        """One word for a gradebook: passed, failed, not_done, timeout, crash, exit."""
        if self.failure:
            return self.failure
        if self.passed:
            return "passed"
        if all(r.status == NOT_DONE for r in self.results):
            return "not_done"
        return "failed"

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.status == PASS for r in self.results)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    def not_done_functions(self) -> list:
        names = []
        for r in self.results:
            if r.status == NOT_DONE and r.function not in names:
                names.append(r.function)
        return names

    def summary(self) -> str:
        total, passed = len(self.results), self.count(PASS)
        points = f"{self.points:g} of {self.max_points:g} points"
        if self.passed:
            return f"exercise {self.number} passed: {passed} of {total} checks, {points}"
        parts = [f"{n} {label}" for n, label in ((self.count(FAIL), "failed"), (self.count(ERROR), "raised an error"),
                                                  (self.count(NOT_DONE), "not done yet")) if n]
        return f"exercise {self.number} failed: {passed} of {total} checks passed ({', '.join(parts)}), {points}"

    def to_text(self) -> str:
        lines = [f"exercise {self.number}: {self.title}", f"file: {self.file}"]
        shown_not_done = set()
        for r in self.results:
            if r.status == NOT_DONE:
                if r.function in shown_not_done:
                    continue
                shown_not_done.add(r.function)
                waiting = sum(x.status == NOT_DONE and x.function == r.function for x in self.results)
                plural = "check" if waiting == 1 else "checks"
                lines.append(f"  {_MARK[NOT_DONE]}  {r.function}: {r.message} [{waiting} {plural}]")
                continue
            lines.append(f"  {_MARK[r.status]}  {r.function}: {r.name}")
            if r.message:
                lines.extend(textwrap.wrap(r.message, 100, initial_indent=" " * 8, subsequent_indent=" " * 10,
                                           break_on_hyphens=False))
        lines.append(self.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "exercise": self.number,
            "name": self.name,
            "title": self.title,
            "file": self.file,
            "passed": self.passed,
            "status": self.status,
            "points": self.points,
            "max_points": self.max_points,
            "checks_passed": self.count(PASS),
            "checks_total": len(self.results),
            "not_done": self.not_done_functions(),
            "summary": self.summary(),
            "checks": [{"name": r.name, "function": r.function, "status": r.status, "message": r.message,
                        "points": r.points} for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        results = [CheckResult(c["name"], c["function"], c["status"], c["message"], c.get("points", 1.0))
                   for c in data["checks"]]
        report = cls(data["exercise"], data["name"], data["title"], data["file"], results)
        report.failure = data.get("status") if data.get("status") in ("timeout", "crash", "exit") else None
        return report

    def gradescope_tests(self) -> list:
        """One Gradescope test per check (name, score, max_score, status, output)."""
        return [{"name": f"{self.number} {r.function}: {r.name}", "score": r.earned, "max_score": r.points,
                 "status": "passed" if r.status == PASS else "failed", "output": r.message}
                for r in self.results]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def import_failure(number: str, name: str, title: str, file: str, message: str) -> Report:
    """The report for a file that does not even import: one failed check, worth the whole exercise."""
    from .catalog import find
    from .sandbox import max_points

    return Report(number, name, title, file,
                  [CheckResult("your file imports", "(the file)", ERROR, message, max_points(find(number)))])


def gradescope_results(reports: list, output: str = "") -> dict:
    """Gradescope's ``results.json``: the total score, and one test per check of every report."""
    tests = [test for report in reports for test in report.gradescope_tests()]
    return {"score": sum(r.points for r in reports), "max_score": sum(r.max_points for r in reports),
            "output": output or "\n".join(r.summary() for r in reports), "visibility": "visible",
            "stdout_visibility": "visible", "tests": tests}
