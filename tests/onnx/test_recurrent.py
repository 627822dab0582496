"""nn.LSTM, nn.GRU and nn.RNN as ONNX LSTM/GRU/RNN nodes: layers, directions, batch_first, initial states."""
from __future__ import annotations

import pytest

import tinynn
from tinynn import nn

from .helpers import assert_exports, randn


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("layers,bidirectional,batch_first", [(1, False, False), (2, True, False), (2, True, True),
                                                              (3, False, True)])
def test_recurrent_layers_with_dynamic_batch_and_length(kind, layers, bidirectional, batch_first):
    tinynn.manual_seed(0)
    model = getattr(nn, kind)(5, 7, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first).eval()
    shape, other = ((3, 4, 5), (2, 9, 5)) if batch_first else ((4, 3, 5), (9, 2, 5))
    proto = assert_exports(f"{kind} layers={layers} bidirectional={bidirectional} batch_first={batch_first}", model,
                           (randn(*shape),), more=[randn(*other, seed=1)], input_names=["x"],
                           dynamic_axes={"x": [0, 1]})
    assert [n.op_type for n in proto.graph.node].count(kind) == layers


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_layers_with_initial_states(kind):
    tinynn.manual_seed(0)
    model = getattr(nn, kind)(5, 6, num_layers=2, bidirectional=True).eval()
    h0 = randn(4, 3, 6, seed=2)
    state = (h0, randn(4, 3, 6, seed=3)) if kind == "LSTM" else h0
    assert_exports(f"{kind} with initial states", model, (randn(7, 3, 5), state))


def test_gru_without_bias_and_rnn_relu():
    tinynn.manual_seed(0)
    assert_exports("GRU bias=False", nn.GRU(4, 5, bias=False).eval(), (randn(6, 2, 4),))
    assert_exports("RNN relu", nn.RNN(4, 5, nonlinearity="relu").eval(), (randn(6, 2, 4),))


def test_lstm_classifier_unbatched_input():
    tinynn.manual_seed(0)
    assert_exports("LSTM unbatched (L, H_in)", nn.LSTM(4, 5, num_layers=2).eval(), (randn(6, 4),))
