"""Objects that are not plain data (a model, an optimizer, a custom class): pickled, tensors beside.

The root node of such a file::

    {"type": "pickle", "array": "a7", "dtype": "|u1", "shape": [n], "protocol": 4,
     "objects": [node, ...]}

``array`` names a 1-d uint8 member holding the pickle's bytes. Every tensor, numeric NumPy array or
scalar, dtype and device the object holds is kept out of the pickle: the pickle stores only its
position in ``objects`` (a persistent id, an int), and ``objects`` describes it with the same
type-checked nodes as plain data, its numbers in their own ``.npy`` member. So the pickle carries
structure and classes, never weights, and reading the weights runs no pickle code.

Loading with ``weights_only=True`` unpickles with an unpickler whose ``find_class`` returns only
allowed globals (``allowlist.py``) and refuses any other, naming every global the file needs.
With ``weights_only=False`` the standard unpickler runs (or ``pickle_module.Unpickler``): the
file's classes are imported and their code runs.
"""
from __future__ import annotations

import io
import pickle
import pickletools

import numpy as np

from .allowlist import allowed_globals, refusal_message
from .errors import CheckpointError, WeightsOnlyError
from .nodes import Decoder, Encoder


def pickle_object(obj, encoder: Encoder, pickle_module, protocol: int) -> dict:
    """The root node for ``obj``, pickled with its tensors and arrays stored out of band in ``encoder``."""
    numbers: dict[int, int] = {}
    objects: list[dict] = []
    keep_alive = []  # ids are keys only while their objects live; a pickle may make temporaries

    def persistent_id(value):
        number = numbers.get(id(value))
        if number is not None:
            return number
        node = encoder.external(value)
        if node is None:
            return None
        numbers[id(value)] = number = len(objects)
        objects.append(node)
        keep_alive.append(value)
        return number

    buffer = io.BytesIO()
    pickler = pickle_module.Pickler(buffer, protocol=protocol)
    pickler.persistent_id = persistent_id
    pickler.dump(obj)
    data = np.frombuffer(buffer.getvalue(), dtype=np.uint8)
    return {"type": "pickle", **encoder.add_array(data, data), "protocol": protocol, "objects": objects}


def read_pickled(root: dict, decoder: Decoder) -> tuple[bytes, list]:
    """The pickle's bytes and its out-of-band objects, all read and checked before any unpickling."""
    data = decoder.array(root)
    if data.dtype != np.uint8 or data.ndim != 1:
        decoder.fail("the pickle member must be a 1-d uint8 array")
    return data.tobytes(), [decoder.decode_external(node) for node in decoder.field(root, "objects", list)]


class _AllowlistUnpickler(pickle.Unpickler):
    """Finds only allowed globals; takes tensors and arrays from the file's objects list."""

    def __init__(self, file, name: str, objects: list, allowed: dict, **kwargs):
        super().__init__(file, **kwargs)
        self.name, self.objects, self.allowed = name, objects, allowed

    def find_class(self, module: str, name: str):
        if module == "__builtin__":  # a protocol-2 pickle names builtins as Python 2 did
            module = "builtins"
        found = self.allowed.get(f"{module}.{name}")
        if found is None:
            raise _NotAllowed(f"{module}.{name}")
        return found

    def persistent_load(self, pid):
        return _object_at(self.objects, pid, self.name)


class _TrustingUnpickler(pickle.Unpickler):
    """The standard unpickler (imports and runs what the file names), with a clearer missing-class error."""

    def __init__(self, file, name: str, objects: list, **kwargs):
        super().__init__(file, **kwargs)
        self.name, self.objects = name, objects

    def find_class(self, module: str, name: str):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError) as err:
            raise CheckpointError(
                f"tinynn.load: {self.name}: the pickled object needs {module}.{name}, which cannot be found here "
                f"({err}). A "
                "file saved whole names its classes: define or import them before loading (or save the "
                "state_dict instead, and rebuild the model in code)") from err

    def persistent_load(self, pid):
        return _object_at(self.objects, pid, self.name)


class _NotAllowed(Exception):
    """find_class refused a global (turned into a WeightsOnlyError listing every global needed)."""


def _object_at(objects: list, pid, name: str):
    if type(pid) is not int or not 0 <= pid < len(objects):
        raise CheckpointError(f"tinynn.load: {name}: the pickle refers to object {pid!r:.40}, which the file "
                              "does not have")
    return objects[pid]


def unpickle(data: bytes, objects: list, name: str, weights_only: bool, pickle_module, load_args: dict):
    """The object the pickle describes (see the module docstring for what each mode allows)."""
    stream = io.BytesIO(data)
    if weights_only:
        allowed = allowed_globals()
        missing = [g for g in globals_in_pickle(data, name) if g not in allowed]
        if missing:
            raise WeightsOnlyError(refusal_message(name, missing))
        unpickler = _AllowlistUnpickler(stream, name, objects, allowed, **load_args)
    elif pickle_module is None or pickle_module is pickle:
        unpickler = _TrustingUnpickler(stream, name, objects, **load_args)
    else:
        unpickler = pickle_module.Unpickler(stream, **load_args)
        unpickler.persistent_load = lambda pid: _object_at(objects, pid, name)
    try:
        obj = unpickler.load()
    except CheckpointError:
        raise
    except _NotAllowed as refused:  # a global the scan did not see: refused all the same
        raise WeightsOnlyError(refusal_message(name, [str(refused)])) from None
    except (pickle.UnpicklingError, EOFError) as err:
        what = "truncated" if isinstance(err, EOFError) or "truncated" in str(err) else "malformed"
        raise CheckpointError(f"tinynn.load: {name}: its pickled object is {what} "
                              f"({type(err).__name__}: {err})") from err
    except Exception as err:
        if not weights_only:  # the file's own classes raised: their error is the one to see
            raise
        raise CheckpointError(f"tinynn.load: {name}: its pickled object is malformed "
                              f"({type(err).__name__}: {err})") from err
    if stream.tell() != len(data):
        raise CheckpointError(f"tinynn.load: {name}: {len(data) - stream.tell()} bytes follow the end of its pickle")
    return obj


_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "BINSTRING", "SHORT_BINSTRING"}


def globals_in_pickle(data: bytes, name: str = "the file") -> list[str]:
    """Every ``module.name`` global a pickle refers to, in order, read without unpickling it.

    GLOBAL and INST carry the name; STACK_GLOBAL (protocol 4+) takes it from the two strings below
    it on the stack, which may come from the memo: both are followed here. This only informs the
    error message; the unpickler enforces the allowlist itself.
    """
    found, pushed, memo = [], [], {}
    try:
        for opcode, arg, _ in pickletools.genops(data):
            op = opcode.name
            if op in ("GLOBAL", "INST"):
                module, _, attribute = arg.partition(" ")
                found.append(f"{'builtins' if module == '__builtin__' else module}.{attribute}")
                pushed.append(None)
            elif op == "STACK_GLOBAL":
                module, attribute = (pushed[-2], pushed[-1]) if len(pushed) >= 2 else (None, None)
                found.append(f"{module}.{attribute}" if module and attribute else "<a global named at run time>")
                pushed.append(None)
            elif op in _STRING_OPS:
                pushed.append(arg.decode("latin-1") if isinstance(arg, bytes) else arg)
            elif op == "MEMOIZE":
                memo[len(memo)] = pushed[-1] if pushed else None
            elif op in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[arg] = pushed[-1] if pushed else None
            elif op in ("GET", "BINGET", "LONG_BINGET"):
                pushed.append(memo.get(arg))
            else:
                pushed.append(None)
    except Exception as err:  # genops raises ValueError and others on bytes that are not a pickle
        what = "truncated" if "exhausted" in str(err) or "not enough data" in str(err) else "malformed"
        raise CheckpointError(f"tinynn.load: {name}: its pickled object is {what} "
                              f"({type(err).__name__}: {err})") from err
    return list(dict.fromkeys(found))
