"""``DistributedDataParallel``: one model copy per process, gradients averaged after backward.

Each of the W ranks holds the same parameters and a different shard of the batch. With a loss
that is a mean over its shard of n examples, rank r computes g_r = (1/n) sum_{i in shard r} dl_i/dw.
The gradient of the mean loss over the whole batch of W * n examples is

    g = (1 / (W n)) sum_i dl_i/dw = (g_0 + g_1 + ... + g_{W-1}) / W,

so one ``all_reduce`` (sum) divided by W gives every rank the full-batch gradient, every rank's
optimizer takes the same step, and the copies never drift apart: W processes train exactly like one
process on the whole batch.

How it happens inside ``loss.backward()``:

1. Construction broadcasts rank 0's parameters and buffers, so every copy starts equal.
2. The parameters are grouped into *buckets* of about ``bucket_cap_mb`` megabytes, in reverse order
   (backward produces the last layer's gradients first). One allreduce per bucket instead of one per
   parameter: each MPI call has a fixed cost (latency), so few large messages beat many small ones.
3. ``forward`` walks the graph of its output to count how many gradient contributions each
   parameter will receive (a parameter used twice receives two). A hook on each parameter counts
   them down during backward; when a bucket is complete it is flattened into one buffer,
   allreduced, divided by W and written back into the ``.grad`` of its parameters. Buckets are
   reduced in index order on every rank, because MPI matches collectives by their order.
4. Inside ``with ddp.no_sync():`` forward arms no reduction: gradients accumulate locally, and the
   next backward outside it averages the accumulated ``.grad`` (gradient accumulation for free).

PyTorch's class is ``torch.nn.parallel.DistributedDataParallel``; tinynn's lives in
``tinynn.distributed`` with the same arguments.
"""
from __future__ import annotations

import contextlib

import numpy as np

from ..autograd import grad_mode
from ..autograd.engine import leaf_edges
from .. import backend
from ..backend import array_module_of
from ..nn.module import Module
from ..tensor import Tensor
from . import collectives
from .process_group import default_group

__all__ = ["DistributedDataParallel"]


def _tensors_in(value):
    """Every tensor inside a forward's output (a tensor, or tuples/lists/dicts of them)."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors_in(item)


def count_gradient_contributions(outputs, params: list[Tensor]) -> list[int]:
    """For each parameter, how many graph edges from ``outputs`` lead into it (= hook calls in backward)."""
    index = {id(p): i for i, p in enumerate(params)}
    counts = [0] * len(params)
    for leaf in leaf_edges(list(_tensors_in(outputs))):
        if id(leaf) in index:
            counts[index[id(leaf)]] += 1
    return counts


class _Reduction:
    """The bookkeeping of one backward pass: contributions still to come, buckets still to reduce."""

    def __init__(self, remaining: list[int], bucket_left: list[int]):
        self.remaining = remaining
        self.bucket_left = bucket_left
        self.next_bucket = 0
        self.reduce_mask: np.ndarray | None = None  # find_unused_parameters: which params any rank has
        self.mask_agreed = False                    # ... once the ranks have combined their masks


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``backward`` averages its gradients across all ranks.

    module: the model (its parameters are broadcast from rank 0 here).
    device_ids, output_device, dim: PyTorch's multi-device placement; tinynn runs one device per
        process, so device_ids may be None or name one device and the output stays where it is.
    broadcast_buffers: broadcast rank 0's buffers (BatchNorm running statistics) at every forward.
    process_group: the group to average over (default: the default group).
    bucket_cap_mb: bucket size in megabytes (default 25, as PyTorch); 0 gives one bucket per parameter.
    find_unused_parameters: allow parameters that some forward does not use (their gradient then
        counts as zero on that rank); when False such a forward raises, as PyTorch does later.
    check_reduction: deprecated in PyTorch and ignored. static_graph: accepted; tinynn inspects each
        forward's graph anyway, so it changes nothing. gradient_as_bucket_view=True is not supported.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a tinynn.nn.Module, got {type(module).__name__}")
        if device_ids is not None and (not isinstance(device_ids, (list, tuple)) or len(device_ids) != 1):
            raise ValueError("DistributedDataParallel: device_ids must be None or a list of one device "
                             f"(one device per process), got {device_ids!r}")
        if gradient_as_bucket_view:
            raise NotImplementedError("DistributedDataParallel: gradient_as_bucket_view=True is not supported by "
                                      "tinynn (gradients are copied out of the bucket after each allreduce)")
        cap = 25.0 if bucket_cap_mb is None else bucket_cap_mb
        if not isinstance(cap, (int, float)) or isinstance(cap, bool) or cap < 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a number >= 0, got {bucket_cap_mb!r}")
        self.module = module
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim
        self.broadcast_buffers = broadcast_buffers
        self.process_group = default_group(process_group, "DistributedDataParallel")
        self.bucket_cap_mb = cap
        self.find_unused_parameters = find_unused_parameters
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        with grad_mode.no_grad():
            for tensor in [*module.parameters(), *module.buffers()]:
                collectives.broadcast(tensor, 0, group=self.process_group)
        self._params = [p for p in module.parameters() if p.requires_grad]
        self._names = {id(p): name for name, p in module.named_parameters()}
        self.buckets = self._make_buckets(int(cap * 2**20))
        self._bucket_of = {}
        for b, bucket in enumerate(self.buckets):
            for i in bucket:
                self._bucket_of[i] = b
        self._reduction: _Reduction | None = None
        self._handles = [p.register_hook(self._make_hook(i)) for i, p in enumerate(self._params)]

    def _make_buckets(self, cap_bytes: int) -> list[list[int]]:
        """Parameter indices, last parameter first, cut into buckets of at most ``cap_bytes`` each.

        A bucket holds one dtype and one device (it becomes one flat array); a parameter larger than
        the cap gets a bucket of its own.
        """
        buckets, sizes, kinds = [], [], []
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            kind = (p._data.dtype, str(p.device))
            if buckets and kinds[-1] == kind and sizes[-1] + p.nbytes <= cap_bytes:
                buckets[-1].append(i)
                sizes[-1] += p.nbytes
            else:
                buckets.append([i])
                sizes.append(p.nbytes)
                kinds.append(kind)
        return buckets

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs, **kwargs):
        if self._reduction is not None:
            raise RuntimeError(
                "DistributedDataParallel: the previous backward did not finish reducing gradients: some "
                "parameters received no gradient (is the loss using every output of forward?). Pass "
                "find_unused_parameters=True, or call backward on a loss of every output before the next forward.")
        group = self.process_group
        if self.broadcast_buffers and group.size > 1:
            with grad_mode.no_grad():
                for buffer in self.module.buffers():
                    collectives.broadcast(buffer, 0, group=group)
        output = self.module(*inputs, **kwargs)
        if grad_mode.state.enabled and self.require_backward_grad_sync and self._params:
            self._arm(output)
        return output

    def _arm(self, output) -> None:
        """Count the gradient contributions backward will deliver; set up this iteration's reduction."""
        counts = count_gradient_contributions(output, self._params)
        unused = [self._names.get(id(self._params[i]), str(i)) for i, c in enumerate(counts) if c == 0]
        if unused and not self.find_unused_parameters:
            raise RuntimeError(
                "DistributedDataParallel: these parameters were not used to compute the output: "
                f"{', '.join(unused)}. Every rank must reduce the same gradients; pass "
                "find_unused_parameters=True to let them count as zero, or freeze them (requires_grad=False).")
        bucket_left = [sum(counts[i] > 0 for i in bucket) for bucket in self.buckets]
        reduction = _Reduction(counts, bucket_left)
        if self.find_unused_parameters:
            reduction.reduce_mask = np.array([c > 0 or p.grad is not None for c, p in zip(counts, self._params)])
        self._reduction = reduction
        if all(left == 0 for left in bucket_left):  # nothing will arrive: reduce now
            self._reduce_ready_buckets(None, None)

    # ------------------------------------------------------------------ backward
    def _make_hook(self, index: int):
        def hook(grad):
            return self._on_gradient(index, grad)
        return hook

    def _on_gradient(self, index: int, grad: Tensor):
        """Hook on parameter ``index``: runs just before ``grad`` is added into its ``.grad``."""
        reduction = self._reduction
        if reduction is None:  # under no_sync, or a backward that forward did not prepare for
            return None
        reduction.remaining[index] -= 1
        if reduction.remaining[index] > 0:
            return None
        bucket = self._bucket_of[index]
        reduction.bucket_left[bucket] -= 1
        if reduction.bucket_left[bucket] > 0 or bucket != reduction.next_bucket:
            return None
        # This gradient completes the bucket, but the engine adds it into .grad only after this hook
        # returns. So fold it in here, reduce, and hand the engine the averaged value instead:
        # with .grad set to None it stores exactly what we return.
        param = self._params[index]
        folded = grad._data if param.grad is None else param.grad._data + grad._data
        param.grad = None
        return self._reduce_ready_buckets(index, folded)

    def _reduce_ready_buckets(self, index, folded):
        """Allreduce every complete bucket from ``next_bucket`` on, in order; return param index's average."""
        reduction = self._reduction
        result = None
        if reduction.reduce_mask is not None and not reduction.mask_agreed:
            # one small allreduce first: a parameter is reduced when any rank has a gradient for it
            mask = Tensor._make(reduction.reduce_mask.astype(np.int32))
            collectives.all_reduce(mask, collectives.ReduceOp.MAX, group=self.process_group)
            reduction.reduce_mask, reduction.mask_agreed = mask._data > 0, True
        while reduction.next_bucket < len(self.buckets) and reduction.bucket_left[reduction.next_bucket] == 0:
            averaged = self._reduce_bucket(self.buckets[reduction.next_bucket], index, folded)
            if index in averaged:
                result = averaged[index]
            reduction.next_bucket += 1
        if reduction.next_bucket == len(self.buckets):
            self._reduction = None
        return result

    def _reduce_bucket(self, bucket: list[int], index, folded) -> dict:
        """Flatten the bucket's gradients into one array, allreduce it once, average, write back."""
        mask = self._reduction.reduce_mask
        members = [i for i in bucket if mask is None or mask[i]]
        if not members:
            return {}
        parts = []
        for i in members:
            p = self._params[i]
            if i == index:
                parts.append(folded.reshape(-1))
            elif p.grad is not None:
                parts.append(p.grad._data.reshape(-1))
            else:  # unused on this rank (find_unused_parameters): it contributes zero
                parts.append(array_module_of(p._data).zeros(p.numel(), dtype=p._data.dtype))
        flat = Tensor._make(array_module_of(parts[0]).concatenate(parts))
        collectives.all_reduce(flat, collectives.ReduceOp.SUM, group=self.process_group)
        flat._data /= self.process_group.size
        averaged, offset = {}, 0
        for i in members:
            p = self._params[i]
            piece = flat._data[offset:offset + p.numel()].reshape(p.shape)
            offset += p.numel()
            if i == index:
                averaged[i] = Tensor._make(piece.copy())
            elif p.grad is not None and backend.is_writeable(p.grad._data):
                p.grad._data[...] = piece
                p.grad._bump_version()
            else:
                p.grad = Tensor._make(piece.copy())
        return averaged

    # ------------------------------------------------------------------ gradient accumulation
    @contextlib.contextmanager
    def no_sync(self):
        """Inside this block forward arms no gradient averaging: backward accumulates locally.

        The first forward/backward after the block averages everything accumulated so far.
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
