"""Exercise 29: a graph convolution layer (GCN): the normalised adjacency with self-loops, then propagation.

A graph with N nodes carries a feature vector per node, x: (N, F). Its edges come as an integer
``edge_index`` of shape (2, E): column e is an edge from node edge_index[0, e] (the source j) to
node edge_index[1, e] (the target i). An undirected graph lists both directions.

1. The dense adjacency. A: (N, N) with A[j, i] = the number of edges j -> i (rows are sources, as in
   tinynn and PyTorch Geometric's ``to_dense_adj``). An edge listed twice counts twice. Careful:
   ``A[src, dst] += 1`` with fancy indexing adds only ONCE for a repeated (src, dst) pair (NumPy
   buffers the update); ``np.add.at(A, (src, dst), 1)`` adds every occurrence.

2. The propagation matrix of Kipf and Welling (2017). Each node should keep its own features too,
   so add a self-loop to every node, Â = A + I. Node i sums what arrives along its in-edges; to keep
   the scale of the features steady, each message j -> i is divided by sqrt(d_i d_j), with d the
   in-degrees of Â (column sums: d_i = sum_j Â[j, i]):

       P = D^-1/2 Â^T D^-1/2,      P[i, j] = Â[j, i] / sqrt(d_i d_j)          P: (N, N)

   Row i of P lists what node i receives, hence the transpose (for an undirected graph Â is
   symmetric and it makes no difference; for a directed one it does). Without self-loops a node
   with no in-edges has d_i = 0: its row and column of P must be 0, not NaN (divide only where
   d > 0). Worked example, the undirected path 0 - 1 - 2 with self-loops:

       Â = [[1, 1, 0],      d = (2, 3, 2),     P = [[1/2,     1/sqrt6, 0      ],
            [1, 1, 1],                              [1/sqrt6, 1/3,     1/sqrt6],
            [0, 1, 1]]                              [0,       1/sqrt6, 1/2    ]]

3. The layer: every node's features go through the same linear map, then P mixes neighbours,

       y = P (x W^T) + b        x: (N, F_in)   W: (F_out, F_in)   b: (F_out,) or None   y: (N, F_out)

   (P x W^T is the same product in either order; multiplying by W first is cheaper when F_out is
   smaller.) x, W and b are tinynn Tensors and the layer is written with Tensor operations, so
   autograd gives their gradients; the graph is data, not learned: build P with your NumPy function
   and wrap it with ``tinynn.tensor(P, dtype=x.dtype)``.

You write ``edge_index_to_adjacency``, ``normalized_adjacency`` (NumPy arrays, keep a float input's
dtype) and ``gcn_layer``. The grader compares them with ``tinynn.nn.gnn.to_dense_adjacency``,
``normalized_adjacency`` and ``tinynn.nn.GCNConv`` (tinynn/nn/gnn.py) and checks the layer's gradients
against finite differences (float64) on directed and undirected graphs, repeated edges, an isolated
node, weighted edges, one node, and a single output feature.
"""
from __future__ import annotations

import numpy as np

import tinynn

LESSON = 18
FORBIDDEN = ["tinynn.nn.GCNConv", "tinynn.nn.gnn.GCNConv", "tinynn.nn.normalized_adjacency",
             "tinynn.nn.gnn.normalized_adjacency", "tinynn.nn.to_dense_adjacency",
             "tinynn.nn.gnn.to_dense_adjacency"]


def edge_index_to_adjacency(edge_index: np.ndarray, num_nodes: int) -> np.ndarray:
    """edge_index: (2, E) integers -> A: (num_nodes, num_nodes) float64, A[j, i] = number of edges j -> i."""
    # >>> solution
    adjacency = np.zeros((num_nodes, num_nodes), dtype=np.float64)
    np.add.at(adjacency, (edge_index[0], edge_index[1]), 1.0)   # repeated edges add up
    return adjacency
    # <<< solution


def normalized_adjacency(adjacency: np.ndarray, add_self_loops: bool = True) -> np.ndarray:
    """A: (N, N), A[j, i] the weight of edge j -> i -> P = D^-1/2 Â^T D^-1/2: (N, N), Â = A (+ I)."""
    # >>> solution
    a_hat = adjacency.T                                  # row i: the edges into node i
    if add_self_loops:
        a_hat = a_hat + np.eye(len(adjacency), dtype=adjacency.dtype)
    degree = a_hat.sum(axis=1)                           # d_i = sum_j Â[j, i]
    inv_sqrt = np.zeros_like(degree)
    inv_sqrt[degree > 0] = 1.0 / np.sqrt(degree[degree > 0])
    return inv_sqrt[:, None] * a_hat * inv_sqrt[None, :]
    # <<< solution


def gcn_layer(x: tinynn.Tensor, adjacency: np.ndarray, weight: tinynn.Tensor, bias: tinynn.Tensor | None = None,
              add_self_loops: bool = True) -> tinynn.Tensor:
    """y = P (x W^T) + b.  x: (N, F_in), adjacency: (N, N) array, weight: (F_out, F_in), bias: (F_out,)
    -> y: (N, F_out)."""
    # >>> solution
    propagation = tinynn.tensor(normalized_adjacency(adjacency, add_self_loops), dtype=x.dtype)
    y = propagation @ (x @ weight.T)
    if bias is not None:
        y = y + bias
    return y
    # <<< solution
