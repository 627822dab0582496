"""GCN against its written-out formula (Kipf and Welling), GAT's attention normalised over
neighbours only, both edge forms giving the same numbers, and float64 gradient checks."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck
from tinynn.nn import GATConv, GCNConv, normalized_adjacency, to_dense_adjacency
from tests.helpers import assert_close, check_gradients, leaf, rand

# a small undirected graph (both directions listed) with one isolated node (5)
EDGES = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4)]
EDGE_INDEX = tinynn.tensor([[a for a, b in EDGES] + [b for a, b in EDGES],
                            [b for a, b in EDGES] + [a for a, b in EDGES]])
N = 6


def dense_numpy():
    a = np.zeros((N, N))
    for i, j in EDGES:
        a[i, j] = a[j, i] = 1.0
    return a


def test_to_dense_adjacency_rows_are_sources_and_weights_add():
    ei = tinynn.tensor([[0, 0, 2], [1, 1, 0]])
    a = to_dense_adjacency(ei, num_nodes=3, edge_weight=tinynn.tensor([0.5, 2.0, 3.0]))
    assert_close(a, np.array([[0, 2.5, 0], [0, 0, 0], [3.0, 0, 0]], dtype=np.float32))
    assert to_dense_adjacency(EDGE_INDEX).shape == (5, 5)        # num_nodes = max id + 1
    with pytest.raises(ValueError, match=r"node ids must lie in \[0, 2\)"):
        to_dense_adjacency(ei, num_nodes=2)
    with pytest.raises(ValueError, match=r"shape \(2, E\)"):
        to_dense_adjacency(tinynn.tensor([0, 1]))


def test_normalized_adjacency_is_kipf_welling():
    a = dense_numpy()
    a_hat = a + np.eye(N)
    d = a_hat.sum(1)
    expected = a_hat / np.sqrt(np.outer(d, d))
    assert_close(normalized_adjacency(leaf(a)), expected, 1e-12, 1e-12)
    # directed edge 0 -> 1 only: node 1 receives, node 0 has only its self-loop
    directed = normalized_adjacency(leaf(np.array([[0.0, 1.0], [0.0, 0.0]])))
    assert_close(directed, np.array([[1.0, 0.0], [1 / np.sqrt(2), 0.5]]), 1e-12, 1e-12)
    # without self-loops an isolated node gets a zero row, not NaN
    no_loops = normalized_adjacency(leaf(a), add_self_loops=False).detach().numpy()
    assert np.all(np.isfinite(no_loops)) and np.all(no_loops[5] == 0)
    improved = normalized_adjacency(leaf(a), improved=True).detach().numpy()
    assert improved[5, 5] == pytest.approx(1.0) and improved[0, 0] == pytest.approx(2 / 4)


@pytest.mark.parametrize("normalize,loops", [(True, True), (False, True), (True, False)])
def test_gcn_equals_hand_formula_for_both_edge_forms(normalize, loops):
    tinynn.manual_seed(0)
    layer = GCNConv(3, 2, add_self_loops=loops, normalize=normalize).double()
    tinynn.nn.init.normal_(layer.bias)
    x = rand(N, 3, seed=1)
    a_hat = dense_numpy() + (np.eye(N) if loops else 0)
    if normalize:
        d = a_hat.sum(1)
        inv = np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1)), 0)
        a_hat = inv[:, None] * a_hat * inv[None, :]
    expected = a_hat @ x @ layer.lin.weight.detach().numpy().T + layer.bias.detach().numpy()
    assert_close(layer(leaf(x), EDGE_INDEX), expected, 1e-10, 1e-12)
    assert_close(layer(leaf(x), leaf(dense_numpy())), expected, 1e-10, 1e-12)
    assert_close(layer(leaf(x), tinynn.tensor(dense_numpy() > 0)), expected, 1e-10, 1e-12)


def test_gcn_cached_reuses_the_first_graph_and_no_bias():
    layer = GCNConv(3, 2, cached=True, bias=False).double()
    x = leaf(rand(N, 3, seed=2))
    first = layer(x, EDGE_INDEX)
    assert_close(layer(x, tinynn.tensor([[0], [1]])), first)     # the graph argument is ignored now
    assert layer.bias is None and len(list(layer.parameters())) == 1


def test_gcn_gradcheck_features_parameters_and_edge_weight():
    tinynn.manual_seed(3)
    layer = GCNConv(3, 2).double()
    x, w = leaf(rand(N, 3, seed=4)), leaf(rand(EDGE_INDEX.shape[1], seed=5, low=0.5, high=2.0))
    params = tuple(layer.parameters())
    assert gradcheck(lambda x, w, *ps: layer(x, EDGE_INDEX, w), (x, w, *params))
    check_gradients(lambda x: layer(x, EDGE_INDEX), x)


def test_gat_attention_sums_to_one_over_neighbours_only():
    tinynn.manual_seed(5)
    layer = GATConv(3, 4, heads=3).double()
    out, alpha = layer(leaf(rand(N, 3, seed=6)), EDGE_INDEX, return_attention_weights=True)
    alpha = alpha.detach().numpy()
    allowed = (dense_numpy().T + np.eye(N)) > 0
    assert out.shape == (N, 12) and alpha.shape == (3, N, N)
    assert np.all(alpha[:, ~allowed] == 0)
    assert_close(alpha.sum(-1), np.ones((3, N)), 1e-12, 1e-12)
    assert alpha[:, 5, 5] == pytest.approx(1.0)                   # isolated: only itself
    # without self-loops an isolated node has no neighbour: a zero row and a finite output
    out, alpha = GATConv(3, 4, add_self_loops=False).double()(leaf(rand(N, 3)), EDGE_INDEX, True)
    assert np.all(alpha.detach().numpy()[0, 5] == 0) and np.all(np.isfinite(out.detach().numpy()))


def test_gat_equals_hand_formula():
    tinynn.manual_seed(6)
    layer = GATConv(3, 2, heads=2, concat=False, negative_slope=0.1).double()
    x = rand(N, 3, seed=7)
    h = (x @ layer.lin.weight.detach().numpy().T).reshape(N, 2, 2)
    a_src, a_dst = layer.att_src.detach().numpy()[0], layer.att_dst.detach().numpy()[0]
    allowed = (dense_numpy().T + np.eye(N)) > 0
    heads = []
    for k in range(2):
        e = (h[:, k] @ a_dst[k])[:, None] + (h[:, k] @ a_src[k])[None, :]
        e = np.where(e > 0, e, 0.1 * e)
        e = np.where(allowed, np.exp(e - e.max()), 0)
        heads.append((e / e.sum(1, keepdims=True)) @ h[:, k])
    assert_close(layer(leaf(x), EDGE_INDEX), np.mean(heads, 0), 1e-10, 1e-12)


@pytest.mark.parametrize("concat", [True, False])
def test_gat_gradcheck_features_and_parameters(concat):
    tinynn.manual_seed(7)
    layer = GATConv(3, 2, heads=2, concat=concat).double()
    tinynn.nn.init.normal_(layer.bias)
    params = tuple(layer.parameters())
    assert gradcheck(lambda x, *ps: layer(x, EDGE_INDEX), (leaf(rand(N, 3, seed=8)), *params))


def test_gat_dropout_only_in_training_and_errors():
    tinynn.manual_seed(8)
    layer = GATConv(3, 2, dropout=0.5).double()
    x = leaf(rand(N, 3, seed=9))
    layer.eval()
    assert_close(layer(x, EDGE_INDEX), layer(x, EDGE_INDEX))
    layer.train()
    assert not np.allclose(layer(x, EDGE_INDEX).detach().numpy(), layer(x, EDGE_INDEX).detach().numpy())
    with pytest.raises(ValueError, match=r"expected node features \(N, 3\)"):
        layer(leaf(rand(N, 4)), EDGE_INDEX)
    with pytest.raises(ValueError, match=r"adjacency \(6, 6\)"):
        layer(x, leaf(rand(5, 5)))
    with pytest.raises(ValueError, match="dropout"):
        GATConv(3, 2, dropout=1.0)
