"""Milestones: real models trained by the code the student wrote in the exercises.

    python -m tinynn.exercises milestone 1 --use my_exercises/

A milestone names the parts it needs (``parts.py``); each part is the student's code when their
exercise file is in the folder and passes its checks, tinynn's otherwise (with the exercise to go
back to). It prints which parts were whose, trains, prints its target and whether it was reached:

    1  an MLP on the handwritten digits: your engine, Linear, activations, cross-entropy, SGD, DataLoader
    2  a CNN on the digits: your convolution, pooling and batch norm (and milestone 1's parts)
    3  a character-level LSTM language model: your LSTM cell, Adam
    4  a small GPT: your attention, multi-head attention, layer norm, Adam and sampling
    5  QLoRA: your quantizer and LoRA layer adapt a pretrained digits model to new classes
"""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field

from .parts import load_parts

__all__ = ["MILESTONES", "MilestoneResult", "run_milestone"]

MILESTONES = {1: "m1_mlp", 2: "m2_cnn", 3: "m3_char_lstm", 4: "m4_gpt", 5: "m5_qlora"}


@dataclass
class MilestoneResult:
    number: int
    title: str
    metric: str
    value: float
    target: float
    higher_is_better: bool
    seconds: float
    parts: dict
    extra: dict = field(default_factory=dict)

    @property
    def reached(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    @property
    def yours(self) -> list:
        return [p.name for p in self.parts.values() if p.owner == "yours"]

    def to_dict(self) -> dict:
        return {"milestone": self.number, "title": self.title, "metric": self.metric, "value": self.value,
                "target": self.target, "reached": self.reached, "seconds": round(self.seconds, 1),
                "parts": {name: {"exercise": p.exercise, "owner": p.owner, "note": p.note}
                          for name, p in self.parts.items()}, **self.extra}


def module_of(number: int):
    if number not in MILESTONES:
        raise KeyError(f"there is no milestone {number}; the milestones are {', '.join(map(str, MILESTONES))}")
    return importlib.import_module(f"{__name__}.{MILESTONES[number]}")


def run_milestone(number: int, use=None, log=print, quick: bool = True, **limits) -> MilestoneResult:
    """Load the parts (the student's from ``use`` where they pass), train, and report against the target."""
    module = module_of(int(number))
    log(f"milestone {number}: {module.TITLE}")
    parts = load_parts(module.PARTS, use, **limits)
    width = max(len(name) for name in parts)
    for name, part in parts.items():
        log(f"  {name:<{width}}  exercise {part.exercise}  {part.owner:<8}  {part.note}")
    start = time.perf_counter()
    metrics = module.run(parts, log=log, quick=quick)
    seconds = time.perf_counter() - start
    metric, target, higher = module.TARGET
    result = MilestoneResult(int(number), module.TITLE, metric, float(metrics.pop(metric)), target, higher, seconds,
                             parts, metrics)
    comparison = ">=" if higher else "<="
    log(f"{metric}: {result.value:.4g} (target {comparison} {target:g}): "
        f"{'reached' if result.reached else 'NOT reached'} in {seconds:.0f} s")
    mine = result.yours
    log(f"your parts: {', '.join(mine) if mine else 'none yet'}; "
        f"tinynn's: {', '.join(n for n, p in parts.items() if p.owner != 'yours') or 'none'}")
    if not result.reached and mine:
        log("not reached with your parts: run the checks of the exercises above again (each passes on its own, "
            "so look at how they meet: shapes, dtypes, a gradient that is summed twice)")
    return result
