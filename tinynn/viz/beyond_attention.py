"""Plots for lesson 18 (beyond attention): graphs with their node classes, cost against sequence
length, and images side by side.

    spring_layout(edge_index, num_nodes)       node positions from a force simulation (NumPy only)
    plot_graph(edge_index, node_colors, ...)   a graph, nodes coloured by class, some highlighted
    plot_scaling(lengths, series, ...)         time or memory against sequence length, log-log
    plot_image_row(images, ...)                images in a row with titles (fits of one picture)
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..tensor import Tensor
from ._saving import save_figure

__all__ = ["spring_layout", "plot_graph", "plot_scaling", "plot_image_row"]


def _numpy(values) -> np.ndarray:
    if isinstance(values, Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def _edges(edge_index) -> np.ndarray:
    edges = _numpy(edge_index)
    if edges.ndim != 2 or edges.shape[0] != 2:
        raise ValueError(f"expected edge_index of shape (2, E), got {edges.shape}")
    return edges.astype(np.int64)


def spring_layout(edge_index, num_nodes: int | None = None, iterations: int = 200, seed: int = 0) -> np.ndarray:
    """(N, 2) positions in [-1, 1]^2 by Fruchterman and Reingold's force simulation.

    Every pair of nodes repels with force k^2 / d, every edge pulls with d^2 / k (k = 1/sqrt(N), the
    ideal distance); each step moves nodes along the net force, capped by a temperature that cools
    linearly. Connected groups end up together, which is what a reader looks for in a graph.
    """
    edges = _edges(edge_index)
    n = int(num_nodes if num_nodes is not None else edges.max() + 1)
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-1, 1, size=(n, 2))
    k = 1.0 / np.sqrt(max(n, 1))
    for step in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]                  # (N, N, 2): from j to i
        dist = np.maximum(np.linalg.norm(delta, axis=-1), 1e-3)
        force = (delta / dist[..., None] * (k * k / dist)[..., None]).sum(1)         # repulsion
        pull = pos[edges[0]] - pos[edges[1]]
        pull_len = np.maximum(np.linalg.norm(pull, axis=-1, keepdims=True), 1e-3)
        attraction = pull * pull_len / k                           # d^2 / k along the edge
        np.add.at(force, edges[1], attraction)
        np.add.at(force, edges[0], -attraction)
        temperature = 0.1 * (1 - step / iterations) + 1e-3
        length = np.maximum(np.linalg.norm(force, axis=-1, keepdims=True), 1e-9)
        pos += force / length * np.minimum(length, temperature)
    pos -= pos.mean(0)
    return pos / max(np.abs(pos).max(), 1e-9)


def plot_graph(edge_index, node_colors=None, positions=None, highlight=None, wrong=None,
               title: str | None = None, class_names: Sequence[str] | None = None, show_ids: bool = False, path=None):
    """Draw a graph: edges as lines, nodes coloured by ``node_colors`` (integer classes).

    ``highlight``: node ids drawn with a thick black ring (e.g. the few labelled training nodes);
    ``wrong``: node ids marked with a red cross (misclassified). ``positions`` (N, 2) defaults to
    ``spring_layout``. Returns the Figure (saved to ``path`` when given).
    """
    import matplotlib.pyplot as plt

    edges = _edges(edge_index)
    colors = None if node_colors is None else _numpy(node_colors).astype(np.int64)
    n = int(max(edges.max() + 1, 0 if colors is None else len(colors)))
    pos = spring_layout(edges, n) if positions is None else _numpy(positions)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    for j, i in edges.T:
        ax.plot(pos[[j, i], 0], pos[[j, i], 1], color="0.75", linewidth=0.8, zorder=1)
    palette = plt.get_cmap("tab10")
    classes = np.zeros(n, dtype=np.int64) if colors is None else colors
    for c in np.unique(classes):
        members = classes == c
        name = class_names[c] if class_names is not None and c < len(class_names) else f"class {c}"
        ax.scatter(pos[members, 0], pos[members, 1], s=140, color=palette(c % 10), edgecolors="white",
                   linewidths=0.8, zorder=2, label=name)
    if highlight is not None:
        ids = _numpy(highlight).astype(np.int64)
        ax.scatter(pos[ids, 0], pos[ids, 1], s=260, facecolors="none", edgecolors="black", linewidths=2.2,
                   zorder=3, label="labelled (training)")
    if wrong is not None and len(_numpy(wrong)):
        ids = _numpy(wrong).astype(np.int64)
        ax.scatter(pos[ids, 0], pos[ids, 1], s=90, marker="x", color="red", linewidths=2.2, zorder=4,
                   label="misclassified")
    if show_ids:
        for node in range(n):
            ax.annotate(str(node), pos[node], ha="center", va="center", fontsize=7, zorder=5)
    ax.set_title(title or f"graph: {n} nodes, {edges.shape[1]} edges")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="best", fontsize=8, framealpha=0.85)
    save_figure(fig, path)
    return fig


def plot_scaling(lengths: Sequence[int], series: Mapping[str, Sequence[float]], ylabel: str,
                 title: str | None = None, xlabel: str = "sequence length T", log: bool = True, path=None):
    """One line per name in ``series`` (values at each length), log-log by default.

    On log-log axes a cost growing as T^p is a straight line of slope p, so attention's T^2 and a
    scan's T (log T) separate at a glance; dotted guides of slope 1 and 2 are drawn for reference.
    """
    import matplotlib.pyplot as plt

    lengths = np.asarray(lengths, dtype=float)
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, values in series.items():
        values = np.asarray(values, dtype=float)
        if len(values) != len(lengths):
            raise ValueError(f"plot_scaling: series {name!r} has {len(values)} values for {len(lengths)} lengths")
        ax.plot(lengths, values, marker="o", label=name)
    if log:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        first = [np.asarray(v, dtype=float)[0] for v in series.values()]
        anchor = float(np.min(first)) if first else 1.0
        for power, style in ((1, ":"), (2, "--")):
            ax.plot(lengths, anchor * (lengths / lengths[0]) ** power, style, color="0.6", linewidth=1,
                    label=f"slope {power} (cost ~ T^{power})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    save_figure(fig, path)
    return fig


def plot_image_row(images: Mapping[str, object], title: str | None = None, cmap: str = "gray", path=None):
    """Show images side by side, each with its title (the dict keys): (H, W) or (H, W, 3) in [0, 1]."""
    import matplotlib.pyplot as plt

    if not images:
        raise ValueError("plot_image_row: no images given")
    fig, axes = plt.subplots(1, len(images), figsize=(3.2 * len(images), 3.6), squeeze=False)
    for ax, (name, image) in zip(axes[0], images.items()):
        ax.imshow(np.clip(_numpy(image), 0, 1), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(name, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 0.9 if title else 1))   # leave the top tenth to the suptitle
    save_figure(fig, path)
    return fig
