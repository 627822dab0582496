"""How big the gradients are, layer by layer: ``gradient_norms(model)`` reads them off a model after
``backward()``, and ``plot_gradient_norms`` draws one line per run, the first layer on the left,
on a log scale, so vanishing (or exploding) gradients show as a slope.

matplotlib is imported inside the plotting function, so ``import tinynn.viz`` stays light.
"""
from __future__ import annotations

import math

from ._saving import save_figure

__all__ = ["gradient_norms", "plot_gradient_norms"]


def gradient_norms(model, weights_only: bool = True) -> list[tuple[str, float]]:
    """[(parameter name, L2 norm of its gradient)] in the model's order, after ``backward()``.

    weights_only: skip biases and other 1-D parameters (batch-norm scales), whose norms measure
    something else, so the list reads one entry per layer. Parameters without a gradient are
    skipped.
    """
    norms = []
    for name, parameter in model.named_parameters():
        if parameter.grad is None or (weights_only and parameter.dim() < 2):
            continue
        norms.append((name, float(parameter.grad.norm().item())))
    return norms


def plot_gradient_norms(norms: dict, title: str = "gradient norm per layer", log: bool = True,
                        xlabel: str = "layer (input side on the left)", path=None):
    """One line per run: the gradient norm of each layer, first layer first.

    norms: {run name: [norm, ...]} or {run name: [(layer name, norm), ...]} (what
    ``gradient_norms`` returns). The legend gives each run's first-layer / last-layer ratio: far
    below 1, the gradient vanishes on its way back to the input. Returns the Figure.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for run, values in norms.items():
        values = [v[1] if isinstance(v, (tuple, list)) else v for v in values]
        values = [float(v) for v in values]
        label = str(run)
        if values and values[-1] > 0 and all(math.isfinite(v) for v in values):
            label += f"  (first/last {values[0] / values[-1]:.2g})"
        ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=label)
    ax.set(xlabel=xlabel, ylabel="gradient L2 norm", title=title)
    if log:
        ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    if norms:
        ax.legend()
    fig.tight_layout()
    save_figure(fig, path)
    return fig
