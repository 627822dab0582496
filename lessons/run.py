"""List the lessons, run one by number, or write them all as notebooks.

    python lessons/run.py                      # the list
    python lessons/run.py 0 [--full]           # run lesson 0 (extra arguments go to the lesson)
    python lessons/run.py --notebooks DIR      # every lesson and exercise as a Jupyter notebook in DIR

Notebooks need the ``notebooks`` extra: ``pip install -e ".[notebooks]"`` (jupytext, nbformat,
nbclient, ipykernel). In a notebook, full mode is chosen in its first code cell or with the
environment variable TINYNN_FULL=1.
"""
from __future__ import annotations

import pathlib
import runpy
import sys

HERE = pathlib.Path(__file__).resolve().parent


def lessons() -> dict:
    """Lesson number -> script path, for every ``NN_name.py`` beside this file."""
    found = {}
    for path in sorted(HERE.glob("[0-9][0-9]_*.py")):
        found[int(path.name[:2])] = path
    return found


def exercises() -> list:
    """The exercises' student files, ``exercises/eNN_name.py``."""
    return sorted((HERE / "exercises").glob("e[0-9][0-9]_*.py"))


def write_notebooks(folder: str) -> int:
    try:
        from tinynn.course.notebooks import write_notebooks as write
        written = write(list(lessons().values()), exercises(), folder)
    except ImportError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"wrote {len(written)} notebooks into {folder}: lessons as NN_name.ipynb, exercises in exercises/")
    print(f"open them with: jupyter lab {folder}   (full mode: see each lesson's first code cell)")
    return 0


def main(argv: list) -> int:
    available = lessons()
    if not argv or argv[0] in ("-h", "--help", "list"):
        print("tinynn lessons (run one with: python lessons/run.py NUMBER [--full]; "
              "as notebooks: python lessons/run.py --notebooks DIR):")
        for number, path in available.items():
            print(f"  {number:2d}  {path.stem[3:].replace('_', ' ')}")
        return 0
    if argv[0] == "--notebooks":
        if len(argv) != 2:
            print("usage: python lessons/run.py --notebooks DIR", file=sys.stderr)
            return 2
        return write_notebooks(argv[1])
    try:
        number = int(argv[0])
    except ValueError:
        print(f"expected a lesson number, got {argv[0]!r}; run without arguments to list them", file=sys.stderr)
        return 2
    if number not in available:
        print(f"there is no lesson {number}; the lessons are {sorted(available)}", file=sys.stderr)
        return 2
    sys.argv = [str(available[number])] + argv[1:]
    runpy.run_path(str(available[number]), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
