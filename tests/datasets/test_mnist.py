"""The MNIST / Fashion-MNIST loaders on small IDX files served through file:// URLs (no internet here),
and the offline message with the real mirrors."""
import gzip
import hashlib
import struct
from urllib.error import URLError

import numpy as np
import pytest

import tinynn
from tinynn.datasets import download as dl
from tinynn.datasets import mnist
from tinynn.datasets.download import DownloadError, Resource
from tinynn.utils.data import DataLoader

N_TRAIN, N_TEST = 12, 5


def gz_idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def fake_mirror(tmp_path, monkeypatch):
    """Tiny MNIST-format files on a file:// 'mirror'; the loaders' resource tables point at them."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (N_TRAIN, 28, 28)),
        "train-labels-idx1-ubyte.gz": np.arange(N_TRAIN) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (N_TEST, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": (np.arange(N_TEST) * 3) % 10,
    }
    server = tmp_path / "server"
    server.mkdir()
    resources = {}
    for name, array in arrays.items():
        data = gz_idx(array)
        (server / name).write_bytes(data)
        resources[name] = Resource(name, hashlib.sha256(data).hexdigest(), ((server / name).as_uri(),), len(data))
    for module_attr in ("MNIST_RESOURCES", "FASHION_MNIST_RESOURCES"):
        monkeypatch.setattr(mnist, module_attr, resources)
    monkeypatch.setattr(mnist.MNIST, "_resources", resources)
    monkeypatch.setattr(mnist.FashionMNIST, "_resources", resources)
    return arrays, tmp_path / "cache"


def test_load_mnist_tensors(fake_mirror):
    arrays, cache = fake_mirror
    images, labels = mnist.load_mnist(train=True, root=cache, quiet=True)
    assert images.shape == (N_TRAIN, 1, 28, 28) and images.dtype == tinynn.float32
    assert labels.shape == (N_TRAIN,) and labels.dtype == tinynn.int64
    np.testing.assert_allclose(images.numpy()[:, 0], arrays["train-images-idx3-ubyte.gz"] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(labels.numpy(), arrays["train-labels-idx1-ubyte.gz"])
    assert sorted(p.name for p in (cache / "MNIST").iterdir()) == ["train-images-idx3-ubyte.gz",
                                                                     "train-labels-idx1-ubyte.gz"]
    raw, test_labels = mnist.load_mnist(train=False, raw=True, root=cache, quiet=True)
    assert raw.shape == (N_TEST, 28, 28) and raw.dtype == tinynn.uint8
    np.testing.assert_array_equal(raw.numpy(), arrays["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(test_labels.numpy(), arrays["t10k-labels-idx1-ubyte.gz"])
    fashion, _ = mnist.load_fashion_mnist(train=False, root=cache, quiet=True)
    assert fashion.shape == (N_TEST, 1, 28, 28) and (cache / "FashionMNIST").is_dir()


def test_mnist_dataset_with_dataloader(fake_mirror, monkeypatch):
    arrays, cache = fake_mirror
    flips = []
    dataset = mnist.MNIST(root=cache, train=True, transform=lambda x: x * 2,
                          target_transform=lambda y: flips.append(y) or y + 100, quiet=True)
    assert len(dataset) == N_TRAIN and dataset.data.dtype == tinynn.uint8 and dataset.targets.dtype == tinynn.int64
    image, label = dataset[3]
    assert image.shape == (1, 28, 28) and label == arrays["train-labels-idx1-ubyte.gz"][3] + 100
    np.testing.assert_allclose(image.numpy()[0], arrays["train-images-idx3-ubyte.gz"][3] / 255.0 * 2, rtol=1e-6)

    fashion = mnist.FashionMNIST(root=cache, train=False, quiet=True)
    assert len(fashion) == N_TEST and fashion.classes[9] == "Ankle boot"

    monkeypatch.setattr(dl, "urlopen", lambda *a, **k: pytest.fail("second load must come from the cache"))
    plain = mnist.MNIST(root=cache, train=True, quiet=True)
    batches = list(DataLoader(plain, batch_size=5))
    x, y = batches[0]
    assert x.shape == (5, 1, 28, 28) and x.dtype == tinynn.float32 and y.dtype == tinynn.int64
    assert [len(b[1]) for b in batches] == [5, 5, 2]
    all_images, all_labels = plain.tensors()
    np.testing.assert_array_equal(all_labels.numpy(), arrays["train-labels-idx1-ubyte.gz"])
    assert all_images.shape == (N_TRAIN, 1, 28, 28)


def test_mismatched_files_are_reported(fake_mirror, monkeypatch, tmp_path):
    _, cache = fake_mirror
    # swap the test labels for a file with a different count
    data = gz_idx(np.zeros(N_TEST + 1))
    path = tmp_path / "server" / "bad-labels.gz"
    path.write_bytes(data)
    resources = dict(mnist.MNIST_RESOURCES)
    resources["t10k-labels-idx1-ubyte.gz"] = Resource("t10k-labels-idx1-ubyte.gz", hashlib.sha256(data).hexdigest(),
                                                      (path.as_uri(),))
    monkeypatch.setattr(mnist, "MNIST_RESOURCES", resources)
    with pytest.raises(ValueError, match=r"same N, got \(5, 28, 28\).*\(6,\)"):
        mnist.load_mnist(train=False, root=cache, quiet=True)


def test_offline_mnist_points_to_load_digits(tmp_path, monkeypatch):
    tried = []

    def offline(url, timeout):
        tried.append(url)
        raise URLError("Network is unreachable")

    monkeypatch.setattr(dl, "urlopen", offline)
    with pytest.raises(DownloadError) as info:
        mnist.load_mnist(root=tmp_path, quiet=True)
    message = str(info.value)
    assert "load_digits()" in message and "Network is unreachable" in message
    assert str(tmp_path / "MNIST" / "train-images-idx3-ubyte.gz") in message
    assert tried == [m + "train-images-idx3-ubyte.gz" for m in mnist._MNIST_MIRRORS]
    assert list((tmp_path / "MNIST").iterdir()) == []


def test_resource_tables_are_well_formed():
    for table in (mnist.MNIST_RESOURCES, mnist.FASHION_MNIST_RESOURCES):
        assert sorted(table) == sorted(["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
        for name, resource in table.items():
            assert len(resource.sha256) == 64 and int(resource.sha256, 16) >= 0
            assert all(url.endswith("/" + name) for url in resource.urls) and resource.size > 0
    assert mnist.MNIST_RESOURCES["t10k-labels-idx1-ubyte.gz"].sha256.startswith("f7ae60f9")
