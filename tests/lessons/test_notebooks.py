"""The lessons and exercises as notebooks: ``python lessons/run.py --notebooks DIR`` writes them all,
and lessons 0, 2 and 8 (quick mode) and one exercise run top to bottom in a real Jupyter kernel from
a folder outside lessons/: no errors, no stray values echoed, every saved figure shown inline."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.lessons.helpers import LESSONS

try:
    import jupytext  # noqa: F401
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    import ipykernel  # noqa: F401
except ImportError:
    pytest.skip('notebook tests need the notebooks extra: pip install -e ".[notebooks]"', allow_module_level=True)

SCRIPTS = sorted(LESSONS.glob("[0-9][0-9]_*.py"))


def exercises() -> list:
    return sorted((LESSONS / "exercises").glob("e[0-9][0-9]_*.py"))


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    """Every notebook, written by lessons/run.py into a folder far from lessons/."""
    folder = tmp_path_factory.mktemp("notebooks")
    result = subprocess.run([sys.executable, str(LESSONS / "run.py"), "--notebooks", str(folder)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    """A "python3" kernel that runs this very interpreter (not whatever ``python`` is on the PATH),
    with the kernel's own matplotlib backend (inline) and one BLAS thread, as the lesson tests use."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.delenv("TINYNN_FULL", raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    return "python3"


def execute(notebook_path, workdir, kernel_name: str):
    """Run the notebook in ``workdir`` (where its figures go); return it with its outputs."""
    notebook = nbformat.read(notebook_path, as_version=4)
    client = NotebookClient(notebook, timeout=900, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{notebook_path.name} failed in the kernel:\n{str(error)[-3000:]}")
    return notebook


def outputs(notebook, kind: str) -> list:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == kind]


def test_every_lesson_and_exercise_is_written_as_a_notebook(notebooks):
    written = sorted(p.name for p in notebooks.glob("*.ipynb"))
    assert written == [p.stem + ".ipynb" for p in SCRIPTS]
    written = sorted(p.name for p in (notebooks / "exercises").glob("*.ipynb"))
    assert written == [p.stem + ".ipynb" for p in exercises()]
    for script in SCRIPTS:
        notebook = nbformat.read(notebooks / (script.stem + ".ipynb"), as_version=4)
        nbformat.validate(notebook)
        markdown = [c for c in notebook.cells if c.cell_type == "markdown"]
        assert len(markdown) == script.read_text().count("# %% [markdown]"), script.name
        assert markdown[0].source.startswith(f"# Lesson {int(script.name[:2])}"), script.name
        # the first code cell chooses the mode; the lesson's own code follows unchanged
        assert notebook.cells[1].cell_type == "code" and "%env TINYNN_FULL=1" in notebook.cells[1].source
        assert "from tinynn.course import" in notebook.cells[2].source, script.name
        assert "_common" not in "".join(c.source for c in notebook.cells), script.name


@pytest.mark.parametrize("number, headline", [(0, "accuracy"), (2, "max_derivative_error"), (8, "accuracy")])
def test_lesson_runs_as_a_notebook_with_its_figures_inline(notebooks, kernel, tmp_path, number, headline):
    (script,) = [p for p in SCRIPTS if p.name.startswith(f"{number:02d}_")]
    notebook = execute(notebooks / (script.stem + ".ipynb"), tmp_path, kernel)
    assert outputs(notebook, "error") == []
    # nothing echoed: no PosixPath(...), no <tinynn.random.Generator ...>, no stray return values
    assert [o.data["text/plain"] for o in outputs(notebook, "execute_result")] == []
    # each figure is saved beside the notebook and shown inline, once
    saved = sorted((tmp_path / "figures" / f"{number:02d}").glob("*.png"))
    images = [o for o in outputs(notebook, "display_data") if "image/png" in o.data]
    assert saved and len(images) == len(saved)
    text = "".join(o.text for o in outputs(notebook, "stream") if o.name == "stdout")
    assert f"Lesson {number}:" in text and "quick mode; TINYNN_FULL=1 trains longer" in text
    summary = json.loads([line for line in text.splitlines() if line.startswith("summary: ")][-1][9:])
    assert headline in summary


def test_an_exercise_notebook_saves_loads_and_grades_the_students_file(notebooks, kernel, tmp_path):
    student = exercises()[0]
    notebook = execute(notebooks / "exercises" / (student.stem + ".ipynb"), tmp_path, kernel)
    assert outputs(notebook, "error") == []
    work_file = tmp_path / f"my_{student.name}"
    code = work_file.read_text()
    assert "raise NotImplementedError" in code and code.strip() in student.read_text()
    grading = notebook.cells[-1]
    assert "-m tinynn.exercises check" in grading.source
    assert "".join(o.get("text", "") for o in grading.outputs).strip(), "the grader printed nothing"
