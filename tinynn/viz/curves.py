"""Training curves: the loss (or accuracy) of one or several runs, train against validation.

``plot_curves({"adam": adam_losses, "sgd": sgd_losses})`` draws one line per run;
``plot_curves({"mlp": {"train": [...], "val": [...]}})`` draws each run's metrics in one colour,
told apart by line style (train solid, validation dashed), so overfitting shows as the dashed line
turning up while the solid one keeps falling.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ._saving import save_figure

__all__ = ["plot_curves"]

# line style by metric name: the training curve solid, held-out curves dashed, others dotted
_STYLES = {"train": "-", "training": "-", "val": "--", "valid": "--", "validation": "--", "test": ":"}
_SPARE_STYLES = ["-", "--", ":", "-."]


def _as_curve(values) -> np.ndarray:
    """A list of floats, a NumPy array or a 1-D tensor, as a float array."""
    if hasattr(values, "detach"):  # a tinynn (or torch) tensor
        values = values.detach().numpy()
    return np.asarray([float(v) for v in values], dtype=float)


def plot_curves(histories: Mapping[str, Sequence[float] | Mapping[str, Sequence[float]]],
                xlabel: str = "epoch", ylabel: str = "loss", logy: bool = False, path=None,
                title: str | None = None, x: Mapping[str, Sequence[float]] | None = None, ax=None):
    """Plot metric curves of several runs on one set of axes; return the matplotlib Figure.

    histories: ``{run name: [value per step]}`` or ``{run name: {metric name: [value per step]}}``
               (for example ``{"adam": {"train": train_losses, "val": val_losses}}``). Each run gets
               one colour; a run's metrics are told apart by line style ("train" solid, "val" /
               "validation" dashed, "test" dotted). A plain list is accepted as one unnamed run.
    xlabel, ylabel: axis labels. logy: logarithmic y axis (losses spanning decades).
    x: optional ``{run name: [x value per step]}`` when the x axis is not the step index (wall time,
       examples seen, gradient evaluations); a run without an entry is plotted against 1, 2, 3, ...
    title: the axes title (default "<ylabel> per <xlabel>"). ax: draw into an existing matplotlib
       Axes (for side-by-side panels) instead of a new figure. path: also save the figure there.
    """
    import matplotlib.pyplot as plt

    if not isinstance(histories, Mapping):
        histories = {"": histories}
    own_figure = ax is None
    if own_figure:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
    else:
        fig = ax.figure
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, (run, history) in enumerate(histories.items()):
        metrics = history if isinstance(history, Mapping) else {"": history}
        color = colors[index % len(colors)]
        for m_index, (metric, values) in enumerate(metrics.items()):
            ys = _as_curve(values)
            xs = _as_curve(x[run]) if x is not None and run in x else np.arange(1, len(ys) + 1)
            if len(xs) != len(ys):
                raise ValueError(f"plot_curves: run {run!r} has {len(ys)} values but {len(xs)} x values")
            style = _STYLES.get(str(metric).lower(), _SPARE_STYLES[m_index % len(_SPARE_STYLES)])
            label = " ".join(part for part in (str(run), str(metric)) if part) or None
            ax.plot(xs, ys, linestyle=style, color=color, label=label, linewidth=1.6)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title if title is not None else f"{ylabel} per {xlabel}")
    ax.grid(True, alpha=0.3)
    if any(line.get_label() and not line.get_label().startswith("_") for line in ax.get_lines()):
        ax.legend(fontsize=8)
    if own_figure:
        fig.tight_layout()
    save_figure(fig, path)
    return fig
