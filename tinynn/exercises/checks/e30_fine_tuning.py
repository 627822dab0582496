"""Checks for exercise 30, fine-tuning: parameter counts, which parameters end up frozen, the new head, the
parameter groups, and a whole fine-tuning step (frozen parameters unchanged, each group at its own lr)."""
from __future__ import annotations

import copy

import numpy as np

import tinynn
import tinynn.nn as nn
from ..grading import Grader, Mismatch


class Pretrained(nn.Module):
    """The "pretrained" model the checks fine-tune: embed -> blocks -> head_norm -> head."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(4, 6)
        self.blocks = nn.Sequential(nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 6))
        self.head_norm = nn.LayerNorm(6)    # "head_norm" starts with "head": a trap for name.startswith("head")
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        return self.head(self.head_norm(self.blocks(self.embed(x))))


def _model(seed: int = 0) -> Pretrained:
    tinynn.manual_seed(seed)
    return Pretrained().double()


def _names(model) -> dict:
    """id(parameter) -> its name, to say which parameter a group holds."""
    return {id(p): name for name, p in model.named_parameters()}


def _listing(names: list) -> str:
    return ", ".join(names) if names else "none"


def _expect_trainable(what: str, model, expected: list, trainable: list) -> None:
    """Compare the requires_grad flags of ``model`` with ``expected`` (the names that should be trainable)."""
    flags = {name: p.requires_grad for name, p in model.named_parameters()}
    wrongly_on = [n for n, on in flags.items() if on and n not in expected]
    wrongly_off = [n for n, on in flags.items() if not on and n in expected]
    if wrongly_on:
        hint = ""
        if all(any(n.startswith(m) for m in trainable) for n in wrongly_on):
            hint = (f". Hint: {wrongly_on[0]} belongs to another submodule; a name belongs to submodule m when it "
                    "equals m or starts with m + '.' (plain startswith(m) also catches head_norm for head)")
        raise Mismatch(f"{what}: trainable (requires_grad True) but should be frozen: {_listing(wrongly_on)}{hint}")
    if wrongly_off:
        raise Mismatch(f"{what}: frozen (requires_grad False) but should be trainable: {_listing(wrongly_off)}. "
                       "Hint: set requires_grad to True for the named submodules, not only False for the others "
                       "(an earlier freeze may have switched them off)")


def _check_count(g: Grader, student) -> None:
    model = _model()
    total = sum(p.numel() for p in model.parameters())
    cases = [("every parameter trainable", model, (total, total))]
    partly = _model()
    for p in list(partly.embed.parameters()) + list(partly.blocks.parameters()):
        p.requires_grad = False
    head = sum(p.numel() for p in list(partly.head.parameters()) + list(partly.head_norm.parameters()))
    cases.append(("embed and blocks frozen", partly, (head, total)))
    cases.append(("a model without parameters (nn.ReLU())", nn.ReLU(), (0, 0)))
    for case, model, expected in cases:
        with g.check(case, "count_parameters"):
            got = g.call(student.count_parameters, model)
            g.expect_count("count_parameters", ["trainable", "total"], got)
            tensors = len(list(model.parameters()))
            for label, value, wanted in zip(("trainable", "total"), got, expected):
                if value != wanted:
                    hint = (". Hint: that is the number of parameter tensors; count their numbers with p.numel()"
                            if tensors and value in (tensors, len([p for p in model.parameters() if p.requires_grad]))
                            else "")
                    raise Mismatch(f"count_parameters: {label} = {value}, expected {wanted}{hint}")


def _check_freeze(g: Grader, student, reference) -> None:
    cases = [(["head"], None, 2), (["blocks.4", "head"], None, 1), ([], None, 1), (["head"], ["embed"], 1)]
    for trainable, before, points in cases:
        model = _model()
        case = f"freeze_except(model, {trainable})"
        if before is not None:
            reference.freeze_except(model, before)
            case += f" after freeze_except(model, {before})"
        expected = reference.freeze_except(copy.deepcopy(model), trainable)
        with g.check(case, "freeze_except", points=points):
            got = g.call(student.freeze_except, model, list(trainable))
            _expect_trainable(case, model, expected, trainable)
            if list(got or []) != expected or got is None:
                raise Mismatch(f"{case} returned {got!r}, expected the trainable names in named_parameters() order: "
                               f"{expected!r}")
            y = model(tinynn.tensor(g.randn(3, 4)))
            if not expected:
                if y.requires_grad:
                    raise Mismatch(f"{case}: model(x) still requires grad, but every parameter should be frozen")
                continue
            y.sum().backward()
            with_grad = [name for name, p in model.named_parameters() if p.grad is not None]
            if with_grad != expected:
                raise Mismatch(f"{case}: after backward these have a gradient: {_listing(with_grad)}; expected "
                               f"only {_listing(expected)}")


def _check_replace(g: Grader, student) -> None:
    for name, classes, frozen_first in (("head", 5, False), ("blocks.4", 6, False), ("head", 2, True)):
        model = _model()
        case = f"replace_head(model, {name!r}, {classes}) in a float64 model"
        case += ", all frozen first" if frozen_first else ""
        if frozen_first:
            for p in model.parameters():
                p.requires_grad = False
        old = model.get_submodule(name)
        with g.check(case, "replace_head", points=2 if name == "head" and not frozen_first else 1):
            new = g.call(student.replace_head, model, name, classes)
            if not isinstance(new, nn.Linear):
                raise Mismatch(f"{case} returned {type(new).__name__}, expected the new nn.Linear")
            if model.get_submodule(name) is not new:
                raise Mismatch(f"{case}: model.{name} is not the Linear you returned. Hint: setattr on the parent "
                               "module (model.blocks for 'blocks.4')")
            if new is old or (new.in_features, new.out_features) != (old.in_features, classes):
                raise Mismatch(f"{case}: the new head is Linear({new.in_features}, {new.out_features}), expected "
                               f"Linear({old.in_features}, {classes}): same inputs as the old one, {classes} outputs")
            if new.weight.dtype != old.weight.dtype:
                raise Mismatch(f"{case}: the new head is {new.weight.dtype}, the model {old.weight.dtype}. "
                               "Hint: nn.Linear(..., dtype=old.weight.dtype)")
            if not all(p.requires_grad for p in new.parameters()):
                raise Mismatch(f"{case}: the new head's parameters are frozen: a new head must be trainable")
            if any(p is q for p in model.parameters() for q in old.parameters()):
                raise Mismatch(f"{case}: the old head's parameters are still in model.parameters()")
            y = model(tinynn.tensor(g.randn(2, 4)))
            out = classes if name == "head" else 3
            if tuple(y.shape) != (2, out):
                raise Mismatch(f"{case}: model(x) has shape {tuple(y.shape)}, expected (2, {out})")


def _group_listing(groups, names) -> list:
    return [([names.get(id(p), "<not a parameter of the model>") for p in group["params"]], group.get("lr"))
            for group in groups]


def _check_groups(g: Grader, student, reference) -> None:
    cases = [({"blocks": 0.001, "head": 0.01}, None, 2), ({"head": 0.01, "blocks": 0.001}, ["blocks.4", "head"], 1),
             ({"head": 0.01, "head_norm": 0.001}, None, 1), ({"head": 0.01}, [], 1)]
    for lrs, trainable, points in cases:
        model = _model()
        case = f"parameter_groups(model, {lrs}, default_lr=0.0001)"
        if trainable is not None:
            reference.freeze_except(model, trainable)
            case += f" after freeze_except(model, {trainable})"
        names = _names(model)
        expected = _group_listing(reference.parameter_groups(model, lrs, 1e-4), names)
        with g.check(case, "parameter_groups", points=points):
            got = g.call(student.parameter_groups, model, dict(lrs), 1e-4)
            if not isinstance(got, list) or not all(isinstance(group, dict) and "params" in group for group in got):
                raise Mismatch(f"{case}: expected a list of dicts with 'params' and 'lr', got {got!r}")
            got = _group_listing(got, names)
            if got == expected:
                continue
            frozen = [n for group, _ in got for n in group if n in names.values()
                      and not dict(model.named_parameters())[n].requires_grad]
            hint = ("frozen parameters (requires_grad False) belong in no group" if frozen else
                    "leave out empty groups" if any(not group for group, _ in got) else
                    "one group per entry of lrs in its order, then the rest at default_lr")
            raise Mismatch(f"{case}: your groups (names, lr) {got}, expected {expected}. Hint: {hint}")


def _check_step(g: Grader, student, reference) -> None:
    model, x, target = _model(), tinynn.tensor(g.randn(5, 4)), tinynn.tensor(g.randn(5, 4))
    lrs, trainable = {"blocks": 0.05, "head": 0.5}, ["blocks.4", "head"]
    case = (f"freeze_except(model, {trainable}), replace_head(model, 'head', 4), parameter_groups(model, {lrs}, 0.01), "
            "then 2 steps of SGD(groups, lr=0.01, momentum=0.9, weight_decay=0.1)")
    with g.check(case, "parameter_groups", points=3):
        g.call(student.freeze_except, model, list(trainable))
        g.call(student.replace_head, model, "head", 4)
        groups = g.call(student.parameter_groups, model, dict(lrs), 0.01)
        expected_model = copy.deepcopy(model)
        reference.freeze_except(expected_model, trainable)
        before = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}
        optimizers = [tinynn.optim.SGD(groups, lr=0.01, momentum=0.9, weight_decay=0.1),
                      tinynn.optim.SGD(reference.parameter_groups(expected_model, lrs, 0.01), lr=0.01, momentum=0.9,
                                       weight_decay=0.1)]
        for _ in range(2):
            for net, optimizer in zip((model, expected_model), optimizers):
                optimizer.zero_grad()
                ((net(x) - target) ** 2).mean().backward()
                optimizer.step()
        for (name, p), q in zip(model.named_parameters(), expected_model.parameters()):
            got = p.detach().numpy()
            if not q.requires_grad and not np.array_equal(got, before[name]):
                raise Mismatch(f"after the steps: {name} changed, but it should be frozen")
            g.expect(f"after the steps: {name}", got, q.detach().numpy(), rtol=1e-10,
                     mistakes={"the value before the steps (it did not move: frozen, or in no group?)": before[name]})


def grade(g: Grader, student, reference) -> None:
    _check_count(g, student)
    _check_freeze(g, student, reference)
    _check_replace(g, student)
    _check_groups(g, student, reference)
    _check_step(g, student, reference)
