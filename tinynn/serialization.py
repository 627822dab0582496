"""``tinynn.save`` / ``tinynn.load``: checkpoints that can hold tensors but never run code.

PyTorch's ``torch.save`` pickles, and unpickling an untrusted file can execute anything. tinynn
writes a zip archive of ``.npy`` arrays (the archive ``numpy.savez`` writes) plus one JSON header
that describes the structure, and reads it back with ``numpy.load(allow_pickle=False)``::

    header.npy     1-d uint8: UTF-8 JSON {"format": "tinynn.checkpoint", "version": 1, "root": node}
    a0.npy, ...    the arrays, referred to by name from the header

A node is one of::

    {"type": "none"}   {"type": "bool" | "int" | "str", "value": ...}
    {"type": "float", "value": 0.5 | "nan" | "inf" | "-inf"}   {"type": "complex", "real": .., "imag": ..}
    {"type": "list" | "tuple", "items": [node, ...]}
    {"type": "dict" | "ordered_dict", "items": [[key node, value node], ...]}      (str or int keys)
    {"type": "tensor", "object": n, "array": "a0", "dtype": "<f4", "shape": [3, 4],
     "requires_grad": false, "device": "cpu"}             {"type": "tensor_ref", "object": n}
    {"type": "ndarray" | "numpy_scalar", "array": "a1", "dtype": "<i8", "shape": [...]}
    {"type": "dtype", "value": "float32"}   {"type": "device", "value": "cuda:0"}

Keys keep their type (an optimizer state dict's integer keys come back as integers). A tensor
saved twice (or two tensors sharing one array, like tied weights) is stored once and comes back
shared. Parameters come back as plain tensors with their ``requires_grad``. Saving to a path is
atomic: the archive is written to a temporary file in the same directory, flushed to disk and
renamed over the target, so a crash mid-save leaves the old file intact.
"""
from __future__ import annotations

import collections
import io
import json
import math
import os
import secrets
import stat
import zipfile
from typing import Any, BinaryIO

import numpy as np

from . import backend
from .tensor import Tensor

__all__ = ["save", "load", "CheckpointError"]

FORMAT, VERSION = "tinynn.checkpoint", 1
_ZIP_MAGIC = b"PK\x03\x04"


class CheckpointError(ValueError, RuntimeError):
    """A file that is not a valid tinynn checkpoint (corrupt, truncated, foreign, or pickle-bearing).

    Catchable as ValueError (bad content) or as RuntimeError (what torch.load raises for a bad file).
    """


# ---------------------------------------------------------------------- saving
def save(obj: Any, f: str | os.PathLike | BinaryIO, pickle_module=None, pickle_protocol=None) -> None:
    """Write ``obj`` (tensors, arrays, numbers, strings, None, and dicts/lists/tuples of them) to ``f``.

    ``f`` is a path (any name: ``best_model.pt`` works; written atomically) or a writable binary
    file object. ``pickle_module``/``pickle_protocol`` exist for PyTorch compatibility and must be
    None: tinynn never pickles.
    """
    if pickle_module is not None or pickle_protocol is not None:
        raise ValueError("tinynn.save never pickles: pickle_module and pickle_protocol must be None")
    encoder = _Encoder()
    root = encoder.encode(obj, "obj")
    header = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    arrays = {"header": np.frombuffer(header.encode("utf-8"), dtype=np.uint8), **encoder.arrays}
    if hasattr(f, "write"):
        _write_archive(f, arrays)
        return
    path = os.path.realpath(os.fspath(f))  # through a symlink, replace the file it points to
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    # O_EXCL: never clobber a stranger's file; mode 0o666 lets the umask decide, as open() does.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            _write_archive(handle, arrays)
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.exists(path):  # a replaced file keeps its permissions, as rewriting it in place would
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _write_archive(handle: BinaryIO, arrays: dict) -> None:
    """The zip layout of ``numpy.savez``: one ``<name>.npy`` member per array, never pickled."""
    with zipfile.ZipFile(handle, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


class _Encoder:
    """Turns an object tree into header nodes, collecting its arrays in ``self.arrays``."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self._array_keys: dict[int, str] = {}   # id(raw array) -> its key: shared arrays stored once
        self._tensor_numbers: dict[int, int] = {}
        self._open_containers: set[int] = set()  # ids on the current path, to catch cycles

    def encode(self, obj, where: str) -> dict:
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, Tensor):
            return self._tensor(obj)
        if isinstance(obj, np.ndarray):
            return {"type": "ndarray", **self._array(obj, obj, where)}
        if isinstance(obj, np.generic):
            return {"type": "numpy_scalar", **self._array(obj, np.asarray(obj), where)}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, float):
            return {"type": "float", "value": obj if math.isfinite(obj) else repr(obj)}
        if isinstance(obj, complex):
            return {"type": "complex", "real": self.encode(obj.real, where)["value"],
                    "imag": self.encode(obj.imag, where)["value"]}
        if isinstance(obj, str):
            return {"type": "str", "value": obj}
        if isinstance(obj, np.dtype):
            return {"type": "dtype", "value": obj.str}
        if isinstance(obj, backend.device):
            return {"type": "device", "value": str(obj)}
        if isinstance(obj, (list, tuple, dict)):
            return self._container(obj, where)
        raise TypeError(
            f"tinynn.save: cannot save {where}, of type {type(obj).__name__}. tinynn saves tensors, NumPy arrays, "
            "numbers, strings, booleans, None, dtypes, devices, and dicts/lists/tuples of them (it never pickles)"
        )

    def _container(self, obj, where: str) -> dict:
        if id(obj) in self._open_containers:
            raise ValueError(f"tinynn.save: {where} contains itself (a reference cycle cannot be saved)")
        self._open_containers.add(id(obj))
        try:
            if isinstance(obj, dict):
                kind = "ordered_dict" if isinstance(obj, collections.OrderedDict) else "dict"
                items = [[self._key(k, where), self.encode(v, f"{where}[{k!r}]")] for k, v in obj.items()]
                return {"type": kind, "items": items}
            kind = "tuple" if isinstance(obj, tuple) else "list"
            return {"type": kind, "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        finally:
            self._open_containers.discard(id(obj))

    @staticmethod
    def _key(key, where: str) -> dict:
        if isinstance(key, str):
            return {"type": "str", "value": key}
        if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
            return {"type": "int", "value": int(key)}
        raise TypeError(f"tinynn.save: {where} has a key {key!r} of type {type(key).__name__}; keys must be str or int")

    def _tensor(self, t: Tensor) -> dict:
        number = self._tensor_numbers.get(id(t))
        if number is not None:
            return {"type": "tensor_ref", "object": number}
        number = self._tensor_numbers[id(t)] = len(self._tensor_numbers)
        host = backend.to_device(t._data, backend.CPU)
        return {"type": "tensor", "object": number, **self._array(t._data, host, "a tensor"),
                "requires_grad": t.requires_grad, "device": str(t.device)}

    def _array(self, original, host: np.ndarray, where: str) -> dict:
        if host.dtype.hasobject:
            raise TypeError(f"tinynn.save: {where} is an object array; only numeric, bool and string arrays can be "
                            "saved without pickle")
        key = self._array_keys.get(id(original))
        if key is None:
            key = self._array_keys[id(original)] = f"a{len(self.arrays)}"
            self.arrays[key] = host
        return {"array": key, "dtype": host.dtype.str, "shape": list(host.shape)}


# ---------------------------------------------------------------------- loading
def load(f: str | os.PathLike | BinaryIO, map_location=None, pickle_module=None, *, weights_only: bool = True,
         mmap: bool | None = None, **pickle_load_args) -> Any:
    """Read an object written by ``tinynn.save``; refuse anything else with a ``CheckpointError``.

    map_location: None (tensors go back to the device they were saved from), a device or string
    (every tensor goes there), or a dict from saved device strings to devices (``{"cuda:0": "cpu"}``).
    ``weights_only`` is accepted for PyTorch compatibility: tinynn never unpickles, whatever its value.
    """
    if pickle_module is not None:
        raise ValueError("tinynn.load never unpickles: pickle_module must be None")
    _check_map_location(map_location)
    name = repr(os.fspath(f)) if not hasattr(f, "read") else "the file object"
    source = f if hasattr(f, "read") else os.fspath(f)
    if hasattr(source, "read") and not (hasattr(source, "seekable") and source.seekable()):
        source = io.BytesIO(source.read())  # zip needs random access
    _check_magic(source, name)
    try:
        with np.load(source, allow_pickle=False) as archive:
            header = _read_header(archive, name)
            corrupt_member = archive.zip.testzip()  # reads every member once to check its CRC-32
            if corrupt_member is not None:
                raise CheckpointError(f"tinynn.load: {name} is corrupt: member {corrupt_member!r} fails its CRC check")
            return _Decoder(archive, name, map_location).decode(header["root"])
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, KeyError, TypeError,
            AttributeError, RecursionError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise CheckpointError(f"tinynn.load: {name} is not a valid tinynn checkpoint ({type(err).__name__}: {err})") from err


def _check_map_location(map_location) -> None:
    if isinstance(map_location, dict):
        for target in map_location.values():
            backend.as_device(target)
    elif map_location is not None and not isinstance(map_location, (str, backend.device)):
        raise TypeError(f"tinynn.load: map_location must be None, a device, a string or a dict of devices, "
                        f"got {type(map_location).__name__}")
    elif map_location is not None:
        backend.as_device(map_location)


def _check_magic(source, name: str) -> None:
    if hasattr(source, "read"):
        start = source.tell()
        magic = source.read(4)
        source.seek(start)
    else:
        with open(source, "rb") as handle:
            magic = handle.read(4)
    if magic == _ZIP_MAGIC:
        return
    if not magic:
        raise CheckpointError(f"tinynn.load: {name} is empty")
    hint = " (it looks like a pickle, which tinynn never loads)" if magic[:1] == b"\x80" else ""
    raise CheckpointError(f"tinynn.load: {name} is not a tinynn checkpoint: expected a zip archive written by "
                          f"tinynn.save, but the file starts with {magic!r}{hint}")


def _read_header(archive, name: str) -> dict:
    if "header" not in archive.files:
        raise CheckpointError(
            f"tinynn.load: {name} has no tinynn header. It may have been written by torch.save, whose files hold "
            "pickles that tinynn never loads: in PyTorch, convert tensors with .numpy() and use numpy.savez, "
            "or save from tinynn"
        )
    raw = archive["header"]
    if not isinstance(raw, np.ndarray) or raw.dtype != np.uint8 or raw.ndim != 1:
        raise CheckpointError(f"tinynn.load: {name}: the header must be a 1-d uint8 array")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"tinynn.load: {name}: the header is not valid JSON ({err})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT or "root" not in header:
        raise CheckpointError(f"tinynn.load: {name}: the header does not describe a {FORMAT!r} file")
    if not isinstance(header.get("version"), int) or header["version"] > VERSION:
        raise CheckpointError(f"tinynn.load: {name} has format version {header.get('version')!r}; this tinynn "
                              f"reads versions up to {VERSION}")
    return header


_FLOAT_WORDS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class _Decoder:
    """Rebuilds the object tree from header nodes, reading each referenced array once."""

    def __init__(self, archive, name: str, map_location):
        self.archive, self.name, self.map_location = archive, name, map_location
        self._arrays: dict[str, np.ndarray] = {}
        self._tensors: dict[int, Tensor] = {}

    def fail(self, message: str):
        raise CheckpointError(f"tinynn.load: {self.name}: {message}")

    def decode(self, node):
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            self.fail(f"malformed header node {node!r:.80}")
        kind = node["type"]
        if kind == "none":
            return None
        if kind in ("bool", "int", "str"):
            value = node["value"]
            expected = {"bool": bool, "int": int, "str": str}[kind]
            if type(value) is not expected:
                self.fail(f"a {kind} node holds {value!r:.80}")
            return value
        if kind == "float":
            return self._float(node["value"])
        if kind == "complex":
            return complex(self._float(node["real"]), self._float(node["imag"]))
        if kind in ("list", "tuple"):
            items = [self.decode(item) for item in self._items(node)]
            return tuple(items) if kind == "tuple" else items
        if kind in ("dict", "ordered_dict"):
            pairs = []
            for pair in self._items(node):
                if not isinstance(pair, list) or len(pair) != 2:
                    self.fail(f"a dict item must be a [key, value] pair, got {pair!r:.80}")
                key = self.decode(pair[0])
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    self.fail(f"dict keys must be str or int, got {key!r:.80}")
                pairs.append((key, self.decode(pair[1])))
            return collections.OrderedDict(pairs) if kind == "ordered_dict" else dict(pairs)
        if kind == "tensor":
            return self._tensor(node)
        if kind == "tensor_ref":
            if node.get("object") not in self._tensors:
                self.fail(f"a reference to tensor {node.get('object')!r} that was not defined before it")
            return self._tensors[node["object"]]
        if kind == "ndarray":
            return self._array(node)
        if kind == "numpy_scalar":
            array = self._array(node)
            if array.shape != ():
                self.fail("a numpy scalar must have shape ()")
            return array[()]
        if kind == "dtype":
            return np.dtype(node["value"])
        if kind == "device":
            return backend.device(node["value"])
        self.fail(f"unknown node type {kind!r}")

    def _items(self, node) -> list:
        items = node.get("items")
        if not isinstance(items, list):
            self.fail(f"a {node['type']} node needs a list of items")
        return items

    def _float(self, value) -> float:
        if isinstance(value, str) and value in _FLOAT_WORDS:
            return _FLOAT_WORDS[value]
        if type(value) not in (int, float):
            self.fail(f"a float node holds {value!r:.80}")
        return float(value)

    def _array(self, node) -> np.ndarray:
        key = node.get("array")
        if key not in self._arrays:
            if not isinstance(key, str) or key == "header" or key not in self.archive.files:
                self.fail(f"the header refers to an array {key!r} that is not in the file")
            try:
                array = self.archive[key]
            except ValueError as err:  # e.g. "Object arrays cannot be loaded when allow_pickle=False"
                self.fail(f"array {key!r} cannot be read without pickle ({err}); tinynn never unpickles")
            if not isinstance(array, np.ndarray):  # numpy returns the raw bytes of a non-.npy member
                self.fail(f"member {key!r} is not a .npy array")
            self._arrays[key] = array
        array = self._arrays[key]
        if np.dtype(node.get("dtype")) != array.dtype or list(array.shape) != node.get("shape", list(array.shape)):
            self.fail(f"array {key!r} is {array.dtype} {list(array.shape)}, but the header says "
                      f"{node.get('dtype')} {node.get('shape')}")
        return array

    def _tensor(self, node) -> Tensor:
        array = self._array(node)
        requires_grad = node.get("requires_grad", False)
        if requires_grad and array.dtype.kind != "f":
            self.fail(f"a {array.dtype} tensor cannot require grad")
        device = self._target_device(node.get("device", "cpu"))
        if device.type != "cpu":
            array = backend.to_device(array, device)
        t = Tensor._make(array, bool(requires_grad))
        self._tensors[node.get("object", len(self._tensors))] = t
        return t

    def _target_device(self, saved: str) -> backend.device:
        where = self.map_location
        if isinstance(where, dict):
            where = where.get(saved, saved)
        if where is None:
            where = saved
        device = backend.as_device(where)
        if device.type == "cuda" and not backend.cuda_available():
            raise RuntimeError(
                f"Attempting to load a tensor onto a CUDA device ({device}) but CUDA is not available; on a CPU-only "
                "machine use tinynn.load(..., map_location='cpu')"
            )
        return device
