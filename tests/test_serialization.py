"""tinynn.save / tinynn.load (tinynn/serialization.py): exact round trips, refusals, atomic writes."""
import collections
import io
import json
import math
import os
import pickle
import zipfile

import numpy as np
import pytest

import tinynn
from tinynn import optim
from tinynn.nn.parameter import Parameter
from tinynn.serialization import CheckpointError, load, save
from tests.helpers import needs_torch, torch


def round_trip(obj, tmp_path, name="checkpoint.pt"):
    save(obj, tmp_path / name)
    return load(tmp_path / name)


def assert_same_tensor(got, expected):
    assert isinstance(got, tinynn.Tensor) and type(got) is tinynn.Tensor
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert got.requires_grad == expected.requires_grad
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())


def test_every_supported_type_round_trips_exactly(tmp_path):
    tensors = {
        "f16": tinynn.tensor(np.array([1.5, -2.25], dtype=np.float16)),
        "f32": tinynn.tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)),
        "f64": tinynn.tensor(np.random.default_rng(1).standard_normal((2, 1, 3))),
        "i32": tinynn.tensor(np.array([[1, -2]], dtype=np.int32)),
        "i64": tinynn.tensor([2**40, -7]),
        "u8": tinynn.tensor(np.array([0, 255], dtype=np.uint8)),
        "bool": tinynn.tensor([True, False, True]),
        "scalar": tinynn.tensor(3.25),
        "empty": tinynn.zeros(0, 3),
        "trainable": tinynn.tensor([1.0, 2.0], requires_grad=True),
    }
    arrays = {"c": np.arange(6.0).reshape(2, 3), "transposed": np.arange(6, dtype=np.int16).reshape(2, 3).T,
              "fortran": np.asfortranarray(np.ones((2, 3), np.float32)), "complex": np.array([1 + 2j]),
              "strings": np.array(["ab", "c"])}
    plain = {"int": 7, "big": 2**70, "neg": -3, "float": 0.1, "nan": math.nan, "inf": math.inf, "ninf": -math.inf,
             "negzero": -0.0, "complex": 1.5 - 2j, "str": "héllo ✓", "empty": "", "true": True, "false": False,
             "none": None, "np_f32": np.float32(1.25), "np_i64": np.int64(-4), "np_bool": np.bool_(True),
             "dtype": tinynn.float16, "device": tinynn.device("cpu")}
    obj = {"tensors": tensors, "arrays": arrays, "plain": plain,
           "sequence": [1, (2.0, [None, "x"]), ()], 3: "int key", "3": "str key",
           "ordered": collections.OrderedDict([("z", 1), ("a", 2)]), "empty_list": [], "empty_dict": {}}
    back = round_trip(obj, tmp_path)

    assert list(back) == list(obj) and back[3] == "int key" and back["3"] == "str key"
    for key, t in tensors.items():
        assert_same_tensor(back["tensors"][key], t)
    for key, a in arrays.items():
        assert back["arrays"][key].dtype == a.dtype and back["arrays"][key].shape == a.shape
        np.testing.assert_array_equal(back["arrays"][key], a)
    for key, value in plain.items():
        got = back["plain"][key]
        assert type(got) is type(value), key
        assert got == value or (isinstance(value, float) and math.isnan(value) and math.isnan(got)), key
    assert math.copysign(1.0, back["plain"]["negzero"]) == -1.0
    assert back["sequence"] == [1, (2.0, [None, "x"]), ()] and isinstance(back["sequence"][1], tuple)
    assert type(back["ordered"]) is collections.OrderedDict and list(back["ordered"]) == ["z", "a"]
    assert type(back["tensors"]) is dict and back["empty_list"] == [] and back["empty_dict"] == {}


@pytest.mark.cpu_only  # memory sharing / reprs of host tensors
def test_parameters_come_back_as_tensors_and_shared_tensors_stay_shared(tmp_path):
    weight = Parameter(tinynn.tensor(np.arange(6.0).reshape(2, 3)))
    tied_state = collections.OrderedDict([("embed.weight", weight.detach()), ("head.weight", weight.detach())])
    back = round_trip({"param": weight, "again": weight, "state": tied_state}, tmp_path)
    assert type(back["param"]) is tinynn.Tensor and back["param"].requires_grad
    assert back["again"] is back["param"]
    embed, head = back["state"]["embed.weight"], back["state"]["head.weight"]
    assert np.shares_memory(embed.numpy(), head.numpy()) and not embed.requires_grad
    with zipfile.ZipFile(tmp_path / "checkpoint.pt") as archive:
        assert len(archive.namelist()) == 2  # the header and a single copy of the weights


def test_optimizer_state_keeps_integer_keys(tmp_path):
    w = tinynn.ones(3, requires_grad=True)
    opt = optim.Adam([w])
    w.grad = tinynn.ones(3)
    opt.step()
    back = round_trip(opt.state_dict(), tmp_path)
    assert list(back["state"]) == [0] and back["param_groups"][0]["params"] == [0]
    assert back["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["state"][0]["step"].dtype == tinynn.float32 and back["state"][0]["step"].item() == 1.0


def test_any_file_name_a_file_object_and_a_real_npz_container(tmp_path):
    obj = {"w": tinynn.ones(2, 2)}
    save(obj, tmp_path / "best_model.pt")
    assert os.listdir(tmp_path) == ["best_model.pt"]
    with np.load(tmp_path / "best_model.pt", allow_pickle=False) as archive:
        assert sorted(archive.files) == ["a0", "header"]
        assert json.loads(archive["header"].tobytes())["format"] == "tinynn.checkpoint"
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    assert load(buffer)["w"].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    save(obj, str(tmp_path / "plain_string_path"))
    assert load(str(tmp_path / "plain_string_path"))["w"].shape == (2, 2)


def test_unsavable_objects_are_refused_with_their_location(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['model'\]\[1\], of type set"):
        save({"model": [1, {2}]}, tmp_path / "x.pt")
    with pytest.raises(TypeError, match="object array"):
        save({"a": np.array([object()])}, tmp_path / "x.pt")
    with pytest.raises(TypeError, match="keys must be str or int"):
        save({(1, 2): 3}, tmp_path / "x.pt")
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        save(loop, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="never pickles"):
        save({}, tmp_path / "x.pt", pickle_module=pickle)
    assert not os.listdir(tmp_path)


# ---------------------------------------------------------------------- refusals
def write_archive(path, members: dict) -> None:
    """A zip archive with the given raw member bytes (to forge hostile checkpoints)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def npy_bytes(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def header_bytes(root) -> bytes:
    return npy_bytes(np.frombuffer(json.dumps({"format": "tinynn.checkpoint", "version": 1, "root": root}).encode(),
                                   dtype=np.uint8))


class Exploit:
    """Unpickling this would create a file: loading must never get that far."""

    marker = None

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_bearing_files_are_refused_without_running_code(tmp_path):
    Exploit.marker = str(tmp_path / "PWNED")
    evil = np.empty(1, dtype=object)
    evil[0] = Exploit()
    node = {"type": "ndarray", "array": "a0", "dtype": "|O", "shape": [1]}
    write_archive(tmp_path / "object_array.pt", {"header.npy": header_bytes(node),
                                                 "a0.npy": npy_bytes(evil, allow_pickle=True)})
    with pytest.raises(CheckpointError, match="pickle"):
        load(tmp_path / "object_array.pt")
    write_archive(tmp_path / "raw_pickle_member.pt", {"header.npy": header_bytes(node | {"dtype": "<f8"}),
                                                      "a0.npy": pickle.dumps(Exploit())})
    with pytest.raises(CheckpointError, match="not a .npy array"):
        load(tmp_path / "raw_pickle_member.pt")
    (tmp_path / "plain.pkl").write_bytes(pickle.dumps({"x": Exploit()}))
    with pytest.raises(CheckpointError, match="looks like a pickle"):
        load(tmp_path / "plain.pkl")
    assert not (tmp_path / "PWNED").exists()


@needs_torch
def test_a_torch_save_file_is_refused_with_a_hint(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "torch_model.pt")
    with pytest.raises(CheckpointError, match="torch.save"):
        load(tmp_path / "torch_model.pt")


def test_truncated_corrupt_garbage_and_empty_files_are_refused(tmp_path):
    save({"w": tinynn.tensor(np.arange(100.0)), "name": "model"}, tmp_path / "good.pt")
    data = (tmp_path / "good.pt").read_bytes()
    for cut in (3, 10, 100, len(data) // 2, len(data) - 30, len(data) - 1):
        (tmp_path / "cut.pt").write_bytes(data[:cut])
        with pytest.raises(CheckpointError):
            load(tmp_path / "cut.pt")
    corrupt = bytearray(data)
    position = data.index(np.arange(100.0)[50:51].tobytes())
    corrupt[position] ^= 0xFF  # one flipped bit pattern inside the array data: the CRC catches it
    (tmp_path / "corrupt.pt").write_bytes(bytes(corrupt))
    with pytest.raises(CheckpointError, match="CRC|corrupt"):
        load(tmp_path / "corrupt.pt")
    (tmp_path / "garbage.pt").write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(CheckpointError, match="not a tinynn checkpoint"):
        load(tmp_path / "garbage.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty"):
        load(tmp_path / "empty.pt")
    assert isinstance(CheckpointError("x"), ValueError) and isinstance(CheckpointError("x"), RuntimeError)


@pytest.mark.parametrize("members,message", [
    ({"a0.npy": npy_bytes(np.zeros(2))}, "no tinynn header"),
    ({"header.npy": npy_bytes(np.frombuffer(b"{not json", dtype=np.uint8))}, "not valid JSON"),
    ({"header.npy": npy_bytes(np.zeros(3, dtype=np.float32))}, "1-d uint8"),
    ({"header.npy": header_bytes({"type": "tensor", "array": "a9", "dtype": "<f8", "shape": [2]})}, "not in the file"),
    ({"header.npy": header_bytes({"type": "ndarray", "array": "a0", "dtype": "<f4", "shape": [2]}),
      "a0.npy": npy_bytes(np.zeros(2))}, "but the header says"),
    ({"header.npy": header_bytes({"type": "lambda", "value": "os.system"})}, "unknown node type"),
    ({"header.npy": header_bytes({"type": "dict", "items": [[{"type": "float", "value": 1.0}, {"type": "none"}]]})},
     "keys must be str or int"),
    ({"header.npy": header_bytes({"type": "int", "value": "7"})}, "int node holds"),
])
def test_malformed_headers_are_refused(tmp_path, members, message):
    write_archive(tmp_path / "bad.pt", members)
    with pytest.raises(CheckpointError, match=message):
        load(tmp_path / "bad.pt")


def test_map_location():
    buffer = io.BytesIO()
    save({"w": tinynn.ones(2)}, buffer)
    buffer.seek(0)
    assert load(buffer, map_location="cpu")["w"].device == tinynn.device("cpu")
    buffer.seek(0)
    assert load(buffer, map_location={"cuda:0": "cpu"})["w"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="map_location"):
        load(buffer, map_location=lambda storage, location: storage)
    if not tinynn.cuda.is_available():
        buffer.seek(0)
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            load(buffer, map_location="cuda")


# ---------------------------------------------------------------------- atomic writes
def test_a_failure_mid_save_leaves_the_old_file_intact_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    save({"version": 1, "w": tinynn.zeros(3)}, path)
    real_write_array = np.lib.format.write_array
    calls = []

    def failing_write_array(fp, array, *args, **kwargs):
        calls.append(array.shape)
        if len(calls) == 2:  # the header went out; the disk "fills up" inside the weights
            fp.write(b"\x93NUMPY partial")
            raise OSError(28, "No space left on device")
        return real_write_array(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing_write_array)
    with pytest.raises(OSError, match="No space left"):
        save({"version": 2, "w": tinynn.ones(1000)}, path)
    monkeypatch.undo()
    assert len(calls) == 2
    assert os.listdir(tmp_path) == ["model.pt"]
    old = load(path)
    assert old["version"] == 1 and old["w"].tolist() == [0.0, 0.0, 0.0]
    save({"version": 3}, path)
    assert load(path) == {"version": 3} and os.listdir(tmp_path) == ["model.pt"]
