"""MNIST and Fashion-MNIST: 70,000 grey 28 x 28 images in 10 classes, downloaded once and cached.

    load_mnist(train=True)           -> images float32 (N, 1, 28, 28) in [0, 1], labels int64 (N,)
    load_mnist(train=True, raw=True) -> images uint8 (N, 28, 28), labels int64 (N,)
    load_fashion_mnist(...)          the same for Fashion-MNIST
    MNIST(train=True, transform=...) a Dataset for DataLoader (torchvision's arguments)
    FashionMNIST(...)                the same for Fashion-MNIST

N is 60,000 for the training split and 10,000 for the test split. The four IDX files of each data
set are fetched from the mirrors below into ``data_home()/MNIST`` (or ``/FashionMNIST``) and
verified by SHA-256 (see download.py). Without internet access the loaders stop with a message
saying where to put the files by hand; ``tinynn.datasets.load_digits()`` needs no download at all.

Sources and licences:
    MNIST: Y. LeCun, C. Cortes, C. J. C. Burges, http://yann.lecun.com/exdb/mnist/ (the mirrors are
        PyTorch's and TensorFlow's copies of the same files).
    Fashion-MNIST: H. Xiao, K. Rasul, R. Vollgraf (Zalando Research, 2017), arXiv:1708.07747,
        MIT licence, https://github.com/zalandoresearch/fashion-mnist.
"""
from __future__ import annotations

import os
from typing import Callable

import numpy as np

from ..creation import from_numpy
from ..tensor import Tensor
from .download import Resource, data_home, fetch
from .idx import read_idx
from .vision import ImageClassificationDataset, to_float_images

__all__ = ["MNIST", "FashionMNIST", "load_mnist", "load_fashion_mnist", "MNIST_RESOURCES",
           "FASHION_MNIST_RESOURCES"]

_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
_FASHION_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)


def _resources(mirrors: tuple[str, ...], files: dict[str, tuple[str, int]]) -> dict[str, Resource]:
    return {name: Resource(name, sha256, tuple(m + name for m in mirrors), size)
            for name, (sha256, size) in files.items()}


# file -> (SHA-256, bytes) of the gzip-compressed IDX files as published
MNIST_RESOURCES = _resources(_MNIST_MIRRORS, {
    "train-images-idx3-ubyte.gz": ("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9_912_422),
    "train-labels-idx1-ubyte.gz": ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28_881),
    "t10k-images-idx3-ubyte.gz": ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1_648_877),
    "t10k-labels-idx1-ubyte.gz": ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4_542),
})
FASHION_MNIST_RESOURCES = _resources(_FASHION_MIRRORS, {
    "train-images-idx3-ubyte.gz": ("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26_421_880),
    "train-labels-idx1-ubyte.gz": ("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29_515),
    "t10k-images-idx3-ubyte.gz": ("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4_422_102),
    "t10k-labels-idx1-ubyte.gz": ("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5_148),
})

MNIST_CLASSES = [f"{d} - {name}" for d, name in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])]
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot"]

_OFFLINE_HINT = ("To work offline, use tinynn.datasets.load_digits(): real handwritten digits that "
                 "ship with tinynn (8 x 8, or resized with image_size=28).")


def _read_split(folder_name: str, resources: dict[str, Resource], train: bool, root, download: bool,
                quiet: bool) -> tuple[np.ndarray, np.ndarray]:
    """Fetch and parse one split: images uint8 (N, 28, 28), labels uint8 (N,)."""
    prefix = "train" if train else "t10k"
    folder = data_home(root) / folder_name
    images_path = fetch(resources[f"{prefix}-images-idx3-ubyte.gz"], folder, download, quiet, _OFFLINE_HINT)
    labels_path = fetch(resources[f"{prefix}-labels-idx1-ubyte.gz"], folder, download, quiet, _OFFLINE_HINT)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{folder_name}: expected images (N, H, W) and labels (N,) of the same N, got "
                         f"{images.shape} from {images_path} and {labels.shape} from {labels_path}")
    return images, labels


def _as_tensors(images: np.ndarray, labels: np.ndarray, raw: bool) -> tuple[Tensor, Tensor]:
    labels = from_numpy(labels.astype(np.int64))
    if raw:
        return from_numpy(images), labels
    return from_numpy(to_float_images(images)), labels


def load_mnist(train: bool = True, raw: bool = False, root: str | os.PathLike | None = None,
               download: bool = True, quiet: bool = False) -> tuple[Tensor, Tensor]:
    """MNIST's training (60,000) or test (10,000) split as two tensors.

    Returns images float32 (N, 1, 28, 28) scaled to [0, 1] (or uint8 (N, 28, 28), 0..255, with
    ``raw=True``) and labels int64 (N,) in 0..9. ``root`` is the cache folder (files go to
    ``data_home(root)/MNIST``); with ``download=False`` missing files raise instead of being fetched.
    """
    return _as_tensors(*_read_split("MNIST", MNIST_RESOURCES, train, root, download, quiet), raw)


def load_fashion_mnist(train: bool = True, raw: bool = False, root: str | os.PathLike | None = None,
                       download: bool = True, quiet: bool = False) -> tuple[Tensor, Tensor]:
    """Fashion-MNIST's training or test split, exactly as ``load_mnist`` (classes: FASHION_MNIST_CLASSES)."""
    return _as_tensors(*_read_split("FashionMNIST", FASHION_MNIST_RESOURCES, train, root, download, quiet), raw)


class MNIST(ImageClassificationDataset):
    """MNIST as a Dataset: ``dataset[i]`` is (float32 image (1, 28, 28) in [0, 1], int label).

    The arguments are torchvision's: ``root`` (the cache folder; default ``data_home()``), ``train``,
    ``transform`` (applied to the image tensor), ``target_transform``, ``download`` (default True
    here). ``data`` holds the uint8 images (N, 28, 28), ``targets`` the int64 labels (N,).
    """

    classes = MNIST_CLASSES
    _folder, _resources = "MNIST", MNIST_RESOURCES

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = True, quiet: bool = False):
        images, labels = _read_split(self._folder, self._resources, train, root, download, quiet)
        super().__init__(images, labels, transform, target_transform)
        self.train = train


class FashionMNIST(MNIST):
    """Fashion-MNIST as a Dataset (Zalando's clothing images; same format and arguments as ``MNIST``)."""

    classes = FASHION_MNIST_CLASSES
    _folder, _resources = "FashionMNIST", FASHION_MNIST_RESOURCES
