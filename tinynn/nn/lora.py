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

The two adapter layers come first, then the functions that work on a whole model:

    apply_lora(model, target_modules, r, lora_alpha, lora_dropout, qkv)   wrap + freeze the rest
    mark_only_lora_as_trainable(model, bias)   count_parameters(model)   print_trainable_parameters
    lora_state_dict(model) / load_lora_state_dict(model, sd)              adapter-only checkpoints
    merge_lora / unmerge_lora / merge_and_unload(model)                   fold the adapters in
"""
from __future__ import annotations

import math
import re
import warnings
from collections import OrderedDict
from typing import Iterable, Sequence

from .. import autograd
from ..creation import empty, zeros
from ..ops.join import cat
from ..tensor import Tensor
from . import init
from .attention import MultiheadAttention
from .dropout import Dropout
from .functional.attention import multi_head_attention_forward
from .linear import Identity, Linear
from .module import Module
from .parameter import Parameter

__all__ = ["LoRALinear", "LoRAMultiheadAttention", "apply_lora", "count_parameters", "load_lora_state_dict",
           "lora_state_dict", "mark_only_lora_as_trainable", "merge_and_unload", "merge_lora",
           "print_trainable_parameters", "unmerge_lora"]


def _check_hyperparameters(r, lora_alpha, lora_dropout) -> None:
    if isinstance(r, bool) or not isinstance(r, int):
        raise TypeError(f"LoRA rank r must be an int >= 1, got {type(r).__name__} {r!r}")
    if r < 1:
        raise ValueError(f"LoRA rank r must be >= 1, got r={r}")
    if isinstance(lora_alpha, bool) or not isinstance(lora_alpha, (int, float)) or lora_alpha <= 0:
        raise ValueError(f"lora_alpha must be a positive number, got {lora_alpha!r}")
    if not 0.0 <= lora_dropout < 1.0:
        raise ValueError(f"lora_dropout must be in [0, 1), got {lora_dropout!r}")


def _new_adapter(r: int, in_features: int, out_features: int, like: Tensor) -> tuple[Parameter, Parameter]:
    """A: (r, in) kaiming-uniform with a = sqrt(5) (nn.Linear's init: U(-1/sqrt(in), 1/sqrt(in))),
    B: (out, r) zeros; both on ``like``'s device and in its dtype."""
    lora_A = Parameter(empty((r, in_features), dtype=like.dtype, device=like.device))
    init.kaiming_uniform_(lora_A, a=math.sqrt(5))
    lora_B = Parameter(zeros((out_features, r), dtype=like.dtype, device=like.device))
    return lora_A, lora_B


class LoRALinear(Module):
    """A frozen ``nn.Linear`` plus a trainable low-rank update (peft's ``lora.Linear``).

    forward:  y = base(x) + (lora_alpha / r) * dropout(x) A^T B^T      x: (*, in) -> y: (*, out)

    base: the pretrained Linear (its weight and bias are frozen: requires_grad=False).
    lora_A: (r, in_features), kaiming-uniform.   lora_B: (out_features, r), zeros.
    lora_dropout: dropout on the adapter's input only (training mode); the frozen path sees x.

    ``merge()`` adds delta_W = scaling * B A into ``base.weight`` and sets ``merged``; the forward
    then is the base Linear alone (the adapter is not added twice). ``unmerge()`` subtracts it
    again. Merged outputs equal unmerged eval-mode outputs to float rounding (in training mode
    with dropout > 0 they differ, since dropout acts on the adapter's input).
    """

    def __init__(self, base: Linear, r: int = 8, lora_alpha: float = 16, lora_dropout: float = 0.0) -> None:
        if not isinstance(base, Linear):
            raise TypeError(f"LoRALinear wraps an nn.Linear, got {type(base).__name__}")
        _check_hyperparameters(r, lora_alpha, lora_dropout)
        super().__init__()
        self.base = base
        base.requires_grad_(False)
        self.r, self.lora_alpha = r, lora_alpha
        self.scaling = lora_alpha / r
        self.lora_dropout = Dropout(lora_dropout) if lora_dropout > 0 else Identity()
        self.lora_A, self.lora_B = _new_adapter(r, base.in_features, base.out_features, base.weight)
        self.merged = False

    @property
    def in_features(self) -> int:
        return self.base.in_features

    @property
    def out_features(self) -> int:
        return self.base.out_features

    def delta_weight(self) -> Tensor:
        """delta_W = scaling * B A: (out_features, in_features), rank <= r."""
        return (self.lora_B @ self.lora_A) * self.scaling

    def forward(self, input: Tensor) -> Tensor:
        out = self.base(input)
        if self.merged:
            return out
        # x A^T first: (*, in) -> (*, r) -> (*, out) costs r(in + out) per row, never out * in
        low_rank = (self.lora_dropout(input) @ self.lora_A.T) @ self.lora_B.T
        return out + low_rank * self.scaling

    def merge(self) -> None:
        """W <- W + scaling * B A (in place); the forward then skips the adapter."""
        if self.merged:
            warnings.warn("LoRALinear.merge(): already merged, nothing to do")
            return
        with autograd.no_grad():
            self.base.weight.add_(self.delta_weight())
        self.merged = True

    def unmerge(self) -> None:
        """W <- W - scaling * B A: the pretrained weight back (to float rounding)."""
        if not self.merged:
            warnings.warn("LoRALinear.unmerge(): not merged, nothing to do")
            return
        with autograd.no_grad():
            self.base.weight.sub_(self.delta_weight())
        self.merged = False

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, r={self.r}, "
                f"lora_alpha={self.lora_alpha}, scaling={self.scaling:g}, merged={self.merged}")


class LoRAMultiheadAttention(Module):
    """LoRA on ``nn.MultiheadAttention``'s input projections (and optionally its out_proj).

    The attention module keeps W_q, W_k, W_v stacked in one ``in_proj_weight`` (3E, E), so there
    is no separate Linear to wrap. Instead each selected projection p in ``qkv`` gets its own
    adapter (``lora_A_p``: (r, in_p), ``lora_B_p``: (E, r)) and the forward calls the same
    attention functional with the adapted weights:

        W_p' = W_p + (lora_alpha / r) B_p A_p        for p in qkv, e.g. ("q", "v") as in the paper

    (``in_p`` is E, or kdim / vdim for k / v when the module has separate projection weights.)
    ``out_proj=True`` also wraps ``base.out_proj`` in a ``LoRALinear``. The adapter acts on the
    weights, so ``lora_dropout`` (dropout on the adapter's input) cannot be expressed here and
    must be 0. forward has ``MultiheadAttention.forward``'s signature, shapes and masks.
    """

    def __init__(self, base: MultiheadAttention, r: int = 8, lora_alpha: float = 16, lora_dropout: float = 0.0,
                 qkv: Iterable[str] = ("q", "v"), out_proj: bool = False) -> None:
        if not isinstance(base, MultiheadAttention):
            raise TypeError(f"LoRAMultiheadAttention wraps an nn.MultiheadAttention, got {type(base).__name__}")
        _check_hyperparameters(r, lora_alpha, lora_dropout)
        if lora_dropout != 0:
            raise ValueError(f"LoRAMultiheadAttention adapts the projection weights, so lora_dropout (dropout on "
                             f"the adapter's input) is not supported: expected 0.0, got {lora_dropout}")
        qkv = tuple(qkv)
        unknown = [p for p in qkv if p not in ("q", "k", "v")]
        if unknown or len(set(qkv)) != len(qkv):
            raise ValueError(f"qkv must name distinct projections among 'q', 'k', 'v', got {qkv!r}")
        if not qkv and not out_proj:
            raise ValueError("LoRAMultiheadAttention needs something to adapt: a non-empty qkv or out_proj=True")
        super().__init__()
        self.base = base
        base.requires_grad_(False)
        self.r, self.lora_alpha, self.scaling = r, lora_alpha, lora_alpha / r
        self.qkv = tuple(p for p in ("q", "k", "v") if p in qkv)   # canonical order
        self.embed_dim, self.num_heads, self.batch_first = base.embed_dim, base.num_heads, base.batch_first
        in_dims = {"q": base.embed_dim, "k": base.kdim, "v": base.vdim}
        like = base.in_proj_weight if base._qkv_same_embed_dim else base.q_proj_weight
        for p in self.qkv:
            lora_A, lora_B = _new_adapter(r, in_dims[p], base.embed_dim, like)
            setattr(self, f"lora_A_{p}", lora_A)
            setattr(self, f"lora_B_{p}", lora_B)
        if out_proj:
            base.out_proj = LoRALinear(base.out_proj, r, lora_alpha)
        self.merged = False

    def delta_weight(self, projection: str) -> Tensor:
        """delta_W_p = scaling * B_p A_p: (E, in_p) for projection p in ``qkv``."""
        if projection not in self.qkv:
            raise ValueError(f"projection {projection!r} has no adapter; adapted: {self.qkv}")
        return (getattr(self, f"lora_B_{projection}") @ getattr(self, f"lora_A_{projection}")) * self.scaling

    def adapted_weights(self) -> dict:
        """The weights the forward uses: {"in_proj_weight"} or {"q_proj_weight", "k_proj_weight",
        "v_proj_weight"}, plus "out_proj_weight"; each W + delta_W where adapted (and not merged)."""
        base, E = self.base, self.embed_dim
        if base._qkv_same_embed_dim:
            pieces = {"q": base.in_proj_weight[:E], "k": base.in_proj_weight[E:2 * E],
                      "v": base.in_proj_weight[2 * E:]}
        else:
            pieces = {"q": base.q_proj_weight, "k": base.k_proj_weight, "v": base.v_proj_weight}
        if not self.merged:
            pieces = {p: w + self.delta_weight(p) if p in self.qkv else w for p, w in pieces.items()}
        if base._qkv_same_embed_dim:
            weights = {"in_proj_weight": cat([pieces["q"], pieces["k"], pieces["v"]], dim=0)
                       if self.qkv and not self.merged else base.in_proj_weight}
        else:
            weights = {f"{p}_proj_weight": w for p, w in pieces.items()}
        out = base.out_proj
        if isinstance(out, LoRALinear):
            weights["out_proj_weight"] = out.base.weight if out.merged else out.base.weight + out.delta_weight()
        else:
            weights["out_proj_weight"] = out.weight
        return weights

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False):
        """As ``MultiheadAttention.forward``: returns (attn_output, attn_weights or None)."""
        base = self.base
        batched = query.ndim == 3
        if self.batch_first and batched:   # (N, L, E) -> (L, N, E), keeping "query is key is value" visible
            if query is key and key is value:  # to the functional: self-attention projects q, k, v in one product
                query = key = value = query.transpose(1, 0)
            elif key is value:
                query, key = query.transpose(1, 0), key.transpose(1, 0)
                value = key
            else:
                query, key, value = query.transpose(1, 0), key.transpose(1, 0), value.transpose(1, 0)
        weights = self.adapted_weights()
        out_proj = base.out_proj.base if isinstance(base.out_proj, LoRALinear) else base.out_proj
        separate = not base._qkv_same_embed_dim
        out, attn = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, weights.get("in_proj_weight"), base.in_proj_bias,
            base.bias_k, base.bias_v, base.add_zero_attn, base.dropout, weights["out_proj_weight"], out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate, q_proj_weight=weights.get("q_proj_weight"),
            k_proj_weight=weights.get("k_proj_weight"), v_proj_weight=weights.get("v_proj_weight"),
            average_attn_weights=average_attn_weights, is_causal=is_causal,
        )
        if self.batch_first and batched:
            out = out.transpose(1, 0)
        return out, attn

    def _fold(self, sign: float) -> None:
        """Add (sign=+1) or subtract (-1) every q/k/v delta into the frozen projection weights."""
        base, E = self.base, self.embed_dim
        with autograd.no_grad():
            for index, p in enumerate(("q", "k", "v")):
                if p not in self.qkv:
                    continue
                delta = self.delta_weight(p) * sign
                if base._qkv_same_embed_dim:
                    rows = slice(index * E, (index + 1) * E)
                    base.in_proj_weight[rows] = base.in_proj_weight[rows] + delta
                else:
                    getattr(base, f"{p}_proj_weight").add_(delta)

    def merge(self) -> None:
        """Fold every adapter into the frozen weights (in place); the forward then uses them as they are."""
        if self.merged:
            warnings.warn("LoRAMultiheadAttention.merge(): already merged, nothing to do")
            return
        self._fold(+1.0)
        if isinstance(self.base.out_proj, LoRALinear):
            self.base.out_proj.merge()
        self.merged = True

    def unmerge(self) -> None:
        """Take the adapters back out of the frozen weights."""
        if not self.merged:
            warnings.warn("LoRAMultiheadAttention.unmerge(): not merged, nothing to do")
            return
        self._fold(-1.0)
        if isinstance(self.base.out_proj, LoRALinear):
            self.base.out_proj.unmerge()
        self.merged = False

    def unwrap(self) -> MultiheadAttention:
        """The base MultiheadAttention with a plain Linear back as out_proj (weights as they are now)."""
        if isinstance(self.base.out_proj, LoRALinear):
            self.base.out_proj = self.base.out_proj.base
        return self.base

    def extra_repr(self) -> str:
        return (f"qkv={self.qkv}, r={self.r}, lora_alpha={self.lora_alpha}, scaling={self.scaling:g}, "
                f"merged={self.merged}")


# ---------------------------------------------------------------------------------- whole models
LORA_LAYERS = (LoRALinear, LoRAMultiheadAttention)


def _matches(name: str, target_modules) -> bool:
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
    _check_hyperparameters(r, lora_alpha, lora_dropout)
    inside_lora = [n for n, _ in _lora_layers(model)]
    linears, attentions, out_projs = [], [], []
    for name, module in model.named_modules():
        if not name or not _matches(name, target_modules):
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
