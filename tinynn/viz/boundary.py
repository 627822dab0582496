"""Decision boundaries: what a 2-D classifier answers at every point of the plane.

``plot_decision_boundary(model, X, y)`` evaluates the model on a grid covering the data, fills the
plane with its answer and draws the points on top:

- binary models (output of shape (N,) or (N, 1)): the probability of class 1 as a shaded map,
  with the 0.5 level (the boundary itself) drawn as a black line. Logits are passed through a
  sigmoid first (``output="auto"`` decides: any value outside [0, 1] means logits).
- multi-class models (output (N, K), K >= 2): the predicted class ``argmax`` as coloured regions.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ._saving import save_figure

__all__ = ["plot_decision_boundary", "predict_grid"]


def _numpy(values) -> np.ndarray:
    if hasattr(values, "detach"):  # a tinynn tensor
        return values.detach().numpy()
    return np.asarray(values)


def predict_grid(model_or_fn: Callable, X, resolution: int = 200, margin: float = 0.15):
    """Evaluate a 2-D classifier on a ``resolution x resolution`` grid around the points X: (N, 2).

    Returns (xs, ys, outputs) with outputs a NumPy array (resolution, resolution[, K]) of the
    model's raw answers. A Module is run in eval mode (restored afterwards), without gradients.
    """
    import tinynn

    points = _numpy(X).astype(np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: expected points of shape (N, 2), got {points.shape}")
    low, high = points.min(axis=0), points.max(axis=0)
    pad = margin * np.maximum(high - low, 1e-6)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)

    was_training = getattr(model_or_fn, "training", None)
    if was_training:
        model_or_fn.eval()
    try:
        with tinynn.no_grad():
            out = _numpy(model_or_fn(tinynn.tensor(grid, dtype=tinynn.float32))).astype(np.float64)
    finally:
        if was_training:
            model_or_fn.train()
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape[0] != grid.shape[0] or out.ndim > 2:
        raise ValueError(f"plot_decision_boundary: expected the model to answer (N,), (N, 1) or (N, K) "
                         f"for N = {grid.shape[0]} points, got {out.shape}")
    return xs, ys, out.reshape(resolution, resolution, *out.shape[1:])


def plot_decision_boundary(model_or_fn: Callable, X, y, resolution: int = 200, output: str = "auto",
                           title: str = "decision boundary", ax=None, path=None):
    """Fill the plane with a 2-D classifier's answer and scatter the labelled points on top.

    model_or_fn: a Module or any callable taking a float32 tensor (N, 2) and returning logits or
    probabilities (N,), (N, 1) for two classes, or (N, K) class scores. X: (N, 2) points and
    y: (N,) integer labels (tensors or arrays). output: "auto", "logits" or "probabilities" (for
    binary models: how to read the answer). ax: draw into these axes instead of a new figure.
    Returns the Figure; saves it to ``path`` when given.
    """
    import matplotlib.pyplot as plt

    if output not in ("auto", "logits", "probabilities"):
        raise ValueError(f"plot_decision_boundary: output must be 'auto', 'logits' or 'probabilities', got {output!r}")
    xs, ys, out = predict_grid(model_or_fn, X, resolution)
    points, labels = _numpy(X), _numpy(y).reshape(-1).astype(int)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 4.4))
    else:
        fig = ax.figure

    if out.ndim == 2:  # binary: one score per point
        from matplotlib.colors import ListedColormap

        logits = output == "logits" or (output == "auto" and (out.min() < 0 or out.max() > 1))
        prob = 1 / (1 + np.exp(-np.clip(out, -60, 60))) if logits else out
        filled = ax.contourf(xs, ys, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.45)
        if prob.min() < 0.5 < prob.max():
            ax.contour(xs, ys, prob, levels=[0.5], colors="k", linewidths=1.5)
        fig.colorbar(filled, ax=ax, label="P(class 1)")
        cmap, vmin, vmax = ListedColormap(["#2166ac", "#d6604d"]), 0, 1  # the map's blue and red
    else:  # multi-class: the predicted class, one colour per class (centred on the integers)
        n_classes = out.shape[-1]
        cmap, vmin, vmax = plt.get_cmap("tab10", n_classes), -0.5, n_classes - 0.5
        ax.contourf(xs, ys, out.argmax(-1), levels=np.arange(n_classes + 1) - 0.5, cmap=cmap,
                    alpha=0.35, vmin=vmin, vmax=vmax)
    ax.scatter(points[:, 0], points[:, 1], c=labels, cmap=cmap, vmin=vmin, vmax=vmax, s=14,
               edgecolors="k", linewidths=0.4)
    ax.set(xlabel="x1", ylabel="x2", title=title, xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]))
    save_figure(fig, path)
    return fig
