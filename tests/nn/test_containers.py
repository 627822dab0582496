"""Containers (tinynn/nn/containers.py, parameter_containers.py): Sequential, ModuleList, ModuleDict, ParameterList and
ParameterDict, each operation checked side by side with PyTorch's (keys, order, repr, results)."""
from collections import OrderedDict

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tests.helpers import assert_module_matches_torch, needs_torch, rand, torch


def _both(build):
    """The same container built with tinynn.nn and with torch.nn."""
    return build(nn), build(torch.nn)


def _keys(module):
    return list(module.state_dict().keys())


def _same_structure(ours, theirs):
    assert _keys(ours) == _keys(theirs)
    assert repr(ours) == repr(theirs)


def _layers(lib):
    return [lib.Linear(2, 3), lib.ReLU(), lib.Linear(3, 4), lib.Tanh()]


# ---------------------------------------------------------------------------- Sequential
@needs_torch
def test_sequential_forward_keys_and_repr_match_torch():
    ours, theirs = _both(lambda lib: lib.Sequential(*_layers(lib)).double())
    _same_structure(ours, theirs)
    assert_module_matches_torch(ours, theirs, [rand(5, 2)])


@needs_torch
def test_sequential_from_ordered_dict_keeps_names():
    ours, theirs = _both(lambda lib: lib.Sequential(OrderedDict([("fc", lib.Linear(2, 3)), ("act", lib.GELU()),
                                                                 ("out", lib.Linear(3, 1))])))
    _same_structure(ours, theirs)
    assert isinstance(ours.act, nn.GELU) and ours[-1] is ours.out


@needs_torch
@pytest.mark.parametrize("edit", [
    lambda s, lib: s[1:],
    lambda s, lib: s[::2],
    lambda s, lib: s[-3:-1],
    lambda s, lib: s.__delitem__(1) or s,
    lambda s, lib: s.__delitem__(slice(0, 2)) or s,
    lambda s, lib: s.append(lib.Sigmoid()),
    lambda s, lib: s.insert(1, lib.Sigmoid()),
    lambda s, lib: s.insert(-1, lib.Sigmoid()),
    lambda s, lib: s.insert(4, lib.Sigmoid()),
    lambda s, lib: s.extend([lib.Sigmoid(), lib.Linear(4, 2)]),
    lambda s, lib: (s.pop(2), s)[1],
    lambda s, lib: s + lib.Sequential(lib.Sigmoid()),
    lambda s, lib: s * 2,
    lambda s, lib: s.__iadd__(lib.Sequential(lib.Sigmoid())),
    lambda s, lib: s.__setitem__(0, lib.Linear(2, 5)) or s,
], ids=["slice", "step", "negative_slice", "del", "del_slice", "append", "insert", "insert_negative",
        "insert_end", "extend", "pop", "add", "mul", "iadd", "setitem"])
def test_sequential_editing_matches_torch(edit):
    ours, theirs = _both(lambda lib: edit(lib.Sequential(*_layers(lib)), lib))
    _same_structure(ours, theirs)
    assert len(ours) == len(theirs)
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]


def test_sequential_indexing_and_chaining():
    layers = _layers(nn)
    seq = nn.Sequential(*layers)
    assert seq[0] is layers[0] and seq[-1] is layers[-1] and list(seq) == layers
    assert seq[1:][0] is layers[1]  # slices share the modules
    x = tinynn.randn(3, 2)
    expected = x
    for layer in layers:
        expected = layer(expected)
    np.testing.assert_array_equal(seq(x).detach().numpy(), expected.detach().numpy())
    with pytest.raises(IndexError, match="out of range"):
        seq[4]
    with pytest.raises(ValueError, match="Sequential"):
        seq + nn.ModuleList()
    with pytest.raises(ValueError, match="Non-positive"):
        seq * 0
    assert (seq * 2)[4] is layers[0]


# ---------------------------------------------------------------------------- ModuleList
@needs_torch
@pytest.mark.parametrize("edit", [
    lambda m, lib: m,
    lambda m, lib: m[1:3],
    lambda m, lib: m.append(lib.ReLU()),
    lambda m, lib: m.extend([lib.Linear(1, 1), lib.Linear(1, 1)]),
    lambda m, lib: m.insert(0, lib.Sigmoid()) or m,
    lambda m, lib: m.__delitem__(0) or m,
    lambda m, lib: m.__delitem__(slice(1, 3)) or m,
    lambda m, lib: (m.pop(-1), m)[1],
    lambda m, lib: m + lib.ModuleList([lib.ReLU()]),
    lambda m, lib: m.__iadd__([lib.Tanh(), lib.Tanh(), lib.Tanh()]),
    lambda m, lib: m.__setitem__(-3, lib.Tanh()) or m,
    lambda m, lib: lib.ModuleList(),
], ids=["plain", "slice", "append", "extend", "insert", "del", "del_slice", "pop", "add", "iadd", "setitem", "empty"])
def test_module_list_matches_torch(edit):
    ours, theirs = _both(lambda lib: edit(lib.ModuleList([lib.ReLU(), lib.ReLU(), lib.Linear(2, 2), lib.ReLU()]), lib))
    _same_structure(ours, theirs)  # the repr groups repeated members: "(0-1): 2 x ReLU()"


def test_module_list_registers_members():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList(nn.Linear(3, 3) for _ in range(3))

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    net = Net()
    assert len(list(net.parameters())) == 6
    assert _keys(net)[:2] == ["blocks.0.weight", "blocks.0.bias"]
    assert net.blocks[-1] is net.blocks[2]
    with pytest.raises(TypeError, match="iterable"):
        nn.ModuleList().extend(nn.ReLU())
    with pytest.raises(IndexError):
        net.blocks[3]


# ---------------------------------------------------------------------------- ModuleDict
@needs_torch
def test_module_dict_matches_torch():
    def build(lib):
        d = lib.ModuleDict({"b": lib.Linear(2, 2), "a": lib.ReLU()})   # insertion order, not sorted
        d["c"] = lib.Linear(2, 1)
        d.update([("d", lib.Tanh()), ("b", lib.Linear(2, 3))])          # replacing keeps the position
        d.pop("a")
        return d
    ours, theirs = _both(build)
    _same_structure(ours, theirs)
    assert list(ours.keys()) == list(theirs.keys()) == ["b", "c", "d"]


def test_module_dict_api():
    relu, lin = nn.ReLU(), nn.Linear(2, 2)
    d = nn.ModuleDict({"act": relu, "fc": lin})
    assert len(d) == 2 and "act" in d and "x" not in d
    assert list(d) == ["act", "fc"] and list(d.values()) == [relu, lin]
    assert dict(d.items()) == {"act": relu, "fc": lin}
    assert d.pop("act") is relu and len(d) == 1
    del d["fc"]
    assert len(d) == 0 and list(d.parameters()) == []
    d.update(nn.ModuleDict({"x": nn.Tanh()}))
    d.clear()
    assert len(d) == 0
    with pytest.raises(TypeError):
        d.update(5)
    with pytest.raises(ValueError, match="length 3"):
        d.update([("a", nn.ReLU(), 1)])
    with pytest.raises(TypeError):
        d["bad"] = 3


# ---------------------------------------------------------------------------- parameter containers
@pytest.mark.cpu_only
@needs_torch
def test_parameter_list_matches_torch():
    def build(lib):
        values = [lib.Parameter(torch_or_tinynn(lib).zeros(2, 3)), torch_or_tinynn(lib).ones(3)]
        plist = lib.ParameterList(values)
        plist.append(lib.Parameter(torch_or_tinynn(lib).ones(1)))
        plist.extend([torch_or_tinynn(lib).zeros(4)])
        return plist
    ours, theirs = _both(build)
    ours[0], theirs[0] = nn.Parameter(tinynn.ones(5)), torch.nn.Parameter(torch.ones(5))  # replaced in place
    assert _keys(ours) == _keys(theirs) == ["0", "1", "2", "3"]
    assert all(isinstance(p, nn.Parameter) for p in ours)  # plain tensors are made parameters
    assert repr(ours) == repr(theirs).replace("torch.", "tinynn.")
    assert [tuple(p.shape) for p in ours[1:3]] == [(3,), (1,)]


@needs_torch
def test_parameter_dict_matches_torch():
    def build(lib):
        t = torch_or_tinynn(lib)
        pd = lib.ParameterDict({"w": lib.Parameter(t.zeros(2)), "b": t.zeros(1)})   # a dict is sorted
        pd["a"] = lib.Parameter(t.ones(3))
        pd.update(OrderedDict([("z", t.zeros(1)), ("c", t.zeros(2))]))             # an OrderedDict is not
        pd.pop("w")
        pd["b"] = lib.Parameter(t.ones(2))                                           # replaced in place
        return pd
    ours, theirs = _both(build)
    assert _keys(ours) == _keys(theirs) == ["b", "a", "z", "c"]
    assert list(ours.keys()) == list(theirs.keys())


def test_parameter_containers_in_a_model():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([nn.Parameter(tinynn.ones(2)) for _ in range(2)])
            self.table = nn.ParameterDict({"shift": nn.Parameter(tinynn.zeros(2))})

        def forward(self, x):
            return x * self.scales[0] * self.scales[1] + self.table["shift"]

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scales.0", "scales.1", "table.shift"]
    net(tinynn.ones(3, 2)).sum().backward()
    np.testing.assert_array_equal(net.table["shift"].grad.numpy(), [3, 3])
    assert net.table.get("missing", 7) == 7 and net.table.setdefault("shift") is net.table["shift"]
    with pytest.raises(RuntimeError, match="should not be called"):
        net.scales(1)


def torch_or_tinynn(lib):
    return tinynn if lib is nn else torch
