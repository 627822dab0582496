"""Graph neural networks: message passing over the edges of a graph (GCN and graph attention).

A graph with N nodes carries node features x: (N, F). A message-passing layer updates every node
from its neighbours: node i receives a message from each node j with an edge j -> i, combines them
(a weighted sum) and transforms the result. Stacking k layers lets information travel k hops.

Edges come in either of PyTorch Geometric's two forms:

* ``edge_index``: an integer (2, E) tensor; column e is an edge from ``edge_index[0, e]`` (the
  source j) to ``edge_index[1, e]`` (the target i). An undirected graph lists both directions.
* a dense adjacency (N, N) float or bool tensor with ``adjacency[j, i] != 0`` for an edge j -> i
  (rows are sources, as ``to_dense_adjacency`` and PyG's ``to_dense_adj`` build it).

Both layers compute with the dense (N, N) matrix: clear, and fast up to a few thousand nodes; an
edge list is converted first. (Sparse libraries gather and scatter per edge instead, which scales
to millions of nodes; the numbers are the same.)

    to_dense_adjacency(edge_index, num_nodes, edge_weight)    (2, E) -> (N, N)
    normalized_adjacency(adjacency, add_self_loops, improved)  D^-1/2 (A + I)^T D^-1/2
    GCNConv(in_channels, out_channels, ...)                    Kipf and Welling (2017)
    GATConv(in_channels, out_channels, heads, ...)             Velickovic et al. (2018)
"""
from __future__ import annotations

import math

from ..creation import empty, eye, zeros
from ..ops.indexing import scatter_add
from ..ops.reduce import softmax
from ..ops.reduce import sum as reduce_sum
from ..tensor import Tensor
from . import functional as F
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["to_dense_adjacency", "normalized_adjacency", "GCNConv", "GATConv"]


def to_dense_adjacency(edge_index: Tensor, num_nodes: int | None = None, edge_weight: Tensor | None = None) -> Tensor:
    """(N, N) matrix A with A[j, i] = sum of the weights of the edges j -> i (1 each when unweighted).

    edge_index: (2, E) integers; num_nodes defaults to max(edge_index) + 1; edge_weight: (E,)
    (differentiable). Repeated edges add up.
    """
    if not isinstance(edge_index, Tensor) or edge_index.dim() != 2 or edge_index.shape[0] != 2 \
            or edge_index.dtype.kind not in "iu":
        got = f"{edge_index.dtype} tensor of shape {tuple(edge_index.shape)}" if isinstance(edge_index, Tensor) \
            else type(edge_index).__name__
        raise ValueError(f"to_dense_adjacency: expected an integer edge_index of shape (2, E), got {got}")
    edges = edge_index.shape[1]
    if num_nodes is None:
        num_nodes = int(edge_index.max().item()) + 1 if edges else 0
    if edges and (int(edge_index.min().item()) < 0 or int(edge_index.max().item()) >= num_nodes):
        raise ValueError(f"to_dense_adjacency: node ids must lie in [0, {num_nodes}), got "
                         f"[{int(edge_index.min().item())}, {int(edge_index.max().item())}]")
    dtype = edge_weight.dtype if edge_weight is not None else None
    if edge_weight is None:
        from ..creation import ones
        edge_weight = ones(edges, device=edge_index.device)
    elif tuple(edge_weight.shape) != (edges,):
        raise ValueError(f"to_dense_adjacency: edge_weight must have shape ({edges},), got {tuple(edge_weight.shape)}")
    flat = edge_index[0] * num_nodes + edge_index[1]           # A[j, i] in row-major order
    dense = zeros(num_nodes * num_nodes, dtype=dtype, device=edge_index.device)
    return scatter_add(dense, 0, flat, edge_weight).reshape(num_nodes, num_nodes)


def _adjacency(edges: Tensor, num_nodes: int, edge_weight: Tensor | None, who: str, dtype) -> Tensor:
    """Either form of the edges -> a dense (N, N) adjacency of ``dtype`` (sources on the rows)."""
    if not isinstance(edges, Tensor):
        raise TypeError(f"{who}: expected edge_index (2, E) or an adjacency (N, N) tensor, got {type(edges).__name__}")
    if edges.dtype.kind in "iu" and edges.dim() == 2 and edges.shape[0] == 2:
        if edge_weight is None:
            from ..creation import ones
            edge_weight = ones(edges.shape[1], dtype=dtype, device=edges.device)
        return to_dense_adjacency(edges, num_nodes, edge_weight.to(dtype))
    if edges.dim() == 2 and tuple(edges.shape) == (num_nodes, num_nodes) and edges.dtype.kind in "fb":
        if edge_weight is not None:
            raise ValueError(f"{who}: edge_weight goes with an edge_index; a dense adjacency carries its own weights")
        return edges.to(dtype)
    raise ValueError(f"{who}: expected an integer edge_index (2, E) or a float/bool adjacency ({num_nodes}, "
                     f"{num_nodes}) for {num_nodes} nodes, got a {edges.dtype} tensor of shape {tuple(edges.shape)}")


def normalized_adjacency(adjacency: Tensor, add_self_loops: bool = True, improved: bool = False) -> Tensor:
    """GCN's propagation matrix P = D^-1/2 Â^T D^-1/2, so that a layer computes P @ X W.

    Â = A + I (A + 2I when ``improved``), with A[j, i] the weight of edge j -> i; D is diagonal with
    the in-degrees d_i = sum_j Â[j, i]. So (P X)_i = sum_{j -> i} x_j / sqrt(d_i d_j): a neighbour
    average that keeps feature scales steady (the eigenvalues of P lie in [-1, 1]). Nodes of degree
    0 get a zero row. For an undirected graph Â is symmetric and P = D^-1/2 Â D^-1/2.
    """
    if adjacency.dim() != 2 or adjacency.shape[0] != adjacency.shape[1]:
        raise ValueError(f"normalized_adjacency: expected a square (N, N) adjacency, got {tuple(adjacency.shape)}")
    a_hat = adjacency.mT
    if add_self_loops:
        loops = eye(adjacency.shape[0], dtype=adjacency.dtype, device=adjacency.device)
        a_hat = a_hat + loops * (2.0 if improved else 1.0)
    degree = reduce_sum(a_hat, 1)                               # d_i: row i of Â^T sums the edges into i
    safe = degree + (degree == 0).to(degree.dtype)              # 1 where d = 0 (those rows are all zero)
    inv_sqrt = (degree > 0).to(degree.dtype) / safe.sqrt()
    return inv_sqrt.unsqueeze(1) * a_hat * inv_sqrt.unsqueeze(0)


class GCNConv(Module):
    """Graph convolution (Kipf and Welling, 2017): X' = D^-1/2 Â^T D^-1/2 X W^T + b.

    Each node averages its neighbours' features (and its own, through the self-loop), each scaled
    by 1/sqrt(d_i d_j), then one shared linear map acts on every node. x: (N, in_channels),
    edges: edge_index (2, E) or adjacency (N, N), edge_weight: (E,) or None -> (N, out_channels).

    PyTorch Geometric's arguments: ``improved`` (self-loop weight 2), ``cached`` (reuse the
    normalized matrix of the first call: for a fixed graph, transductive training), ``add_self_loops``,
    ``normalize`` (False: plain sum aggregation Â^T X W), ``bias``. Weights: ``lin`` (a bias-free
    Linear, Glorot-initialised) and ``bias`` (zeros).
    """

    def __init__(self, in_channels: int, out_channels: int, improved: bool = False, cached: bool = False,
                 add_self_loops: bool = True, normalize: bool = True, bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.improved, self.cached, self.add_self_loops, self.normalize = improved, cached, add_self_loops, normalize
        self.lin = Linear(in_channels, out_channels, bias=False)
        init.xavier_uniform_(self.lin.weight)
        self.bias = Parameter(zeros(out_channels)) if bias else None
        self._cached_matrix = None

    def propagation_matrix(self, edges: Tensor, num_nodes: int, edge_weight: Tensor | None = None,
                           dtype=None) -> Tensor:
        """The (N, N) matrix P of this layer, so that forward is P @ lin(x) + bias."""
        if self.cached and self._cached_matrix is not None:
            return self._cached_matrix
        dtype = dtype if dtype is not None else self.lin.weight.dtype
        adjacency = _adjacency(edges, num_nodes, edge_weight, "GCNConv", dtype)
        if self.normalize:
            matrix = normalized_adjacency(adjacency, self.add_self_loops, self.improved)
        else:
            matrix = adjacency.mT
            if self.add_self_loops:
                matrix = matrix + eye(num_nodes, dtype=matrix.dtype, device=matrix.device)
        if self.cached:
            self._cached_matrix = matrix.detach()
        return matrix

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(f"GCNConv: expected node features (N, {self.in_channels}), got {tuple(x.shape)}")
        out = self.propagation_matrix(edge_index, x.shape[0], edge_weight, x.dtype) @ self.lin(x)
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}"


class GATConv(Module):
    """Graph attention (Velickovic et al., 2018): each node weighs its neighbours by learned scores.

    With h = x W^T split into heads (N, H, C) and two attention vectors a_src, a_dst (H, C):

        e_ij  = LeakyReLU(a_dst . h_i + a_src . h_j)          for each edge j -> i (and i -> i)
        alpha_ij = softmax over the neighbours j of i of e_ij  (non-neighbours masked out)
        x'_i  = sum_j alpha_ij h_j                             per head; heads concatenated
                                                               (concat=True) or averaged
    Unlike GCN's fixed 1/sqrt(d_i d_j), alpha depends on the features: the layer learns which
    neighbours matter. x: (N, in_channels) -> (N, heads * out_channels) or (N, out_channels).
    ``dropout`` drops attention weights in training. ``forward(..., return_attention_weights=True)``
    also returns alpha as a dense (heads, N, N) tensor, alpha[h, i, j] the weight of j for i
    (PyG returns it per edge instead). Weights as in PyG: ``lin``, ``att_src``, ``att_dst``, ``bias``.
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1, concat: bool = True,
                 negative_slope: float = 0.2, dropout: float = 0.0, add_self_loops: bool = True, bias: bool = True):
        super().__init__()
        if heads < 1:
            raise ValueError(f"GATConv: heads must be at least 1, got {heads}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"GATConv: dropout must be in [0, 1), got {dropout}")
        self.in_channels, self.out_channels, self.heads, self.concat = in_channels, out_channels, heads, concat
        self.negative_slope, self.dropout, self.add_self_loops = negative_slope, dropout, add_self_loops
        self.lin = Linear(in_channels, heads * out_channels, bias=False)
        init.xavier_uniform_(self.lin.weight)
        self.att_src = Parameter(empty(1, heads, out_channels))
        self.att_dst = Parameter(empty(1, heads, out_channels))
        bound = math.sqrt(6.0 / (heads + out_channels))          # Glorot on the (H, C) vectors
        init.uniform_(self.att_src, -bound, bound)
        init.uniform_(self.att_dst, -bound, bound)
        self.bias = Parameter(zeros(heads * out_channels if concat else out_channels)) if bias else None

    def forward(self, x: Tensor, edge_index: Tensor, return_attention_weights: bool | None = None):
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(f"GATConv: expected node features (N, {self.in_channels}), got {tuple(x.shape)}")
        n, heads, channels = x.shape[0], self.heads, self.out_channels
        adjacency = _adjacency(edge_index, n, None, "GATConv", x.dtype)
        neighbour = adjacency.mT != 0                               # (N_i, N_j): edge j -> i
        if self.add_self_loops:
            neighbour = neighbour | eye(n, dtype=neighbour.dtype, device=x.device)
        h = self.lin(x).reshape(n, heads, channels)                 # (N, H, C)
        score_dst = reduce_sum(h * self.att_dst, -1).mT.unsqueeze(2)  # (H, N, 1): a_dst . h_i
        score_src = reduce_sum(h * self.att_src, -1).mT.unsqueeze(1)  # (H, 1, N): a_src . h_j
        scores = F.leaky_relu(score_dst + score_src, self.negative_slope)  # (H, N_i, N_j)
        # a large finite negative (not -inf) masks non-neighbours: a node with no neighbour at all
        # then gets a uniform row, zeroed just below, instead of NaNs that would poison the gradient
        scores = scores.masked_fill(~neighbour, -1e30 if scores.dtype.itemsize > 2 else -6e4)
        alpha = softmax(scores, -1) * neighbour.to(scores.dtype)
        weights = F.dropout(alpha, self.dropout, self.training)
        out = weights @ h.transpose(0, 1)                           # (H, N, C)
        out = out.transpose(0, 1).reshape(n, heads * channels) if self.concat else out.mean(0)
        if self.bias is not None:
            out = out + self.bias
        return (out, alpha) if return_attention_weights else out

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, heads={self.heads}"
