"""Module.load_state_dict (tinynn/nn/module_state.py) against PyTorch: the returned (missing_keys,
unexpected_keys) named tuple and how it prints, strict=False, non-tensor values, assign=True."""
import numpy as np
import pytest

import tinynn
from tinynn import nn
from tests.helpers import needs_torch, torch


def model_of(lib):
    return lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Tanh(), lib.nn.Linear(2, 1))


def test_the_result_is_a_named_tuple_that_prints_as_torch_prints_it():
    model = model_of(tinynn)
    result = model.load_state_dict(model.state_dict())
    assert result == ([], []) and result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == str(result) == "<All keys matched successfully>"
    state = model.state_dict()
    state.pop("2.bias")
    state["extra"] = tinynn.zeros(1)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["extra"]
    assert str(result) == "_IncompatibleKeys(missing_keys=['2.bias'], unexpected_keys=['extra'])"
    missing, unexpected = result
    assert (missing, unexpected) == (["2.bias"], ["extra"])


def test_values_must_be_tensors_or_arrays():
    model = model_of(tinynn)
    state = dict(model.state_dict(), **{"0.bias": 5, "2.bias": [1.0]})
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state, strict=False)  # refused even when not strict, as in PyTorch
    text = str(info.value)
    assert "Error(s) in loading state_dict for Sequential" in text
    assert 'While copying the parameter named "0.bias", expected a Tensor (or a NumPy array) from checkpoint but ' \
           "received <class 'int'>" in text
    assert "received <class 'list'>" in text
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>."):
        model.load_state_dict([("0.bias", tinynn.zeros(2))])
    model.load_state_dict({k: v.detach().numpy() for k, v in model.state_dict().items()})  # tinynn also takes arrays


@pytest.mark.cpu_only  # memory sharing of host arrays
def test_assign_takes_the_checkpoint_array_dtype_and_memory():
    model = model_of(tinynn)
    weight = model[0].weight
    incoming = tinynn.ones(2, 2, dtype=tinynn.float64)
    model.load_state_dict(dict(model.state_dict(), **{"0.weight": incoming}), assign=True)
    assert model[0].weight is weight and type(weight) is nn.Parameter and weight.requires_grad
    assert weight.dtype == tinynn.float64 and np.shares_memory(weight.detach().numpy(), incoming.numpy())
    model.load_state_dict(dict(model.state_dict(), **{"0.weight": tinynn.zeros(2, 2)}))
    assert weight.dtype == tinynn.float64 and weight.detach().numpy().sum() == 0.0  # copied in, dtype kept


@needs_torch
def test_matches_torch():
    results = {}
    for lib in (tinynn, torch):
        model = model_of(lib)
        state = model.state_dict()
        full = model.load_state_dict(state)
        state = dict(state)
        state.pop("0.weight")
        state["head.weight"] = lib.zeros(1)
        partial = model.load_state_dict(state, strict=False)
        with pytest.raises(RuntimeError) as info:
            model.load_state_dict(state)
        lines = [line.strip() for line in str(info.value).splitlines()]
        double = {k: v.double() for k, v in model.state_dict().items()}
        model.load_state_dict(double)
        kept = str(model[0].weight.dtype).replace("torch.", "")
        model.load_state_dict(double, assign=True)
        assigned = str(model[0].weight.dtype).replace("torch.", "")
        results[lib.__name__] = (str(full), str(partial), tuple(partial), lines, kept, assigned,
                                 type(model[0].weight).__name__, model[0].weight.requires_grad)
    assert results["tinynn"] == results["torch"]
