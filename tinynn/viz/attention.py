"""Attention weights as heat maps: which source position each query position looks at.

A row of an attention matrix is a probability distribution (it sums to 1) over the source
positions, so a heat map with queries down the side and sources along the top shows the alignment
the model learned: a diagonal for copying, an anti-diagonal for reversing.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ._saving import save_figure

__all__ = ["plot_attention"]


def _as_array(weights) -> np.ndarray:
    """A NumPy array from a tinynn tensor, a NumPy array or nested lists (no gradient kept)."""
    if hasattr(weights, "detach"):
        weights = weights.detach()
    if hasattr(weights, "numpy"):
        weights = weights.numpy()
    return np.asarray(weights, dtype=np.float64)


def plot_attention(weights, x_labels: Sequence | None = None, y_labels: Sequence | None = None,
                   path=None, title: str | None = None, titles: Sequence[str] | None = None,
                   cmap: str = "viridis"):
    """Draw attention weights as heat map(s) with a colorbar; return the matplotlib Figure.

    weights: (L, S) for one map, or (heads, L, S) for one map per head (drawn side by side,
    sharing one colour scale). Rows are the L query (target) positions, columns the S key
    (source) positions; entry (i, j) is how much query i attends to key j.
    x_labels: S labels for the key positions (e.g. input tokens); y_labels: L labels for queries.
    title: the figure's title; titles: one title per map (default "head 0", "head 1", ...).
    path: if given, the figure is also saved there (PNG, etc.).
    """
    import matplotlib.pyplot as plt

    maps = _as_array(weights)
    if maps.ndim == 2:
        maps = maps[None]
    if maps.ndim != 3:
        raise ValueError(f"plot_attention: expected weights of shape (L, S) or (heads, L, S), got {maps.shape}")
    heads, L, S = maps.shape
    if x_labels is not None and len(x_labels) != S:
        raise ValueError(f"plot_attention: {len(x_labels)} x_labels for {S} key positions")
    if y_labels is not None and len(y_labels) != L:
        raise ValueError(f"plot_attention: {len(y_labels)} y_labels for {L} query positions")
    if titles is not None and len(titles) != heads:
        raise ValueError(f"plot_attention: {len(titles)} titles for {heads} maps")

    cols = min(heads, 4)
    rows = math.ceil(heads / cols)
    cell = 0.32  # inches per matrix entry, clamped so tiny and large maps both stay readable
    width = min(max(S * cell, 2.6), 6.0)
    height = min(max(L * cell, 2.4), 6.0)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * width + 1.2, rows * height + 0.6), squeeze=False,
                             layout="constrained")
    vmin, vmax = float(maps.min()), float(maps.max())
    image = None
    for h in range(rows * cols):
        ax = axes[h // cols][h % cols]
        if h >= heads:
            ax.axis("off")
            continue
        image = ax.imshow(maps[h], cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
        if h + cols >= heads:  # the lowest map in its column
            ax.set_xlabel("key (source) position")
        if h % cols == 0:
            ax.set_ylabel("query (target) position")
        if titles is not None:
            ax.set_title(titles[h])
        elif heads > 1:
            ax.set_title(f"head {h}")
        for labels, set_ticks, set_labels, n in ((x_labels, ax.set_xticks, ax.set_xticklabels, S),
                                                 (y_labels, ax.set_yticks, ax.set_yticklabels, L)):
            if labels is not None:
                set_ticks(range(n))
                set_labels([str(label) for label in labels], fontsize=8 if n > 12 else 10)
    fig.colorbar(image, ax=axes.ravel().tolist(), label="attention weight", shrink=0.8)
    fig.suptitle(title or ("attention weights" if heads == 1 else f"attention weights ({heads} heads)"))
    save_figure(fig, path)
    return fig
