"""``tinynn.deploy``: a checkpoint that says what it holds, for shipping a trained model.

``tinynn.save(model.state_dict(), path)`` stores weights, but not which model they belong to, how
to build it, or whether they are still the weights that were saved. A deployment checkpoint is an
ordinary ``tinynn.save`` file (loadable with ``weights_only=True``; no pickle, so reading it runs no
code) holding ``{"metadata": {...}, "state_dict": {...}}``, where the metadata is::

    format, format_version   "tinynn.deployment", 1 (a newer version is refused by an older tinynn)
    tinynn_version           the tinynn that wrote it
    model_class              {"module": "tinynn.models.gpt", "qualname": "GPT"}
    config, config_class     the constructor's arguments: a dict of keyword arguments (config_class
                             None: ``cls(**config)``), or the fields of a config dataclass such as
                             GPTConfig (``cls(config_class(**config))``)
    created                  the date, UTC, ISO 8601
    weights_sha256           SHA-256 over each state-dict entry in sorted name order: a JSON line
                             [name, dtype, shape] and then the array's bytes (little-endian, C order)
    metrics, input, extra    what the caller adds: {"accuracy": 0.97}, the input an example takes
                             {"shape": [4], "dtype": "float32"} (tinynn.serve reads it), anything else

    save(model, path, config=None, metrics=None, *, input_shape=None, input_dtype=None, **extra)
    load(path, model_class=None, config=None, map_location=None, *, trust_model_class=False)
    metadata(path)             the metadata alone: only the file's JSON header is read
    weights_sha256(state_dict) the hash, as ``save`` computes it

``load`` checks, in this order: the format version, the weights' hash (a corrupted or edited
file; the hash is a checksum, not a signature: whoever can write the file can rewrite it too),
the model class against one the caller passes, the config against one the caller passes (naming
each key that differs); then rebuilds the model, loads the weights strictly and returns it in
eval mode. Every refusal is a ``tinynn.serialization.CheckpointError``: a ``DeploymentError`` for
these checks, ``tinynn.load``'s own errors for a file that is no valid checkpoint at all.

Which class is built: the caller's ``model_class`` if given (it must be the saved class), else
the saved one, which is imported only from tinynn itself. A file may name any module: importing a
module runs its top-level code, and calling a class runs its ``__init__``, so a forged file that
named ``evil.Net`` would run ``evil``'s code the moment it is loaded, which is exactly what
weights-only loading exists to prevent. Classes outside tinynn therefore need the caller to pass
the class itself, or ``trust_model_class=True`` (only for files you trust). Even then the named
object must be an ``nn.Module`` subclass (and a config class a dataclass), so that a file cannot
call an arbitrary function (such as a download) with arguments of its choosing.
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import importlib
import inspect
import json
import os
from typing import Any, BinaryIO

import numpy as np

from . import backend, serialization
from .nn import Module
from .serialization import CheckpointError
from .serialization.container import Archive
from .serialization.nodes import Decoder, Encoder, NotPlainData, read_header
from .tensor import Tensor

__all__ = ["save", "load", "metadata", "weights_sha256", "DeploymentError", "FORMAT", "FORMAT_VERSION"]

FORMAT, FORMAT_VERSION = "tinynn.deployment", 1
_MISSING = object()


class DeploymentError(CheckpointError):
    """A deployment checkpoint that ``tinynn.deploy.load`` will not load, and why."""


# ---------------------------------------------------------------------- the weights' fingerprint
def weights_sha256(state_dict: dict) -> str:
    """SHA-256 of a state dict: for each name in sorted order, a JSON line ``[name, dtype, shape]``
    and the values' bytes (little-endian, C order). Tensors on any device hash alike; other entries
    (a module's ``_extra_state``) are hashed by their ``repr``."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        value = state_dict[name]
        if isinstance(value, Tensor):
            array = np.asarray(backend.to_device(value._data, backend.CPU))
            array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
            digest.update(json.dumps([name, array.dtype.str, list(array.shape)]).encode() + b"\n")
            digest.update(array.tobytes())
        else:
            digest.update(json.dumps([name, "repr", repr(value)]).encode() + b"\n")
    return digest.hexdigest()


# ---------------------------------------------------------------------- saving
def save(model: Module, f: str | os.PathLike | BinaryIO, config: Any = None, metrics: dict | None = None, *,
         input_shape=None, input_dtype: str | None = None, **extra) -> dict:
    """Write ``model``'s weights and what rebuilds it to ``f`` (atomically, via ``tinynn.save``).

    config: the constructor's keyword arguments (a dict) or a config dataclass (GPTConfig); None
    takes ``model.config`` if that is a dataclass, else no arguments. It is checked against the
    constructor's signature here, so a checkpoint that cannot be rebuilt is refused when saved.
    metrics, extra: plain data (numbers, strings, lists, dicts). input_shape / input_dtype: one
    example's shape without the batch dimension (None for a size that varies, such as a
    sequence length) and dtype, for ``tinynn.serve``. Returns the metadata written.
    """
    if not isinstance(model, Module):
        raise TypeError(f"deploy.save: expected an nn.Module, got {type(model).__name__}")
    cls = type(model)
    if config is None and dataclasses.is_dataclass(getattr(model, "config", None)):
        config = model.config
    arguments, config_class = _config_fields(config, "deploy.save: config", allow_none=True)
    state = model.state_dict()
    _check_constructor(cls, arguments, config_class, has_state=bool(state))
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "tinynn_version": _tinynn_version(),
        "model_class": _class_record(cls),
        "config": arguments,
        "config_class": None if config_class is None else _class_record(config_class),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "weights_sha256": weights_sha256(state),
        "metrics": {} if metrics is None else metrics,
        "input": _input_record(input_shape, input_dtype),
        "extra": extra,
    }
    try:
        Encoder().encode(meta, "metadata")
    except NotPlainData as err:  # it would be pickled, and then refused by weights-only loading
        raise TypeError(f"deploy.save: the metadata must be plain data (numbers, strings, lists, dicts): "
                        f"{err}") from None
    serialization.save({"metadata": meta, "state_dict": state}, f)
    return meta


def _config_fields(config, what: str, allow_none: bool = False) -> tuple[dict, type | None]:
    """(constructor keyword arguments, config dataclass or None) from a dict or a dataclass instance."""
    if config is None and allow_none:
        return {}, None
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return {field.name: getattr(config, field.name) for field in dataclasses.fields(config)}, type(config)
    if isinstance(config, dict) and all(type(key) is str for key in config):
        return dict(config), None
    raise TypeError(f"{what} must be a dict of constructor arguments (str keys) or a config dataclass, "
                    f"got {type(config).__name__}")


def _check_constructor(cls: type, arguments: dict, config_class: type | None, has_state: bool) -> None:
    signature = inspect.signature(cls)
    takes_modules = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in signature.parameters.values())
    if takes_modules and not arguments and has_state:  # nn.Sequential(*layers): its layers are no config
        raise ValueError(f"deploy.save: a {cls.__qualname__} is built from the modules passed to it, which a config "
                         f"cannot hold; wrap it in a Module class whose constructor takes sizes (and pass them "
                         f"as config=...)")
    try:
        if config_class is None:
            signature.bind(**arguments)
        else:
            signature.bind(config_class(**arguments))
    except (TypeError, ValueError) as err:
        given = f"{config_class.__name__}(**{arguments})" if config_class else f"**{arguments}"
        raise ValueError(f"deploy.save: {cls.__qualname__} cannot be rebuilt from config {given}: {err}. Pass "
                         f"config= the arguments its constructor takes") from None


def _class_record(cls: type) -> dict:
    return {"module": cls.__module__, "qualname": cls.__qualname__}


def _input_record(shape, dtype) -> dict | None:
    if shape is None and dtype is None:
        return None
    if shape is not None:
        if isinstance(shape, int) or not all(size is None or (type(size) is int and size > 0) for size in shape):
            raise ValueError(f"deploy.save: input_shape must be a sequence of positive ints or None (a size that "
                             f"varies), got {shape!r}")
        shape = list(shape)
    return {"shape": shape, "dtype": None if dtype is None else str(np.dtype(dtype))}


def _tinynn_version() -> str:
    import tinynn  # late: tinynn/__init__.py imports this module

    return tinynn.__version__


# ---------------------------------------------------------------------- reading
def metadata(f: str | os.PathLike | BinaryIO) -> dict:
    """The metadata of a deployment checkpoint, read from the file's JSON header alone (no weights)."""
    name = "the file object" if hasattr(f, "read") else repr(os.fspath(f))
    source = f if hasattr(f, "read") else open(os.fspath(f), "rb")
    try:
        serialization._check_magic(source, name)
        with Archive(source, name) as archive:
            root = read_header(archive)["root"]
            items = root.get("items") if type(root) is dict and root.get("type") == "dict" else None
            for pair in items if type(items) is list else []:
                if type(pair) is list and len(pair) == 2 and pair[0] == {"type": "str", "value": "metadata"}:
                    meta = Decoder(archive, None, _refuse_classes(name)).decode(pair[1])
                    return _checked_metadata(meta, name)
    finally:
        if source is not f:
            source.close()
    raise DeploymentError(_not_deployment(name))


def _refuse_classes(name: str):
    def resolve(module: str, qualname: str):
        raise DeploymentError(f"deploy: {name}: its metadata holds a tensor of class {module}.{qualname}")

    return resolve


def _not_deployment(name: str) -> str:
    return (f"deploy: {name} is a tinynn checkpoint but not a deployment checkpoint (no metadata); it was written "
            "by tinynn.save, not tinynn.deploy.save: load it with tinynn.load and model.load_state_dict")


def _checked_metadata(meta, name: str) -> dict:
    if type(meta) is not dict or meta.get("format") != FORMAT:
        raise DeploymentError(_not_deployment(name))
    version = meta.get("format_version")
    if type(version) is not int or version < 1:
        raise DeploymentError(f"deploy: {name}: invalid format version {version!r:.40}")
    if version > FORMAT_VERSION:
        raise DeploymentError(f"deploy: {name} has deployment format version {version}, written by tinynn "
                              f"{meta.get('tinynn_version')!r:.40}; this tinynn reads versions up to "
                              f"{FORMAT_VERSION}: upgrade tinynn to load it")
    for key, kind in (("model_class", dict), ("config", dict), ("weights_sha256", str), ("metrics", dict),
                      ("extra", dict)):
        if type(meta.get(key)) is not kind:
            raise DeploymentError(f"deploy: {name}: metadata field {key!r} must be a {kind.__name__}, got "
                                  f"{meta.get(key)!r:.60}")
    return meta


# ---------------------------------------------------------------------- loading
def load(f: str | os.PathLike | BinaryIO, model_class: type | None = None, config: Any = None, map_location=None,
         *, trust_model_class: bool = False) -> Module:
    """Rebuild the saved model with its weights, checked; returned in eval mode.

    model_class: the class to build (must be the saved class; needed for classes outside tinynn,
    unless ``trust_model_class``). config: a dict or dataclass that must equal the saved config
    (a check; the saved config builds the model). map_location: as in ``tinynn.load``.
    trust_model_class: import the saved class's module even outside tinynn; this runs that
    module's code, so only for files you trust (see the module docstring).
    """
    name = "the file object" if hasattr(f, "read") else repr(os.fspath(f))
    content = serialization.load(f, map_location=map_location, weights_only=True)
    if type(content) is not dict or "metadata" not in content:
        raise DeploymentError(_not_deployment(name))
    meta = _checked_metadata(content["metadata"], name)
    state = content.get("state_dict")
    if not isinstance(state, dict):
        raise DeploymentError(f"deploy: {name}: it holds no state dict")
    found = weights_sha256(state)
    if found != meta["weights_sha256"]:
        raise DeploymentError(f"deploy: {name}: the weights' SHA-256 is {found}, but the metadata records "
                              f"{meta['weights_sha256']}: the file was corrupted or its weights edited after saving")
    saved_class = _class_of(meta["model_class"], "model_class", name)
    if model_class is not None and not _same_class(model_class, saved_class):
        raise DeploymentError(f"deploy: {name} holds a {'.'.join(saved_class)}, but model_class is "
                              f"{model_class.__module__}.{model_class.__qualname__}")
    if config is not None:
        _check_config(config, meta, name)
    cls = model_class or _import_class(saved_class, name, Module, trust_model_class)
    config_class = None
    if meta.get("config_class") is not None:
        config_class = _import_class(_class_of(meta["config_class"], "config_class", name), name, None,
                                     trust_model_class)
    try:
        model = cls(config_class(**meta["config"])) if config_class else cls(**meta["config"])
    except Exception as err:
        raise DeploymentError(f"deploy: {name}: {cls.__qualname__} could not be rebuilt from its saved config "
                              f"{meta['config']!r:.200} ({type(err).__name__}: {err})") from err
    model.load_state_dict(state, strict=True)
    return model.eval()


def _class_of(record, field: str, name: str) -> tuple[str, str]:
    """(module, qualname) from a metadata class record."""
    parts = [record.get(key) if type(record) is dict else None for key in ("module", "qualname")]
    if not all(type(part) is str and part for part in parts):
        raise DeploymentError(f"deploy: {name}: metadata field {field!r} must hold a module and a qualname, got "
                              f"{record!r:.80}")
    return parts[0], parts[1]


def _same_class(cls: type, saved: tuple[str, str]) -> bool:
    """Whether ``cls`` is the saved class; a class saved from a script (``__main__``) matches by qualname."""
    module, qualname = saved
    return cls.__qualname__ == qualname and (module == "__main__" or cls.__module__ == module)


def _import_class(saved: tuple[str, str], name: str, base: type | None, trusted: bool) -> type:
    """The saved class, imported only from tinynn unless trusted; a Module subclass (base) or a dataclass."""
    module, qualname = saved
    label = f"{module}.{qualname}"
    if not (module == "tinynn" or module.startswith("tinynn.")) and not trusted:
        raise DeploymentError(f"deploy: {name} holds a {label}, a class outside tinynn. Loading does not import "
                              f"modules a file names (importing runs their code): pass the class, "
                              f"model_class={qualname.split('.')[-1]}, or trust_model_class=True if you trust the file")
    parts = qualname.split(".")
    if any(not part.isidentifier() or part.startswith("__") for part in parts + module.split(".")):
        raise DeploymentError(f"deploy: {name} names the class {label!r:.100}, which cannot be imported (a class "
                              "defined inside a function cannot): pass it as model_class")
    try:
        target = importlib.import_module(module)
        for part in parts:
            target = getattr(target, part)
    except (ImportError, AttributeError) as err:
        raise DeploymentError(f"deploy: {name} holds a {label}, which cannot be imported here ({err}): pass the "
                              "class as model_class") from err
    is_allowed = (isinstance(target, type) and issubclass(target, base)) if base is not None else (
        isinstance(target, type) and dataclasses.is_dataclass(target))
    if not is_allowed:
        expected = f"a {base.__qualname__} subclass" if base is not None else "a dataclass"
        raise DeploymentError(f"deploy: {name} names {label} as its class, which is not {expected}: refused")
    return target


def _check_config(config, meta: dict, name: str) -> None:
    given, given_class = _config_fields(config, "deploy.load: config")
    saved = meta["config"]
    differing = [key for key in sorted(set(saved) | set(given)) if saved.get(key, _MISSING) != given.get(key, _MISSING)]
    saved_class = meta.get("config_class")
    if given_class is not None and saved_class is not None and \
            given_class.__qualname__ != _class_of(saved_class, "config_class", name)[1]:
        differing.insert(0, f"(config class {given_class.__qualname__} vs saved {saved_class['qualname']})")
    if differing:
        shown = "; ".join(k if k.startswith("(") else f"{k}: saved {saved.get(k, '<absent>')!r:.40}, given "
                          f"{given.get(k, '<absent>')!r:.40}" for k in differing)
        raise DeploymentError(f"deploy: {name}: the config given differs from the saved config in "
                              f"{len(differing)} key(s): {shown}")
