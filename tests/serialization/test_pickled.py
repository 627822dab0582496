"""Whole objects (tinynn/serialization/pickled.py): tinynn.save(model) and tinynn.load(..., weights_only=False),
the default refusal, pickle_module / pickle_protocol / pickle_load_args, mmap, and PyTorch's rules."""
import collections
import dataclasses
import io
import json
import pickle
import types
import zipfile

import numpy as np
import pytest

import tinynn
from tinynn import nn, optim
from tinynn.serialization import CheckpointError, WeightsOnlyError, load, save
from tests.helpers import needs_torch, torch


def round_trip(obj, **load_args):
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    return load(buffer, **load_args)


class TwoTower(nn.Module):
    """Shared weights, a buffer, a non-persistent buffer, plain attributes and a submodule list."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(5, 4)
        self.towers = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])
        self.norm = nn.LayerNorm(4)
        self.head = nn.Linear(4, 5, bias=False)
        self.head.weight = self.embed.weight  # tied
        self.register_buffer("scale", tinynn.tensor(0.5, dtype=tinynn.float64), persistent=False)
        self.register_buffer("offset", tinynn.arange(5))
        self.name, self.sizes = "two towers", (5, 4)

    def forward(self, ids):
        x = self.embed(ids)
        x = self.norm(self.towers[0](x) + self.towers[1](x))
        return self.head(x) * self.scale + self.offset


@dataclasses.dataclass
class Config:
    lr: float
    layers: tuple


Pair = collections.namedtuple("Pair", "left right")


MODELS = {
    "tied-embedding": (TwoTower, lambda: tinynn.tensor([[1, 2, 3], [0, 4, 4]])),
    "cnn": (lambda: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                                  nn.Linear(48, 2)), lambda: tinynn.randn(2, 2, 4, 4, dtype=tinynn.float64)),
    "lstm": (lambda: nn.LSTM(3, 4, num_layers=2, batch_first=True),
             lambda: tinynn.randn(2, 3, 3, dtype=tinynn.float64)),
    "transformer-layer": (lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
                          lambda: tinynn.randn(2, 3, 8, dtype=tinynn.float64)),
}


def flat_outputs(result) -> list:
    """The tensors of a forward's result (the LSTM's is (output, (h, c)))."""
    if isinstance(result, tuple):
        return [t for item in result for t in flat_outputs(item)]
    return [result.detach().numpy()]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_whole_model_comes_back_working(name):
    build, make_input = MODELS[name]
    tinynn.manual_seed(0)
    model, x = build().double(), make_input()
    model(x)  # one training-mode pass moves the batch norm statistics
    model.eval()
    back = round_trip(model, weights_only=False)
    assert type(back) is type(model) and back is not model and back.training is False
    for got, expected in zip(flat_outputs(back(x)), flat_outputs(model(x)), strict=True):
        np.testing.assert_array_equal(got, expected)
    for (name, p), (name_back, p_back) in zip(model.named_parameters(), back.named_parameters(), strict=True):
        assert name == name_back and type(p_back) is nn.Parameter and p_back.requires_grad
        np.testing.assert_array_equal(p_back.detach().numpy(), p.detach().numpy())
    assert list(back.state_dict()) == list(model.state_dict())


def test_ties_buffers_and_attributes_survive():
    model = TwoTower()
    back = round_trip(model, weights_only=False)
    assert back.head.weight is back.embed.weight  # one Parameter, as before
    assert "scale" not in back.state_dict() and back.scale.item() == 0.5
    assert (back.name, back.sizes) == ("two towers", (5, 4))
    assert back.offset.dtype == tinynn.int64 and back.offset.tolist() == [0, 1, 2, 3, 4]


def test_a_model_and_its_optimizer_saved_together_keep_training_as_one():
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    x, y = tinynn.randn(8, 3).double(), tinynn.randn(8, 1).double()

    def step(model, optimizer):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        return loss.item()

    step(model, optimizer)
    back = round_trip({"model": model, "optimizer": optimizer, "epoch": 1}, weights_only=False)
    assert back["optimizer"].param_groups[0]["params"][0] is back["model"][0].weight
    assert float(back["optimizer"].state[back["model"][0].weight]["step"]) == 1.0
    losses = [step(model, optimizer) for _ in range(3)]
    assert [step(back["model"], back["optimizer"]) for _ in range(3)] == losses


def test_the_pickle_holds_structure_and_the_arrays_hold_the_weights():
    model = nn.Linear(300, 2)
    buffer = io.BytesIO()
    save(model, buffer)
    with np.load(io.BytesIO(buffer.getvalue()), allow_pickle=False) as archive:  # readable without unpickling
        root = json.loads(archive["header"].tobytes())["root"]
        pickle_bytes = archive[root["array"]].tobytes()
        weight = archive[root["objects"][0]["array"]]
    assert root["type"] == "pickle" and root["protocol"] == 4
    assert [node["type"] for node in root["objects"]] == ["tensor", "tensor"]
    assert root["objects"][0]["class"] == ["tinynn.nn.parameter", "Parameter"]
    np.testing.assert_array_equal(weight, model.weight.detach().numpy())
    assert len(pickle_bytes) < 1000 < weight.nbytes  # the weights are not in the pickle
    assert model.weight.detach().numpy().tobytes()[:64] not in pickle_bytes


class Exploit:
    """Unpickling this calls open(marker, "w"): a stand-in for any code a malicious file could run."""

    marker = None

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_by_default_a_pickled_object_is_refused_and_runs_no_code(tmp_path):
    Exploit.marker = str(tmp_path / "PWNED")
    save({"weights": tinynn.ones(2), "payload": Exploit()}, tmp_path / "evil.pt")
    with pytest.raises(WeightsOnlyError) as info:
        load(tmp_path / "evil.pt")
    assert not (tmp_path / "PWNED").exists()
    message = str(info.value)
    for phrase in ("weights_only=False", "arbitrary code", "trust", "the global io.open", "add_safe_globals",
                   "safe_globals(["):
        assert phrase in message, phrase
    assert isinstance(info.value, pickle.UnpicklingError) and isinstance(info.value, RuntimeError)
    assert isinstance(info.value, CheckpointError)
    load(tmp_path / "evil.pt", weights_only=False)  # the opt-in does run the file's code: the risk is real
    assert (tmp_path / "PWNED").exists()


def test_weights_only_loads_pickles_that_need_only_data_globals():
    obj = {"set": {1, 2}, "frozen": frozenset({3}), ("tuple", "key"): tinynn.ones(1), "bytes": b"\x00\x01",
           "counter": collections.Counter("aab"), "complex_array": np.array([1j]), "np_float": np.float32(2.5),
           "dtype": tinynn.float64, "device": tinynn.device("cpu")}
    back = round_trip(obj)  # weights_only=True
    assert back["set"] == {1, 2} and back["frozen"] == frozenset({3}) and back["bytes"] == b"\x00\x01"
    assert back[("tuple", "key")].tolist() == [1.0] and back["counter"] == collections.Counter("aab")
    assert back["np_float"] == np.float32(2.5) and type(back["np_float"]) is np.float32
    assert back["dtype"] is tinynn.float64 or back["dtype"] == tinynn.float64
    assert back["device"] == tinynn.device("cpu")
    for protocol in (2, 3, 5):
        buffer = io.BytesIO()
        save(obj, buffer, pickle_protocol=protocol)
        buffer.seek(0)
        assert load(buffer)["set"] == {1, 2}


@pytest.mark.parametrize("obj,needed", [
    (Config(0.1, (2, 3)), "Config"), (Pair(1, 2), "Pair"), (np.array(["a", "b"]), "numpy"),
    (nn.ReLU(), "tinynn.nn.activation.ReLU"), ({"fn": np.sum}, "numpy.sum"),
])
def test_anything_else_is_refused_naming_the_global(obj, needed):
    with pytest.raises(WeightsOnlyError, match=needed):
        round_trip(obj)
    back = round_trip(obj, weights_only=False)
    assert type(back) is type(obj)


class Vanishing:
    """Saved, then removed from this module before loading (as if renamed or never imported)."""


def test_a_missing_class_is_reported_by_name(tmp_path, monkeypatch):
    save({"x": Vanishing()}, tmp_path / "x.pt")
    monkeypatch.delattr(f"{__name__}.Vanishing")
    with pytest.raises(CheckpointError, match=r"needs tests\.serialization\.test_pickled\.Vanishing, which cannot"):
        load(tmp_path / "x.pt", weights_only=False)


def test_pickle_module_and_load_arguments_follow_torch():
    calls = []

    class CountingPickler(pickle.Pickler):
        def dump(self, obj):
            calls.append("dump")
            return super().dump(obj)

    class CountingUnpickler(pickle.Unpickler):
        def load(self):
            calls.append("load")
            return super().load()

    module = types.SimpleNamespace(Pickler=CountingPickler, Unpickler=CountingUnpickler)
    buffer = io.BytesIO()
    save(Config(1.0, ()), buffer, pickle_module=module)
    buffer.seek(0)
    assert load(buffer, pickle_module=module) == Config(1.0, ())  # weights_only defaults to False with a module
    assert calls == ["dump", "load"]
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module is specified"):
        load(buffer, pickle_module=pickle, weights_only=True)
    buffer.seek(0)
    assert load(buffer, weights_only=False, encoding="latin1") == Config(1.0, ())
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        load(buffer, colour="red")
    with pytest.raises(TypeError, match="weights_only must be"):
        load(buffer, weights_only="yes")


@pytest.mark.cpu_only  # memory maps of host arrays
def test_mmap_maps_stored_arrays_copy_on_write(tmp_path):
    state = {"w": tinynn.tensor(np.arange(12.0).reshape(3, 4)), "f": tinynn.tensor(np.asfortranarray(np.ones((2, 3)))),
             "empty": tinynn.zeros(0), "scalar": tinynn.tensor(2.0)}
    save(state, tmp_path / "m.pt")
    before = (tmp_path / "m.pt").read_bytes()
    back = load(tmp_path / "m.pt", mmap=True)
    for key, t in state.items():
        np.testing.assert_array_equal(back[key].numpy(), t.numpy())
    base = back["w"].numpy()
    while not isinstance(base, np.memmap) and base.base is not None:
        base = base.base
    assert isinstance(base, np.memmap) and base.filename == str(tmp_path / "m.pt")
    with tinynn.no_grad():
        back["w"].mul_(2)  # private pages: the file keeps its bytes
    assert (tmp_path / "m.pt").read_bytes() == before and load(tmp_path / "m.pt")["w"].tolist()[0][1] == 1.0
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap argument"):
        load(io.BytesIO(before), mmap=True)


# ---------------------------------------------------------------------- PyTorch's rules, side by side
@needs_torch
@pytest.mark.parametrize("make", [
    lambda lib: {"set": {1, 2}, ("t", 1): 3, "bytes": b"ab", "od": collections.OrderedDict(a=1), "c": 1j},
    lambda lib: Config(0.5, (1,)), lambda lib: Pair(1, 2), lambda lib: lib.nn.Linear(2, 2),
    lambda lib: {"opt": lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)},
], ids=["data-globals", "dataclass", "namedtuple", "module", "optimizer"])
def test_weights_only_accepts_and_refuses_what_torch_does(tmp_path, make):
    outcomes = []
    for lib in (tinynn, torch):
        lib.save(make(lib), tmp_path / "x.pt")
        try:
            lib.load(tmp_path / "x.pt")
            outcomes.append("loaded")
        except pickle.UnpicklingError as error:  # the class both raise
            assert "weights_only" in str(error) and "add_safe_globals" in str(error)
            outcomes.append("refused")
        assert type(lib.load(tmp_path / "x.pt", weights_only=False)).__name__ == type(make(lib)).__name__
    assert outcomes[0] == outcomes[1]


@needs_torch
def test_a_torch_whole_model_file_is_refused_with_a_hint(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "torch_model.pt")
    with pytest.raises(CheckpointError, match="written by torch.save"):
        load(tmp_path / "torch_model.pt", weights_only=False)
    with zipfile.ZipFile(tmp_path / "torch_model.pt") as archive:
        assert any(name.endswith("data.pkl") for name in archive.namelist())


class ForwardOnly(io.RawIOBase):
    """A readable stream that cannot seek (a pipe, a socket, a download)."""

    def __init__(self, data: bytes):
        self._stream = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        return self._stream.readinto(buffer)


def test_a_stream_that_cannot_seek_is_read_whole():
    buffer = io.BytesIO()
    save(Config(2.0, (1,)), buffer)
    assert load(ForwardOnly(buffer.getvalue()), weights_only=False) == Config(2.0, (1,))


@pytest.mark.cuda
def test_a_whole_gpu_model_comes_back_where_map_location_says(tmp_path):
    model = TwoTower().to("cuda")
    save(model, tmp_path / "gpu.pt")
    on_gpu = load(tmp_path / "gpu.pt", weights_only=False)
    assert all(p.is_cuda for p in on_gpu.parameters()) and on_gpu.head.weight is on_gpu.embed.weight
    on_cpu = load(tmp_path / "gpu.pt", weights_only=False, map_location="cpu")
    assert all(p.device.type == "cpu" for p in on_cpu.parameters()) and on_cpu.offset.device.type == "cpu"
    ids = tinynn.tensor([[1, 2]])
    np.testing.assert_allclose(on_cpu(ids).detach().numpy(), model(ids.cuda()).detach().cpu().numpy(), rtol=1e-6)


def test_a_lazy_model_saved_before_its_first_forward_still_learns_its_shapes():
    model = nn.Sequential(nn.LazyLinear(3), nn.ReLU())
    back = round_trip(model, weights_only=False)
    assert type(back[0].weight) is nn.parameter.UninitializedParameter
    assert back(tinynn.ones(2, 4)).shape == (2, 3) and type(back[0].weight) is nn.Parameter
