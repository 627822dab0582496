"""Exercise 30: fine-tuning: freeze the pretrained body, put on a new head, give each part its own learning rate.

A pretrained network already knows useful features; a new task needs a new last layer (the head)
and, at most, gentle changes to the rest. Three tools, all of them bookkeeping on parameters:

1. Freezing. A parameter with ``requires_grad = False`` gets no gradient (backward leaves its
   ``.grad`` as None) and an optimizer skips it, so it never changes. A model names its parameters
   by the path of the submodule that owns them (``model.named_parameters()``):

       embed.weight, embed.bias, blocks.0.weight, ..., head_norm.weight, head.weight, head.bias

   The parameters of submodule ``head`` are ``head.weight`` and ``head.bias``: a name belongs to a
   submodule m when it equals m or starts with ``m + "."``. Careful: ``name.startswith("head")``
   also matches ``head_norm.weight``, a different submodule.

2. A new head. Replace the last Linear by a fresh ``nn.Linear(in_features, num_classes)``: same
   input size, a new number of outputs, newly initialised, trainable, and of the old head's dtype
   and device (a float64 model needs a float64 head: pass ``dtype=old.weight.dtype``). A dotted
   name reaches into containers: ``blocks.2`` is child "2" of ``model.blocks``; set the new module
   on the parent with ``setattr(parent, "2", new)``.

3. Parameter groups. An optimizer takes a list of dicts, one per group, each with its own options:

       [{"params": [...], "lr": 1e-3},          # e.g. the last block: small steps
        {"params": [...], "lr": 1e-2}]          # the new head: large steps

   Options missing from a group (momentum, weight decay) come from the optimizer's arguments. Only
   trainable parameters belong in a group: handing frozen ones to the optimizer wastes its state,
   and with weight decay or momentum some optimizers would move them anyway.

You write (``model`` is any ``tinynn.nn.Module``; "submodule names" are dotted names as in
``model.named_modules()``):
  1. ``count_parameters(model)``: (number of trainable numbers, number of all numbers).
  2. ``freeze_except(model, trainable)``: ``requires_grad`` True for the parameters of the named
     submodules, False for every other one; return the names of the trainable parameters, in the
     order of ``model.named_parameters()``.
  3. ``replace_head(model, name, num_classes)``: put a new Linear in place of submodule ``name``;
     return it.
  4. ``parameter_groups(model, lrs, default_lr)``: ``lrs`` maps submodule names to learning rates,
     {"blocks": 1e-3, "head": 1e-2}. One group per entry, in the order of ``lrs``, holding the
     trainable parameters of that submodule (in ``named_parameters()`` order), then one group with
     ``default_lr`` for the trainable parameters of no listed submodule. Leave out groups that
     would be empty (an optimizer refuses an empty group).

The grader checks which parameters end up trainable, that frozen ones get no gradient and do not
move in an SGD step with momentum and weight decay, and that each group's parameters move with its
own learning rate, against the same steps taken by hand.
"""
from __future__ import annotations

import tinynn.nn as nn

LESSON = 19
FORBIDDEN = []


def _belongs_to(parameter_name: str, module_name: str) -> bool:
    """Whether ``parameter_name`` (e.g. "head.weight") is a parameter of submodule ``module_name`` ("head")."""
    return parameter_name == module_name or parameter_name.startswith(module_name + ".")


def count_parameters(model: nn.Module) -> tuple[int, int]:
    """(trainable numbers, all numbers) of ``model``'s parameters (``p.numel()`` each)."""
    # >>> solution
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total
    # <<< solution


def freeze_except(model: nn.Module, trainable: list[str]) -> list[str]:
    """Freeze every parameter outside the submodules named in ``trainable``; return the trainable names."""
    # >>> solution
    names = []
    for name, parameter in model.named_parameters():
        parameter.requires_grad = any(_belongs_to(name, module) for module in trainable)
        if parameter.requires_grad:
            names.append(name)
    return names
    # <<< solution


def replace_head(model: nn.Module, name: str, num_classes: int) -> nn.Linear:
    """Replace the Linear submodule ``name`` ("head", "blocks.2") by a new Linear with ``num_classes`` outputs."""
    # >>> solution
    *path, last = name.split(".")
    parent = model
    for part in path:
        parent = getattr(parent, part)
    old = getattr(parent, last)
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None,
                    dtype=old.weight.dtype, device=old.weight.device)
    setattr(parent, last, new)
    return new
    # <<< solution


def parameter_groups(model: nn.Module, lrs: dict[str, float], default_lr: float) -> list[dict]:
    """[{"params": [...], "lr": lr}, ...]: one group per entry of ``lrs``, then the rest at ``default_lr``."""
    # >>> solution
    groups = {module: [] for module in lrs}
    rest = []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        owner = next((module for module in lrs if _belongs_to(name, module)), None)
        (rest if owner is None else groups[owner]).append(parameter)
    result = [{"params": params, "lr": lrs[module]} for module, params in groups.items() if params]
    if rest:
        result.append({"params": rest, "lr": default_lr})
    return result
    # <<< solution
