"""What every lesson shares: its settings (quick or full mode, the seed, the figures folder), its
figures, the section notes a script prints, progress lines and the summary line the tests read.

A lesson runs two ways, and this module is what makes both work from anywhere:

- as a script, ``python lessons/NN_name.py [--full] [--figures DIR] [--seed N]``: figures are saved
  to files, and each section prints its title and what to look for (``lesson.section()``);
- as a notebook (any Jupyter kernel: Jupyter, VS Code, Colab): figures are saved and shown inline,
  the markdown cells render, and full mode is chosen with the environment variable
  ``TINYNN_FULL=1`` (set before starting Jupyter, or with ``%env TINYNN_FULL=1`` in a first cell).
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import time
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt

from tinynn.course.script import format_note, markdown_above, read_cells

FULL_VARIABLE = "TINYNN_FULL"


def in_notebook() -> bool:
    """True inside a Jupyter kernel, where figures can show inline and markdown cells render."""
    if "ipykernel" not in sys.modules:  # never import IPython just to ask
        return False
    from IPython import get_ipython
    from ipykernel.zmqshell import ZMQInteractiveShell

    return isinstance(get_ipython(), ZMQInteractiveShell)


def full_mode_requested() -> bool:
    """True when the environment asks for full mode: ``TINYNN_FULL`` is 1 (or true, yes, on)."""
    return os.environ.get(FULL_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


class Lesson:
    """The lesson's settings: ``lesson.full``, ``lesson.seed``, ``lesson.figures`` (a folder).

    ``lesson.script`` is the lesson's file when it runs as a script (None in a notebook).
    ``lesson.section()`` opens each section: a script prints the section's title and what to look for.
    ``quiet=True`` prints nothing (a worker process that the lesson starts, for example).
    Figures go to ``figures/NN/`` under the current folder unless ``--figures DIR`` says otherwise.
    """

    def __init__(self, number: int, title: str, full_takes: str = "a few minutes", quiet: bool = False):
        self.number, self.title, self.quiet = number, title, quiet
        self.notebook = in_notebook()
        caller = inspect.currentframe().f_back  # the lesson's own code, at the line that made this Lesson
        if self.notebook:  # the kernel's command line is not the lesson's: defaults and TINYNN_FULL
            self.full, self.seed, figures = full_mode_requested(), 0, None
            self.script = None
        else:
            args = self._arguments(full_takes)
            self.full, self.seed, figures = args.full or full_mode_requested(), args.seed, args.figures
            script = Path(caller.f_code.co_filename)
            self.script = script if script.is_file() else None  # None too for `python -c`
            if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
                matplotlib.use("Agg")  # headless: figures go to files only
        self.figures = Path(figures) if figures else Path("figures") / f"{number:02d}"
        if not quiet:
            self.figures.mkdir(parents=True, exist_ok=True)
        self._cells = read_cells(self.script) if self.script else []
        self.started = time.perf_counter()
        if quiet:
            return
        how = f"{FULL_VARIABLE}=1" if self.notebook else "--full"
        mode = f"full mode, {full_takes}" if self.full else f"quick mode; {how} trains longer"
        print(f"Lesson {number}: {title}  ({mode}; figures go to {self.figures})")
        for cell in markdown_above(self._cells, caller.f_lineno):
            note = format_note(cell, with_title=False)  # the lesson's first sentence, under its title
            if note:
                print(note)

    def _arguments(self, full_takes: str) -> argparse.Namespace:
        parser = argparse.ArgumentParser(description=f"tinynn lesson {self.number}: {self.title}")
        parser.add_argument("--full", action="store_true",
                            help=f"train longer for better numbers ({full_takes}); or set {FULL_VARIABLE}=1")
        parser.add_argument("--figures", help=f"folder for the figures (default: figures/{self.number:02d}/)")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        args, _ = parser.parse_known_args()
        return args

    def section(self) -> None:
        """Start a section. Run as a script, print the title and the sentence that says what to look
        for, from the markdown cell(s) just above this call; in a notebook the cells render instead."""
        if self.quiet or self.notebook:
            return
        for cell in markdown_above(self._cells, inspect.currentframe().f_back.f_lineno):
            note = format_note(cell)
            if note:
                print("\n" + note)

    def save(self, fig, name: str) -> None:
        """Save a matplotlib figure into the lesson's folder and close it; in a notebook, show it."""
        self.figures.mkdir(parents=True, exist_ok=True)
        path = self.figures / name
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        if self.quiet:
            return
        print(f"  figure saved: {path}")
        if self.notebook:
            from IPython.display import Image, display

            display(Image(filename=str(path)))

    def exercises(self) -> list:
        """The exercises that belong to this lesson (``python -m tinynn.exercises list`` has them all)."""
        from tinynn.exercises.catalog import all_exercises

        return [e for e in all_exercises() if e.lesson == self.number]

    def summary(self, **numbers) -> None:
        """Print this lesson's exercises, then the headline numbers as one JSON line (the tests read it)
        and the run time."""
        exercises = self.exercises()
        if exercises and not self.quiet:
            print(f"\nWrite it yourself: exercise{'s' if len(exercises) > 1 else ''} for this lesson "
                  f"(python -m tinynn.exercises show NN; the files are in lessons/exercises/)")
            for exercise in exercises:
                print(f"  {exercise.number}  {exercise.title}")
        numbers["seconds"] = round(time.perf_counter() - self.started, 2)
        print("summary: " + json.dumps(numbers, sort_keys=True))


class Progress:
    """Prints at most ``lines`` progress lines over ``total`` steps: the output is not flooded."""

    def __init__(self, total: int, lines: int = 8, label: str = "epoch"):
        self.total, self.every, self.label = total, max(1, total // lines), label
        self.start = time.perf_counter()

    def __call__(self, step: int, **values) -> None:
        if step % self.every == 0 or step == self.total:
            shown = "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items())
            print(f"  {self.label} {step:>5}/{self.total}  {shown}  ({time.perf_counter() - self.start:.1f} s)")
