"""What the image data sets share: a map-style Dataset over uint8 images, and image resizing.

    ImageClassificationDataset   images (N, H, W) uint8 + labels (N,); sample i is
                                 (transform(image_i), target_transform(label_i))
    to_float_images              uint8 (N, H, W) -> float32 (N, 1, H, W) in [0, 1]
    resize_bilinear              (N, H, W) -> (N, H', W') by bilinear interpolation
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..creation import from_numpy
from ..tensor import Tensor
from ..utils.data import Dataset

__all__ = ["ImageClassificationDataset", "to_float_images", "resize_bilinear"]


def to_float_images(images: np.ndarray, max_value: float = 255.0) -> np.ndarray:
    """Integer images (N, H, W) -> float32 (N, 1, H, W) scaled to [0, 1] by ``max_value``.

    Float images are taken to be in [0, 1] already and are only cast. The new axis of size 1 is
    the channel axis that Conv2d expects: (N, C, H, W) with C = 1.
    """
    scale = 1.0 if images.dtype.kind == "f" else max_value
    return (images.astype(np.float32) / np.float32(scale))[:, None, :, :]


def _interpolation_matrix(n_in: int, n_out: int) -> np.ndarray:
    """The (n_out, n_in) matrix that resamples a length-n_in signal to n_out points, linearly.

    Pixels are treated as cells: output pixel j's centre lies at input coordinate
    x = (j + 0.5) * n_in / n_out - 0.5 (PyTorch's ``align_corners=False``). It takes
    (1 - t) of input pixel floor(x) and t of the next one, t = x - floor(x), clamped at the edges.
    """
    x = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    x = np.clip(x, 0, n_in - 1)
    left = np.floor(x).astype(int)
    right = np.minimum(left + 1, n_in - 1)
    t = x - left
    weights = np.zeros((n_out, n_in))
    weights[np.arange(n_out), left] += 1 - t
    weights[np.arange(n_out), right] += t
    return weights


def resize_bilinear(images: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Resize images (N, H, W) to (N, H', W') by bilinear interpolation; returns float64.

    Bilinear interpolation is separable: resample every column (rows matrix R: (H', H)), then every
    row (columns matrix C: (W', W)), which is two matrix products: out = R @ image @ C^T.
    """
    out_h, out_w = (size, size) if isinstance(size, int) else size
    rows = _interpolation_matrix(images.shape[1], out_h)
    cols = _interpolation_matrix(images.shape[2], out_w)
    return np.einsum("ih,nhw,jw->nij", rows, images.astype(np.float64), cols, optimize=True)


class ImageClassificationDataset(Dataset):
    """Images with integer labels, as a map-style Dataset for ``DataLoader``.

    images: (N, H, W), integers 0..max_value (uint8) or floats in [0, 1]; labels: (N,) integers;
    kept as tensors in ``self.data`` and ``self.targets`` (torchvision's names). ``dataset[i]`` is
    ``(image, label)``: the image a float32 tensor (1, H, W) in [0, 1], the label a Python int, each passed
    through ``transform`` / ``target_transform`` when given. A DataLoader stacks them into
    (B, 1, H, W) float32 and (B,) int64.
    """

    classes: Sequence[str] = ()

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform: Callable | None = None,
                 target_transform: Callable | None = None, max_value: float = 255.0):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"expected images (N, H, W) and labels (N,), got shapes {images.shape} "
                             f"and {labels.shape}")
        self.data = from_numpy(np.ascontiguousarray(images if images.dtype.kind == "f" else images.astype(np.uint8)))
        self.targets = from_numpy(np.asarray(labels, dtype=np.int64))
        self.transform = transform
        self.target_transform = target_transform
        self.max_value = max_value

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int):
        image = from_numpy(to_float_images(self.data.numpy()[index][None], self.max_value)[0])
        label = int(self.targets.numpy()[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def tensors(self) -> tuple[Tensor, Tensor]:
        """All samples at once, untransformed: float32 images (N, 1, H, W) in [0, 1], int64 labels (N,)."""
        return from_numpy(to_float_images(self.data.numpy(), self.max_value)), self.targets

    def __repr__(self) -> str:
        h, w = self.data.shape[1:]
        return f"{type(self).__name__}({len(self)} images of {h}x{w}, {len(self.classes) or '?'} classes)"
