"""tinynn.deploy: deployment checkpoints round-trip, carry their metadata, and refuse every file
that is newer, edited, for another model or config, or that would run code to load."""
import datetime
import io
import sys
import zipfile

import numpy as np
import pytest

import tinynn
from tinynn import deploy, nn
from tinynn.deploy import DeploymentError
from tinynn.models import GPT, GPTConfig
from tinynn.serialization import CheckpointError, WeightsOnlyError


class TinyNet(nn.Module):
    """A model outside tinynn, rebuilt from keyword arguments."""

    def __init__(self, in_features: int, hidden: int = 8, out_features: int = 3):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(in_features, hidden), nn.Linear(hidden, out_features)
        self.norm = nn.BatchNorm1d(hidden)  # buffers too: running statistics

    def forward(self, x):
        return self.fc2(self.norm(self.fc1(x)).relu())


class OtherNet(TinyNet):
    pass


def trained_tinynet() -> TinyNet:
    tinynn.manual_seed(0)
    model = TinyNet(4, hidden=6)
    model(tinynn.randn(16, 4))  # train mode: moves the running statistics away from their start
    return model


def small_gpt() -> GPT:
    tinynn.manual_seed(0)
    return GPT(GPTConfig(block_size=8, vocab_size=13, n_layer=2, n_head=2, n_embd=8))


def rewrite(path, out, edit) -> None:
    """Load a deployment file as plain data, let ``edit`` change it, save it again (a forged file)."""
    content = tinynn.load(path)
    edit(content)
    tinynn.save(content, out)


# ---------------------------------------------------------------------- round trips
def test_round_trip_of_a_model_outside_tinynn(tmp_path):
    model = trained_tinynet().eval()
    path = tmp_path / "net.pt"
    deploy.save(model, path, config={"in_features": 4, "hidden": 6})
    loaded = deploy.load(path, model_class=TinyNet)
    x = tinynn.randn(5, 4)
    assert type(loaded) is TinyNet and not loaded.training
    with tinynn.no_grad():
        np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key].numpy(), value.numpy())


def test_round_trip_of_gpt_rebuilt_from_its_config(tmp_path):
    model = small_gpt().eval()
    path = tmp_path / "gpt.pt"
    deploy.save(model, path)  # the config comes from model.config
    loaded = deploy.load(path, config=GPTConfig(block_size=8, vocab_size=13, n_layer=2, n_head=2, n_embd=8))
    idx = tinynn.tensor([[1, 5, 2, 7], [3, 3, 0, 12]])
    assert isinstance(loaded, GPT) and loaded.config == model.config
    with tinynn.no_grad():
        np.testing.assert_array_equal(loaded(idx)[0].numpy(), model(idx)[0].numpy())
    # the tied embedding and head are one matrix again
    assert loaded.transformer.wte.weight is loaded.lm_head.weight


def test_file_objects_work_as_paths_do():
    buffer = io.BytesIO()
    deploy.save(nn.Linear(3, 2), buffer, config={"in_features": 3, "out_features": 2})
    buffer.seek(0)
    assert deploy.metadata(buffer)["model_class"] == {"module": "tinynn.nn.linear", "qualname": "Linear"}
    buffer.seek(0)
    assert isinstance(deploy.load(buffer), nn.Linear)


# ---------------------------------------------------------------------- metadata
def test_metadata_records_what_the_file_holds(tmp_path):
    model = small_gpt()
    path = tmp_path / "gpt.pt"
    before = datetime.datetime.now(datetime.timezone.utc)
    written = deploy.save(model, path, metrics={"val_loss": 2.25, "steps": 300}, input_shape=[None],
                          input_dtype="int64", dataset="shakespeare")
    meta = deploy.metadata(path)
    assert meta == written
    assert meta["format"] == "tinynn.deployment" and meta["format_version"] == deploy.FORMAT_VERSION == 1
    assert meta["tinynn_version"] == tinynn.__version__
    assert meta["model_class"] == {"module": "tinynn.models.gpt", "qualname": "GPT"}
    assert meta["config_class"] == {"module": "tinynn.models.gpt", "qualname": "GPTConfig"}
    assert meta["config"] == {"block_size": 8, "vocab_size": 13, "n_layer": 2, "n_head": 2, "n_embd": 8,
                              "dropout": 0.0, "bias": True}
    created = datetime.datetime.fromisoformat(meta["created"])
    assert created.utcoffset() == datetime.timedelta(0)
    assert abs((created - before).total_seconds()) < 60
    assert meta["weights_sha256"] == deploy.weights_sha256(model.state_dict())
    assert len(meta["weights_sha256"]) == 64
    assert meta["metrics"] == {"val_loss": 2.25, "steps": 300}
    assert meta["input"] == {"shape": [None], "dtype": "int64"}
    assert meta["extra"] == {"dataset": "shakespeare"}


def test_the_file_is_a_plain_weights_only_checkpoint(tmp_path):
    path = tmp_path / "net.pt"
    deploy.save(trained_tinynet(), path, config={"in_features": 4, "hidden": 6})
    assert tinynn.serialization.get_unsafe_globals_in_checkpoint(path) == []
    content = tinynn.load(path, weights_only=True)
    assert set(content) == {"metadata", "state_dict"}
    assert content["metadata"] == deploy.metadata(path)


def test_metadata_reads_the_header_alone(tmp_path):
    """A weight member whose bytes are damaged: the metadata still reads, the model does not load."""
    path, broken = tmp_path / "net.pt", tmp_path / "broken.pt"
    deploy.save(trained_tinynet(), path, config={"in_features": 4, "hidden": 6})
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "a0.npy":  # the first weight's bytes, after its .npy header
                data = data[:-4] + b"\x00\x01\x02\x03"
            target.writestr(info, data)
    assert deploy.metadata(broken) == deploy.metadata(path)
    with pytest.raises(CheckpointError):
        deploy.load(broken, model_class=TinyNet)


def test_weights_hash_sees_values_names_and_shapes():
    state = {"w": tinynn.arange(6, dtype=tinynn.float32)}
    reference = deploy.weights_sha256(state)
    assert deploy.weights_sha256({"w": tinynn.arange(6, dtype=tinynn.float32)}) == reference
    assert deploy.weights_sha256({"w": tinynn.arange(6, dtype=tinynn.float32).reshape(2, 3)}) != reference
    assert deploy.weights_sha256({"v": tinynn.arange(6, dtype=tinynn.float32)}) != reference
    assert deploy.weights_sha256({"w": tinynn.arange(6, dtype=tinynn.float64)}) != reference
    changed = tinynn.arange(6, dtype=tinynn.float32)
    changed[5] = 5.000001
    assert deploy.weights_sha256({"w": changed}) != reference


# ---------------------------------------------------------------------- refusals
def test_newer_format_version_is_refused_naming_both_versions(tmp_path):
    path, newer = tmp_path / "net.pt", tmp_path / "newer.pt"
    deploy.save(trained_tinynet(), path, config={"in_features": 4, "hidden": 6})
    rewrite(path, newer, lambda c: c["metadata"].update(format_version=2))
    for read in (lambda: deploy.metadata(newer), lambda: deploy.load(newer, model_class=TinyNet)):
        with pytest.raises(DeploymentError, match=r"format version 2.*versions up to 1"):
            read()


def test_edited_weights_are_refused_by_their_hash(tmp_path):
    path, edited = tmp_path / "net.pt", tmp_path / "edited.pt"
    deploy.save(trained_tinynet(), path, config={"in_features": 4, "hidden": 6})

    def edit(content):
        content["state_dict"]["fc1.weight"][0, 0] += 1e-3

    rewrite(path, edited, edit)
    with pytest.raises(DeploymentError, match="SHA-256.*corrupted or its weights edited"):
        deploy.load(edited, model_class=TinyNet)


def test_a_config_that_differs_is_refused_naming_the_keys(tmp_path):
    path = tmp_path / "net.pt"
    deploy.save(trained_tinynet(), path, config={"in_features": 4, "hidden": 6})
    with pytest.raises(DeploymentError, match=r"2 key\(s\): hidden: saved 6, given 7; out_features: saved "
                                              r"'<absent>', given 3") as info:
        deploy.load(path, model_class=TinyNet, config={"in_features": 4, "hidden": 7, "out_features": 3})
    assert "in_features" not in str(info.value)
    deploy.load(path, model_class=TinyNet, config={"in_features": 4, "hidden": 6})  # equal: accepted
    gpt_path = tmp_path / "gpt.pt"
    deploy.save(small_gpt(), gpt_path)
    with pytest.raises(DeploymentError, match=r"1 key\(s\): n_layer: saved 2, given 3"):
        deploy.load(gpt_path, config=GPTConfig(block_size=8, vocab_size=13, n_layer=3, n_head=2, n_embd=8))


def test_a_model_class_that_differs_is_refused(tmp_path):
    path = tmp_path / "net.pt"
    deploy.save(trained_tinynet(), path, config={"in_features": 4, "hidden": 6})
    with pytest.raises(DeploymentError, match=r"holds a tests\.deploy\.test_deploy\.TinyNet, but model_class is "
                                              r"tests\.deploy\.test_deploy\.OtherNet"):
        deploy.load(path, model_class=OtherNet)


def test_a_plain_state_dict_file_is_not_a_deployment_checkpoint(tmp_path):
    path = tmp_path / "weights.pt"
    tinynn.save(trained_tinynet().state_dict(), path)
    for read in (lambda: deploy.metadata(path), lambda: deploy.load(path, model_class=TinyNet)):
        with pytest.raises(DeploymentError, match="not a deployment checkpoint"):
            read()


def test_save_refuses_what_could_not_be_loaded(tmp_path):
    with pytest.raises(ValueError, match="cannot be rebuilt.*in_features"):
        deploy.save(trained_tinynet(), tmp_path / "a.pt")  # TinyNet needs in_features
    with pytest.raises(ValueError, match="Sequential is built from the modules passed to it"):
        deploy.save(nn.Sequential(nn.Linear(2, 2)), tmp_path / "s.pt")
    with pytest.raises(TypeError, match="plain data"):
        deploy.save(nn.Linear(2, 2), tmp_path / "b.pt", config={"in_features": 2, "out_features": 2},
                    metrics={"when": datetime.date.today()})
    with pytest.raises(ValueError, match="input_shape"):
        deploy.save(nn.Linear(2, 2), tmp_path / "c.pt", config={"in_features": 2, "out_features": 2}, input_shape=2)
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------- loading runs no code from the file
EVIL_MODULE = '''
import pathlib
pathlib.Path({marker!r}).write_text("imported")
from tinynn import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        pathlib.Path({marker!r}).write_text("constructed")
        self.fc = nn.Linear(2, 2)
'''


@pytest.fixture
def evil_module(tmp_path, monkeypatch):
    """A module on sys.path that leaves a marker file when it is imported: it must never be imported."""
    marker = tmp_path / "ran"
    (tmp_path / "deploy_evil_module.py").write_text(EVIL_MODULE.format(marker=str(marker)))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "deploy_evil_module", marker
    sys.modules.pop("deploy_evil_module", None)


def test_a_class_outside_tinynn_is_not_imported_unless_trusted(tmp_path, evil_module):
    module, marker = evil_module
    path, forged = tmp_path / "linear.pt", tmp_path / "forged.pt"
    deploy.save(nn.Linear(2, 2), path, config={"in_features": 2, "out_features": 2})
    rewrite(path, forged, lambda c: c["metadata"].update(model_class={"module": module, "qualname": "Net"}, config={}))
    with pytest.raises(DeploymentError, match="outside tinynn.*trust_model_class=True"):
        deploy.load(forged)
    assert not marker.exists() and module not in sys.modules
    with pytest.raises(RuntimeError):  # trusted: imported and built (the marker shows it ran), weights differ
        deploy.load(forged, trust_model_class=True)
    assert marker.read_text() == "constructed"


def test_a_tinynn_function_is_not_called_as_a_model_class(tmp_path):
    path, forged = tmp_path / "linear.pt", tmp_path / "forged.pt"
    deploy.save(nn.Linear(2, 2), path, config={"in_features": 2, "out_features": 2})
    target = tmp_path / "downloaded"
    rewrite(path, forged, lambda c: c["metadata"].update(
        model_class={"module": "tinynn.hub", "qualname": "download_url_to_file"},
        config={"url": (tmp_path / "linear.pt").as_uri(), "dst": str(target)}))
    with pytest.raises(DeploymentError, match="not a Module subclass"):
        deploy.load(forged)
    rewrite(path, forged, lambda c: c["metadata"].update(config_class={"module": "tinynn.nn", "qualname": "Linear"}))
    with pytest.raises(DeploymentError, match="not a dataclass"):
        deploy.load(forged)
    assert not target.exists()


def test_a_pickled_payload_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "pickled.pt"
    tinynn.save({"metadata": {"format": "tinynn.deployment"}, "state_dict": Payload()}, path)
    with pytest.raises(WeightsOnlyError):
        deploy.load(path)
    assert not marker.exists()
