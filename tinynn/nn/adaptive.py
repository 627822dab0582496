"""``AdaptiveLogSoftmaxWithLoss`` (Grave et al. 2017): a softmax over a large vocabulary, cheap for frequent words.

The classes are sorted by frequency and cut at ``cutoffs`` into a shortlist [0, c0) and clusters
[c0, c1), [c1, c2), ..., [c_{k-1}, n_classes). The *head* scores the shortlist words plus one entry
per cluster; cluster i has its own small *tail* network (in_features -> in_features // div^(i+1)
-> cluster size). The log-probability of a class is

    shortlist word t:     log p(t) = log softmax(head(x))[t]
    word t in cluster i:  log p(t) = log softmax(head(x))[c0 + i] + log softmax(tail_i(x))[t - c_i]

so most targets (frequent words) cost only the head, and a rare word adds one small tail. The
probabilities of all classes still sum to one. ``forward`` returns (output, loss): output[n] is the
target's log-probability, loss the mean of -output. Built from tinynn ops; autograd derives the
gradients.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..backend import CPU, to_device
from ..ops.index_ops import index_add
from ..ops.join import cat
from ..tensor import Tensor
from . import functional as F
from .containers import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax. forward(input (N, in_features) or (in_features,), target (N,) or ()) -> (output, loss).

    ``head``: Linear(in_features, cutoffs[0] + number of clusters, bias=head_bias);
    ``tail[i]``: Sequential(Linear(in_features, in_features // div_value^(i+1), bias=False),
    Linear(that, cluster size, bias=False)). ``log_prob(input)`` gives all n_classes
    log-probabilities, ``predict(input)`` the most likely class.
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs, div_value: float = 4.0, head_bias: bool = False,
                 device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        kw = {"device": device, "dtype": dtype}
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, **kw),
                                        Linear(hidden, size, bias=False, **kw)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for projection in self.tail:
            for layer in projection:
                layer.reset_parameters()

    def forward(self, input: Tensor, target: Tensor) -> _ASMoutput:
        if target.ndim == 1:
            if input.shape[0] != target.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input.ndim != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{tuple(input.shape)}")
        elif target.ndim == 0:
            if input.ndim != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{tuple(input.shape)}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = target.ndim == 1
        x = input if batched else input.unsqueeze(0)
        labels = to_device((target if batched else target.unsqueeze(0))._data, CPU).astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{labels.min()}, {labels.max()}] were found. ")
        # cluster[n] = 0 for a shortlist target, i + 1 for a target in cluster i
        cluster = np.searchsorted(np.asarray(self.cutoffs), labels, side="right")
        head_column = np.where(cluster == 0, labels, self.shortlist_size + cluster - 1)
        head_logprob = F.log_softmax(self.head(x), dim=1)
        output = head_logprob.gather(1, _like(x, head_column[:, None])).squeeze(1)
        for i in range(self.n_clusters):
            rows = np.flatnonzero(cluster == i + 1)
            if rows.size == 0:
                continue
            row_index = _like(x, rows)
            cluster_logprob = F.log_softmax(self.tail[i](x.index_select(0, row_index)), dim=1)
            within = _like(x, (labels[rows] - self.cutoffs[i])[:, None])
            output = index_add(output, 0, row_index, cluster_logprob.gather(1, within).squeeze(1))
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        """log p of every class: (N, n_classes), from the head's output and every tail."""
        head_logprob = F.log_softmax(head_output, dim=1)
        pieces = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = F.log_softmax(self.tail[i](input), dim=1)
            column = self.shortlist_size + i
            pieces.append(cluster_logprob + head_logprob[:, column:column + 1])
        return cat(pieces, dim=1)

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities of all n_classes classes. input: (N, in_features) -> (N, n_classes)."""
        _check_2d(input, "log_prob")
        return self._full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row, (N,) int64: log_prob(input).argmax(1), evaluating the
        tails only for rows whose head prefers a cluster over every shortlist word."""
        _check_2d(input, "predict")
        head_output = self.head(input)
        output = head_output.argmax(dim=1)
        in_cluster = to_device((output >= self.shortlist_size)._data, CPU)
        if not in_cluster.any():
            return output
        rows = _like(input, np.flatnonzero(in_cluster))
        full = self._full_log_prob(input.index_select(0, rows), head_output.index_select(0, rows))
        output[rows] = full.argmax(dim=1)
        return output


def _like(x: Tensor, indices: np.ndarray) -> Tensor:
    """An int64 index tensor on x's device."""
    return Tensor._make(to_device(indices.astype(np.int64), x.device))


def _check_2d(input: Tensor, method: str) -> None:
    if input.ndim != 2:
        raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss.{method}: expected input of shape (N, in_features), "
                           f"got {tuple(input.shape)}")
