"""Optimizer paths on a 2-D loss surface: contour lines of f(x, y) with each optimizer's steps.

The picture behind every optimizer comparison: plain SGD zig-zags across a narrow valley, momentum
overshoots and swings back, Adam walks diagonally at a roughly constant speed.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from ._saving import save_figure

__all__ = ["plot_loss_surface"]


def _as_points(points) -> np.ndarray:
    """A list of (x, y) pairs (floats or tensors) or an (T, 2) array/tensor, as a (T, 2) float array."""
    if hasattr(points, "detach"):
        points = points.detach().numpy()
    rows = [[float(v.item() if hasattr(v, "item") else v) for v in point] for point in points]
    array = np.asarray(rows, dtype=float).reshape(-1, 2)
    return array


def plot_loss_surface(fn: Callable, ranges: Sequence[Sequence[float]],
                      trajectories: Mapping[str, Sequence] | None = None, path=None,
                      minimum: Sequence[float] | None = None, logz: bool = False,
                      levels: int = 30, resolution: int = 200, title: str = "optimizer paths on the loss surface",
                      legend: bool = True, ax=None):
    """Contour plot of ``fn`` over a rectangle with optimizer trajectories drawn on it; return the Figure.

    fn: ``fn(x, y) -> z`` on tinynn tensors of shape (resolution, resolution), elementwise (the same
        function the optimizers minimized, e.g. ``lambda x, y: (1 - x)**2 + 100 * (y - x**2)**2``).
    ranges: ``((x_min, x_max), (y_min, y_max))``, the rectangle shown.
    trajectories: ``{name: [(x0, y0), (x1, y1), ...]}``, each optimizer's iterates (floats, tensors
        or a (T, 2) array); drawn as a line with small markers, its start as a circle and its end as
        a square. minimum: (x, y) of the known minimum, drawn as a star.
    logz: space the contour levels logarithmically (for surfaces like Rosenbrock's whose values span
        decades; the values must be non-negative). path: also save the figure there.
    legend: label the paths in a legend (turn off for small panels of one path each).
    ax: draw into an existing matplotlib Axes (one panel of a grid) instead of a new figure.
    """
    import matplotlib.pyplot as plt

    import tinynn

    (x_min, x_max), (y_min, y_max) = ranges
    xs = np.linspace(x_min, x_max, resolution)
    ys = np.linspace(y_min, y_max, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    with tinynn.no_grad():
        z = fn(tinynn.tensor(grid_x), tinynn.tensor(grid_y))
    z = np.asarray(z.detach().numpy() if hasattr(z, "detach") else z, dtype=float)
    if z.shape != grid_x.shape:
        raise ValueError(f"plot_loss_surface: fn returned shape {z.shape}, expected {grid_x.shape} "
                         "(fn must work elementwise on the grid tensors)")

    own_figure = ax is None
    if own_figure:
        fig, ax = plt.subplots(figsize=(6.4, 5.2))
    else:
        fig = ax.figure
    if logz:
        # log-spaced levels from just above the smallest value: the valley floor gets contours too
        floor = max(float(z.min()), 1e-12) + 1e-3 * (float(z.max()) - float(z.min()) + 1e-12)
        contour_levels = np.geomspace(floor, float(z.max()), levels)
        z_shown = np.log10(np.maximum(z, 1e-12))
        ax.contourf(grid_x, grid_y, z_shown, levels=levels, cmap="viridis", alpha=0.35)
        ax.contour(grid_x, grid_y, z, levels=contour_levels, colors="gray", linewidths=0.4, alpha=0.7)
    else:
        ax.contourf(grid_x, grid_y, z, levels=levels, cmap="viridis", alpha=0.35)
        ax.contour(grid_x, grid_y, z, levels=levels, colors="gray", linewidths=0.4, alpha=0.7)

    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, (name, points) in enumerate((trajectories or {}).items()):
        path_xy = _as_points(points)
        color = colors[index % len(colors)]
        ax.plot(path_xy[:, 0], path_xy[:, 1], "-", color=color, linewidth=1.5, marker=".",
                markersize=3, label=name)
        ax.plot(path_xy[0, 0], path_xy[0, 1], "o", color=color, markersize=6, label="_start")
        ax.plot(path_xy[-1, 0], path_xy[-1, 1], "s", color=color, markersize=6, label="_end")
    if minimum is not None:
        ax.plot([minimum[0]], [minimum[1]], "*", color="red", markersize=14, label="minimum")
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title)
    if legend and (trajectories or minimum is not None):
        ax.legend(fontsize=8, loc="best")
    if own_figure:
        fig.tight_layout()
    save_figure(fig, path)
    return fig
