"""A message-passing graph network written with plain PyTorch tensor ops, as graph tutorials do
before they reach for a graph library: an edge list (edge_index) made undirected and deduplicated
with torch.unique(dim=1), node degrees from torch.bincount, messages along the edges gathered by
indexing, aggregated per node with Tensor.index_add_ (sum), torch.scatter_reduce (mean and amax,
include_self=False), normalised by degree; graph-level readout by scatter_reduce over a batch
vector; trained with Adam to predict a property of small random graphs (the sum of a node's
neighbours' degrees, on average over the nodes). Data and weights are drawn with NumPy and
everything is float64, so every engine that speaks PyTorch's API computes the same numbers.
"""
import numpy as np
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
RESULTS = {}
rng = np.random.default_rng(0)


def random_graph(n):
    edges = rng.integers(0, n, size=(2, 2 * n))
    edges = edges[:, edges[0] != edges[1]]
    return torch.from_numpy(edges)


def batch_graphs(count):
    """Several graphs as one disjoint graph: node features, edge_index, batch vector, targets."""
    xs, edge_lists, batch, targets, offset = [], [], [], [], 0
    for g in range(count):
        n = int(rng.integers(5, 9))
        edges = random_graph(n)
        edges = torch.cat([edges, edges.flip(0)], dim=1)           # undirected
        edges = torch.unique(edges, dim=1)                          # no repeated edges
        adjacency = torch.zeros(n, n)
        adjacency[edges[0], edges[1]] = 1.0
        degree = torch.bincount(edges[0], minlength=n).double()
        two_hop = adjacency @ degree                                       # the neighbours' degrees, summed
        xs.append(torch.cat([degree[:, None] / 4, torch.from_numpy(rng.standard_normal((n, 3)))], dim=1))
        edge_lists.append(edges + offset)
        batch.append(torch.full((n,), g, dtype=torch.long))
        targets.append(two_hop.mean() / 4)                                # per node, on average
        offset += n
    return torch.cat(xs), torch.cat(edge_lists, dim=1), torch.cat(batch), torch.stack(targets)


class MessagePassing(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.message = nn.Linear(2 * dim_in, dim_out)
        self.update = nn.Linear(dim_in + 3 * dim_out, dim_out)

    def forward(self, x, edge_index):
        source, target = edge_index
        messages = torch.relu(self.message(torch.cat([x[source], x[target]], dim=-1)))
        n, dim = x.shape[0], messages.shape[1]
        index = target[:, None].expand(-1, dim)
        summed = torch.zeros(n, dim).index_add_(0, target, messages)
        mean = torch.zeros(n, dim).scatter_reduce(0, index, messages, "mean", include_self=False)
        largest = torch.zeros(n, dim).scatter_reduce(0, index, messages, "amax", include_self=False)
        degree = torch.bincount(target, minlength=n).clamp(min=1)[:, None]
        return torch.relu(self.update(torch.cat([x, summed / degree, mean, largest], dim=-1)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([MessagePassing(4, 16), MessagePassing(16, 16)])
        self.head = nn.Linear(32, 1)

    def forward(self, x, edge_index, batch, graphs):
        for layer in self.layers:
            x = layer(x, edge_index)
        index = batch[:, None].expand(-1, x.shape[1])
        pooled_mean = torch.zeros(graphs, x.shape[1]).scatter_reduce(0, index, x, "mean", include_self=False)
        pooled_max = torch.zeros(graphs, x.shape[1]).scatter_reduce(0, index, x, "amax", include_self=False)
        return self.head(torch.cat([pooled_mean, pooled_max], dim=-1)).squeeze(-1)


model = Net()
model.load_state_dict({k: torch.from_numpy(rng.standard_normal(tuple(v.shape)) * 0.2)
                       for k, v in model.state_dict().items()})
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
test_set = batch_graphs(32)
losses = []
for step in range(60):
    x, edge_index, batch, y = batch_graphs(16)
    loss = ((model(x, edge_index, batch, 16) - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
RESULTS["losses"] = losses
with torch.no_grad():
    x, edge_index, batch, y = test_set
    prediction = model(x, edge_index, batch, 32)
    RESULTS["test_mse"] = ((prediction - y) ** 2).mean().item()
    RESULTS["baseline_mse"] = ((y - y.mean()) ** 2).mean().item()
    RESULTS["test_targets"] = y.tolist()
    RESULTS["edges_after_unique"] = edge_index.shape[1]
