"""The lessons and the exercises as Jupyter notebooks (needs the ``notebooks`` extra).

A lesson file is already a notebook written as a script: jupytext reads its ``# %%`` cells as they
are. One code cell is added after the title, to choose quick or full mode. An exercise's student
file becomes: its task (the module docstring) as markdown; its code in a ``%%writefile`` cell, so
that running the cell saves the student's work as a file next to the notebook; a cell that loads
that file to try it out; and a cell that grades it with ``python -m tinynn.exercises check``.

    python lessons/run.py --notebooks DIR        # every lesson and exercise, into DIR

The notebooks do not depend on where they are written: a lesson imports its helpers from
``tinynn.course``, and figures go to ``figures/NN/`` beside the notebook.
"""
from __future__ import annotations

import ast
from pathlib import Path

from tinynn.course.lesson import FULL_VARIABLE

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}

MODE_CELL = f"""\
# Quick mode by default. Full mode trains longer for better numbers (the "Run:" line above says how
# long): remove the "# " before %env below, then restart the kernel and run all cells; or start
# Jupyter with {FULL_VARIABLE}=1 in its environment.
# %env {FULL_VARIABLE}=1
"""


def _require_notebook_tools():
    try:
        import jupytext  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as error:
        raise ImportError(f"writing notebooks needs jupytext and nbformat ({error}): "
                          'pip install -e ".[notebooks]"') from error


def lesson_notebook(path: str | Path):
    """The lesson script at ``path`` as a notebook: its cells, and a first code cell for the mode."""
    _require_notebook_tools()
    import jupytext
    import nbformat

    notebook = jupytext.read(path, fmt="py:percent")
    after_title = 1 if notebook.cells and notebook.cells[0].cell_type == "markdown" else 0
    notebook.cells.insert(after_title, nbformat.v4.new_code_cell(MODE_CELL.rstrip("\n")))
    notebook.metadata["kernelspec"] = dict(KERNEL)
    notebook.metadata.pop("jupytext", None)  # a plain notebook, not paired with the script
    return notebook


def exercise_notebook(path: str | Path):
    """The exercise student file at ``path`` (``eNN_name.py``) as a notebook to work and grade in."""
    _require_notebook_tools()
    import nbformat

    path = Path(path)
    number, work_file = path.name[1:3], f"my_{path.name}"
    source = path.read_text(encoding="utf-8")
    module = ast.parse(source)
    task = ast.get_docstring(module) or f"Exercise {number}"
    body = source.splitlines()[module.body[0].end_lineno:] if ast.get_docstring(module) else source.splitlines()
    code = "\n".join(body).strip("\n")
    title, _, rest = task.partition("\n")
    new_markdown, new_code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        new_markdown(f"# {title}\n{rest}"),
        new_markdown(f"## Your code\nReplace each `raise NotImplementedError(...)` below with your code, then run "
                     f"the cell: it saves your work as `{work_file}` beside this notebook (run it again after "
                     "every change). The next cell loads the file, so that you can try your functions in new "
                     "cells; the last one grades it."),
        new_code(f"%%writefile {work_file}\n{code}"),
        new_code(f"%run {work_file}"),
        new_markdown(f"## Grade it\nThe grader runs `{work_file}` in a separate process, checks values, "
                     "gradients (against finite differences) and edge cases, and says what is wrong and "
                     "where. From a terminal: "
                     f"`python -m tinynn.exercises check {number} {work_file}`."),
        new_code(f"import sys\n\n!{{sys.executable}} -m tinynn.exercises check {number} {work_file}"),
    ]
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": dict(KERNEL)})


def write_notebooks(lessons: list[Path], exercises: list[Path], folder: str | Path) -> list[Path]:
    """Write each lesson as ``folder/NN_name.ipynb`` and each exercise as
    ``folder/exercises/eNN_name.ipynb``; return the paths written."""
    _require_notebook_tools()
    import nbformat

    folder = Path(folder)
    written = []
    for paths, make, into in ((lessons, lesson_notebook, folder), (exercises, exercise_notebook, folder / "exercises")):
        for path in paths:
            into.mkdir(parents=True, exist_ok=True)
            target = into / (Path(path).stem + ".ipynb")
            nbformat.write(make(path), target)
            written.append(target)
    return written
