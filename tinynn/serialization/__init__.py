"""``tinynn.save`` / ``tinynn.load``: checkpoints as PyTorch 2.6+ writes and reads them, without pickles for data.

The file is a zip archive of ``.npy`` arrays (the archive ``numpy.savez`` writes) plus a JSON header
that describes the object::

    header.npy     1-d uint8: UTF-8 JSON {"format": "tinynn.checkpoint", "version": 1, "root": node}
    a0.npy, ...    the arrays, referred to by name from the header

**Plain data** is saved without any pickle, so loading it can never run code: ``None``, ``bool``,
``int``, ``float``, ``complex``, ``str``; tensors (``Tensor`` and ``nn.Parameter``, which come back
as Parameters); NumPy arrays and scalars of a numeric dtype (bool, integers, floats, complex);
numeric dtypes, ``tinynn.bfloat16`` and devices; and ``list``, ``tuple``, ``dict`` and
``OrderedDict`` (exactly these types; dict keys ``str`` or ``int``) of plain data, without reference
cycles and nested at most 100 deep. A state dict, an optimizer's state dict and a training
checkpoint such as ``{"epoch": 3, "model_state_dict": ..., "optimizer_state_dict": ..., "loss": 0.25}``
are plain data. Keys keep their type (an optimizer state's integer keys come back as integers); a tensor
saved twice, or two tensors sharing one array (tied weights), is stored once and comes back shared.
(``nodes.py`` lists the header's node kinds.)

**Anything else** (a whole model, an optimizer object, a dataclass, a custom class, a set, a
string array, a dict with tuple keys, a namedtuple, a cycle) makes ``save`` pickle the whole object,
only because it is not plain data: the header's root is then a ``pickle`` node, the pickle's bytes
sit in a uint8 member, and every tensor, numeric array and scalar, dtype and device inside the
object is stored beside the pickle as an array and a header node, never pickled (``pickled.py``).

``load`` follows PyTorch 2.6+: ``weights_only=True`` by default. Plain data loads as is. A pickled
object loads only if every global (class or function) its pickle needs is allowed
(``allowlist.py``: a few data-only builtins by default, more with ``add_safe_globals`` or
``safe_globals``); otherwise a ``WeightsOnlyError`` (a ``pickle.UnpicklingError``, as PyTorch
raises) names every global the file needs (PyTorch names the first), the risk, and the two ways
out: ``weights_only=False`` (which runs code from the file: only for files you trust) or the
allowlist. Loading a whole model therefore needs its classes importable, as in PyTorch.

Every file that is not a valid checkpoint (truncated, corrupt, forged, foreign, a decompression
bomb) is refused with a ``CheckpointError`` (a ``RuntimeError``), never another exception and never
a huge allocation: ``container.py`` states the rules. Saving to a path is atomic: the archive goes
to a temporary file in the same directory, is flushed to disk and renamed over the target, so a
failed save leaves no partial file and an existing file intact. Path errors are PyTorch's: a
missing parent directory, a directory or a symlink loop as the target are ``RuntimeError``s in
``save``; ``load`` raises what ``open`` raises (``FileNotFoundError``, ...).

Differences from PyTorch, on purpose: the file format is tinynn's own (PyTorch files are refused
with a hint, and PyTorch cannot read tinynn's); the default ``pickle_protocol`` is 4 (PyTorch's is
2), so bytes and sets need no global, and protocols below 2 are refused; a function given as
``map_location`` receives each tensor (on the CPU) where PyTorch gives a storage; tensors that are
views of one another come back as separate arrays unless they were the same array; no environment
variable changes the default of ``weights_only``.
"""
from __future__ import annotations

import errno
import io
import json
import os
import pickle
import secrets
import stat
from typing import Any, BinaryIO

import numpy as np

from .. import backend
from .allowlist import (add_safe_globals, allowed_globals, clear_safe_globals, get_safe_globals, refusal_message,
                        safe_globals)
from .container import Archive, fsync_directory, write_archive
from .errors import CheckpointError, WeightsOnlyError
from .nodes import FORMAT, VERSION, Decoder, Encoder, NotPlainData, read_header
from .pickled import globals_in_pickle, pickle_object, read_pickled, unpickle

__all__ = ["save", "load", "CheckpointError", "WeightsOnlyError", "DEFAULT_PROTOCOL", "add_safe_globals",
           "safe_globals", "get_safe_globals", "clear_safe_globals", "get_unsafe_globals_in_checkpoint"]

DEFAULT_PROTOCOL = 4
_ZIP_MAGIC = b"PK\x03\x04"
_UNPICKLER_ARGUMENTS = {"encoding", "errors", "fix_imports", "buffers"}


# ---------------------------------------------------------------------- saving
def save(obj: Any, f: str | os.PathLike | BinaryIO, pickle_module=pickle, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Write ``obj`` to ``f``: plain data without pickles, anything else pickled (see the module docstring).

    f: a path (str or ``pathlib.Path``; any name: ``best_model.pt`` works; written atomically) or a
    writable binary file object (``io.BytesIO``). pickle_module / pickle_protocol: what pickles an
    object that is not plain data (its ``Pickler`` must support ``persistent_id``). The two
    underscored arguments exist for PyTorch's signature; tinynn has one format.
    """
    if type(pickle_protocol) is not int or not 2 <= pickle_protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"tinynn.save: pickle_protocol must be an int from 2 to {pickle.HIGHEST_PROTOCOL}, "
                         f"got {pickle_protocol!r}")
    encoder = Encoder()
    try:
        root = encoder.encode(obj, "obj")
    except NotPlainData:
        root = None
    if root is None:  # pickled from the top, so that aliasing inside the object is kept
        encoder = Encoder()
        root = pickle_object(obj, encoder, pickle_module or pickle, pickle_protocol)
    header = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    arrays = {"header": np.frombuffer(header.encode("utf-8"), dtype=np.uint8), **encoder.arrays}
    if hasattr(f, "write"):
        write_archive(f, arrays)
    else:
        _write_atomically(f, arrays)


def _write_atomically(f, arrays: dict) -> None:
    given = os.fspath(f)
    parent = os.path.dirname(given)
    if parent and not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {parent} does not exist.")
    path = os.path.realpath(given)  # through a symlink, replace the file it points to
    if os.path.isdir(path):
        raise RuntimeError(f"tinynn.save: cannot write {given!r}: {os.strerror(errno.EISDIR)}")
    if os.path.islink(path):  # realpath stops at a link it cannot resolve: a loop
        raise RuntimeError(f"tinynn.save: cannot write {given!r}: {os.strerror(errno.ELOOP)}")
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    try:  # O_EXCL: never clobber a stranger's file; mode 0o666 lets the umask decide, as open() does
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as err:
        raise RuntimeError(f"tinynn.save: cannot write {given!r}: {err.strerror}") from err
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write_archive(handle, arrays)
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.exists(path):  # a replaced file keeps its permissions, as rewriting it in place would
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    fsync_directory(directory)


# ---------------------------------------------------------------------- loading
def load(f: str | os.PathLike | BinaryIO, map_location=None, pickle_module=None, *, weights_only: bool | None = None,
         mmap: bool | None = None, **pickle_load_args) -> Any:
    """Read what ``tinynn.save`` wrote; refuse anything else with a ``CheckpointError``.

    map_location: None (tensors go back to the device they were saved from), a device or string
    (every tensor goes there), a dict from saved device strings to devices (``{"cuda:0": "cpu"}``),
    or a function ``(tensor on the CPU, saved device string) -> tensor or None`` (None: the saved device).
    weights_only: None means True, unless a ``pickle_module`` is given (as in PyTorch). True loads
    plain data, and pickled objects whose globals are all allowed; False unpickles anything (only for
    files you trust). mmap: map stored arrays from the file instead of reading them (``f`` must be a
    path; copy-on-write: changes never reach the file; the CRC-32 of mapped arrays is not checked).
    pickle_load_args: ``encoding``, ``errors``, ``fix_imports``, ``buffers``, passed to the unpickler.
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if type(weights_only) is not bool:
        raise TypeError(f"tinynn.load: weights_only must be True, False or None, got {weights_only!r}")
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    for key in pickle_load_args:
        if key not in _UNPICKLER_ARGUMENTS:
            raise TypeError(f"tinynn.load() got an unexpected keyword argument {key!r}")
    _check_map_location(map_location)
    if mmap and hasattr(f, "read"):
        raise ValueError("f must be a file path in order to use the mmap argument")
    if hasattr(f, "read"):
        name, path, source = "the file object", None, f
        if not (hasattr(source, "seekable") and source.seekable()):
            source = io.BytesIO(source.read())  # zip needs random access
        return _load_from(source, name, None, map_location, weights_only, pickle_module, pickle_load_args)
    path = os.fspath(f)
    with open(path, "rb") as source:  # FileNotFoundError, IsADirectoryError ...: as PyTorch reports them
        return _load_from(source, repr(path), path if mmap else None, map_location, weights_only, pickle_module,
                          pickle_load_args)


def _load_from(source, name: str, mmap_path, map_location, weights_only: bool, pickle_module, load_args: dict):
    _check_magic(source, name)
    try:
        with Archive(source, name, mmap_path) as archive:
            root = read_header(archive)["root"]
            decoder = Decoder(archive, map_location, _class_resolver(name, weights_only))
            if not (type(root) is dict and root.get("type") == "pickle"):
                return decoder.decode(root)
            data, objects = read_pickled(root, decoder)
    except RecursionError:
        raise CheckpointError(f"tinynn.load: {name}: its header is nested too deeply") from None
    return unpickle(data, objects, name, weights_only, pickle_module, load_args)


def _class_resolver(name: str, weights_only: bool):
    """How a tensor node's class is found: through the allowlist, or (weights_only=False) by import."""

    def resolve(module: str, qualname: str):
        if weights_only:
            found = allowed_globals().get(f"{module}.{qualname}")
            if found is None:
                raise WeightsOnlyError(refusal_message(name, [f"{module}.{qualname}"]))
            return found
        try:
            target = __import__(module, fromlist=["_"])
            for part in qualname.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError, ValueError) as err:
            raise CheckpointError(f"tinynn.load: {name}: a tensor's class {module}.{qualname} cannot be found "
                                  f"({err})") from err
        return target

    return resolve


def _check_map_location(map_location) -> None:
    if isinstance(map_location, dict):
        for target in map_location.values():
            backend.as_device(target)
    elif callable(map_location):
        return
    elif map_location is not None and not isinstance(map_location, (str, backend.device)):
        raise TypeError(f"tinynn.load: map_location must be None, a device, a string, a dict of devices or a "
                        f"function, got {type(map_location).__name__}")
    elif map_location is not None:
        backend.as_device(map_location)


def _check_magic(source, name: str) -> None:
    start = source.tell()
    magic = source.read(4)
    source.seek(start)
    if magic == _ZIP_MAGIC:
        return
    if not magic:
        raise CheckpointError(f"tinynn.load: {name} is empty")
    hint = " (it looks like a pickle, which tinynn never loads)" if magic[:1] == b"\x80" else ""
    raise CheckpointError(f"tinynn.load: {name} is not a tinynn checkpoint: expected a zip archive written by "
                          f"tinynn.save, but the file starts with {magic!r}{hint}")


def get_unsafe_globals_in_checkpoint(f: str | os.PathLike | BinaryIO) -> list[str]:
    """The globals a file's pickle needs that ``weights_only=True`` would refuse (nothing is unpickled)."""
    source = f if hasattr(f, "read") else open(os.fspath(f), "rb")
    name = "the file object" if hasattr(f, "read") else repr(os.fspath(f))
    try:
        _check_magic(source, name)
        with Archive(source, name) as archive:
            root = read_header(archive)["root"]
            if not (type(root) is dict and root.get("type") == "pickle"):
                return []
            decoder = Decoder(archive, "cpu", lambda module, qualname: None)
            needed = globals_in_pickle(decoder.array(root).tobytes(), name)
            for node in decoder.field(root, "objects", list):
                if type(node) is dict and type(node.get("class")) is list:
                    needed.append(".".join(map(str, node["class"])))
    finally:
        if source is not f:
            source.close()
    allowed = allowed_globals()
    return [g for g in dict.fromkeys(needed) if g not in allowed]
