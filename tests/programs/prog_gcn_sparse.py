"""Semi-supervised node classification with a graph convolutional network (Kipf and Welling, 2017),
in the style of the authors' pygcn: a row-normalised adjacency matrix kept as a sparse COO tensor,
GraphConvolution layers computing adj @ (x @ W) with torch.spmm, Adam with weight decay, NLL loss
on the log-softmax, and accuracy on train/validation/test splits of the nodes.

The graph is synthetic (a stochastic block model: nodes of the same class link more often), with
bag-of-words features that hint at the class, in place of the Cora citation data. Weights and data
are drawn with NumPy and the model runs in float64, so that every engine that speaks PyTorch's API
computes the same numbers (dropout is 0 for the same reason).
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn.parameter import Parameter

RESULTS = {}
rng = np.random.default_rng(0)


# ----------------------------------------------------------------------------- data
def normalize(mx):
    """Row-normalize a matrix (each row sums to 1; empty rows stay 0)."""
    rowsum = mx.sum(1)
    r_inv = np.zeros_like(rowsum)
    r_inv[rowsum > 0] = 1.0 / rowsum[rowsum > 0]
    return r_inv[:, None] * mx


def dense_to_torch_sparse(mx):
    """A NumPy matrix -> a torch sparse COO tensor of its nonzero entries (pygcn's helper, without scipy)."""
    rows, cols = np.nonzero(mx)
    indices = torch.from_numpy(np.vstack((rows, cols)).astype(np.int64))
    values = torch.from_numpy(mx[rows, cols])
    return torch.sparse_coo_tensor(indices, values, mx.shape)


def load_data(n_nodes=90, n_classes=3, n_words=30):
    labels = np.repeat(np.arange(n_classes), n_nodes // n_classes)
    rng.shuffle(labels)
    same_class = labels[:, None] == labels[None, :]
    links = np.triu(rng.random((n_nodes, n_nodes)) < np.where(same_class, 0.12, 0.02), 1)
    adj = (links | links.T).astype(np.float64)
    words = rng.random((n_nodes, n_words)) < 0.05  # background words
    per_class = n_words // n_classes
    for c in range(n_classes):  # each class uses its own words more often
        members = labels == c
        words[members, c * per_class:(c + 1) * per_class] |= rng.random((members.sum(), per_class)) < 0.25
    features = normalize(words.astype(np.float64))
    adj = normalize(adj + np.eye(n_nodes))
    idx_train, idx_val, idx_test = torch.arange(0, 24), torch.arange(24, 54), torch.arange(54, n_nodes)
    return (dense_to_torch_sparse(adj), torch.from_numpy(features), torch.from_numpy(labels.astype(np.int64)),
            idx_train, idx_val, idx_test, adj)


adj, features, labels, idx_train, idx_val, idx_test, adj_np = load_data()


# ----------------------------------------------------------------------------- model
class GraphConvolution(nn.Module):
    """Simple GCN layer: adj @ (input @ W) + b."""

    def __init__(self, in_features, out_features, bias=True):
        super(GraphConvolution, self).__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(torch.empty(in_features, out_features))
        if bias:
            self.bias = Parameter(torch.empty(out_features))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1. / math.sqrt(self.weight.size(1))
        self.weight.data.uniform_(-stdv, stdv)
        if self.bias is not None:
            self.bias.data.uniform_(-stdv, stdv)

    def forward(self, input, adj):
        support = torch.mm(input, self.weight)
        output = torch.spmm(adj, support)
        if self.bias is not None:
            return output + self.bias
        return output

    def __repr__(self):
        return self.__class__.__name__ + ' (' + str(self.in_features) + ' -> ' + str(self.out_features) + ')'


class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass, dropout):
        super(GCN, self).__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)
        self.dropout = dropout

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)
        x = self.gc2(x, adj)
        return F.log_softmax(x, dim=1)


def accuracy(output, labels):
    preds = output.max(1)[1].type_as(labels)
    correct = preds.eq(labels).double()
    correct = correct.sum()
    return correct / len(labels)


model = GCN(nfeat=features.shape[1], nhid=16, nclass=int(labels.max()) + 1, dropout=0.0)
model.double()
# the same starting weights on every engine (reset_parameters drew from each engine's own generator)
model.load_state_dict({name: torch.from_numpy(rng.uniform(-0.3, 0.3, size=tuple(p.shape)))
                       for name, p in model.state_dict().items()})
optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)


# ----------------------------------------------------------------------------- training
def train(epoch):
    model.train()
    optimizer.zero_grad()
    output = model(features, adj)
    loss_train = F.nll_loss(output[idx_train], labels[idx_train])
    acc_train = accuracy(output[idx_train], labels[idx_train])
    loss_train.backward()
    optimizer.step()

    model.eval()
    output = model(features, adj)
    loss_val = F.nll_loss(output[idx_val], labels[idx_val])
    acc_val = accuracy(output[idx_val], labels[idx_val])
    return loss_train.item(), acc_train.item(), loss_val.item(), acc_val.item()


def test():
    model.eval()
    output = model(features, adj)
    loss_test = F.nll_loss(output[idx_test], labels[idx_test])
    acc_test = accuracy(output[idx_test], labels[idx_test])
    print("Test set results:", "loss= {:.4f}".format(loss_test.item()), "accuracy= {:.4f}".format(acc_test.item()))
    return loss_test.item(), acc_test.item()


history = [train(epoch) for epoch in range(60)]
for epoch in (0, 19, 39, 59):
    print('Epoch: {:04d}'.format(epoch + 1), 'loss_train: {:.4f} acc_train: {:.4f} loss_val: {:.4f} acc_val: {:.4f}'
          .format(*history[epoch]))
RESULTS["loss_train"] = [h[0] for h in history]
RESULTS["acc_train"] = [h[1] for h in history]
RESULTS["loss_val"] = [h[2] for h in history]
RESULTS["acc_val"] = [h[3] for h in history]
RESULTS["loss_test"], RESULTS["acc_test"] = test()

# ----------------------------------------------------------------------------- the sparse adjacency itself
RESULTS["nnz"] = adj._nnz()
RESULTS["row_sums"] = torch.sparse.sum(adj, 1).to_dense().tolist()  # row-normalised: all 1
with torch.no_grad():
    support = torch.mm(features, model.gc1.weight)
    RESULTS["spmm_minus_dense"] = (torch.spmm(adj, support) - adj.to_dense() @ support).abs().max().item()
    RESULTS["dense_minus_numpy"] = float(np.abs(adj.to_dense().numpy() - adj_np).max())

# learnable edge weights: the loss's gradient reaches the sparse tensor's values
optimizer.zero_grad()
coalesced = adj.coalesce()
edge_weight = coalesced.values().detach().clone().requires_grad_()
weighted_adj = torch.sparse_coo_tensor(coalesced.indices(), edge_weight, coalesced.shape)
loss = F.nll_loss(model(features, weighted_adj)[idx_train], labels[idx_train])
loss.backward()
RESULTS["edge_weight_loss"] = loss.item()
RESULTS["edge_weight_grad_head"] = edge_weight.grad[:24].tolist()
RESULTS["edge_weight_grad_norm"] = edge_weight.grad.norm().item()
RESULTS["weight_grad_norm"] = model.gc1.weight.grad.norm().item()
