"""Plain data as JSON header nodes (``Encoder``), and back (``Decoder``, every field type-checked).

A node is one of::

    {"type": "none"}   {"type": "bool" | "int" | "str", "value": ...}
    {"type": "float", "value": 0.5 | "nan" | "inf" | "-inf"}   {"type": "complex", "real": .., "imag": ..}
    {"type": "list" | "tuple", "items": [node, ...]}
    {"type": "dict" | "ordered_dict", "items": [[key node, value node], ...]}      (str or int keys)
    {"type": "tensor", "object": n, "array": "a0", "dtype": "<f4", "shape": [3, 4],
     "requires_grad": false, "device": "cpu", "class": ["tinynn.nn.parameter", "Parameter"]}
                                              ("class" only for a tensor subclass)
    {"type": "tensor_ref", "object": n}       (a tensor met before: stored once, comes back shared)
    {"type": "ndarray" | "numpy_scalar", "array": "a1", "dtype": "<i8", "shape": [...]}
    {"type": "dtype", "value": "<f4" | "bfloat16"}   {"type": "device", "value": "cuda:0"}
"""
from __future__ import annotations

import collections
import json
import math

import numpy as np

from .. import backend, dtypes
from ..tensor import Tensor, _init
from .container import Archive, numeric_dtype
from .errors import CheckpointError

FORMAT, VERSION = "tinynn.checkpoint", 1
_CONTAINERS = (list, tuple, dict, collections.OrderedDict)
_FLOAT_WORDS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
MAX_DEPTH = 100  # containers nested deeper are pickled by save, and refused in a header by load


class NotPlainData(Exception):
    """``Encoder.encode`` met something that is not plain data (``save`` then pickles the object)."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where} {reason}")


def _parameter_class():
    from ..nn.parameter import Parameter  # imported late: tinynn.nn imports tinynn, which imports this module

    return Parameter


def class_name(cls: type) -> list[str]:
    return [cls.__module__, cls.__qualname__]


# ---------------------------------------------------------------------- encoding
class Encoder:
    """Turns plain data into header nodes, collecting its arrays in ``self.arrays``."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self._array_keys: dict[int, str] = {}   # id(raw array) -> its key: a shared array is stored once
        self._tensor_numbers: dict[int, int] = {}
        self._open_containers: set[int] = set()  # ids on the current path, to catch cycles

    def encode(self, obj, where: str) -> dict:
        kind = type(obj)
        if obj is None:
            return {"type": "none"}
        if kind in (bool, int, str):
            return {"type": kind.__name__, "value": obj}
        if kind is float:
            return {"type": "float", "value": obj if math.isfinite(obj) else repr(obj)}
        if kind is complex:
            return {"type": "complex", "real": self.encode(obj.real, where)["value"],
                    "imag": self.encode(obj.imag, where)["value"]}
        if kind in _CONTAINERS:
            return self._container(obj, where)
        if isinstance(obj, Tensor) and kind not in (Tensor, _parameter_class()):
            raise NotPlainData(where, f"is a {kind.__name__}, a tensor subclass")
        node = self.external(obj)
        if node is None:
            raise NotPlainData(where, f"is a {kind.__module__}.{kind.__qualname__}")
        return node

    def external(self, obj) -> dict | None:
        """The node of a tensor, a numeric array or scalar, a dtype or a device; None for anything else.

        ``save`` calls this for every object it pickles: these are stored as arrays and nodes beside
        the pickle, never inside it.
        """
        if isinstance(obj, Tensor):
            return self._tensor(obj)
        if type(obj) is np.ndarray and numeric_dtype(obj.dtype) is not None:
            return {"type": "ndarray", **self.add_array(obj, obj)}
        if isinstance(obj, np.generic) and numeric_dtype(obj.dtype) is not None:
            return {"type": "numpy_scalar", **self.add_array(obj, np.asarray(obj))}
        if isinstance(obj, np.dtype) and numeric_dtype(obj) is not None:
            return {"type": "dtype", "value": obj.str}
        if obj is dtypes.bfloat16:
            return {"type": "dtype", "value": "bfloat16"}
        if type(obj) is backend.device:
            return {"type": "device", "value": str(obj)}
        return None

    def _container(self, obj, where: str) -> dict:
        if id(obj) in self._open_containers:
            raise NotPlainData(where, "contains itself (a reference cycle)")
        if len(self._open_containers) >= MAX_DEPTH:
            raise NotPlainData(where, f"is nested more than {MAX_DEPTH} containers deep")
        self._open_containers.add(id(obj))
        try:
            if isinstance(obj, dict):
                kind = "ordered_dict" if type(obj) is collections.OrderedDict else "dict"
                items = [[self._key(k, where), self.encode(v, f"{where}[{k!r}]")] for k, v in obj.items()]
                return {"type": kind, "items": items}
            kind = "tuple" if type(obj) is tuple else "list"
            return {"type": kind, "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        finally:
            self._open_containers.discard(id(obj))

    @staticmethod
    def _key(key, where: str) -> dict:
        if type(key) in (str, int):
            return {"type": type(key).__name__, "value": key}
        raise NotPlainData(where, f"has a key {key!r:.40} of type {type(key).__name__} (plain keys are str or int)")

    def _tensor(self, t: Tensor) -> dict:
        number = self._tensor_numbers.get(id(t))
        if number is not None:
            return {"type": "tensor_ref", "object": number}
        number = self._tensor_numbers[id(t)] = len(self._tensor_numbers)
        host = backend.to_device(t._data, backend.CPU)
        node = {"type": "tensor", "object": number, **self.add_array(t._data, host),
                "requires_grad": t.requires_grad, "device": str(t.device)}
        if type(t) is not Tensor:
            node["class"] = class_name(type(t))
        return node

    def add_array(self, original, host: np.ndarray) -> dict:
        """Store ``host`` (once per ``original`` array) and return the node fields that refer to it."""
        key = self._array_keys.get(id(original))
        if key is None:
            key = self._array_keys[id(original)] = f"a{len(self.arrays)}"
            self.arrays[key] = host
        return {"array": key, "dtype": host.dtype.str, "shape": list(host.shape)}


# ---------------------------------------------------------------------- decoding
def read_header(archive: Archive) -> dict:
    """The file's JSON header, checked to describe a tinynn checkpoint this version can read."""
    if not archive.has_array("header"):
        hint = " It was written by torch.save, whose files hold pickles of PyTorch's own classes." if any(
            name.endswith("data.pkl") for name in archive.members) else ""
        archive.fail(f"no tinynn header: it is a zip archive, but not one written by tinynn.save.{hint} In "
                     "PyTorch, save tensors as NumPy arrays (numpy.savez) or save from tinynn")
    raw = archive.read_array("header")
    if raw.dtype != np.uint8 or raw.ndim != 1:
        archive.fail("the header is not a 1-d uint8 array")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        archive.fail(f"the header is not valid JSON ({type(err).__name__}: {err})")
    if not isinstance(header, dict) or header.get("format") != FORMAT or "root" not in header:
        archive.fail(f"the header does not describe a {FORMAT!r} file")
    version = header.get("version")
    if type(version) is not int or not 1 <= version <= VERSION:
        archive.fail(f"format version {version!r:.40}; this tinynn reads versions 1 to {VERSION}")
    return header


class Decoder:
    """Rebuilds plain data from header nodes, reading each referenced array once.

    resolve_class(module, qualname) returns the class a tensor node names (through the allowlist
    when loading with ``weights_only=True``).
    """

    def __init__(self, archive: Archive, map_location, resolve_class):
        self.archive, self.map_location, self.resolve_class = archive, map_location, resolve_class
        self._arrays: dict[str, np.ndarray] = {}
        self._tensors: dict[int, Tensor] = {}

    def fail(self, message: str):
        raise CheckpointError(f"tinynn.load: {self.archive.name}: {message}")

    def field(self, node: dict, key: str, kind: type | tuple):
        """``node[key]``, required to be of exactly the type ``kind`` (``True`` is no int here)."""
        value = node.get(key)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if type(value) not in kinds:
            expected = " or ".join(k.__name__ for k in kinds)
            self.fail(f"field {key!r} of a {node['type']!r} node must be {expected}, got {value!r:.80}")
        return value

    def decode(self, node, depth: int = 0):
        if type(node) is not dict or type(node.get("type")) is not str:
            self.fail(f"malformed header node {node!r:.80}")
        if depth > MAX_DEPTH:
            self.fail(f"containers are nested more than {MAX_DEPTH} deep")
        kind = node["type"]
        if kind == "none":
            return None
        if kind in ("bool", "int", "str"):
            return self.field(node, "value", {"bool": bool, "int": int, "str": str}[kind])
        if kind == "float":
            return self._float(node, "value")
        if kind == "complex":
            return complex(self._float(node, "real"), self._float(node, "imag"))
        if kind in ("list", "tuple"):
            items = [self.decode(item, depth + 1) for item in self.field(node, "items", list)]
            return tuple(items) if kind == "tuple" else items
        if kind in ("dict", "ordered_dict"):
            pairs = []
            for pair in self.field(node, "items", list):
                if type(pair) is not list or len(pair) != 2:
                    self.fail(f"a dict item must be a [key, value] pair, got {pair!r:.80}")
                key = self.decode(pair[0], depth + 1)
                if type(key) not in (str, int):
                    self.fail(f"dict keys must be str or int, got {key!r:.80}")
                pairs.append((key, self.decode(pair[1], depth + 1)))
            return collections.OrderedDict(pairs) if kind == "ordered_dict" else dict(pairs)
        if kind == "tensor_ref":
            number = self.field(node, "object", int)
            if number not in self._tensors:
                self.fail(f"a reference to tensor {number} that was not defined before it")
            return self._tensors[number]
        return self.decode_external(node)

    def decode_external(self, node):
        """A node of the kinds ``Encoder.external`` writes: tensor, ndarray, numpy_scalar, dtype, device."""
        if type(node) is not dict or type(node.get("type")) is not str:
            self.fail(f"malformed header node {node!r:.80}")
        kind = node["type"]
        if kind == "tensor":
            return self._tensor(node)
        if kind == "ndarray":
            return self.array(node)
        if kind == "numpy_scalar":
            array = self.array(node)
            if array.shape != ():
                self.fail(f"a numpy scalar must have shape (), got {array.shape}")
            return array[()]
        if kind == "dtype":
            value = self.field(node, "value", str)
            dtype = dtypes.bfloat16 if value == "bfloat16" else numeric_dtype(value)
            if dtype is None:
                self.fail(f"a dtype node names {value!r:.40}, which is not a numeric dtype")
            return dtype
        if kind == "device":
            return self._device(self.field(node, "value", str))
        self.fail(f"unknown node type {kind!r:.40}")

    def _float(self, node: dict, key: str) -> float:
        value = node.get(key)
        if type(value) is str and value in _FLOAT_WORDS:
            return _FLOAT_WORDS[value]
        return float(self.field(node, key, (float, int)))

    def _device(self, text: str) -> backend.device:
        try:
            return backend.device(text)
        except (TypeError, ValueError) as err:
            self.fail(f"invalid device {text!r:.40} ({err})")

    def array(self, node: dict) -> np.ndarray:
        """The array a node refers to, checked against the dtype and shape the node declares."""
        key = self.field(node, "array", str)
        declared = self.field(node, "dtype", str)
        shape = self.field(node, "shape", list)
        if numeric_dtype(declared) is None:
            self.fail(f"array {key!r:.40} has dtype {declared!r:.40}; only numeric dtypes can be loaded")
        if any(type(size) is not int or size < 0 for size in shape):
            self.fail(f"array {key!r:.40} has an invalid shape {shape!r:.80}")
        if key == "header":
            self.fail("a node refers to the header as an array")
        if key not in self._arrays:
            self._arrays[key] = self.archive.read_array(key)
        array = self._arrays[key]
        if numeric_dtype(declared) != array.dtype or list(array.shape) != shape:
            self.fail(f"array {key!r} is {array.dtype} {list(array.shape)}, but the header says {declared} {shape}")
        return array

    def _tensor(self, node: dict) -> Tensor:
        array = self.array(node)
        requires_grad = self.field(node, "requires_grad", bool)
        number = self.field(node, "object", int)
        if number in self._tensors:
            self.fail(f"tensor {number} is defined twice")
        if requires_grad and array.dtype.kind != "f":
            self.fail(f"a {array.dtype} tensor cannot require grad")
        cls = Tensor
        if "class" in node:
            name = self.field(node, "class", list)
            if len(name) != 2 or any(type(part) is not str for part in name):
                self.fail(f"a tensor's class must be [module, name], got {name!r:.80}")
            cls = self.resolve_class(*name)
            if not (isinstance(cls, type) and issubclass(cls, Tensor)):
                self.fail(f"a tensor's class {'.'.join(name)} is not a tinynn Tensor subclass")
        saved = self._device(self.field(node, "device", str))
        if not array.dtype.isnative:  # a file from a machine of the other byte order
            array = array.astype(array.dtype.newbyteorder("="))
        array = self._placed(array, saved)
        t = object.__new__(cls)
        _init(t, array, requires_grad)
        self._tensors[number] = t
        return t

    def _placed(self, array, saved: backend.device):
        """``array`` on the device ``map_location`` chooses for a tensor saved from ``saved``."""
        if callable(self.map_location):  # PyTorch's map_location(storage, location); the storage is a CPU tensor
            moved = self.map_location(Tensor._make(array), str(saved))
            if moved is not None:
                if not isinstance(moved, Tensor):
                    raise TypeError(f"tinynn.load: map_location returned a {type(moved).__name__}; expected the "
                                    "tensor it was given (moved, or not), or None")
                return moved._data
        device = self._target_device(saved)
        return array if device.type == "cpu" else backend.to_device(array, device)

    def _target_device(self, saved: backend.device) -> backend.device:
        where = None if callable(self.map_location) else self.map_location
        if isinstance(where, dict):
            where = where.get(str(saved), saved)
        device = backend.as_device(saved if where is None else where)
        if device.type == "cuda" and not backend.cuda_available():
            raise RuntimeError(
                f"Attempting to load a tensor onto a CUDA device ({device}) but CUDA is not available; on a CPU-only "
                "machine use tinynn.load(..., map_location='cpu')"
            )
        return device
