"""Pictures of images and of what a convolutional network sees: a grid of images with their labels
(``plot_images``), a layer's learned filters (``plot_filters``) and its feature maps
(``plot_feature_maps``).

Each function takes tinynn tensors or NumPy arrays, returns a matplotlib Figure and, given
``path=``, saves it there. matplotlib is imported inside the functions, so ``import tinynn.viz``
stays light.
"""
from __future__ import annotations

import math

import numpy as np

from ._saving import save_figure

__all__ = ["plot_images", "plot_filters", "plot_feature_maps"]


def _as_array(x) -> np.ndarray:
    """A NumPy array from a tinynn tensor (detached, on the CPU), an array or a list."""
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "cpu"):
        x = x.cpu()
    if hasattr(x, "numpy"):
        x = x.numpy()
    return np.asarray(x)


def _grid(plt, count: int, ncols: int, cell: float = 1.3):
    """A figure with ``count`` image axes in rows of ``ncols`` (spare axes hidden, ticks off)."""
    ncols = max(1, min(ncols, count))
    nrows = max(1, math.ceil(count / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(cell * ncols, (cell + 0.35) * nrows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.flat[count:]:
        ax.axis("off")
    return fig, axes.flat[:count]


def plot_images(images, labels=None, predictions=None, ncols: int = 8, title: str | None = None,
                class_names=None, path=None):
    """A grid of images, each titled with its label and, if given, the model's prediction.

    images: (N, H, W), (N, 1, H, W) grey or (N, 3, H, W) colour; each image is scaled to its own
    range. labels, predictions: (N,) class indices. A prediction that differs from its label is
    titled in red. Returns the Figure.
    """
    import matplotlib.pyplot as plt

    images = _as_array(images)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    elif images.ndim == 4 and images.shape[1] == 3:
        images = images.transpose(0, 2, 3, 1)  # (N, H, W, 3): matplotlib's colour layout
    elif images.ndim != 3:
        raise ValueError(f"plot_images: expected images (N, H, W), (N, 1, H, W) or (N, 3, H, W), "
                         f"got shape {images.shape}")
    labels = None if labels is None else _as_array(labels).reshape(-1)
    predictions = None if predictions is None else _as_array(predictions).reshape(-1)

    def name(k):
        return str(class_names[int(k)]) if class_names is not None else str(int(k))

    fig, axes = _grid(plt, len(images), ncols)
    for i, ax in enumerate(axes):
        image = images[i].astype(np.float64)
        if image.ndim == 3:  # colour: scale to [0, 1] for imshow
            image = (image - image.min()) / max(image.max() - image.min(), 1e-12)
            ax.imshow(image)
        else:
            ax.imshow(image, cmap="gray_r")  # dark ink on white paper
        parts, wrong = [], False
        if labels is not None:
            parts.append(f"label {name(labels[i])}")
        if predictions is not None:
            parts.append(f"pred {name(predictions[i])}")
            wrong = labels is not None and int(predictions[i]) != int(labels[i])
        if parts:
            ax.set_title("\n".join(parts), fontsize=8, color="red" if wrong else "black")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_filters(weight, ncols: int = 8, title: str = "learned filters", path=None):
    """A convolution layer's filters, one small image per (output channel, input channel) pair.

    weight: (O, C, kh, kw), e.g. ``conv.weight``. Each filter uses a diverging colour map centred
    on zero (red positive, blue negative), so what a filter detects reads at a glance.
    """
    import matplotlib.pyplot as plt

    weight = _as_array(weight)
    if weight.ndim != 4:
        raise ValueError(f"plot_filters: expected a weight of shape (O, C, kh, kw), got {weight.shape}")
    out_channels, in_channels = weight.shape[:2]
    filters = weight.reshape(out_channels * in_channels, *weight.shape[2:])
    fig, axes = _grid(plt, len(filters), ncols if in_channels == 1 else in_channels)
    for i, ax in enumerate(axes):
        limit = max(np.abs(filters[i]).max(), 1e-12)
        ax.imshow(filters[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
        o, c = divmod(i, in_channels)
        ax.set_title(f"{o}" if in_channels == 1 else f"{o}:{c}", fontsize=7)
    fig.suptitle(f"{title} ({out_channels} x {in_channels} x {weight.shape[2]} x {weight.shape[3]})")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_feature_maps(activations, ncols: int = 8, title: str = "feature maps", path=None):
    """The channels of one layer's output for one image, each as a small image.

    activations: (C, H, W), or (N, C, H, W) of which the first image is shown.
    """
    import matplotlib.pyplot as plt

    maps = _as_array(activations)
    if maps.ndim == 4:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(f"plot_feature_maps: expected (C, H, W) or (N, C, H, W), got {maps.shape}")
    fig, axes = _grid(plt, len(maps), ncols)
    for i, ax in enumerate(axes):
        ax.imshow(maps[i], cmap="viridis")
        ax.set_title(f"{i}", fontsize=7)
    fig.suptitle(f"{title} ({maps.shape[0]} channels of {maps.shape[1]} x {maps.shape[2]}, numbered)")
    fig.tight_layout()
    return save_figure(fig, path)
