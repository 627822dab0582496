"""AdaptiveLogSoftmaxWithLoss (tinynn/nn/adaptive.py): the structure and state_dict names of PyTorch's, a
normalized distribution, float64 gradchecks, PyTorch parity (output, loss, input and parameter gradients,
log_prob, predict; batched and 0-d targets, head_bias, div_value), and PyTorch's errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tests.helpers import assert_close, assert_module_matches_torch, check_gradients, leaf, needs_torch, rand, torch

TARGET = np.array([0, 3, 9, 12, 5, 19, 1, 14])   # shortlist [0, 4), clusters [4, 10), [10, 20)


def _layer(**kwargs):
    return nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10], **kwargs).double()


def test_structure_and_state_dict_names():
    layer = _layer(div_value=2.0, head_bias=True)
    assert layer.cutoffs == [4, 10, 20] and layer.shortlist_size == 4 and layer.head_size == 6
    shapes = {k: tuple(v.shape) for k, v in layer.state_dict().items()}
    assert shapes == {"head.weight": (6, 16), "head.bias": (6,), "tail.0.0.weight": (8, 16), "tail.0.1.weight": (6, 8),
                      "tail.1.0.weight": (4, 16), "tail.1.1.weight": (10, 4)}


def test_log_prob_is_a_distribution_and_forward_picks_the_target():
    layer = _layer()
    x = leaf(rand(8, 16))
    log_prob = layer.log_prob(x)
    assert log_prob.shape == (8, 20)
    assert_close(np.exp(log_prob.detach().numpy()).sum(1), np.ones(8))
    output, loss = layer(x, tinynn.tensor(TARGET))
    assert_close(output, log_prob.detach().numpy()[np.arange(8), TARGET])
    assert_close(loss, -output.detach().numpy().mean())
    assert (layer.predict(x).numpy() == log_prob.detach().numpy().argmax(1)).all()


def test_gradients():
    layer = _layer(head_bias=True)
    target = tinynn.tensor(TARGET[:5])
    check_gradients(lambda x: layer(x, target).output, rand(5, 16, seed=1))
    check_gradients(lambda x: layer.log_prob(x), rand(3, 16, seed=2))


@needs_torch
@pytest.mark.parametrize("kwargs", [{}, {"div_value": 2.0, "head_bias": True}])
def test_forward_matches_torch(kwargs):
    ours, theirs = _layer(**kwargs), torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10], **kwargs).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = rand(8, 16, seed=3)
    assert_module_matches_torch(ours, theirs, [x, TARGET], call=lambda m, x, t: tuple(m(x, t)))
    assert_module_matches_torch(ours, theirs, [x[1], np.array(3)], call=lambda m, x, t: tuple(m(x, t)))  # 0-d target
    assert_module_matches_torch(ours, theirs, [x[:3], np.array([1, 2, 0])], call=lambda m, x, t: tuple(m(x, t)))
    assert_module_matches_torch(ours, theirs, [x], call=lambda m, x: m.log_prob(x))
    ours_x, theirs_x = tinynn.tensor(x * 4), torch.tensor(x * 4)
    assert (ours.predict(ours_x).numpy() == theirs.predict(theirs_x).numpy()).all()


def test_predict_with_rows_in_the_shortlist_and_in_clusters():
    layer = _layer()
    with tinynn.no_grad():
        layer.head.weight.zero_()
        layer.head.weight[5, 0] = 10.0   # rows with x[0] > 0 prefer cluster 1 (classes 10..19)
        layer.head.weight[0, 0] = -10.0  # rows with x[0] < 0 prefer class 0
    x = rand(6, 16, seed=4)
    expected = layer.log_prob(tinynn.tensor(x)).detach().numpy().argmax(1)
    assert (layer.predict(tinynn.tensor(x)).numpy() == expected).all()
    assert set(expected[x[:, 0] > 0]) <= set(range(10, 20)) and (expected[x[:, 0] < 0] == 0).all()


def test_errors():
    layer = _layer()
    with pytest.raises(ValueError, match="cutoffs should be a sequence of length larger than 0"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 20, [])
    for cutoffs in ([10, 4], [0, 4], [4, 20], [4, 4], [4.5]):
        with pytest.raises(ValueError, match="cutoffs should be a sequence of unique, positive integers"):
            nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs)
    with pytest.raises(RuntimeError, match="Input and target should have the same size in the batch dimension"):
        layer(tinynn.randn(3, 16), tinynn.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input tensors"):
        layer(tinynn.randn(2, 1, 16), tinynn.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="0D target tensor expects 1D input tensors"):
        layer(tinynn.randn(2, 16), tinynn.tensor(1))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        layer(tinynn.randn(2, 16), tinynn.tensor([[1, 2]]))
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 19\], but values in range \[0, 20\]"):
        layer(tinynn.randn(2, 16), tinynn.tensor([0, 20]))
    with pytest.raises(RuntimeError, match="expected input of shape \\(N, in_features\\)"):
        layer.log_prob(tinynn.randn(16))
