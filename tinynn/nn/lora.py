"""LoRA: low-rank adapters on a frozen pretrained model (Hu et al. 2021, "LoRA: Low-Rank Adaptation").

Fine-tuning a weight W: (out, in) trains out * in numbers. LoRA freezes W and learns a correction
of rank r instead, the product of two thin matrices:

    y = x W^T + b + s * dropout(x) A^T B^T,      A: (r, in),  B: (out, r),  s = lora_alpha / r
    delta_W = s * B A                             (out, in), rank <= r

r * (in + out) trainable numbers instead of out * in. A starts random (kaiming-uniform, as
``nn.Linear``'s weight), B starts at zero, so at the start delta_W = 0 and the adapted model is
exactly the pretrained one. The scale s = alpha / r keeps the update's size about the same when r
changes, so a learning rate tuned at one rank carries over to another.

After training, ``merge()`` folds delta_W into W (one matrix product again at inference, no extra
cost); ``unmerge()`` takes it back out. Names follow Hugging Face's peft (``r``, ``lora_alpha``,
``lora_dropout``, ``target_modules``, ``merge_and_unload``) and Microsoft's loralib
(``mark_only_lora_as_trainable``, ``lora_state_dict``).

The two adapter layers live in nn/lora_layers.py; this file holds the functions that work on a whole model:

    apply_lora(model, target_modules, r, lora_alpha, lora_dropout, qkv)   wrap + freeze the rest
    mark_only_lora_as_trainable(model, bias)   count_parameters(model)   print_trainable_parameters
    lora_state_dict(model) / load_lora_state_dict(model, sd)              adapter-only checkpoints
    merge_lora / unmerge_lora / merge_and_unload(model)                   fold the adapters in
"""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Iterable, Sequence

from .attention import MultiheadAttention
from .linear import Linear
from .lora_layers import LoRALinear, LoRAMultiheadAttention, check_lora_hyperparameters
from .module import Module

__all__ = ["LoRALinear", "LoRAMultiheadAttention", "apply_lora", "count_parameters", "load_lora_state_dict",
           "lora_state_dict", "mark_only_lora_as_trainable", "merge_and_unload", "merge_lora",
           "print_trainable_parameters", "unmerge_lora"]


# ---------------------------------------------------------------------------------- whole models
LORA_LAYERS = (LoRALinear, LoRAMultiheadAttention)


def matches_target(name: str, target_modules) -> bool:
    """peft's rule: a string is a regular expression the whole qualified name must match; a list
    matches a module whose name is one of the targets or ends with "." + a target."""
    if isinstance(target_modules, str):
        return re.fullmatch(target_modules, name) is not None
    return any(name == t or name.endswith("." + t) for t in target_modules)


def _lora_layers(model: Module):
    """(name, layer) for every LoRA layer, outermost first (an out_proj inside a LoRA MHA is not listed)."""
    found = []
    for name, module in model.named_modules():
        if isinstance(module, LORA_LAYERS) and not any(name.startswith(n + ".") for n, _ in found):
            found.append((name, module))
    return found


def _replace(model: Module, name: str, new: Module) -> None:
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, child, new)


def apply_lora(model: Module, target_modules: str | Sequence[str], r: int = 8, lora_alpha: float = 16,
               lora_dropout: float = 0.0, qkv: Iterable[str] = ("q", "v"), bias: str = "none") -> Module:
    """Wrap the target modules of ``model`` in LoRA adapters (in place) and freeze everything else.

    target_modules: names as peft matches them: ["q_proj", "v_proj"] picks every module whose
        qualified name ends with ".q_proj" or ".v_proj" (or is exactly that); a single string is a
        regular expression over the whole name (e.g. r"layers\\.0\\.self_attn").
    An ``nn.Linear`` becomes a ``LoRALinear``; an ``nn.MultiheadAttention`` a
    ``LoRAMultiheadAttention`` adapting the projections in ``qkv`` (default q and v, as the LoRA
    paper); a MultiheadAttention's ``out_proj`` (read by the attention functional, not called)
    is adapted through its parent. Afterwards only the ``lora_`` parameters (and the biases
    ``bias`` selects, see ``mark_only_lora_as_trainable``) have requires_grad=True.
    Returns ``model``. Raises ValueError when no module matches (listing the names there are)
    and TypeError when a match is of another type.
    """
    check_lora_hyperparameters(r, lora_alpha, lora_dropout)
    inside_lora = [n for n, _ in _lora_layers(model)]
    linears, attentions, out_projs = [], [], []
    for name, module in model.named_modules():
        if not name or not matches_target(name, target_modules):
            continue
        if any(name.startswith(n + ".") for n in inside_lora) or isinstance(module, LORA_LAYERS):
            raise ValueError(f"apply_lora: '{name}' already has a LoRA adapter")
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        if isinstance(module, Linear) and isinstance(parent, MultiheadAttention) and child == "out_proj":
            out_projs.append(parent_name)
        elif isinstance(module, Linear):
            linears.append(name)
        elif isinstance(module, MultiheadAttention):
            attentions.append(name)
        else:
            raise TypeError(f"apply_lora: target '{name}' is a {type(module).__name__}; LoRA supports nn.Linear "
                            "and nn.MultiheadAttention (and a MultiheadAttention's out_proj)")
    if not (linears or attentions or out_projs):
        available = sorted({n.rpartition(".")[2] for n, _ in model.named_modules() if n})
        raise ValueError(f"apply_lora: no module matches target_modules={target_modules!r}; the model's module "
                         f"names end in {available}")
    for name in linears:
        _replace(model, name, LoRALinear(model.get_submodule(name), r, lora_alpha, lora_dropout))
    for name in dict.fromkeys(attentions + out_projs):   # each attention once, in model order
        adapter = LoRAMultiheadAttention(model.get_submodule(name), r, lora_alpha, lora_dropout,
                                         qkv=qkv if name in attentions else (), out_proj=name in out_projs)
        _replace(model, name, adapter)
    mark_only_lora_as_trainable(model, bias)
    return model


def _lora_bias_names(model: Module) -> set:
    """Qualified names of the biases that belong to LoRA-wrapped layers."""
    names = set()
    for prefix, layer in _lora_layers(model):
        for name, _ in layer.named_parameters(prefix):
            if name.endswith("bias") and "lora_" not in name:
                names.add(name)
    return names


def mark_only_lora_as_trainable(model: Module, bias: str = "none") -> Module:
    """requires_grad=True for parameters whose name contains "lora_", False for all others, except
    biases by ``bias``: "none" (all frozen), "all" (every bias trains) or "lora_only" (the biases of
    the LoRA-wrapped layers train). loralib's function. Returns ``model``."""
    if bias not in ("none", "all", "lora_only"):
        raise ValueError(f"bias must be 'none', 'all' or 'lora_only', got {bias!r}")
    lora_biases = _lora_bias_names(model) if bias == "lora_only" else set()
    for name, p in model.named_parameters():
        is_bias = name.endswith("bias") and "lora_" not in name
        p.requires_grad = ("lora_" in name or (bias == "all" and is_bias) or name in lora_biases) \
            and p.dtype.kind == "f"
    return model


def count_parameters(model: Module) -> tuple[int, int]:
    """(trainable, total) numbers of parameter elements (peft's ``get_nb_trainable_parameters``)."""
    trainable = total = 0
    for p in model.parameters():
        total += p.numel()
        if p.requires_grad:
            trainable += p.numel()
    return trainable, total


def print_trainable_parameters(model: Module) -> str:
    """Print and return peft's line: "trainable params: T || all params: N || trainable%: P"."""
    trainable, total = count_parameters(model)
    line = f"trainable params: {trainable:,d} || all params: {total:,d} || trainable%: {100 * trainable / total:.4f}"
    print(line)
    return line


def lora_state_dict(model: Module, bias: str = "none") -> OrderedDict:
    """The adapter-only state dict: entries whose key contains "lora_", plus biases by ``bias``
    ("none", "all", or "lora_only": those of the LoRA-wrapped layers), as in loralib. Save it with
    ``tinynn.save``; load it into the pretrained model after ``apply_lora`` with
    ``load_lora_state_dict`` (or ``model.load_state_dict(sd, strict=False)``, which checks less)."""
    if bias not in ("none", "all", "lora_only"):
        raise ValueError(f"bias must be 'none', 'all' or 'lora_only', got {bias!r}")
    lora_biases = _lora_bias_names(model) if bias == "lora_only" else set()
    keep = OrderedDict()
    for key, value in model.state_dict().items():
        is_bias = key.endswith("bias") and "lora_" not in key
        if "lora_" in key or (bias == "all" and is_bias) or key in lora_biases:
            keep[key] = value
    return keep


def load_lora_state_dict(model: Module, state_dict, strict: bool = True) -> None:
    """Load an adapter-only state dict into a model already wrapped by ``apply_lora`` with the same
    targets and ranks. Every key must exist in ``model`` (else RuntimeError naming them); with
    ``strict`` every ``lora_`` parameter of ``model`` must be in ``state_dict``."""
    own = model.state_dict(keep_vars=True)
    unexpected = [k for k in state_dict if k not in own]
    missing = [k for k in own if "lora_" in k and k not in state_dict] if strict else []
    if unexpected or missing:
        lines = []
        if unexpected:
            lines.append("keys not in the model (was apply_lora called with the same targets?): "
                         + ", ".join(unexpected))
        if missing:
            lines.append("LoRA parameters missing from the state dict: " + ", ".join(missing))
        raise RuntimeError("load_lora_state_dict: " + "; ".join(lines))
    model.load_state_dict(state_dict, strict=False)


def merge_lora(model: Module) -> Module:
    """merge() every LoRA layer not yet merged: delta_W folded into the frozen weights."""
    for _, layer in _lora_layers(model):
        if not layer.merged:
            layer.merge()
    return model


def unmerge_lora(model: Module) -> Module:
    """unmerge() every merged LoRA layer: the pretrained weights back."""
    for _, layer in _lora_layers(model):
        if layer.merged:
            layer.unmerge()
    return model


def merge_and_unload(model: Module) -> Module:
    """Merge every adapter and put the plain base layers back in place (peft's ``merge_and_unload``):
    the model's structure and state-dict keys are the pretrained ones again, with the fine-tuned
    weights. The base parameters stay frozen; ``model.requires_grad_(True)`` to train them."""
    merge_lora(model)
    for name, layer in _lora_layers(model):
        plain = layer.base if isinstance(layer, LoRALinear) else layer.unwrap()
        if name:
            _replace(model, name, plain)
        else:
            model = plain
    return model
