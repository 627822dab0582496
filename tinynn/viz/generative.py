"""Plots for generative models of 2-D data: how samples compare with the data they imitate.

``plot_sample_grid``        scatter panels side by side (snapshots over training, one setup against
                            another, one guidance scale per panel), the target shown in grey behind.
``plot_density_comparison`` 2-D histograms on one grid and one colour scale: where the mass is.
``plot_diffusion_trajectories`` paths of points from noise to data, the way a sampler moves them.

Each takes tensors (read without gradient, copied to the host) or NumPy arrays of points (N, 2),
returns a matplotlib Figure and, given ``path=``, also saves it.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from ._saving import save_figure

__all__ = ["plot_sample_grid", "plot_density_comparison", "plot_diffusion_trajectories"]


def _points(values, name: str, who: str, ndim: int = 2) -> np.ndarray:
    """A tensor or array as a host float array; ``ndim`` 2 means points (N, 2), 3 means (S, N, 2)."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=float)
    if array.ndim != ndim or array.shape[-1] != 2:
        shape = "(N, 2)" if ndim == 2 else "(steps, N, 2)"
        raise ValueError(f"{who}: {name} must be 2-D points of shape {shape}, got shape {array.shape}")
    return array


def _bounds(arrays: Sequence[np.ndarray], margin: float = 0.1) -> tuple[float, float, float, float]:
    """A box around the points (x0, x1, y0, y1), widened by ``margin`` of its size on each side."""
    stacked = np.concatenate([a.reshape(-1, 2) for a in arrays])
    low, high = stacked.min(axis=0), stacked.max(axis=0)
    pad = margin * np.maximum(high - low, 1e-6)
    return low[0] - pad[0], high[0] + pad[0], low[1] - pad[1], high[1] + pad[1]


def _grid(count: int, ncols: int | None, size: float):
    import matplotlib.pyplot as plt

    ncols = min(count, ncols or 4)
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4), squeeze=False)
    for ax in axes.flat[count:]:
        ax.axis("off")
    return fig, list(axes.flat[:count])


def plot_sample_grid(panels: Mapping[str, object], target=None, labels: Mapping[str, object] | None = None,
                     ncols: int | None = None, limits: tuple[float, float, float, float] | None = None,
                     point_size: float = 3.0, title: str | None = None, path=None):
    """One scatter panel per entry of ``panels`` ({panel title: points (N, 2)}), on shared axes.

    target: points (M, 2) of the data distribution, drawn in light grey behind every panel, so a
        model's samples can be judged against it (a missed mode shows as grey without colour).
    labels: optional {panel title: class ids (N,)} colouring that panel's points by class.
    limits: (x_min, x_max, y_min, y_max) for every panel; by default the target's box (or all the
        points' box without a target) with a margin. Points far outside are simply not shown.
    ncols: panels per row (default up to 4). point_size: marker area. title: the figure title.
    """
    who = "plot_sample_grid"
    if not panels:
        raise ValueError(f"{who}: needs at least one panel, got none")
    points = {name: _points(values, f"panel {name!r}", who) for name, values in panels.items()}
    target_points = None if target is None else _points(target, "target", who)
    if limits is None:
        limits = _bounds([target_points] if target_points is not None else list(points.values()))
    fig, axes = _grid(len(points), ncols, 2.8)
    for ax, (name, xy) in zip(axes, points.items()):
        if target_points is not None:
            ax.scatter(target_points[:, 0], target_points[:, 1], s=point_size, color="0.8", label="data",
                       rasterized=True)
        colour = None
        if labels is not None and name in labels:
            colour = np.asarray(labels[name].detach().cpu().numpy() if hasattr(labels[name], "detach")
                                else labels[name])
            if colour.shape != (len(xy),):
                raise ValueError(f"{who}: labels for {name!r} must have shape ({len(xy)},), got {colour.shape}")
        if colour is None:
            ax.scatter(xy[:, 0], xy[:, 1], s=point_size, color="C0", rasterized=True)
        else:  # class ids 0..9 on matplotlib's ten distinct colours
            ax.scatter(xy[:, 0], xy[:, 1], s=point_size, c=colour, cmap="tab10", vmin=-0.5, vmax=9.5,
                       rasterized=True)
        ax.set_xlim(limits[0], limits[1])
        ax.set_ylim(limits[2], limits[3])
        ax.set_aspect("equal")
        ax.set_title(str(name), fontsize=10)
        ax.set_xlabel("$x_1$", fontsize=8)
        ax.set_ylabel("$x_2$", fontsize=8)
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
    return fig


def plot_density_comparison(panels: Mapping[str, object], bins: int = 60,
                            range: tuple[tuple[float, float], tuple[float, float]] | None = None,
                            ncols: int | None = None, title: str | None = None, path=None):
    """The 2-D histogram of each entry of ``panels`` ({title: points (N, 2)}), side by side.

    All panels share the grid (``bins`` per axis over ``range`` = ((x_min, x_max), (y_min, y_max)),
    by default the box around all points) and one colour scale of probability per bin, drawn with a
    square-root colour map so thin regions stay visible: what differs between two panels is where
    the mass lies, not how it was scaled.
    """
    from matplotlib.colors import PowerNorm

    who = "plot_density_comparison"
    if not panels:
        raise ValueError(f"{who}: needs at least one panel, got none")
    points = {name: _points(values, f"panel {name!r}", who) for name, values in panels.items()}
    if range is None:
        x0, x1, y0, y1 = _bounds(list(points.values()), margin=0.02)
        range = ((x0, x1), (y0, y1))
    histograms = {}
    for name, xy in points.items():
        counts, _, _ = np.histogram2d(xy[:, 0], xy[:, 1], bins=bins, range=range)
        histograms[name] = counts / max(len(xy), 1)
    vmax = max(h.max() for h in histograms.values()) or 1.0
    fig, axes = _grid(len(points), ncols, 2.8)
    for ax, (name, hist) in zip(axes, histograms.items()):
        image = ax.imshow(hist.T, origin="lower", extent=(*range[0], *range[1]), aspect="equal",
                          cmap="magma", norm=PowerNorm(0.5, vmin=0.0, vmax=vmax))
        ax.set_title(str(name), fontsize=10)
        ax.set_xlabel("$x_1$", fontsize=8)
        ax.set_ylabel("$x_2$", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.colorbar(image, ax=axes, shrink=0.8, label="fraction of samples per bin")
    if title:
        fig.suptitle(title)
    save_figure(fig, path)
    return fig


def plot_diffusion_trajectories(trajectories, target=None, num_paths: int = 40, title: str | None = None,
                                path=None):
    """Paths of points through a sampler: ``trajectories`` (steps, N, 2), first row the starting
    noise, last row the samples. Draws ``num_paths`` of the N paths, coloured from start (dark) to
    end (bright), starts as grey crosses and ends as dots, over the target in light grey.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    who = "plot_diffusion_trajectories"
    paths = _points(trajectories, "trajectories", who, ndim=3)
    if paths.shape[0] < 2:
        raise ValueError(f"{who}: needs at least 2 steps per path, got {paths.shape[0]}")
    if num_paths < 1:
        raise ValueError(f"{who}: num_paths must be at least 1, got {num_paths}")
    chosen = paths[:, : min(num_paths, paths.shape[1])]
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    if target is not None:
        target_points = _points(target, "target", who)
        ax.scatter(target_points[:, 0], target_points[:, 1], s=3, color="0.85", label="data", rasterized=True)
    steps = chosen.shape[0]
    progress = np.linspace(0.0, 1.0, steps - 1)
    for index in np.arange(chosen.shape[1]):
        segments = np.stack([chosen[:-1, index], chosen[1:, index]], axis=1)  # (steps-1, 2 ends, 2)
        ax.add_collection(LineCollection(segments, array=progress, cmap="viridis", linewidths=0.9))
    ax.scatter(chosen[0, :, 0], chosen[0, :, 1], marker="x", s=14, color="0.4", label="start (noise)")
    ax.scatter(chosen[-1, :, 0], chosen[-1, :, 1], s=14, color="#fde725", edgecolors="k", linewidths=0.4,
               label="end (sample)", zorder=3)
    ax.set_xlim(*_bounds([chosen] + ([target_points] if target is not None else []), 0.05)[:2])
    ax.set_ylim(*_bounds([chosen] + ([target_points] if target is not None else []), 0.05)[2:])
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title if title is not None else f"{chosen.shape[1]} sampling paths over {steps - 1} steps")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    save_figure(fig, path)
    return fig
