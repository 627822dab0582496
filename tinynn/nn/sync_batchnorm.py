"""``SyncBatchNorm``: batch norm whose statistics cover the whole global batch, across processes.

In data-parallel training each process sees only its share of the batch. Plain BatchNorm would
normalize with the statistics of that share; SyncBatchNorm sums them over the processes first:

    count = sum_r n_r,   mean = (sum_r sum x) / count,   var = (sum_r sum (x - mean)^2) / count

(sum_r: an all-reduce over the ranks of the process group), then normalizes every local element
with them, exactly as BatchNorm would on the concatenated batch.

Gradients. The one new operation is the all-reduce sum s = sum_r a_r, which every rank receives.
With the global loss L = sum_r L_r, dL/da_r = sum_r' dL_r'/ds: the backward of an all-reduce sum is
an all-reduce sum of the gradients (``AllReduceSum``). Everything else is ordinary tinynn ops, so
each rank's input gradient is the gradient of the global batch's loss, as in PyTorch; weight and
bias gradients stay local (DistributedDataParallel averages them).

When it synchronizes: in training mode, with ``tinynn.distributed`` initialized and more than one
process in the group. Otherwise (one process, eval mode) it is exactly ``BatchNorm``. Unlike
PyTorch, which synchronizes only GPU tensors (NCCL), tinynn synchronizes over MPI on the CPU too.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..autograd.grad_mode import no_grad
from ..ops.unary import rsqrt
from ..tensor import Tensor
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


class AllReduceSum(Op):
    """y = sum over the ranks of x (every rank gets y);  dL/dx = sum over the ranks of dL/dy."""

    @staticmethod
    def forward(ctx, x, group):
        from ..distributed import all_reduce

        ctx.group = group
        total = Tensor._make(x.copy())
        all_reduce(total, group=group)
        return total._data

    @staticmethod
    def backward(ctx, grad):
        return AllReduceSum.apply(grad, ctx.group), None


def _group_to_sync(process_group):
    """The process group to synchronize over (None: the default one), or None when there is no one to
    synchronize with (tinynn.distributed not initialized, or a group of one process)."""
    from ..distributed import is_initialized
    from ..distributed.process_group import default_group

    if not is_initialized():
        return None
    group = default_group(process_group, "SyncBatchNorm")
    return group if group.size > 1 else None


class SyncBatchNorm(_BatchNorm):
    """Batch norm over (N, C, *) input with statistics summed across the processes of ``process_group``
    (None: the default group); see the module docstring. Parameters, buffers and state_dict as BatchNorm.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def forward(self, input: Tensor) -> Tensor:
        group = _group_to_sync(self.process_group) if self.training else None
        if group is None:
            return super().forward(input)   # one process (or eval): plain batch norm
        self._check_input_dim(input)
        if input.shape[1] != self.num_features and (self.affine or self.track_running_stats):
            raise RuntimeError(f"SyncBatchNorm: expected {self.num_features} channels in dim 1, "
                               f"got input of shape {tuple(input.shape)}")
        momentum = self._momentum_for_this_step()
        x = input.to(np.float32) if input.dtype == np.float16 else input
        y = _synced_batch_norm(self, x, momentum, group)
        return y.to(input.dtype) if y.dtype != input.dtype else y

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replace every BatchNorm1d/2d/3d in ``module`` (recursively) by a SyncBatchNorm sharing its
        parameters and buffers; a BatchNorm given itself comes back as a new SyncBatchNorm."""
        converted = module
        if isinstance(module, _BatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group, bias=module.bias is not None)
            if module.affine:
                converted.weight = module.weight
                converted.bias = module.bias
            converted.running_mean = module.running_mean
            converted.running_var = module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
            converted.training = module.training
            if hasattr(module, "qconfig"):
                converted.qconfig = module.qconfig
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted


def _synced_batch_norm(layer: SyncBatchNorm, x: Tensor, momentum: float, group) -> Tensor:
    """Normalize x (N, C, *) with the statistics of the global batch, and update the running ones."""
    axes = (0,) + tuple(range(2, x.ndim))
    local_count = Tensor._make(np.array([float(math.prod(x.shape[a] for a in axes))]))
    count = float(AllReduceSum.apply(local_count, group).item())
    if count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(x.shape)} "
                         f"(and {count:g} values per channel over all processes)")
    mean = AllReduceSum.apply(x.sum(axes, keepdim=True), group) / count
    centered = x - mean
    var = AllReduceSum.apply((centered * centered).sum(axes, keepdim=True), group) / count
    y = centered * rsqrt(var + layer.eps)
    shape = (x.shape[1],) + (1,) * (x.ndim - 2)
    if layer.weight is not None:
        y = y * layer.weight.reshape(shape)
    if layer.bias is not None:
        y = y + layer.bias.reshape(shape)
    if layer.track_running_stats:
        with no_grad():
            layer.running_mean.mul_(1 - momentum).add_(mean.detach().reshape(-1).to(layer.running_mean.dtype),
                                                       alpha=momentum)
            unbiased = var.detach().reshape(-1) * (count / (count - 1))
            layer.running_var.mul_(1 - momentum).add_(unbiased.to(layer.running_var.dtype), alpha=momentum)
    return y
