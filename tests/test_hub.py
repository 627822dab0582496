"""tinynn.hub (tinynn/hub.py), without the network: file:// URLs and a local http.server on 127.0.0.1.
The cache directory, atomic downloads with SHA-256 prefix checks, load_state_dict_from_url (cache
hits, check_hash, file_name, map_location, .npz archives), the refusal of PyTorch checkpoints with
the way to convert them, and the model-zoo functions that raise."""
import functools
import hashlib
import http.server
import pickle
import threading
import zipfile

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn import hub
from tinynn.serialization import CheckpointError
from tests.helpers import needs_torch, torch


@pytest.fixture
def hub_dir(tmp_path):
    """A fresh hub directory for the test (set_dir), the default restored afterwards."""
    previous = hub._hub_dir
    hub.set_dir(tmp_path / "hub")
    yield tmp_path / "hub"
    hub._hub_dir = previous


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/www; yields (folder, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _state_file(folder, name):
    model = nn.Linear(3, 2)
    path = folder / name
    tinynn.save(model.state_dict(), path)
    return model, path


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_get_dir_and_set_dir(tmp_path, monkeypatch):
    previous = hub._hub_dir
    try:
        hub._hub_dir = None
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        assert hub.get_dir() == str(tmp_path / "cache" / "tinynn" / "hub")
        hub.set_dir(tmp_path / "elsewhere")
        assert hub.get_dir() == str(tmp_path / "elsewhere")
    finally:
        hub._hub_dir = previous


def test_download_url_to_file_over_http_with_hash_and_progress(server, tmp_path, capsys):
    root, base = server
    payload = np.random.default_rng(0).bytes(300_000)
    (root / "blob.bin").write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    target = tmp_path / "blob.bin"
    hub.download_url_to_file(f"{base}/blob.bin", str(target), hash_prefix=digest[:10], progress=True)
    assert target.read_bytes() == payload
    assert "100%" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match=f'invalid hash value \\(expected "0000", got "{digest}"\\)'):
        hub.download_url_to_file(f"{base}/blob.bin", str(tmp_path / "other.bin"), hash_prefix="0000")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blob.bin", "www"]   # no partial file left


def test_failed_download_keeps_the_existing_file(tmp_path):
    source, target = tmp_path / "new.bin", tmp_path / "old.bin"
    source.write_bytes(b"new contents")
    target.write_bytes(b"old contents")
    with pytest.raises(RuntimeError, match="invalid hash value"):
        hub.download_url_to_file(source.as_uri(), str(target), hash_prefix="ffff", progress=False)
    assert target.read_bytes() == b"old contents"


def test_load_state_dict_from_url_downloads_once_then_uses_the_cache(hub_dir, tmp_path, capsys):
    model, path = _state_file(tmp_path, "weights.pt")
    state = hub.load_state_dict_from_url(path.as_uri(), progress=False)
    assert list(state) == ["weight", "bias"] and "Downloading" in capsys.readouterr().err
    np.testing.assert_array_equal(state["weight"].numpy(), model.weight.detach().numpy())
    assert (hub_dir / "checkpoints" / "weights.pt").exists()
    path.unlink()                                  # the second call must not need the source
    again = hub.load_state_dict_from_url(path.as_uri())
    assert "Downloading" not in capsys.readouterr().err
    np.testing.assert_array_equal(again["bias"].numpy(), model.bias.detach().numpy())
    fresh = nn.Linear(3, 2)
    fresh.load_state_dict(again)
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), model.weight.detach().numpy())


def test_load_state_dict_from_url_check_hash_file_name_and_model_dir(server, tmp_path, hub_dir):
    root, base = server
    _, path = _state_file(root, "tmp.pt")
    good = root / f"net-{_sha256(path)[:8]}.pt"
    path.rename(good)
    state = hub.load_state_dict_from_url(f"{base}/{good.name}", model_dir=str(tmp_path / "models"),
                                         check_hash=True, progress=False, map_location="cpu")
    assert (tmp_path / "models" / good.name).exists() and state["weight"].device.type == "cpu"
    bad = root / "net-00000000.pt"
    bad.write_bytes(good.read_bytes())
    with pytest.raises(RuntimeError, match="invalid hash value"):
        hub.load_state_dict_from_url(f"{base}/{bad.name}", check_hash=True, progress=False)
    named = hub.load_state_dict_from_url(f"{base}/{good.name}", file_name="renamed.pt", progress=False)
    assert (hub_dir / "checkpoints" / "renamed.pt").exists() and list(named) == ["weight", "bias"]


def test_npz_archives_load_as_state_dicts(hub_dir, tmp_path):
    weights = {"weight": np.ones((2, 3), np.float32), "bias": np.arange(2, dtype=np.float32)}
    np.savez(tmp_path / "converted.npz", **weights)
    state = hub.load_state_dict_from_url((tmp_path / "converted.npz").as_uri(), progress=False)
    assert sorted(state) == ["bias", "weight"] and state["weight"].dtype == tinynn.float32
    model = nn.Linear(3, 2)
    model.load_state_dict(state)
    assert model.bias.tolist() == [0.0, 1.0]
    np.savez(tmp_path / "objects.npz", names=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="not plain numbers"):
        hub.load_state_dict_from_url((tmp_path / "objects.npz").as_uri(), progress=False)


def test_pytorch_checkpoints_are_refused_with_the_conversion(hub_dir, tmp_path):
    torch_style = tmp_path / "resnet.pth"          # the layout torch.save writes: <name>/data.pkl + storages
    with zipfile.ZipFile(torch_style, "w") as archive:
        archive.writestr("resnet/data.pkl", pickle.dumps({"weight": None}))
        archive.writestr("resnet/data/0", b"\x00" * 16)
    with pytest.raises(CheckpointError, match="(?s)is a PyTorch checkpoint .* numpy.savez"):
        hub.load_state_dict_from_url(torch_style.as_uri(), progress=False)
    legacy = tmp_path / "legacy.pth"
    legacy.write_bytes(pickle.dumps({"weight": 1}, protocol=2))
    with pytest.raises(CheckpointError, match="never unpickles tensors"):
        hub.load_state_dict_from_url(legacy.as_uri(), progress=False)


@needs_torch
def test_a_real_torch_save_file_is_refused_and_its_conversion_loads(hub_dir, tmp_path):
    state = torch.nn.Linear(3, 2).state_dict()
    torch.save(state, tmp_path / "real.pth")
    with pytest.raises(CheckpointError, match="is a PyTorch checkpoint"):
        hub.load_state_dict_from_url((tmp_path / "real.pth").as_uri(), progress=False)
    np.savez(tmp_path / "real.npz", **{k: v.numpy() for k, v in state.items()})   # the conversion the error gives
    model = nn.Linear(3, 2)
    model.load_state_dict(hub.load_state_dict_from_url((tmp_path / "real.npz").as_uri(), progress=False))
    np.testing.assert_array_equal(model.weight.detach().numpy(), state["weight"].numpy())


def test_model_zoo_functions_raise_and_load_url_alias():
    for call in (lambda: hub.load("pytorch/vision", "resnet18", pretrained=True), lambda: hub.list("pytorch/vision"),
                 lambda: hub.help("pytorch/vision", "resnet18")):
        with pytest.raises(NotImplementedError, match="tinynn has no model zoo"):
            call()
    assert tinynn.utils.model_zoo.load_url is hub.load_state_dict_from_url
    with pytest.raises(ValueError, match="cannot take a file name"):
        hub.load_state_dict_from_url("http://127.0.0.1/")
