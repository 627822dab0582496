"""How a tensor prints: like PyTorch's ``tensor([[1., 2.], [3., 4.]], requires_grad=True)``."""
from __future__ import annotations

import numpy as np

from . import backend, dtypes

_options = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Change how tensors print (PyTorch's arguments; ``profile`` is 'default', 'short' or 'full')."""
    if profile == "default":
        _options.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        _options.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        _options.update(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)
    for key, value in dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                           linewidth=linewidth, sci_mode=sci_mode).items():
        if value is not None:
            _options[key] = value


_DEFAULT_DTYPES = {dtypes.int64, dtypes.bool}


def tensor_repr(t) -> str:
    array = backend.to_device(t._data, backend.CPU)
    prefix = "tensor("
    suffix = []
    if array.size == 0 and array.shape != (0,):
        body = "[]"
        suffix.append(f"size={tuple(array.shape)}")
    else:
        body = _format(array, prefix)
    if array.dtype != dtypes.get_default_dtype() and array.dtype not in _DEFAULT_DTYPES:
        suffix.append(f"dtype=tinynn.{array.dtype}")
    device = backend.device_of(t._data)
    if device.type != "cpu":
        suffix.insert(0, f"device='{device}'")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffix.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffix) + ")"


def _format(array, prefix) -> str:
    kind = array.dtype.kind
    threshold = _options["threshold"]
    kwargs = dict(
        separator=", ",
        prefix=prefix,
        threshold=int(min(threshold, 2**31 - 1)),
        edgeitems=_options["edgeitems"],
        max_line_width=_options["linewidth"],
    )
    if kind == "f":
        finite = array[np.isfinite(array)]
        integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        big = finite.size and np.abs(finite).max() >= 1e8
        small = finite.size and np.abs(finite[finite != 0]).min() < 1e-4 if np.any(finite != 0) else False
        sci = _options["sci_mode"] if _options["sci_mode"] is not None else bool(big or small)
        if integral and not sci:
            formatter = {"float_kind": lambda v: _integral_float(v)}
        else:
            precision = _options["precision"]
            formatter = {"float_kind": (lambda v: f"{v:.{precision}e}") if sci else (lambda v: _fixed(v, precision))}
        return np.array2string(array, formatter=formatter, **kwargs)
    if kind == "b":
        return np.array2string(array, formatter={"bool": lambda v: "True" if v else "False"}, **kwargs)
    return np.array2string(array, **kwargs)


def _integral_float(v) -> str:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.0f}."


def _fixed(v, precision) -> str:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.{precision}f}"
