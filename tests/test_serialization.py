"""tinynn.save / tinynn.load of plain data (tinynn/serialization/): exact round trips, file objects and
paths, refusals, atomic writes, and path errors reported as PyTorch reports them.

Whole objects (pickled) are tested in tests/serialization/test_pickled.py, the allowlist in
test_allowlist.py, hostile and broken files in test_untrusted.py."""
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
from tests.serialization.forge import header_bytes, npy_bytes, write_archive


def round_trip(obj, tmp_path, name="checkpoint.pt"):
    save(obj, tmp_path / name)
    return load(tmp_path / name)


def assert_same_tensor(got, expected):
    assert isinstance(got, tinynn.Tensor) and type(got) is tinynn.Tensor
    assert got.dtype == expected.dtype.newbyteorder("=") and got.shape == expected.shape
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
        "bigendian": tinynn.tensor(np.array([1.5, -2.0], dtype=">f8")),
    }
    arrays = {"c": np.arange(6.0).reshape(2, 3), "transposed": np.arange(6, dtype=np.int16).reshape(2, 3).T,
              "fortran": np.asfortranarray(np.ones((2, 3), np.float32)), "complex": np.array([1 + 2j]),
              "bool": np.array([True, False]), "u16": np.array([7], dtype=np.uint16)}
    plain = {"int": 7, "big": 2**70, "neg": -3, "float": 0.1, "nan": math.nan, "inf": math.inf, "ninf": -math.inf,
             "negzero": -0.0, "complex": 1.5 - 2j, "str": "héllo ✓", "empty": "", "true": True, "false": False,
             "none": None, "np_f32": np.float32(1.25), "np_i64": np.int64(-4), "np_bool": np.bool_(True),
             "dtype": tinynn.float16, "bfloat16": tinynn.bfloat16, "device": tinynn.device("cpu")}
    obj = {"tensors": tensors, "arrays": arrays, "plain": plain,
           "sequence": [1, (2.0, [None, "x"]), ()], 3: "int key", "3": "str key",
           "ordered": collections.OrderedDict([("z", 1), ("a", 2)]), "empty_list": [], "empty_dict": {}}
    back = round_trip(obj, tmp_path)
    with zipfile.ZipFile(tmp_path / "checkpoint.pt") as archive:  # plain data: no pickle in the file
        assert json.loads(np.load(archive.open("header.npy")).tobytes())["root"]["type"] == "dict"

    assert list(back) == list(obj) and back[3] == "int key" and back["3"] == "str key"
    for key, t in tensors.items():
        assert_same_tensor(back["tensors"][key], t)
    assert back["tensors"]["bigendian"].numpy().dtype.isnative  # a tensor's array is in the machine's order
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


@pytest.mark.cpu_only  # memory sharing of host tensors
def test_parameters_stay_parameters_and_shared_tensors_stay_shared(tmp_path):
    weight = Parameter(tinynn.tensor(np.arange(6.0).reshape(2, 3)))
    tied_state = collections.OrderedDict([("embed.weight", weight.detach()), ("head.weight", weight.detach())])
    back = round_trip({"param": weight, "again": weight, "state": tied_state}, tmp_path)
    assert type(back["param"]) is Parameter and back["param"].requires_grad  # as torch.load gives it back
    assert back["again"] is back["param"]
    embed, head = back["state"]["embed.weight"], back["state"]["head.weight"]
    assert np.shares_memory(embed.numpy(), head.numpy()) and not embed.requires_grad
    assert type(embed) is tinynn.Tensor
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


Point = collections.namedtuple("Point", "x y")


def root_type(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return json.loads(np.load(archive.open("header.npy")).tobytes())["root"]["type"]


@pytest.mark.parametrize("obj", [
    {"model": [1, {2}]}, {(1, 2): 3}, {"a": np.array(["ab", "c"])}, {"a": np.array([None], dtype=object)},
    collections.defaultdict(int), {"n": Point(1, 2)}, {"k": True.__class__},
    [tinynn.nn.Linear(2, 2)], {"t": np.datetime64("2024-01-01")},
], ids=["set", "tuple-key", "strings", "objects", "defaultdict", "namedtuple", "class", "module", "datetime"])
def test_only_what_is_not_plain_data_is_pickled(tmp_path, obj):
    save(obj, tmp_path / "x.pt")
    assert root_type(tmp_path / "x.pt") == "pickle"
    save({"plain": [1, 2.5, "s", None, tinynn.ones(2), np.zeros(1), {"n": (3,)}]}, tmp_path / "y.pt")
    assert root_type(tmp_path / "y.pt") == "dict"


def test_a_reference_cycle_is_pickled_and_comes_back_a_cycle(tmp_path):
    loop = [tinynn.ones(2)]
    loop.append(loop)
    back = round_trip(loop, tmp_path)  # no global is needed: weights_only=True loads it
    assert back[1] is back and back[0].tolist() == [1.0, 1.0]


def test_save_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="pickle_protocol must be an int from 2"):
        save({}, tmp_path / "x.pt", pickle_protocol=1)
    with pytest.raises(AttributeError):  # a pickle_module without a Pickler
        save({1}, tmp_path / "x.pt", pickle_module=json)
    save({}, tmp_path / "x.pt", pickle_module=pickle, pickle_protocol=2, _use_new_zipfile_serialization=False)
    assert load(tmp_path / "x.pt") == {}
    assert os.listdir(tmp_path) == ["x.pt"]


# ---------------------------------------------------------------------- refusals
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
    ({"header.npy": header_bytes({"type": "int", "value": "7"})}, "field 'value' of a 'int' node must be int"),
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
        load(buffer, map_location=3)
    seen = []
    buffer.seek(0)
    back = load(buffer, map_location=lambda storage, location: seen.append(location) or storage)  # a PyTorch idiom
    assert back["w"].device == tinynn.device("cpu") and seen == [str(tinynn.ones(1).device)]
    buffer.seek(0)
    assert load(buffer, map_location=lambda storage, location: None)["w"].tolist() == [1.0, 1.0]
    buffer.seek(0)
    with pytest.raises(TypeError, match="map_location returned a list"):
        load(buffer, map_location=lambda storage, location: [storage])
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


def test_a_failed_pickle_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "model.pt"
    save({"version": 1}, path)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        save({"f": lambda x: x}, path)  # a lambda cannot be pickled: nothing is written
    assert os.listdir(tmp_path) == ["model.pt"] and load(path) == {"version": 1}


# ---------------------------------------------------------------------- paths, as PyTorch reports them
def path_errors(save_fn, load_fn, tmp_path) -> dict:
    """What save and load raise for each kind of bad path: {case: (exception type, message)}."""
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "folder").mkdir()
    cases = {
        "save, missing parent": lambda: save_fn({"w": 1}, tmp_path / "missing" / "x.pt"),
        "save, symlink loop": lambda: save_fn({"w": 1}, tmp_path / "loop"),
        "save, a directory": lambda: save_fn({"w": 1}, tmp_path / "folder"),
        "load, missing file": lambda: load_fn(tmp_path / "absent.pt"),
        "load, missing parent": lambda: load_fn(tmp_path / "missing" / "x.pt"),
        "load, symlink loop": lambda: load_fn(tmp_path / "loop"),
        "load, a directory": lambda: load_fn(tmp_path / "folder"),
    }
    errors = {}
    for case, attempt in cases.items():
        with pytest.raises(Exception) as info:
            attempt()
        errors[case] = (type(info.value), str(info.value))
    return errors


def test_bad_paths_raise_what_torch_raises(tmp_path):
    errors = path_errors(save, load, tmp_path)
    assert errors["save, missing parent"] == (RuntimeError, f"Parent directory {tmp_path / 'missing'} does not exist.")
    loop = "Too many levels of symbolic links"
    assert errors["save, symlink loop"][0] is RuntimeError and loop in errors["save, symlink loop"][1]
    assert errors["save, a directory"][0] is RuntimeError and "Is a directory" in errors["save, a directory"][1]
    assert errors["load, missing file"][0] is errors["load, missing parent"][0] is FileNotFoundError
    assert errors["load, symlink loop"][0] is OSError and loop in errors["load, symlink loop"][1]
    assert errors["load, a directory"][0] is IsADirectoryError
    assert (tmp_path / "loop").is_symlink() and sorted(os.listdir(tmp_path)) == ["folder", "loop"]  # nothing replaced


@needs_torch
def test_bad_paths_raise_the_same_exception_types_as_torch(tmp_path):
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    ours = path_errors(save, load, tmp_path / "ours")
    theirs = path_errors(torch.save, torch.load, tmp_path / "theirs")
    assert {case: kind for case, (kind, _) in ours.items()} == {case: kind for case, (kind, _) in theirs.items()}
    assert ours["save, missing parent"][1].replace("ours", "theirs") == theirs["save, missing parent"][1]


def test_save_through_a_symlink_replaces_its_target(tmp_path):
    (tmp_path / "real.pt").write_bytes(b"old")
    (tmp_path / "link.pt").symlink_to(tmp_path / "real.pt")
    save({"w": tinynn.ones(1)}, tmp_path / "link.pt")
    assert (tmp_path / "link.pt").is_symlink() and load(tmp_path / "real.pt")["w"].tolist() == [1.0]


def test_paths_may_be_str_or_pathlib_and_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save({"a": 1}, "relative.pt")
    assert load("relative.pt") == {"a": 1} and load(tmp_path / "relative.pt") == {"a": 1}
    assert sorted(os.listdir(tmp_path)) == ["relative.pt"]
