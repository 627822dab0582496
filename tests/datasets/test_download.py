"""fetch(): download through file:// URLs or a fake urlopen, SHA-256 check, atomic write, cache reuse,
and the messages a student sees offline or with a corrupt file."""
import hashlib
import io
from pathlib import Path
from urllib.error import URLError

import pytest

from tinynn.datasets import download as dl
from tinynn.datasets.download import ChecksumError, DownloadError, Resource, data_home, fetch, sha256sum

CONTENT = b"IDX bytes would go here. " * 1000


@pytest.fixture
def source(tmp_path):
    """A file served through a file:// URL, and a Resource describing it."""
    path = tmp_path / "server" / "thing.bin"
    path.parent.mkdir()
    path.write_bytes(CONTENT)
    resource = Resource("thing.bin", hashlib.sha256(CONTENT).hexdigest(), (path.as_uri(),), len(CONTENT))
    return path, resource


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_verifies_and_caches(tmp_path, source, monkeypatch):
    _, resource = source
    cache = tmp_path / "cache"
    path = fetch(resource, cache, quiet=True)
    assert path == cache / "thing.bin" and path.read_bytes() == CONTENT
    assert leftovers(cache) == ["thing.bin"]  # the temporary .part file was renamed, not left behind

    def no_network(*args, **kwargs):
        raise AssertionError("the cached file should have been used without any download")

    monkeypatch.setattr(dl, "urlopen", no_network)
    assert fetch(resource, cache, quiet=True) == path
    assert fetch(resource, cache, download=False) == path


def test_checksum_failure_refuses_and_deletes(tmp_path, source):
    _, resource = source
    wrong = Resource("thing.bin", "0" * 64, resource.urls)
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumError) as info:
        fetch(wrong, cache, quiet=True)
    message = str(info.value)
    assert "refused" in message and "deleted" in message
    assert hashlib.sha256(CONTENT).hexdigest() in message and "0" * 64 in message
    assert leftovers(cache) == []  # nothing under the final name, no partial file


def test_partial_download_leaves_nothing(tmp_path, source, monkeypatch):
    _, resource = source

    class CutConnection(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise ConnectionResetError("connection reset by peer")
            return super().read(100)

        def __enter__(self):
            return self

    monkeypatch.setattr(dl, "urlopen", lambda url, timeout: CutConnection(CONTENT))
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError, match="ConnectionResetError"):
        fetch(resource, cache, quiet=True)
    assert leftovers(cache) == []


def test_offline_message_says_what_to_do(tmp_path, source, monkeypatch):
    _, resource = source
    calls = []

    def offline(url, timeout):
        calls.append(url)
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(dl, "urlopen", offline)
    mirrors = Resource("thing.bin", resource.sha256, ("https://a.example/thing.bin", "https://b.example/thing.bin"))
    with pytest.raises(DownloadError) as info:
        fetch(mirrors, tmp_path / "cache", quiet=True, offline_hint="Try load_digits() instead.")
    message = str(info.value)
    assert calls == list(mirrors.urls)  # every mirror was tried, in order
    assert "offline" in message and "name resolution" in message
    assert str(tmp_path / "cache" / "thing.bin") in message and resource.sha256 in message
    assert "TINYNN_DATA" in message and message.endswith("Try load_digits() instead.")
    assert not isinstance(info.value, ChecksumError)


def test_falls_back_to_the_next_mirror(tmp_path, source):
    path, resource = source
    broken = (tmp_path / "missing.bin").as_uri()
    both = Resource("thing.bin", resource.sha256, (broken, path.as_uri()))
    assert fetch(both, tmp_path / "cache", quiet=True).read_bytes() == CONTENT


def test_corrupt_cached_file_is_replaced_or_refused(tmp_path, source, capsys):
    _, resource = source
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "thing.bin").write_bytes(CONTENT[:500])  # an interrupted copy
    with pytest.raises(ChecksumError, match="corrupt or incomplete and was deleted"):
        fetch(resource, cache, download=False)
    assert leftovers(cache) == []

    (cache / "thing.bin").write_bytes(b"garbage")
    path = fetch(resource, cache)
    assert path.read_bytes() == CONTENT
    assert "downloading it again" in capsys.readouterr().err


def test_missing_file_without_download(tmp_path, source):
    _, resource = source
    with pytest.raises(DownloadError, match="does not exist and download=False"):
        fetch(resource, tmp_path / "cache", download=False)


def test_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("TINYNN_DATA", str(tmp_path / "mine"))
    assert data_home() == tmp_path / "mine"
    assert data_home(tmp_path / "explicit") == tmp_path / "explicit"
    monkeypatch.delenv("TINYNN_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_home() == tmp_path / "xdg" / "tinynn"


def test_sha256sum_matches_hashlib(tmp_path):
    path = tmp_path / "big.bin"
    data = bytes(range(256)) * 9000  # more than one 1 MiB chunk
    path.write_bytes(data)
    assert sha256sum(path) == hashlib.sha256(data).hexdigest()
