"""Running a class (tinynn/exercises/classroom.py, the CLI, classroom/): the CSV gradebook, the student
release without solutions, the teacher's solutions, Gradescope's results.json and GitHub Classroom."""
import csv
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

import tinynn.exercises as exercises
from tinynn.exercises.__main__ import main
from tinynn.exercises.classroom import grade_class, release, solutions, write_csv
from tinynn.exercises.sandbox import max_points

REPO = pathlib.Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the sandbox's limits need POSIX")


@pytest.fixture(scope="module")
def reference_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("solutions")
    solutions(folder)
    return folder


def test_solutions_are_the_sources_without_fences_and_pass(reference_files):
    files = sorted(reference_files.glob("e*.py"))
    assert len(files) == len(exercises.all_exercises())
    for path in files:
        assert "# >>> solution" not in path.read_text()
    report = exercises.check("03", reference_files / "e03_linear.py")
    assert report.passed and report.points == max_points(exercises.find("03"))


def test_a_class_becomes_a_csv_gradebook(tmp_path, reference_files):
    submissions = tmp_path / "submissions"
    (submissions / "ada").mkdir(parents=True)
    (submissions / "bob" / "work").mkdir(parents=True)
    (submissions / "ada" / "e03_linear.py").write_text((reference_files / "e03_linear.py").read_text())
    (submissions / "ada" / "e07_softmax_cross_entropy.py").write_text("import sys\nsys.exit(0)\n")
    (submissions / "bob" / "work" / "e03_linear.py").write_text(exercises.find("03").student_file.read_text())
    rows = grade_class(submissions, jobs=2)
    table = {(r["student"], r["exercise"]): r for r in rows}
    assert set(table) == {("ada", "03"), ("ada", "07"), ("bob", "03"), ("bob", "07")}
    assert table["ada", "03"]["status"] == "passed" and table["ada", "03"]["points"] == table["ada", "03"]["max_points"]
    assert table["ada", "07"]["points"] == 0 and table["ada", "07"]["status"] == "failed"
    assert table["bob", "03"]["status"] == "not_done" and table["bob", "07"]["status"] == "missing"
    gradebook = tmp_path / "grades.csv"
    assert main(["grade", str(submissions), "--csv", str(gradebook)]) == 0
    with open(gradebook) as f:
        written = list(csv.DictReader(f))
    assert [list(r) for r in written][0] == ["student", "exercise", "points", "max_points", "status", "summary"]
    assert {(r["student"], r["exercise"], r["status"]) for r in written} == {
        (s, e, table[s, e]["status"]) for s, e in table}
    write_csv(rows, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_text() == gradebook.read_text()


def test_the_student_release_holds_no_solutions(tmp_path):
    release(tmp_path / "release")
    files = sorted((tmp_path / "release" / "exercises").glob("e*.py"))
    assert len(files) == len(exercises.all_exercises())
    sources = [e.source.read_text() for e in exercises.all_exercises()]
    blocks = [block.split("# <<< solution")[0] for source in sources for block in source.split("# >>> solution")[1:]]
    given = "\n".join(re.sub(r"# >>> solution.*?# <<< solution", "", s, flags=re.S) for s in sources)
    # the solutions' distinctive lines: long, and not also in the task text (a docstring may show a line)
    solution_lines = {line.strip() for block in blocks for line in block.splitlines()
                      if len(line.strip()) > 25 and line.strip() not in given}
    assert len(solution_lines) > 300
    text = "\n".join(p.read_text() for p in files)
    assert "# >>> solution" not in text and "NotImplementedError" in text
    assert not [line for line in solution_lines if line in text][:1]


def test_the_release_package_has_no_solutions_and_refuses_to_grade(tmp_path):
    release(tmp_path / "release", package=True)
    package = tmp_path / "release" / "package"
    assert (package / "pyproject.toml").is_file() and (package / "tinynn" / "exercises" / "NO_SOLUTIONS").is_file()
    for source in (package / "tinynn" / "exercises" / "source").glob("e*.py"):
        assert "# >>> solution" not in source.read_text()
    env = dict(os.environ, PYTHONPATH=str(package))
    result = subprocess.run([sys.executable, "-m", "tinynn.exercises", "check", "03",
                             str(tmp_path / "release" / "exercises" / "e03_linear.py")],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 2 and "student release without the reference solutions" in result.stderr


def _this_python_first() -> dict:
    """The environment, with this interpreter's folder first on PATH: the examples call plain python."""
    return dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))


def test_gradescope_autograder_example_runs(tmp_path, reference_files):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "e03_linear.py").write_text((reference_files / "e03_linear.py").read_text())
    result = subprocess.run([str(REPO / "classroom" / "gradescope" / "run_autograder")], capture_output=True,
                            text=True, env=dict(_this_python_first(), AUTOGRADER_ROOT=str(root)))
    assert result.returncode == 0, result.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    full_03, full_07 = max_points(exercises.find("03")), max_points(exercises.find("07"))
    assert results["score"] == full_03 and results["max_score"] == full_03 + full_07   # 07 was not handed in
    assert all({"name", "score", "max_score", "status", "output"} <= set(t) for t in results["tests"])
    assert "exercise 07: no e07_*.py in the submission" in results["output"]


def test_check_writes_gradescope_results_and_json(tmp_path, reference_files, capsys):
    out = tmp_path / "results.json"
    assert main(["check", "03", str(reference_files / "e03_linear.py"), "--json", "--gradescope", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["status"] == "passed" and printed["points"] == printed["max_points"]
    assert json.loads(out.read_text())["score"] == printed["points"]


def test_github_classroom_example_commands_pass_with_the_solutions(tmp_path, reference_files):
    config = json.loads((REPO / "classroom" / "github" / "autograding.json").read_text())
    for test in config["tests"]:
        number = test["run"].split()[4]
        assert test["points"] == max_points(exercises.find(number)), test["name"]
        result = subprocess.run(test["run"].split(), cwd=reference_files, capture_output=True, text=True,
                                env=_this_python_first())
        assert result.returncode == 0, result.stdout[-500:]
        student = subprocess.run(test["run"].split()[:5] + [str(exercises.find(number).student_file)],
                                 capture_output=True, text=True, env=_this_python_first())
        assert student.returncode == 1                         # the untouched student file fails the test
    assert (REPO / "classroom" / "github" / "classroom.yml").read_text().count("education/autograding") == 1


def test_list_json_names_lesson_functions_and_parts(capsys):
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(exercises.all_exercises()) >= 30
    six = next(r for r in rows if r["number"] == "03")
    assert six["lesson"] == 3 and "LinearFunction.forward" in six["functions"] and six["parts"] == ["linear"]
    lessons = {r["lesson"] for r in rows}
    assert set(range(1, 25)) <= lessons                      # at least one exercise for every lesson 1-24


def test_the_release_can_hold_the_exercises_as_notebooks(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("jupytext")
    assert main(["release", str(tmp_path / "release"), "--notebooks"]) == 0
    books = sorted((tmp_path / "release" / "exercises").glob("e*.ipynb"))
    assert [b.stem for b in books] == [e.student_file.stem for e in exercises.all_exercises()]
    cells = nbformat.read(books[2], as_version=4).cells                # exercise 03
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert "%%writefile my_e03_linear.py" in code and "tinynn.exercises check 03 my_e03_linear.py" in code
    assert "NotImplementedError" in code and "# >>> solution" not in code
