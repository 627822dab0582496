"""Real handwritten digits that need no download: 1,797 images of 8 x 8 pixels, shipped with tinynn.

    load_digits(split="train")                  -> images float32 (N, 1, 8, 8) in [0, 1], labels int64 (N,)
    load_digits(split="test", image_size=28)    -> images float32 (N, 1, 28, 28), resized bilinearly
    load_digits(split="all", raw=True)          -> images uint8 (1797, 8, 8) with values 0..16
    Digits(split="train", transform=...)        the same as a Dataset for DataLoader

The data are the test set of the UCI *Optical Recognition of Handwritten Digits* data set
(E. Alpaydin and C. Kaynak, 1998; licence CC BY 4.0; https://doi.org/10.24432/C50P49), the same
1,797 images scikit-learn's ``load_digits`` returns. Each pixel counts the ink in a 4 x 4 block of
a 32 x 32 scan, so values run from 0 (no ink) to 16 (all ink). See data/README.md for the
provenance and checksums.

The train/test split is fixed and stratified: with ``test_fraction=0.2`` each digit gives 20% of
its images (rounded) to the test set, 359 in all, chosen by a permutation seeded with
``split_seed``, so every run and every student sees the same split. The train split has the other
1,438 images.
"""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import Callable

import numpy as np

from ..creation import from_numpy
from ..tensor import Tensor
from .vision import ImageClassificationDataset, resize_bilinear, to_float_images

__all__ = ["load_digits", "Digits", "DIGITS_PATH"]

DIGITS_PATH = Path(__file__).parent / "data" / "optdigits_test.csv.gz"
_MAX_PIXEL = 16  # the pixel values are ink counts in 4 x 4 blocks: 0..16
_SPLITS = ("train", "test", "all")
_cache: dict[str, np.ndarray] = {}


def _read_all() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 images uint8 (N, 8, 8) and labels uint8 (N,), in the file's order (read once)."""
    if not _cache:
        if not DIGITS_PATH.exists():
            raise FileNotFoundError(f"the digits data file {DIGITS_PATH} is missing: tinynn's installation "
                                    "is incomplete (reinstall it, or check setup.cfg's package_data)")
        with gzip.open(DIGITS_PATH, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.uint8)  # (1797, 65): 64 pixels, then the label
        _cache["images"] = table[:, :64].reshape(-1, 8, 8)
        _cache["labels"] = table[:, 64]
    return _cache["images"], _cache["labels"]


def _split_indices(labels: np.ndarray, split: str, test_fraction: float, split_seed: int) -> np.ndarray:
    """The sorted indices of ``split``: a stratified, seeded choice of round(fraction * count) per class."""
    if split == "all":
        return np.arange(len(labels))
    rng = np.random.default_rng(split_seed)
    test = []
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        n_test = int(round(test_fraction * len(members)))
        test.append(rng.permutation(members)[:n_test])
    test = np.sort(np.concatenate(test))
    if split == "test":
        return test
    return np.setdiff1d(np.arange(len(labels)), test)


def _select(split: str, image_size: int, test_fraction: float, split_seed: int) -> tuple[np.ndarray, np.ndarray]:
    if split not in _SPLITS:
        raise ValueError(f"load_digits: split must be one of {_SPLITS}, got {split!r}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"load_digits: test_fraction must be between 0 and 1, got {test_fraction}")
    if int(image_size) != image_size or image_size < 1:
        raise ValueError(f"load_digits: image_size must be a positive integer, got {image_size}")
    images, labels = _read_all()
    index = _split_indices(labels, split, test_fraction, split_seed)
    images, labels = images[index], labels[index]
    if image_size != 8:
        images = np.clip(resize_bilinear(images / _MAX_PIXEL, int(image_size)), 0.0, 1.0).astype(np.float32)
    return images, labels


def load_digits(split: str = "train", image_size: int = 8, raw: bool = False, test_fraction: float = 0.2,
                split_seed: int = 0) -> tuple[Tensor, Tensor]:
    """The shipped handwritten digits as tensors: images and int64 labels (N,) in 0..9.

    split: "train" (1,438 images with the defaults), "test" (359) or "all" (1,797, file order).
    image_size: 8 keeps the original pixels; another size (e.g. 28, MNIST's) resizes by bilinear
        interpolation, so MNIST-shaped models run unchanged (the images stay as blurry as 8 x 8).
    raw: return uint8 images (N, 8, 8) with values 0..16 instead of float32 (N, 1, S, S) in [0, 1].
    test_fraction, split_seed: the stratified split (the defaults give the split the lessons use).
    """
    if raw and image_size != 8:
        raise ValueError("load_digits: raw=True returns the original 8 x 8 pixels; leave image_size=8")
    images, labels = _select(split, image_size, test_fraction, split_seed)
    labels = from_numpy(labels.astype(np.int64))
    if raw:
        return from_numpy(images.copy()), labels
    return from_numpy(to_float_images(images, _MAX_PIXEL)), labels


class Digits(ImageClassificationDataset):
    """The shipped digits as a Dataset: ``dataset[i]`` is (float32 image (1, S, S) in [0, 1], int label).

    Arguments as ``load_digits``, plus ``transform`` (applied to the image tensor) and
    ``target_transform``. ``data`` holds the images (uint8 0..16 at size 8, float32 in [0, 1] when
    resized), ``targets`` the int64 labels.
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, split: str = "train", image_size: int = 8, transform: Callable | None = None,
                 target_transform: Callable | None = None, test_fraction: float = 0.2, split_seed: int = 0):
        images, labels = _select(split, image_size, test_fraction, split_seed)
        super().__init__(images, labels, transform, target_transform, max_value=_MAX_PIXEL)
        self.split = split
