"""Exercise 34: code that runs on any device: the array module of the input, moving a model and a batch.

A tinynn tensor keeps its numbers in a NumPy array on the CPU, or in a CuPy array in GPU memory.
CuPy copies NumPy's API (``cupy.exp``, ``cupy.zeros``, ``x.max(axis=1)`` ...), so one piece of code
serves both, provided it never names NumPy itself. It asks for the module that holds its input,

    xp = array_module_of(x)          # numpy for a NumPy array, cupy for a CuPy array

and calls ``xp.exp``, ``xp.zeros`` ... Three mistakes break code on a GPU and not on a CPU, which
is why they survive until the first GPU run:

  * ``np.exp(x)`` on a CuPy array: NumPy tries to convert it and CuPy refuses (TypeError), or
    the data silently makes a round trip through the host.
  * ``np.zeros(shape)`` next to GPU data: the new array lives on the CPU, and the next operation
    mixes devices. Create with ``xp``, and with the input's dtype: ``xp.zeros(shape, dtype=x.dtype)``
    (``np.zeros`` would also make float64, where the model computes in float32).
  * ``tensor.numpy()`` (or ``np.asarray(tensor)``) on a GPU tensor: an error in PyTorch and in
    tinynn. Compute on the device and bring back only the final number with ``.item()``.

For tensors and models the same idea is ``.to(device)``: ``model.to(device)`` moves its parameters
and buffers (in place; it returns the model), ``x.to(device)`` returns a moved tensor. A batch is
often a structure (a tuple ``(x, y)``, a dict ``{"x": ..., "y": ..., "ids": [...]}``), so a
helper walks it. Casting is a trap there: ``.to(float32)`` of the whole batch would turn the class
labels into floats, which cross-entropy refuses; only floating tensors change dtype.

You write (the grader runs your functions with NumPy, but hides ``np`` from your module's functions
and watches ``array_module_of``, ``Tensor.to`` and ``Tensor.numpy``, so it notices code that would
fail on a GPU):
  1. ``softmax(x, axis=-1)``: the numerically stable softmax of an array (subtract the max along
     ``axis`` before exp), with ``xp`` only; the dtype kept.
  2. ``one_hot(labels, num_classes, dtype)``: labels: integer array (N,) -> (N, num_classes) of
     ``dtype``, 1 at [n, labels[n]], created with ``xp`` (on the labels' device).
  3. ``move_to(obj, device, dtype=None)``: a Tensor -> ``obj.to(device)``, also cast to ``dtype``
     when given and the tensor is floating (``obj.is_floating_point()``); a Module -> moved (and
     cast) with its ``.to``, returned; a tuple, list or dict -> the same kind of container of moved
     items (same keys); anything else (numbers, strings, None) -> unchanged.
  4. ``accuracy(logits, labels)``: the fraction of rows whose argmax equals the label, as a
     Python float; computed with Tensor operations, only the result leaves the device (.item()).
"""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn as nn
from tinynn.backend import array_module_of

LESSON = 23
FORBIDDEN = ["tinynn.nn.functional.softmax", "tinynn.nn.functional.one_hot"]


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) along ``axis``, written with xp = array_module_of(x)."""
    # >>> solution
    xp = array_module_of(x)
    shifted = xp.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)
    # <<< solution


def one_hot(labels: np.ndarray, num_classes: int, dtype) -> np.ndarray:
    """labels: (N,) integers -> (N, num_classes) of ``dtype``, created with xp = array_module_of(labels)."""
    # >>> solution
    xp = array_module_of(labels)
    encoded = xp.zeros((labels.shape[0], num_classes), dtype=dtype)
    encoded[xp.arange(labels.shape[0]), labels] = 1
    return encoded
    # <<< solution


def move_to(obj, device, dtype=None):
    """Tensors, Modules and (nested) tuples, lists and dicts of them moved to ``device``; floats cast to ``dtype``."""
    # >>> solution
    if isinstance(obj, tinynn.Tensor):
        moved = obj.to(device)
        return moved.to(dtype) if dtype is not None and moved.is_floating_point() else moved
    if isinstance(obj, nn.Module):
        obj.to(device)
        return obj.to(dtype) if dtype is not None else obj
    if isinstance(obj, (tuple, list)):
        return type(obj)(move_to(item, device, dtype) for item in obj)
    if isinstance(obj, dict):
        return {key: move_to(value, device, dtype) for key, value in obj.items()}
    return obj
    # <<< solution


def accuracy(logits: tinynn.Tensor, labels: tinynn.Tensor) -> float:
    """logits: (N, C), labels: (N,) integers -> the fraction of rows with argmax == label (a Python float)."""
    # >>> solution
    correct = logits.argmax(dim=1) == labels
    return correct.float().mean().item()
    # <<< solution
