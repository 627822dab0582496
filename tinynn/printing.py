"""How a tensor prints: like PyTorch's ``tensor([[1., 2.], [3., 4.]], requires_grad=True)``.

The rules are PyTorch's (torch/_tensor_str.py), so the same tensor prints the same text:

* One format for all elements, chosen from the nonzero finite values (``_Formatter``):
  integer-valued floats print as ``1.``; otherwise 4 decimals (``precision``), or scientific
  notation when the largest is over 1e8, the smallest under 1e-4, or their ratio over 1000.
  Every element is padded to the widest one so the columns line up.
* Tensors with more than ``threshold`` (1000) elements print ``edgeitems`` (3) rows and columns
  at each end with ``...`` between; the format is chosen from those edges only.
* ``elements_per_line = (linewidth - indent) // (width + 2)``; suffixes (dtype, grad_fn) wrap
  onto a new line when they would pass ``linewidth`` (80).
"""
from __future__ import annotations

import numpy as np

from . import backend, dtypes

_options = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Change how tensors print (PyTorch's arguments; ``profile`` is 'default', 'short' or 'full').

    As in PyTorch, ``sci_mode`` is reset to automatic (None) by every call that does not give it.
    """
    if profile == "default":
        _options.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        _options.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        _options.update(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)
    for key, value in dict(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth).items():
        if value is not None:
            _options[key] = value
    _options["sci_mode"] = sci_mode


def tensor_repr(t) -> str:
    array = backend.to_device(t._data, backend.CPU)
    prefix = "tensor("
    suffixes = []
    device = backend.device_of(t._data)
    if device.type != "cpu":
        suffixes.append(f"device='{device}'")
    if array.size == 0:
        body = "[]"
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype != dtypes.get_default_dtype():  # nothing in "[]" tells the dtype
            suffixes.append(f"dtype=tinynn.{array.dtype}")
    else:
        body = _tensor_str(array, indent=len(prefix))
        if array.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool):
            suffixes.append(f"dtype=tinynn.{array.dtype}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, len(prefix))


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """Append ``, suffix`` to the last line, or on a new line when it would pass the line width."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > _options["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"


def _tensor_str(array: np.ndarray, indent: int) -> str:
    summarize = array.size > _options["threshold"]
    if array.dtype == np.float16:  # formatted through float32, as PyTorch does
        array = array.astype(np.float32)
    formatter = _Formatter(_summarized(array) if summarize else array)
    return _nested_str(array, indent, summarize, formatter)


class _Formatter:
    """One text format for every element of a tensor, and the width to pad them to."""

    def __init__(self, array: np.ndarray):
        self.floating = array.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        precision = _options["precision"]
        if not self.floating:
            self.width = max([len(str(v)) for v in array.reshape(-1).tolist()], default=1)
            return
        values = array[np.isfinite(array) & (array != 0)].astype(np.float64)
        if values.size == 0:
            return
        magnitudes = np.abs(values)
        largest, smallest = magnitudes.max(), magnitudes.min()
        self.int_mode = bool(np.all(values == np.ceil(values)))
        if _options["sci_mode"] is None:
            self.sci_mode = bool(largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
        else:
            self.sci_mode = _options["sci_mode"]
        if self.sci_mode:
            texts = [f"{v:.{precision}e}" for v in values.tolist()]
        elif self.int_mode:
            texts = [f"{v:.0f}." for v in values.tolist()]
        else:
            texts = [f"{v:.{precision}f}" for v in values.tolist()]
        self.width = max(1, max(len(text) for text in texts))

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{_options['precision']}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if np.isinf(value) or np.isnan(value) else ".")
        else:
            text = f"{value:.{_options['precision']}f}"
        return text.rjust(self.width)


def _summarized(array: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows: ``edgeitems`` at each end of every dimension."""
    edge = _options["edgeitems"]
    for axis, size in enumerate(array.shape):
        if size > 2 * edge:
            array = np.concatenate([array.take(range(edge), axis), array.take(range(size - edge, size), axis)], axis)
    return array


def _nested_str(array: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    edge = _options["edgeitems"]
    cut = summarize and array.shape[0] > 2 * edge if array.ndim else False
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        if cut:
            items = [formatter.format(v) for v in array[:edge].tolist()] + [" ..."]
            items += [formatter.format(v) for v in array[-edge:].tolist()]
        else:
            items = [formatter.format(v) for v in array.tolist()]
        per_line = max(1, (_options["linewidth"] - indent) // (formatter.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = list(range(edge)) + [None] + list(range(len(array) - edge, len(array))) if cut else range(len(array))
    slices = ["..." if i is None else _nested_str(array[i], indent + 1, summarize, formatter) for i in rows]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(slices) + "]"
