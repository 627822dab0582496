"""Files that cannot be trusted (tinynn/serialization/container.py, nodes.py, pickled.py): each forged
here, each refused with a CheckpointError before anything large is allocated or any code runs."""
import io
import json
import pickle
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinynn
from tinynn import nn, serialization
from tinynn.serialization import CheckpointError, WeightsOnlyError, load, save
from tests.serialization.forge import header_bytes, npy_bytes, npy_header, write_archive


def load_bytes(data: bytes, **kwargs):
    return load(io.BytesIO(data), **kwargs)


def peak_bytes_while(fn) -> int:
    """The most memory (as tracemalloc sees NumPy and Python allocate it) that ``fn()`` held at once."""
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def refused(data: bytes, match: str, **kwargs) -> CheckpointError:
    with pytest.raises(CheckpointError, match=match) as info:
        load_bytes(data, **kwargs)
    return info.value


# ---------------------------------------------------------------------- sizes
def test_a_decompression_bomb_is_refused_before_inflating(tmp_path):
    inflated = 32 << 20
    node = {"type": "ndarray", "array": "a0", "dtype": "<f8", "shape": [inflated // 8]}
    with zipfile.ZipFile(tmp_path / "bomb.pt", "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("header.npy", header_bytes(node))
        with archive.open("a0.npy", "w", force_zip64=True) as member:
            member.write(npy_header("<f8", (inflated // 8,)))
            zeros = bytes(1 << 20)
            for _ in range(inflated >> 20):
                member.write(zeros)
    data = (tmp_path / "bomb.pt").read_bytes()
    assert len(data) < inflated // 100
    message = r"would unpack to 3355\d{4} bytes from a file of \d+ .*decompression bomb"
    peak = peak_bytes_while(lambda: refused(data, message))
    assert peak < 2 << 20


def test_a_compressed_file_within_the_bound_loads(tmp_path):
    weights = np.random.default_rng(0).standard_normal((50, 20))
    node = {"type": "dict", "items": [[{"type": "str", "value": "w"},
                                       {"type": "ndarray", "array": "a0", "dtype": "<f8", "shape": [50, 20]}]]}
    write_archive(tmp_path / "savez_compressed.pt", {"header.npy": header_bytes(node), "a0.npy": npy_bytes(weights)},
                  compression=zipfile.ZIP_DEFLATED)
    np.testing.assert_array_equal(load(tmp_path / "savez_compressed.pt")["w"], weights)


def patch_member_sizes(data: bytes, name: str, file_size=None, compress_size=None, method=None, flags=None) -> bytes:
    """Rewrite fields of one member in both its local header and its central directory entry."""
    data = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(name)
    central = data.index(b"PK\x01\x02")
    while data[central + 46:central + 46 + len(name)] != name.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    for start, offsets in ((info.header_offset, (6, 8, 18, 22)), (central, (8, 10, 20, 24))):
        for offset, value, fmt in zip(offsets, (flags, method, compress_size, file_size), ("<H", "<H", "<L", "<L")):
            if value is not None:
                struct.pack_into(fmt, data, start + offset, value)
    return bytes(data)


def test_a_member_that_inflates_past_its_declared_size_is_read_only_that_far(tmp_path):
    node = {"type": "ndarray", "array": "a0", "dtype": "<f8", "shape": [1 << 17]}
    write_archive(tmp_path / "x.pt", {"header.npy": header_bytes(node), "a0.npy": npy_bytes(np.zeros(1 << 17))},
                  compression=zipfile.ZIP_DEFLATED)
    data = patch_member_sizes((tmp_path / "x.pt").read_bytes(), "a0.npy", file_size=1000)
    assert peak_bytes_while(lambda: refused(data, "member 'a0.npy' (is truncated|is corrupt)")) < 1 << 20


def test_a_declared_size_is_checked_against_the_bytes_present_before_allocating():
    node = {"type": "ndarray", "array": "a0", "dtype": "<f8", "shape": [2 ** 40]}
    members = {"header.npy": header_bytes(node), "a0.npy": npy_header("<f8", (2 ** 40,)) + bytes(80)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    data = buffer.getvalue()
    error = refused(data, r"member 'a0.npy' is truncated: it declares a float64 array of shape \(1099511627776,\) "
                          r"\(8796093022208 bytes\), but only 80 bytes follow")
    assert "pickle" not in str(error)
    assert peak_bytes_while(lambda: refused(data, "truncated")) < 1 << 20


@pytest.mark.parametrize("payload,message", [
    (npy_header("<f8", (100,)) + bytes(400), "member 'a0.npy' is truncated: it declares a float64 array of shape"),
    (npy_header("<f8", (10,)) + bytes(88), "holds 8 bytes beyond the float64 array of shape"),
    (npy_header("<f8", (-3,)), "negative size|corrupt"),
    (b"\x93NUMPY\x03\x00" + bytes(20), "format version"),
    (b"not an npy file at all", "is not a .npy array"),
])
def test_members_whose_npy_header_does_not_fit_their_bytes_are_refused(tmp_path, payload, message):
    node = {"type": "ndarray", "array": "a0", "dtype": "<f8", "shape": [10]}
    write_archive(tmp_path / "x.pt", {"header.npy": header_bytes(node), "a0.npy": payload})
    refused((tmp_path / "x.pt").read_bytes(), message)


@pytest.mark.parametrize("array", [np.array(["ab", "c"]), np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]),
                                   np.zeros(2, dtype="V8"), np.array(["2024-01-01"], dtype="datetime64[D]")],
                         ids=["strings", "structured", "void", "datetime"])
def test_non_numeric_members_are_refused(tmp_path, array):
    node = {"type": "ndarray", "array": "a0", "dtype": "<f8", "shape": list(array.shape)}
    write_archive(tmp_path / "x.pt", {"header.npy": header_bytes(node), "a0.npy": npy_bytes(array)})
    refused((tmp_path / "x.pt").read_bytes(), "tinynn reads numeric arrays only")


# ---------------------------------------------------------------------- the zip itself
def good_file(obj=None) -> bytes:
    buffer = io.BytesIO()
    save({"w": tinynn.tensor(np.arange(100.0)), "name": "model"} if obj is None else obj, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("patch,message", [
    (lambda d: patch_member_sizes(d, "a0.npy", method=99), "compression method 99"),
    (lambda d: patch_member_sizes(d, "a0.npy", method=zipfile.ZIP_BZIP2), "compression method 12"),
    (lambda d: patch_member_sizes(d, "a0.npy", flags=0x1), "is encrypted"),
    (lambda d: patch_member_sizes(d, "a0.npy", compress_size=10 ** 9, file_size=10 ** 9),
     "the file is truncated: member"),
    (lambda d: patch_member_sizes(d, "a0.npy", file_size=5), "stored uncompressed but declares 5 bytes"),
    (lambda d: d.replace(b"PK\x03\x04", b"PK\x03\x05", 2).replace(b"PK\x03\x05", b"PK\x03\x04", 1), "corrupt"),
    (lambda d: d.replace(np.arange(100.0)[40:41].tobytes(), b"\x00" * 8), "corrupt .*CRC"),
    (lambda d: d.replace(b"a0.npy", b"a1.npy", 1), "corrupt"),
    (lambda d: d[:-22] + b"PK\x05\x06" + bytes(18), "no tinynn header"),  # a directory of no members
    (lambda d: d[:len(d) // 2], "truncated or corrupt"),
], ids=["method-99", "bzip2", "encrypted", "past-the-end", "stored-size", "local-header", "crc", "name-mismatch",
        "end-record", "cut"])
def test_zip_corruptions_are_checkpoint_errors(patch, message):
    refused(patch(good_file()), message)


def test_duplicate_member_names_are_refused(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        write_archive(tmp_path / "x.pt", {"header.npy": header_bytes({"type": "none"})})
        with zipfile.ZipFile(tmp_path / "x.pt", "a") as archive:
            archive.writestr("header.npy", header_bytes({"type": "int", "value": 1}))
    refused((tmp_path / "x.pt").read_bytes(), "two members are named 'header.npy'")


def test_every_cut_of_a_file_is_a_checkpoint_error():
    data = good_file()
    for cut in range(0, len(data), 7):
        with pytest.raises(CheckpointError):
            load_bytes(data[:cut])


# ---------------------------------------------------------------------- forged pickles
def pickle_file(tmp_path, pickle_data: bytes, objects=(), arrays=None) -> bytes:
    """A file whose root is a pickle node holding ``pickle_data`` (and out-of-band ``objects`` nodes)."""
    data = np.frombuffer(pickle_data, dtype=np.uint8)
    root = {"type": "pickle", "array": "p", "dtype": "|u1", "shape": [len(data)], "protocol": 4,
            "objects": list(objects)}
    members = {"header.npy": header_bytes(root), "p.npy": npy_bytes(data)}
    members.update({f"{key}.npy": npy_bytes(value) for key, value in (arrays or {}).items()})
    write_archive(tmp_path / "pickled.pt", members)
    return (tmp_path / "pickled.pt").read_bytes()


class Persistent(pickle.Pickler):
    """Pickles the string "OBJECT:<n>" as the persistent id n (to forge references to the objects list)."""

    def persistent_id(self, obj):
        if isinstance(obj, str) and obj.startswith("OBJECT:"):
            pid = obj[len("OBJECT:"):]
            return int(pid) if pid.lstrip("-").isdigit() else pid
        return None


def persistent_pickle(obj) -> bytes:
    buffer = io.BytesIO()
    Persistent(buffer, protocol=4).dump(obj)
    return buffer.getvalue()


def test_a_forged_pickle_that_calls_a_function_is_refused_and_runs_nothing(tmp_path, monkeypatch):
    marker = tmp_path / "PWNED"
    data = pickle_file(tmp_path, b"\x80\x04\x8c\x02io\x94\x8c\x04open\x94\x93" + pickle.dumps((str(marker), "w"))[2:-1]
                       + b"R.")
    with pytest.raises(WeightsOnlyError, match="the global io.open"):
        load_bytes(data)
    # the allowlist is enforced by the unpickler itself, not by the scan that names the globals
    monkeypatch.setattr("tinynn.serialization.pickled.globals_in_pickle", lambda data, name: [])
    with pytest.raises(WeightsOnlyError, match="the global io.open"):
        load_bytes(data)
    assert not marker.exists()


@pytest.mark.parametrize("obj,message", [
    ({"w": "OBJECT:3"}, "refers to object 3, which the file does not have"),
    ({"w": "OBJECT:-1"}, "refers to object -1"),
    ({"w": "OBJECT:w"}, "refers to object 'w'"),
])
def test_forged_persistent_ids_are_refused(tmp_path, obj, message):
    node = {"type": "ndarray", "array": "a0", "dtype": "<f8", "shape": [2]}
    refused(pickle_file(tmp_path, persistent_pickle(obj), [node], {"a0": np.zeros(2)}), message)
    assert load_bytes(pickle_file(tmp_path, persistent_pickle({"w": "OBJECT:0"}), [node], {"a0": np.ones(2)})
                      )["w"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("pickle_data,message", [
    (pickle.dumps({"a": [1, 2, 3]}, protocol=4)[:-6], "its pickled object is truncated"),
    (pickle.dumps({"a": 1}, protocol=4) + b"extra", "5 bytes follow the end of its pickle"),
    (b"\x80\x04garbage", "its pickled object is malformed"),
    (b"", "its pickled object is (malformed|truncated)"),
])
def test_broken_pickles_are_checkpoint_errors(tmp_path, pickle_data, message):
    refused(pickle_file(tmp_path, pickle_data), message)
    if pickle_data[:1] == b"\x80":
        with pytest.raises(CheckpointError):
            load_bytes(pickle_file(tmp_path, pickle_data), weights_only=False)


def test_the_pickle_node_is_checked(tmp_path):
    good = pickle_file(tmp_path, pickle.dumps({"a": 1}, protocol=4))
    assert load_bytes(good) == {"a": 1}
    header = json.loads(np.load(zipfile.ZipFile(io.BytesIO(good)).open("header.npy")).tobytes())
    for change, message in (({"objects": {}}, "field 'objects' of a 'pickle' node must be list"),
                            ({"dtype": "<f8"}, "is uint8")):
        root = dict(header["root"], **change)
        data = np.frombuffer(pickle.dumps({"a": 1}, protocol=4), np.uint8)
        write_archive(tmp_path / "x.pt", {"header.npy": header_bytes(root), "p.npy": npy_bytes(data)})
        refused((tmp_path / "x.pt").read_bytes(), message)


# ---------------------------------------------------------------------- random damage
ALLOWED = [nn.Sequential, nn.Linear, nn.ReLU]


def saved_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    save(obj, buffer)
    return buffer.getvalue()


def state_of(obj) -> dict:
    """Everything a loaded file must reproduce, as plain comparable values."""
    if isinstance(obj, nn.Module):
        obj = {"__class__": type(obj).__name__, **obj.state_dict()}
    return {key: (value.detach().numpy().tolist(), str(value.dtype), value.requires_grad, type(value).__name__)
            if isinstance(value, tinynn.Tensor) else value for key, value in obj.items()}


tinynn.manual_seed(0)
ORIGINALS = {
    "plain": {"w": tinynn.tensor(np.arange(12.0).reshape(3, 4)), "b": nn.Parameter(tinynn.ones(2)), "step": 3,
              "name": "run", "betas": (0.9, 0.999), "best": None},
    "whole model": nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)),
    "set and tuple keys": {"tags": {"a", "b"}, ("layer", 0): tinynn.zeros(2, dtype=tinynn.int64)},
}
FILES = {name: saved_bytes(obj) for name, obj in ORIGINALS.items()}


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(FILES)), data=st.data())
def test_damaged_files_load_correctly_or_raise_the_checkpoint_error(name, data):
    blob = bytearray(FILES[name])
    damage = data.draw(st.sampled_from(["bytes", "cut", "insert"]))
    if damage == "bytes":
        for _ in range(data.draw(st.integers(1, 4))):
            blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    elif damage == "cut":
        del blob[data.draw(st.integers(0, len(blob) - 1)):]
    else:
        at = data.draw(st.integers(0, len(blob)))
        blob[at:at] = data.draw(st.binary(min_size=1, max_size=32))
    try:
        with serialization.safe_globals(ALLOWED):
            back = load_bytes(bytes(blob))
    except CheckpointError:
        return
    assert state_of(back) == state_of(ORIGINALS[name])  # what loads is what was saved


def test_every_single_byte_change_in_the_zip_directory_is_caught_or_harmless():
    blob = FILES["plain"]
    directory = blob.index(b"PK\x01\x02")
    for position in range(directory, len(blob)):
        for value in (0x00, 0xFF, blob[position] ^ 0x01):
            damaged = bytearray(blob)
            damaged[position] = value
            try:
                back = load_bytes(bytes(damaged))
            except CheckpointError:
                continue
            assert state_of(back) == state_of(ORIGINALS["plain"])
