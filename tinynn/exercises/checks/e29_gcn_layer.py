"""Checks for exercise 29, the GCN layer: the dense adjacency of an edge list, the normalised propagation
matrix (against the library and known mistakes) and the layer's values and gradients (finite differences,
tinynn.nn.GCNConv)."""
from __future__ import annotations

import numpy as np

import tinynn
import tinynn.nn as nn
from tinynn.nn import gnn as library
from ..grading import Grader, Mismatch, numeric_gradient, on_arrays

# name -> (edge_index as a list of (source, target), number of nodes)
GRAPHS = {
    "the undirected path 0 - 1 - 2": ([(0, 1), (1, 0), (1, 2), (2, 1)], 3),
    "a directed graph of 4 nodes": ([(0, 1), (0, 2), (1, 2), (3, 0), (2, 3)], 4),
    "a repeated edge 0 -> 1 (listed twice)": ([(0, 1), (0, 1), (1, 2), (2, 0)], 3),
    "an isolated node 3 and a self-loop 1 -> 1": ([(0, 1), (1, 0), (1, 1), (2, 0)], 4),
    "one node, no edges": ([], 1),
}
WEIGHTED = "a weighted directed graph of 4 nodes"   # random weights in [0.5, 2) on about half the pairs
# (graph, add_self_loops) for normalized_adjacency
NORMALIZE = [("the undirected path 0 - 1 - 2", True), ("a directed graph of 4 nodes", True),
             ("a directed graph of 4 nodes", False), ("an isolated node 3 and a self-loop 1 -> 1", False),
             (WEIGHTED, True), ("one node, no edges", True)]
# (graph, F_in, F_out, bias, add_self_loops) for gcn_layer
LAYERS = [("a directed graph of 4 nodes", 3, 2, True, True), ("the undirected path 0 - 1 - 2", 2, 1, True, True),
          ("an isolated node 3 and a self-loop 1 -> 1", 2, 3, False, False), (WEIGHTED, 3, 2, True, True),
          ("one node, no edges", 2, 2, True, True)]


def _edge_index(edges) -> np.ndarray:
    return np.array(edges, dtype=np.int64).T.reshape(2, len(edges))


def _adjacency(g: Grader, name: str) -> np.ndarray:
    if name == WEIGHTED:
        weights = g.uniform(0.5, 2.0, 4, 4)
        return weights * (g.uniform(0, 1, 4, 4) < 0.5)
    edges, n = GRAPHS[name]
    adjacency = np.zeros((n, n))
    for j, i in edges:
        adjacency[j, i] += 1
    return adjacency


def _symmetric(received: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """D^-1/2 M D^-1/2 with 0 where the degree is 0 (for the known mistakes)."""
    inv_sqrt = np.where(degree > 0, 1 / np.sqrt(np.where(degree > 0, degree, 1)), 0)
    return inv_sqrt[:, None] * received * inv_sqrt[None, :]


def _normalize_mistakes(reference, adjacency, add_self_loops) -> dict:
    a_hat = adjacency + (np.eye(len(adjacency)) if add_self_loops else 0)
    in_degree = a_hat.sum(axis=0)
    mistakes = {
        "D^-1/2 Â D^-1/2 with Â not transposed (row i of P must list the edges INTO node i)":
            _symmetric(a_hat, a_hat.sum(axis=1)),
        "the out-degrees (row sums of Â) instead of the in-degrees (column sums)":
            _symmetric(a_hat.T, a_hat.sum(axis=1)),
        "D^-1 Â^T, the mean over the neighbours, instead of the symmetric D^-1/2 Â^T D^-1/2":
            np.where(in_degree[:, None] > 0, a_hat.T / np.where(in_degree > 0, in_degree, 1)[:, None], 0),
    }
    if add_self_loops:
        mistakes["P without the self-loops (Â = A + I)"] = reference.normalized_adjacency(adjacency, False)
    return mistakes


def _check_adjacency(g: Grader, student, reference) -> None:
    for name, (edges, n) in GRAPHS.items():
        edge_index = _edge_index(edges)
        with g.check(f"{name}: edge_index {edge_index.shape}, num_nodes={n}", "edge_index_to_adjacency"):
            expected = reference.edge_index_to_adjacency(edge_index, n)
            got = g.call(student.edge_index_to_adjacency, edge_index.copy(), n)
            once = (expected > 0).astype(np.float64)
            g.expect("A", got, expected, exact=True, mistakes={
                "each repeated edge counted once (A[src, dst] += 1 adds once per distinct pair: use np.add.at)": once})
            library_dense = library.to_dense_adjacency(tinynn.tensor(edge_index), n)
            g.expect("A against the library", got, library_dense, check_dtype=False, expect_tensor=False,
                     expected_label="tinynn.nn.gnn.to_dense_adjacency")


def _check_normalized(g: Grader, student, reference) -> None:
    for name, self_loops in NORMALIZE:
        adjacency = _adjacency(g, name)
        case = f"{name}, A: {adjacency.shape}, add_self_loops={self_loops}"
        with g.check(case, "normalized_adjacency", points=2 if name.startswith("a directed") else 1):
            expected = reference.normalized_adjacency(adjacency, self_loops)
            mistakes = _normalize_mistakes(reference, adjacency, self_loops)
            got = g.call(student.normalized_adjacency, adjacency.copy(), self_loops)
            g.expect("P", got, expected, rtol=1e-10, mistakes=mistakes)
            library_p = library.normalized_adjacency(tinynn.tensor(adjacency), add_self_loops=self_loops)
            g.expect("P against the library", got, library_p, rtol=1e-10, expect_tensor=False,
                     expected_label="tinynn.nn.gnn.normalized_adjacency")

    adjacency = _adjacency(g, "the undirected path 0 - 1 - 2").astype(np.float32)
    with g.check("float32 adjacency (the path 0 - 1 - 2): the dtype is kept", "normalized_adjacency"):
        got = g.call(student.normalized_adjacency, adjacency.copy(), True)
        g.expect("P", got, reference.normalized_adjacency(adjacency, True), rtol=1e-6)


def _layer_mistakes(reference, x, adjacency, w, b, self_loops) -> dict:
    p = reference.normalized_adjacency(adjacency, self_loops)
    bias = 0 if b is None else b
    mistakes = {"x W^T + b: the features never travel along the edges (P is missing)": x @ w.T + bias}
    if b is not None:
        mistakes["P (x W^T + b): the bias added before the propagation"] = p @ (x @ w.T + b)
    if self_loops:
        mistakes["P without the self-loops"] = reference.normalized_adjacency(adjacency, False) @ x @ w.T + bias
    return mistakes


def _require_connected(label: str, grad) -> None:
    if grad is None:
        raise Mismatch(f"gradient of {label}: none, y does not depend on {label} in the autograd graph. Hint: "
                       "build y with tinynn Tensor operations on x, weight and bias; a detour through .numpy() "
                       "cuts the graph")


def _check_layer(g: Grader, student, reference) -> None:
    for name, f_in, f_out, has_bias, self_loops in LAYERS:
        adjacency = _adjacency(g, name)
        n = len(adjacency)
        x, w = g.randn(n, f_in), g.randn(f_out, f_in)
        b = g.randn(f_out) if has_bias else None
        case = (f"{name}, x: {x.shape}, W: {w.shape}, " + (f"b: {b.shape}" if has_bias else "no bias")
                + ("" if self_loops else ", add_self_loops=False"))
        inputs = [x, w] + ([b] if has_bias else [])
        upstream = g.randn(n, f_out)

        def forward(*arrays):
            return reference.gcn_layer(arrays[0], adjacency, arrays[1], arrays[2] if has_bias else None, self_loops)

        with g.check(case, "gcn_layer", points=2):
            tensors = [tinynn.tensor(a, requires_grad=True) for a in inputs]
            got = g.call(student.gcn_layer, tensors[0], adjacency.copy(), tensors[1],
                         tensors[2] if has_bias else None, self_loops)
            g.expect("y", got, on_arrays(forward)(*inputs), rtol=1e-10,
                     mistakes=_layer_mistakes(reference, x, adjacency, w, b, self_loops))
            grads = g.autograd_gradients("gcn_layer", got, tensors, [upstream])
            for i, label in enumerate(["x", "weight", "bias"][:len(inputs)]):
                _require_connected(label, grads[i])
                numeric = numeric_gradient(on_arrays(forward), inputs, i, upstream)
                g.expect_gradient(label, grads[i], numeric)

    adjacency = _adjacency(g, "a directed graph of 4 nodes")
    x, w, b = g.randn(4, 3), g.randn(2, 3), g.randn(2)
    with g.check("agrees with tinynn.nn.GCNConv given the same weights (value and gradients)", "gcn_layer"):
        layer = nn.GCNConv(3, 2).double()
        with tinynn.no_grad():
            layer.lin.weight.copy_(tinynn.tensor(w))
            layer.bias.copy_(tinynn.tensor(b))
        x_library = tinynn.tensor(x, requires_grad=True)
        edge_index = tinynn.tensor(_edge_index(GRAPHS["a directed graph of 4 nodes"][0]))
        y_library = layer(x_library, edge_index)
        mine = [tinynn.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = g.call(student.gcn_layer, mine[0], adjacency.copy(), mine[1], mine[2])
        g.expect("y", y, y_library, rtol=1e-10, expected_label="tinynn.nn.GCNConv")
        upstream = g.randn(4, 2)
        (y_library * tinynn.tensor(upstream)).sum().backward()
        got = g.autograd_gradients("gcn_layer", y, mine, [upstream])
        for label, grad, library_grad in zip(("x", "weight", "bias"), got,
                                             (x_library.grad, layer.lin.weight.grad, layer.bias.grad)):
            _require_connected(label, grad)
            g.expect(f"gradient of {label}", grad, library_grad, rtol=1e-10,
                     expect_tensor=False, expected_label="GCNConv's", got_label="yours")

    x, w = g.randn(3, 2).astype(np.float32), g.randn(2, 2).astype(np.float32)
    adjacency = _adjacency(g, "the undirected path 0 - 1 - 2")
    with g.check("float32 x and W with a float64 adjacency: y is float32", "gcn_layer"):
        got = g.call(student.gcn_layer, tinynn.tensor(x), adjacency.copy(), tinynn.tensor(w), None)
        g.expect("y", got, reference.gcn_layer(tinynn.tensor(x), adjacency, tinynn.tensor(w)), rtol=1e-5)


def grade(g: Grader, student, reference) -> None:
    _check_adjacency(g, student, reference)
    _check_normalized(g, student, reference)
    _check_layer(g, student, reference)
