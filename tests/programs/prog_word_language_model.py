"""PyTorch's examples/word_language_model, as written there (RNNModel with LSTM, GRU, RNN_TANH and
RNN_RELU, tied weights, batchify, get_batch, repackage_hidden, clip_grad_norm_ and the manual SGD
update ``p.data.add_(p.grad, alpha=-lr)``, evaluate with ``torch.no_grad()``), with the corpus
replaced by a synthetic one and the weights drawn with NumPy so that both engines start equal."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ['LSTM', 'GRU']:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            try:
                nonlinearity = {'RNN_TANH': 'tanh', 'RNN_RELU': 'relu'}[rnn_type]
            except KeyError as e:
                raise ValueError("""An invalid option for `--model` was supplied,
                                 options are ['LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU']""") from e
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError('When using the tied flag, nhid must be equal to emsize')
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == 'LSTM':
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        else:
            return weight.new_zeros(self.nlayers, bsz, self.nhid)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    data = data.view(bsz, -1).t().contiguous()
    return data


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    else:
        return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i+seq_len]
    target = source[i+1:i+1+seq_len].view(-1)
    return data, target


def evaluate(model, data_source, criterion, bptt, ntokens, eval_batch_size):
    model.eval()
    total_loss = 0.
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i, bptt)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train_one(rnn_type, train_data, val_data, ntokens, rng, epochs=6):
    model = RNNModel(rnn_type, ntokens, 32, 32, 1, dropout=0.0, tie_weights=True).double()
    model.load_state_dict({k: torch.from_numpy(rng.uniform(-0.1, 0.1, tuple(v.shape)))
                           for k, v in model.state_dict().items()})
    criterion = nn.NLLLoss()
    lr, clip, bptt, losses, best_val_loss = 5.0, 0.25, 7, [], None
    for epoch in range(1, epochs + 1):
        model.train()
        hidden = model.init_hidden(4)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
            data, targets = get_batch(train_data, i, bptt)
            hidden = repackage_hidden(hidden)
            model.zero_grad()
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            losses.append(loss.item())
        val_loss = evaluate(model, val_data, criterion, bptt, ntokens, 2)
        if not best_val_loss or val_loss < best_val_loss:
            best_val_loss = val_loss
        else:
            # Anneal the learning rate if no improvement has been seen in the validation dataset.
            lr /= 4.0
    return losses, best_val_loss


# a corpus with structure: each token is usually followed by (token * 3 + 1) mod 20
rng = np.random.default_rng(0)
ntokens = 20
ids = [0]
for _ in range(599):
    ids.append((ids[-1] * 3 + 1) % ntokens if rng.random() < 0.8 else int(rng.integers(ntokens)))
corpus = torch.tensor(ids, dtype=torch.long)
train_data = batchify(corpus[:480], 4)
val_data = batchify(corpus[480:], 2)

RESULTS = {}
for rnn_type in ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"]:
    losses, val_loss = train_one(rnn_type, train_data, val_data, ntokens, np.random.default_rng(1))
    RESULTS[f"{rnn_type}_losses"] = losses
    RESULTS[f"{rnn_type}_val_ppl"] = math.exp(val_loss)
