"""What every lesson script shares: its command line, where its figures go, progress lines and the
summary line that the tests read. Nothing here builds a model: lessons use tinynn's public API."""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import time

import matplotlib

if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")  # headless: figures go to files

import matplotlib.pyplot as plt  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


class Lesson:
    """The lesson's settings: ``lesson.full`` (the ``--full`` flag), ``lesson.figures`` (a folder).

    ``python lessons/NN_name.py [--full] [--figures DIR] [--seed N]``
    """

    def __init__(self, number: int, title: str, full_takes: str = "a few minutes"):
        parser = argparse.ArgumentParser(description=f"tinynn lesson {number}: {title}")
        parser.add_argument("--full", action="store_true", help=f"train longer for better numbers ({full_takes})")
        parser.add_argument("--figures", help=f"folder for the figures (default: figures/{number:02d}/)")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        args, _ = parser.parse_known_args()
        self.number, self.title, self.full, self.seed = number, title, args.full, args.seed
        self.figures = pathlib.Path(args.figures) if args.figures else ROOT / "figures" / f"{number:02d}"
        self.figures.mkdir(parents=True, exist_ok=True)
        self.started = time.perf_counter()
        mode = f"full mode, {full_takes}" if self.full else "quick mode; --full trains longer"
        print(f"Lesson {number}: {title}  ({mode}; figures go to {self.figures})")

    def save(self, fig, name: str) -> pathlib.Path:
        """Save a matplotlib figure into the lesson's folder and close it."""
        path = self.figures / name
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        print(f"  figure saved: {path}")
        return path

    def summary(self, **numbers) -> None:
        """Print the headline numbers as one JSON line (the tests read it) and the run time."""
        numbers["seconds"] = round(time.perf_counter() - self.started, 2)
        print("summary: " + json.dumps(numbers, sort_keys=True))


class Progress:
    """Prints at most ``lines`` progress lines over ``total`` steps: the terminal is not flooded."""

    def __init__(self, total: int, lines: int = 8, label: str = "epoch"):
        self.total, self.every, self.label = total, max(1, total // lines), label
        self.start = time.perf_counter()

    def __call__(self, step: int, **values) -> None:
        if step % self.every == 0 or step == self.total:
            shown = "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items())
            print(f"  {self.label} {step:>5}/{self.total}  {shown}  ({time.perf_counter() - self.start:.1f} s)")
