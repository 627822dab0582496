"""Plots of scalar functions and their derivatives, the derivatives taken by tinynn's autograd.

``plot_functions({"relu": F.relu, "tanh": torch.tanh}, x_range=(-4, 4))`` draws one panel per
function: the function as a solid line and, dashed, its derivative ``dy/dx``. The derivative is
not typed in by hand: the function runs on a tensor that requires grad and ``y.sum().backward()``
leaves ``dy_i/dx_i`` in ``x.grad`` (for an elementwise function every other ``dy_i/dx_j`` is 0, so
the gradient of the sum is exactly the pointwise derivative).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ._saving import save_figure

__all__ = ["plot_functions", "function_and_derivative"]


def function_and_derivative(fn: Callable, x: np.ndarray, dtype=None) -> tuple[np.ndarray, np.ndarray]:
    """(f(x), f'(x)) for an elementwise tinynn function ``fn``, the derivative by autograd.

    x: a 1-D NumPy array of inputs. ``dtype`` defaults to float64, so the derivative can be
    compared with a closed form to ~1e-12 (pass ``tinynn.float32`` to see single-precision error).
    """
    import tinynn

    dtype = tinynn.float64 if dtype is None else dtype
    xt = tinynn.tensor(np.asarray(x, dtype=np.float64), dtype=dtype, requires_grad=True)
    y = fn(xt)
    if tuple(y.shape) != tuple(xt.shape):
        raise ValueError(f"plot_functions: expected an elementwise function, shape {tuple(xt.shape)} in, "
                         f"got shape {tuple(y.shape)} out")
    y.sum().backward()
    grad = xt.grad.numpy() if xt.grad is not None else np.zeros_like(x, dtype=np.float64)
    return y.detach().numpy().astype(np.float64), grad.astype(np.float64)


def plot_functions(functions: dict[str, Callable], x_range: tuple[float, float] = (-4.0, 4.0),
                   with_derivative: bool = True, points: int = 401, ncols: int = 4,
                   title: str | None = None, path=None):
    """One panel per function: the function (solid) and its autograd derivative (dashed).

    functions: name -> elementwise callable on tinynn tensors (``F.relu``, ``torch.tanh``,
    ``lambda x: F.leaky_relu(x, 0.1)``). x_range: the interval plotted; points: samples in it.
    Returns the matplotlib Figure; saves it to ``path`` when given. Each panel holds exactly one
    line per curve (2 with the derivative, 1 without), so tests can count them.
    """
    import matplotlib.pyplot as plt

    if not functions:
        raise ValueError("plot_functions: expected at least one function, got an empty dict")
    x = np.linspace(x_range[0], x_range[1], points)
    ncols = min(ncols, len(functions))
    nrows = math.ceil(len(functions) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.9 * nrows), squeeze=False)
    for ax, (name, fn) in zip(axes.flat, functions.items()):
        y, dy = function_and_derivative(fn, x)
        ax.plot(x, y, color="tab:blue", lw=2, label=name)
        if with_derivative:
            ax.plot(x, dy, color="tab:orange", lw=1.6, ls="--", label="derivative (autograd)")
        ax.set_title(name)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)" + (", f'(x)" if with_derivative else ""))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in axes.flat[len(functions):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
    return fig
