"""nn.utils.parametrize (tinynn/nn/utils/parametrize.py): register_parametrization with PyTorch's
layout and state_dict names, training through a parametrization against PyTorch, right_inverse
(one and several originals), chains, unsafe, cached(), removal, deepcopy, and the errors."""
import copy
import pickle

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.utils.parametrize as P
from tinynn.func import functional_call
from tests.helpers import assert_close, check_gradients, needs_torch, rand, torch


def _symmetric_class(lib):
    class Symmetric(lib.nn.Module):
        """X -> triu(X) + triu(X, 1)^T: a symmetric matrix from the upper triangle."""

        def forward(self, X):
            return X.triu() + X.triu(1).mT

        def right_inverse(self, A):
            return A.triu()

    return Symmetric


def _magnitude_direction_class(lib):
    class MagnitudeDirection(lib.nn.Module):
        """Two originals: (scale, direction) -> scale * direction / ||direction||."""

        def forward(self, scale, direction):
            return scale * direction / (direction * direction).sum().sqrt()

        def right_inverse(self, W):
            return (W * W).sum().sqrt(), W

    return MagnitudeDirection


class Double(nn.Module):
    def forward(self, X):
        return 2 * X

    def right_inverse(self, X):
        return X / 2


def _linear(lib, w):
    m = lib.nn.Linear(w.shape[1], w.shape[0]).double()
    with lib.no_grad():
        m.weight.copy_(lib.tensor(w))
        m.bias.copy_(lib.tensor(rand(w.shape[0], seed=9)))
    return m


def test_layout_class_and_symmetric_weight():
    w = rand(3, 3)
    m = P.register_parametrization(_linear(tinynn, w), "weight", _symmetric_class(tinynn)())
    assert type(m).__name__ == "ParametrizedLinear" and P.type_before_parametrizations(m) is nn.Linear
    assert isinstance(m, nn.Linear) and P.is_parametrized(m) and P.is_parametrized(m, "weight")
    assert not P.is_parametrized(m, "bias") and not P.is_parametrized(nn.Linear(2, 2))
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert "weight" not in m._parameters
    W = m.weight.detach().numpy()
    np.testing.assert_array_equal(W, W.T)
    assert_close(m.parametrizations.weight.original, np.triu(w))   # right_inverse at registration
    assert repr(m).startswith("ParametrizedLinear(\n  in_features=3, out_features=3, bias=True\n  (parametrizations)")


@needs_torch
def test_training_through_a_parametrization_matches_torch():
    w, x = rand(3, 3), rand(4, 3, seed=1)
    ours = P.register_parametrization(_linear(tinynn, w), "weight", _symmetric_class(tinynn)())
    theirs = torch.nn.utils.parametrize.register_parametrization(_linear(torch, w), "weight",
                                                                 _symmetric_class(torch)())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    opt_a, opt_b = tinynn.optim.Adam(ours.parameters(), lr=0.05), torch.optim.Adam(theirs.parameters(), lr=0.05)
    for _ in range(4):
        loss_a = ((ours(tinynn.tensor(x)) - 1) ** 2).mean()
        loss_b = ((theirs(torch.tensor(x)) - 1) ** 2).mean()
        assert_close(loss_a, loss_b)
        opt_a.zero_grad()
        opt_b.zero_grad()
        loss_a.backward()
        loss_b.backward()
        assert_close(ours.parametrizations.weight.original.grad, theirs.parametrizations.weight.original.grad)
        opt_a.step()
        opt_b.step()
    for (name, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert_close(a, b, what=name)


def test_gradcheck_through_the_parametrization():
    m = P.register_parametrization(_linear(tinynn, rand(3, 3)), "weight", _symmetric_class(tinynn)())
    m = P.register_parametrization(m, "weight", Double())
    check_gradients(lambda w, x: functional_call(m, {"parametrizations.weight.original": w}, (x,)),
                    rand(3, 3), rand(2, 3, seed=1))


def test_assignment_uses_right_inverse_and_keeps_the_parameter_object():
    m = P.register_parametrization(_linear(tinynn, rand(2, 2)), "weight", Double())
    original = m.parametrizations.weight.original
    target = rand(2, 2, seed=4)
    m.weight = tinynn.tensor(target)
    assert m.parametrizations.weight.original is original
    assert_close(original, target / 2)
    assert_close(m.weight, target)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.weight = nn.Parameter(tinynn.tensor(target))


def test_chain_and_unsafe():
    m = P.register_parametrization(_linear(tinynn, rand(2, 2)), "weight", Double())
    P.register_parametrization(m, "weight", Double())
    assert len(m.parametrizations.weight) == 2
    assert_close(m.weight, 4 * m.parametrizations.weight.original.detach().numpy())

    class FirstRow(nn.Module):
        def forward(self, X):
            return X[:1]

    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(m, "weight", FirstRow())
    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(nn.Linear(2, 2), "weight", FirstRow())
    P.register_parametrization(m, "weight", FirstRow(), unsafe=True)
    assert m.weight.shape == (1, 2) and m.parametrizations.weight.unsafe


def test_several_originals():
    w = rand(2, 3)
    m = P.register_parametrization(_linear(tinynn, w), "weight", _magnitude_direction_class(tinynn)())
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert isinstance(m.parametrizations.weight.original0, nn.Parameter)
    assert_close(m.parametrizations.weight.original0, np.linalg.norm(w))
    assert_close(m.weight, w)
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and isinstance(m.weight, nn.Parameter) and list(m.state_dict()) == ["bias", "weight"]
    assert_close(m.weight, w)


@needs_torch
def test_several_originals_match_torch():
    w = rand(2, 3)
    ours = P.register_parametrization(_linear(tinynn, w), "weight", _magnitude_direction_class(tinynn)())
    theirs = torch.nn.utils.parametrize.register_parametrization(_linear(torch, w), "weight",
                                                                 _magnitude_direction_class(torch)())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (name, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert_close(a, b, what=name)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    w = rand(2, 2)
    m = P.register_parametrization(_linear(tinynn, w), "weight", Double())
    original = m.parametrizations.weight.original
    P.remove_parametrizations(m, "weight", leave_parametrized=leave)
    assert type(m) is nn.Linear and not hasattr(m, "parametrizations")
    assert m.weight is original and list(m.state_dict()) == ["bias", "weight"]
    assert_close(m.weight, w if leave else w / 2)


def test_buffers_can_be_parametrized_and_stay_buffers():
    bn = nn.BatchNorm1d(3)
    P.register_parametrization(bn, "running_var", Double())
    assert "parametrizations.running_var.original" in bn.state_dict()
    assert not any("running_var" in name for name, _ in bn.named_parameters())
    P.remove_parametrizations(bn, "running_var")
    assert "running_var" in bn._buffers


def test_cached_computes_each_tensor_once():
    calls = []

    class Counting(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 1

    m = P.register_parametrization(nn.Linear(2, 2), "weight", Counting())
    calls.clear()
    with P.cached():
        first, second = m.weight, m.weight
        with P.cached():     # nesting keeps the cache
            third = m.weight
    assert len(calls) == 1 and first is second is third
    m.weight
    assert len(calls) == 2   # the cache is gone after the block


def test_deepcopy_is_independent_and_pickling_is_refused():
    m = P.register_parametrization(_linear(tinynn, rand(2, 2)), "weight", Double())
    clone = copy.deepcopy(m)
    with tinynn.no_grad():
        clone.parametrizations.weight.original.fill_(0.0)
    assert float(abs(m.weight).sum()) > 0 and float(abs(clone.weight).sum()) == 0
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(m)


def test_transfer_parametrizations_and_params():
    source = P.register_parametrization(_linear(tinynn, rand(2, 2)), "weight", Double())
    target = P.transfer_parametrizations_and_params(source, nn.Linear(2, 2).double())
    assert P.is_parametrized(target, "weight")
    assert target.parametrizations.weight.original is source.parametrizations.weight.original
    assert_close(target.weight, source.weight)


def test_errors():
    m = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="a buffer, or a parametrized element with name 'kernel'"):
        P.register_parametrization(m, "kernel", Double())
    with pytest.raises(ValueError, match="does not have a parametrization on bias"):
        P.remove_parametrizations(m, "bias")
    with pytest.raises(TypeError, match="must be an nn.Module"):
        P.register_parametrization(m, "weight", lambda X: X)
    P.register_parametrization(m, "weight", _symmetric_class(tinynn)())

    class NoInverse(nn.Module):
        def forward(self, X):
            return X

    P.register_parametrization(m, "weight", NoInverse())
    with pytest.raises(RuntimeError, match="NoInverse does not implement right_inverse"):
        m.weight = tinynn.eye(2)
    with pytest.raises(ValueError, match="ParametrizationList requires one or more modules"):
        P.ParametrizationList([], tinynn.zeros(2))
