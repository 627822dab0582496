"""Whole models: post-training quantization, QLoRA preparation, and where the bytes go.

    quantize_model(model, format="int8")     every nn.Linear -> QuantizedLinear (a copy by default)
    prepare_qlora(model, targets, r=8)       every Linear quantized and frozen, LoRA on the targets
    memory_report(model)                     bytes per layer before (as floats) and after

Module names are matched as peft (and ``nn.apply_lora``) match ``target_modules``: a list of names
``["q_proj"]`` selects every module whose dotted name is ``q_proj`` or ends in ``.q_proj``
(``layers.0.attn.q_proj``); a single string is a regular expression the whole name must match.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ..nn.linear import Linear
from ..nn.lora import matches_target   # peft's rule, shared with nn.apply_lora
from ..nn.module import Module
from .layers import QLoRALinear, QuantizedLinear

__all__ = ["MemoryReport", "memory_report", "prepare_qlora", "quantize_model"]


def _as_names(value, what: str):
    """None, a regular expression (a str), or a tuple of names."""
    if value is None or isinstance(value, str):
        return value
    names = tuple(value)
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"{what}: expected module names (strings) or one regular expression, got {value!r}")
    return names


def _linear_layers(model: Module, targets, skip, where: str) -> list:
    """[(parent, child name, dotted name, Linear)] for the Linears selected by targets and skip."""
    if not isinstance(model, Module):
        raise TypeError(f"{where}: expected an nn.Module, got {type(model).__name__}")
    targets, skip = _as_names(targets, where), _as_names(skip, where)
    skip = () if skip is None else skip
    found = []
    for parent_name, parent in model.named_modules():
        for child_name, child in parent.named_children():
            name = f"{parent_name}.{child_name}" if parent_name else child_name
            if isinstance(child, Linear) and not matches_target(name, skip):
                if targets is None or matches_target(name, targets):
                    found.append((parent, child_name, name, child))
    if targets is not None:
        patterns = [targets] if isinstance(targets, str) else targets
        missing = [t for t in patterns if not any(matches_target(name, t if isinstance(targets, str) else (t,))
                                                  for _, _, name, _ in found)]
        if missing:
            linears = [n for n, m in model.named_modules() if isinstance(m, Linear)]
            raise ValueError(f"{where}: target modules {missing} match no nn.Linear of the model "
                             f"(not skipped); its Linear layers are {linears}")
    return found


def quantize_model(model: Module, format: str = "int8", block_size: int = 64, double_quant: bool = False,
                   targets=None, skip=(), inplace: bool = False) -> Module:
    """Post-training quantization: replace nn.Linear layers with QuantizedLinear.

    targets: names of the Linears to quantize (None: all of them);  skip: names to keep in float
    (e.g. a small output layer);  inplace: change ``model`` itself instead of a deep copy
    (PyTorch's ``quantize_dynamic`` also copies by default). Returns the quantized model.
    """
    model = model if inplace else copy.deepcopy(model)
    for parent, child_name, _, linear in _linear_layers(model, targets, skip, "quantize_model"):
        quantized = QuantizedLinear.from_linear(linear, format=format, block_size=block_size,
                                                double_quant=double_quant)
        setattr(parent, child_name, quantized)
    return model


def prepare_qlora(model: Module, targets=None, r: int = 8, lora_alpha: float = 16, lora_dropout: float = 0.0,
                  format: str = "nf4", block_size: int = 64, double_quant: bool = True, skip=()) -> Module:
    """Make ``model`` (in place) a QLoRA model and return it.

    Every parameter is frozen; every nn.Linear not in ``skip`` is quantized (NF4 with double
    quantization by default, QLoRA's recipe); the Linears named in ``targets`` (None: all of
    them, peft's "all-linear") become QLoRALinear with trainable ``lora_A`` / ``lora_B``. Layers
    in ``skip`` stay in float, frozen. Only the adapters train.
    """
    targets = _as_names(targets, "prepare_qlora")
    layers = _linear_layers(model, None, skip, "prepare_qlora")
    if targets is not None:   # check the names before changing anything
        _linear_layers(model, targets, skip, "prepare_qlora")
    model.requires_grad_(False)
    for parent, child_name, name, linear in layers:
        base = QuantizedLinear.from_linear(linear, format=format, block_size=block_size, double_quant=double_quant)
        base.requires_grad_(False)
        if targets is None or matches_target(name, targets):
            base = QLoRALinear(base, r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout)
        setattr(parent, child_name, base)
    return model


@dataclass
class MemoryReport:
    """Bytes per layer: ``rows`` = [(name, kind, bytes before, bytes after)], with totals.

    "before" is what the layer's parameters and buffers would take in float (a quantized weight
    counted at its float size), "after" what they take now. ``str(report)`` is a table.
    """

    rows: list = field(default_factory=list)

    @property
    def total_before(self) -> int:
        return sum(row[2] for row in self.rows)

    @property
    def total_after(self) -> int:
        return sum(row[3] for row in self.rows)

    def as_dict(self) -> dict:
        """{layer name: {"kind", "before", "after"}} plus "total"."""
        table = {name: {"kind": kind, "before": before, "after": after} for name, kind, before, after in self.rows}
        table["total"] = {"kind": "", "before": self.total_before, "after": self.total_after}
        return table

    def __str__(self) -> str:
        width = max([len(r[0]) for r in self.rows] + [5])
        lines = [f"{'layer':<{width}}  {'kind':<28}  {'before':>10}  {'after':>10}  ratio"]
        for name, kind, before, after in self.rows + [("total", "", self.total_before, self.total_after)]:
            ratio = f"{after / before:.3f}" if before else "-"
            lines.append(f"{name:<{width}}  {kind:<28}  {before:>10,}  {after:>10,}  {ratio}")
        return "\n".join(lines)


def _kind(module: Module) -> str:
    if isinstance(module, QuantizedLinear):
        dq = "+dq" if module.double_quant else ""
        return f"QuantizedLinear({module.format}{dq}, {module.block_size})"
    return type(module).__name__


def memory_report(model: Module) -> MemoryReport:
    """Bytes of each module's own parameters and buffers, before (float) and after quantization.

    One row per module that owns tensors (a QLoRALinear's row holds its adapters; its quantized
    base layer has its own row). Exact: the sum of the tensors' ``nbytes``.
    """
    if not isinstance(model, Module):
        raise TypeError(f"memory_report: expected an nn.Module, got {type(model).__name__}")
    rows = []
    for name, module in model.named_modules():
        own = [t for t in list(module._parameters.values()) + list(module._buffers.values()) if t is not None]
        if not own:
            continue
        after = sum(int(t.nbytes) for t in own)
        before = module.float_nbytes() if isinstance(module, QuantizedLinear) else after
        rows.append((name or type(model).__name__, _kind(module), before, after))
    return MemoryReport(rows)
