"""``tinynn.hub`` (PyTorch's ``torch.hub``): download checkpoints once into a cache and load them.

    load_state_dict_from_url(url)      download to <hub dir>/checkpoints/<file name> unless already
                                       there, then ``tinynn.load`` it
    download_url_to_file(url, dst)     the download itself: streamed to a temporary file next to
                                       dst, checked against a SHA-256 prefix if one is given, then
                                       renamed onto dst (atomic: dst is complete or absent)
    get_dir() / set_dir(path)          the cache directory

Any URL that ``urllib`` opens works (https, http, file). With ``check_hash=True`` the file name
must carry the first hex digits of the file's SHA-256 after a dash (``resnet18-5c106cde.pth``),
PyTorch's convention, and a download that does not match is refused.

PyTorch's checkpoints cannot be loaded. A ``.pth`` file written by ``torch.save`` is a pickle of
PyTorch's tensor classes inside a zip archive; unpickling runs code named by the file, and tinynn
never unpickles tensors. Convert such a file once where PyTorch is installed, to NumPy arrays::

    import numpy as np, torch
    state = torch.load("model.pth", map_location="cpu", weights_only=True)
    np.savez("model.npz", **{k: v.numpy() for k, v in state.items()})

and ``load_state_dict_from_url`` reads the ``.npz`` (plain arrays, loaded with
``allow_pickle=False``) as a state dict of tensors; or, with tinynn installed beside PyTorch,
``tinynn.save({k: tinynn.tensor(v.numpy()) for k, v in state.items()}, "model.pt")``. The error
for a PyTorch file says the same.

Differences from PyTorch, on purpose: the default cache is ``$XDG_CACHE_HOME/tinynn/hub`` (else
``~/.cache/tinynn/hub``), not ``$TORCH_HOME/hub``: PyTorch's cache holds pickled checkpoints that
tinynn cannot read, and tinynn's behaviour is not switched by a ``TORCH_HOME`` variable.
``weights_only`` defaults to True (PyTorch's signature says False): a state dict is plain data and
loads the same either way, while a downloaded file that needs unpickling is refused unless the
caller opts in. ``hub.load``, ``hub.list`` and ``hub.help`` raise: they run a repository's
``hubconf.py``, which builds PyTorch models from PyTorch code; tinynn has no model zoo. A legacy
zip holding a single pickled file (PyTorch < 1.6) is not unpacked. The progress display is a line
on stderr, not a tqdm bar.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile

import numpy as np

__all__ = ["get_dir", "set_dir", "download_url_to_file", "load_state_dict_from_url", "load", "list", "help"]

HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_CHUNK = 64 * 1024
_hub_dir: str | None = None


def get_dir() -> str:
    """The hub's cache directory: the one ``set_dir`` chose, else $XDG_CACHE_HOME/tinynn/hub or ~/.cache/tinynn/hub."""
    if _hub_dir is not None:
        return _hub_dir
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "tinynn", "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Use ``d`` as the hub's cache directory from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


class _Progress:
    """"Downloading: 42% (1.2 of 2.9 MB)" rewritten in place on stderr, at most once per percent."""

    def __init__(self, total: int | None, enabled: bool):
        self.total, self.enabled, self.done, self.shown = total, enabled, 0, -1

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self.total:
            percent = int(100 * self.done / self.total)
            if percent != self.shown:
                self.shown = percent
                sys.stderr.write(f"\r{percent:3d}% ({self.done / 1e6:.1f} of {self.total / 1e6:.1f} MB)")
        else:
            sys.stderr.write(f"\r{self.done / 1e6:.1f} MB")

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None, progress: bool = True) -> None:
    """Download ``url`` to the path ``dst``, atomically; if ``hash_prefix`` is given, the file's
    SHA-256 hex digest must start with it (else RuntimeError, and dst is not written)."""
    dst = os.path.expanduser(os.fspath(dst))
    request = urllib.request.Request(url, headers={"User-Agent": "tinynn.hub"})
    with urllib.request.urlopen(request) as response:
        length = response.headers.get("Content-Length") if response.headers is not None else None
        total = int(length) if length and length.isdigit() else None
        # the temporary file sits beside dst, so the final rename never crosses a file system
        directory = os.path.dirname(os.path.abspath(dst))
        handle = tempfile.NamedTemporaryFile(delete=False, dir=directory, prefix=os.path.basename(dst) + ".",
                                             suffix=".partial")
        try:
            digest = hashlib.sha256()
            bar = _Progress(total, progress)
            with handle:
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    handle.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
                handle.flush()
                os.fsync(handle.fileno())
            bar.close()
            if hash_prefix is not None:
                got = digest.hexdigest()
                if got[:len(hash_prefix)] != hash_prefix:
                    raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{got}")')
            os.replace(handle.name, dst)
        finally:
            if os.path.exists(handle.name):
                os.remove(handle.name)


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None, progress: bool = True,
                             check_hash: bool = False, file_name: str | None = None, weights_only: bool = True):
    """Download ``url`` into ``model_dir`` (default ``<get_dir()>/checkpoints``) unless the file is
    already there, and return ``tinynn.load(file, map_location=..., weights_only=...)``.

    file_name: the name in the cache (default: the last part of the URL's path). check_hash: the
    file name's ``-<hex digits>.`` part must be a prefix of the file's SHA-256. A ``.npz`` file of
    NumPy arrays loads as {name: tensor}; a PyTorch ``.pth`` file is refused with the way to convert it.
    """
    model_dir = os.path.join(get_dir(), "checkpoints") if model_dir is None else os.path.expanduser(model_dir)
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    if not filename:
        raise ValueError(f"load_state_dict_from_url: cannot take a file name from {url!r}; pass file_name=")
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(filename)
            hash_prefix = match.group(1) if match else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    return _load_cached(cached_file, map_location, weights_only)


def _load_cached(path: str, map_location, weights_only: bool):
    from . import load as tinynn_load
    from .creation import tensor
    from .serialization import CheckpointError

    kind = _file_kind(path)
    if kind == "pytorch":
        raise CheckpointError(_pytorch_file_message(path))
    if kind == "npz":
        try:
            with np.load(path, allow_pickle=False) as arrays:
                state = {name: tensor(arrays[name]) for name in arrays.files}
        except ValueError as err:   # object arrays would need unpickling
            raise CheckpointError(f"tinynn.hub: {path!r} is a .npz archive with arrays that are not plain "
                                  f"numbers ({err})") from err
        return state if map_location is None else {k: v.to(_device_of(map_location)) for k, v in state.items()}
    return tinynn_load(path, map_location=map_location, weights_only=weights_only)


def _device_of(map_location):
    if isinstance(map_location, dict):
        raise TypeError("load_state_dict_from_url: a .npz file has no saved devices; give map_location as a device")
    return map_location


def _file_kind(path: str) -> str:
    """"pytorch" (torch.save's zip or legacy pickle), "npz" (numpy.savez), or "tinynn" (anything else:
    tinynn.load decides)."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:1] == b"\x80":
        return "pytorch"
    if not zipfile.is_zipfile(path):
        return "tinynn"
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if any(name == "data.pkl" or name.endswith("/data.pkl") for name in names):
        return "pytorch"
    if names and "header.npy" not in names and all(name.endswith(".npy") for name in names):
        return "npz"
    return "tinynn"


def _pytorch_file_message(path: str) -> str:
    return (f"tinynn.hub: {path!r} is a PyTorch checkpoint (written by torch.save: a pickle of PyTorch's "
            "tensor classes). tinynn never unpickles tensors, so it cannot read it. Convert it once where "
            "PyTorch is installed:\n"
            "    state = torch.load(path, map_location='cpu', weights_only=True)\n"
            "    numpy.savez('model.npz', **{k: v.numpy() for k, v in state.items()})\n"
            "and load the .npz (load_state_dict_from_url reads it, or model.load_state_dict(dict(numpy.load(...)))); "
            "or, with tinynn beside PyTorch: tinynn.save({k: tinynn.tensor(v.numpy()) for k, v in state.items()}, "
            "'model.pt').")


_NO_MODEL_ZOO = ("tinynn.hub.{name}: tinynn has no model zoo. torch.hub.{name} runs the hubconf.py of a GitHub "
                 "repository, code that builds PyTorch models and loads PyTorch's pickled weights. Instead, write "
                 "(or copy) the model's class with `import tinynn as torch`, and load its weights converted to "
                 "NumPy arrays with tinynn.hub.load_state_dict_from_url (see tinynn/hub.py for the conversion).")


def load(repo_or_dir, model, *args, source: str = "github", trust_repo="check", force_reload: bool = False,
         verbose: bool = True, skip_validation: bool = False, **kwargs):
    """Not available: raises NotImplementedError explaining why (tinynn has no model zoo)."""
    raise NotImplementedError(_NO_MODEL_ZOO.format(name="load"))


def list(github, force_reload: bool = False, skip_validation: bool = False, trust_repo="check",  # noqa: A001
         verbose: bool = True):
    """Not available: raises NotImplementedError explaining why (tinynn has no model zoo)."""
    raise NotImplementedError(_NO_MODEL_ZOO.format(name="list"))


def help(github, model, force_reload: bool = False, skip_validation: bool = False, trust_repo="check"):  # noqa: A001
    """Not available: raises NotImplementedError explaining why (tinynn has no model zoo)."""
    raise NotImplementedError(_NO_MODEL_ZOO.format(name="help"))
