"""In-place operations: how ``x.add_(y)``, ``x.fill_(v)`` and ``x[i] = v`` change a tensor.

Every in-place op is its out-of-place op plus one step: compute ``result = op(x, ...)``, then make x
hold result. Outside the graph the numbers are written into x's memory (its views see them). In
the graph, x takes over result's place in it, as PyTorch's in-place ops do, so that backward
flows through the op; a view, or a base with views, gets the numbers written into its memory and
its base a copy-slices step (``inplace_views.py``). ``methods.py`` attaches these functions to
Tensor (``x.add_`` is ``apply_inplace(x, "add_", add, ...)``).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ..tensor import Tensor
from .convert import to_dtype
from .getitem import index_put
from .index_key import to_index_key
from .inplace_views import live_views, write_and_rebase


def apply_inplace(self: Tensor, name: str, fn, *args, **kwargs) -> Tensor:
    """``self`` becomes ``fn(self, *args, **kwargs)`` (``Tensor._inplace``)."""
    source = check_inplace(self, name)
    return assign_result(self, fn(source, *args, **kwargs), name)


def check_inplace(self: Tensor, name: str) -> Tensor:
    """The tensor an in-place op should compute from: self, or a snapshot of its graph position."""
    if not grad_mode.state.enabled:
        return self
    if self._requires_grad and self.grad_fn is None:
        raise RuntimeError(
            f"{name}: a leaf tensor that requires grad is being used in an in-place operation; "
            "wrap it in `with tinynn.no_grad():` (as optimizers do) or use the out-of-place op"
        )
    if shares_memory_with_views(self):
        # the result will be written into this memory: the snapshot keeps the old numbers
        return Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn, self._output_nr)
    if self.grad_fn is None:
        return self
    # A snapshot: the old position in the graph with the old array. The in-place result
    # replaces self's array rather than writing into it, so the snapshot's numbers survive.
    return Tensor._make(self._data, True, self.grad_fn, self._output_nr)


def assign_result(self: Tensor, result: Tensor, name: str) -> Tensor:
    """Make ``self`` hold ``result``, the out-of-place value of an in-place op on ``self``.

    Outside the graph, the numbers are written into self's memory (views see them).
    In the graph, self's history is rebased onto result's node: a tensor that shares memory
    with none takes over result's array; a view, or a base with views, gets the numbers written
    into its memory and its base a copy-slices step, so that every view and the base see the
    new numbers and their gradients.
    """
    if result.shape != self._data.shape:
        raise RuntimeError(
            f"{name}: the result of shape {tuple(result.shape)} doesn't match the in-place "
            f"tensor's shape {tuple(self._data.shape)}"
        )
    if dtypes.category(result.dtype) > dtypes.category(self._data.dtype):
        raise RuntimeError(f"{name}: result type {result.dtype} can't be cast to the desired output type {self._data.dtype}")
    if result.grad_fn is None:
        try:
            self._data[...] = result._data
        except ValueError as err:
            raise RuntimeError(f"{name}: cannot write into this tensor ({err}); clone() it first") from None
    else:
        if result.dtype != self._data.dtype:
            result = to_dtype(result, self._data.dtype)
        if shares_memory_with_views(self):
            write_and_rebase(self, result)
            self._bump_version()
            return self
        self._data = result._data
        self.grad_fn = result.grad_fn
        self._output_nr = result._output_nr
        self._requires_grad = True
    self._bump_version()
    return self


def shares_memory_with_views(self: Tensor) -> bool:
    """A view of another tensor, or a tensor with live views: in-place results go into the memory."""
    if self._base is not None:
        return True
    return bool(self._views) and bool(live_views(self))


def inplace_view(self: Tensor, name: str, fn, *args) -> Tensor:
    """``t_()``, ``unsqueeze_()``, ...: self becomes ``fn(self, *args)``, a view of its own memory
    with a new shape (and, in the graph, that view's place in it)."""
    if grad_mode.state.enabled and self._requires_grad and self.grad_fn is None:
        raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an in-place operation.")
    source = Tensor._make(self._data, self._requires_grad, self.grad_fn, self._output_nr)
    result = fn(source, *args)
    self._data = result._data
    self.grad_fn, self._output_nr = result.grad_fn, result._output_nr
    return self


# ---------------------------------------------------------------------------- writing values
def zero_(self: Tensor) -> Tensor:
    return self.fill_(0)


def fill_(self: Tensor, value) -> Tensor:
    return _write_all(self, "fill_", value)


def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src))
    return _write_all(self, "copy_", src.to(device=self.device))


def _write_all(self: Tensor, name: str, value) -> Tensor:
    """Overwrite every element with ``value`` (broadcast): the body of fill_ and copy_."""
    in_graph = grad_mode.state.enabled and (
        self.grad_fn is not None or (isinstance(value, Tensor) and value._requires_grad)
    )
    if in_graph:
        return apply_inplace(self, name, index_put, Ellipsis, value)
    check_inplace(self, name)
    try:
        self._data[...] = value._data if isinstance(value, Tensor) else value
    except ValueError as err:
        raise RuntimeError(f"{name}: {err}") from None
    self._bump_version()
    return self


def setitem(self: Tensor, index, value) -> None:
    """``self[index] = value`` (``Tensor.__setitem__``)."""
    needs_graph = grad_mode.state.enabled and (
        self._requires_grad or (isinstance(value, Tensor) and value._requires_grad)
    )
    if needs_graph:
        apply_inplace(self, "__setitem__", index_put, index, value)
        return
    if isinstance(value, Tensor):
        value = value._data
    try:
        self._data[to_index_key(index, self._data)] = value
    except ValueError as err:
        raise RuntimeError(f"__setitem__: {err}") from None
    self._bump_version()
