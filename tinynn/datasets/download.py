"""Download a file once, check its SHA-256, keep it in a cache directory.

    data_home()        where downloads are kept: $TINYNN_DATA, else $XDG_CACHE_HOME/tinynn,
                       else ~/.cache/tinynn
    Resource           a file to fetch: its name, SHA-256, size and the mirrors that serve it
    fetch(resource)    the cached file's path, downloading it first if it is missing

A download is trusted only when its SHA-256 matches the one written in tinynn's source. The bytes
are streamed into a temporary file next to the destination and renamed into place with
``os.replace`` only after the checksum matched: a crash, a cut connection or a wrong file never
leaves a half-written file under the final name. A file already in the cache is checked too; a
corrupt one is deleted (and downloaded again when downloads are allowed).
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

__all__ = ["Resource", "data_home", "fetch", "sha256sum", "DownloadError", "ChecksumError"]

_CHUNK = 1 << 20  # read and hash 1 MiB at a time
_TIMEOUT_S = 30


class DownloadError(RuntimeError):
    """A file could not be obtained: every mirror failed, or downloading was not allowed."""


class ChecksumError(DownloadError):
    """A file's SHA-256 is not the expected one (a partial, corrupt or different file)."""


@dataclass(frozen=True)
class Resource:
    """One file to download.

    filename: the name it gets in the cache
    sha256:   the expected SHA-256, 64 lowercase hex digits
    urls:     mirrors tried in order until one serves the right bytes
    size:     the expected size in bytes (shown to the user; 0 if unknown)
    """

    filename: str
    sha256: str
    urls: tuple[str, ...]
    size: int = 0


def data_home(root: str | os.PathLike | None = None) -> Path:
    """The folder downloads go to: ``root`` if given, else $TINYNN_DATA, else the user cache."""
    if root is not None:
        return Path(root).expanduser()
    if os.environ.get("TINYNN_DATA"):
        return Path(os.environ["TINYNN_DATA"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "tinynn"


def sha256sum(path: str | os.PathLike) -> str:
    """The SHA-256 of a file as 64 hex digits, read in chunks (works for files larger than memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _describe_size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def _download_to(url: str, folder: Path, resource: Resource) -> Path:
    """Stream ``url`` into a temporary file in ``folder``; return it once its SHA-256 matched."""
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=resource.filename + ".", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urlopen(url, timeout=_TIMEOUT_S) as response:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        got = digest.hexdigest()
        if got != resource.sha256:
            raise ChecksumError(
                f"{url} sent a file whose SHA-256 is {got}, but {resource.filename} must have "
                f"{resource.sha256}: refused (partial or corrupt download?), the file was deleted"
            )
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def fetch(resource: Resource, root: str | os.PathLike | None = None, download: bool = True,
          quiet: bool = False, offline_hint: str = "") -> Path:
    """The path of ``resource`` in the cache folder ``root`` (see ``data_home``), downloaded if missing.

    A cached file whose checksum is right is used as it is, with no network access. A cached file
    with the wrong checksum is deleted. With ``download=False`` a missing file raises instead of
    being fetched. Failures raise ``DownloadError`` (``ChecksumError`` for bad bytes) with a message
    that says where to put the file by hand; ``offline_hint`` is appended to it.
    """
    folder = data_home(root)
    path = folder / resource.filename
    removed_corrupt = False
    if path.exists():
        got = sha256sum(path)
        if got == resource.sha256:
            return path
        path.unlink()
        removed_corrupt = True
        message = (f"{path} has SHA-256 {got}, expected {resource.sha256}: the file is corrupt or "
                   "incomplete and was deleted")
        if not download:
            raise ChecksumError(message + ". " + _manual_instructions(resource, path, offline_hint))
        if not quiet:
            print(message + "; downloading it again", file=sys.stderr)
    if not download:
        raise DownloadError(f"{path} does not exist and download=False. "
                            + _manual_instructions(resource, path, offline_hint))

    folder.mkdir(parents=True, exist_ok=True)
    failures, bad_bytes = [], 0
    for url in resource.urls:
        if not quiet:
            size = f" ({_describe_size(resource.size)})" if resource.size else ""
            print(f"Downloading {url}{size} -> {path}", file=sys.stderr)
        try:
            tmp = _download_to(url, folder, resource)
        except ChecksumError as error:
            failures.append(f"  {url}: {error}")
            bad_bytes += 1
            continue
        except (URLError, OSError, ValueError) as error:  # no network, HTTP error, timeout, bad URL
            reason = getattr(error, "reason", None) or error
            failures.append(f"  {url}: {type(error).__name__}: {reason}")
            continue
        os.replace(tmp, path)  # atomic: the final name only ever holds a verified file
        return path

    error_type = ChecksumError if failures and bad_bytes == len(failures) else DownloadError
    corrupt = " (a corrupt cached copy was deleted first)" if removed_corrupt else ""
    raise error_type(
        f"Could not download {resource.filename}{corrupt}; every mirror failed:\n" + "\n".join(failures)
        + "\n" + _manual_instructions(resource, path, offline_hint)
    )


def _manual_instructions(resource: Resource, path: Path, offline_hint: str) -> str:
    text = (f"This machine may be offline. To install the file by hand, download it on a machine "
            f"with internet access from {resource.urls[0]} and copy it to {path} (SHA-256 "
            f"{resource.sha256}); set the TINYNN_DATA environment variable to use another folder.")
    return text + (" " + offline_hint if offline_hint else "")
