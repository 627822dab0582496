"""tinynn.viz.boundary: decision boundaries of binary and multi-class 2-D classifiers."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import tinynn  # noqa: E402
import tinynn.nn as nn  # noqa: E402
from tinynn.viz import plot_decision_boundary, predict_grid  # noqa: E402

X = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
y = np.array([0, 1, 0, 1])


def test_binary_logits_are_read_through_a_sigmoid(tmp_path):
    path = tmp_path / "b.png"
    fig = plot_decision_boundary(lambda t: 5 * t[:, 0], tinynn.tensor(X), tinynn.tensor(y), resolution=50, path=path)
    assert isinstance(fig, Figure)
    assert path.stat().st_size > 1000
    ax = fig.axes[0]
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points.get_offsets()) == 4
    xs, ys, out = predict_grid(lambda t: 5 * t[:, 0], X, resolution=50)
    assert out.shape == (50, 50)
    assert np.all((out > 0) == (xs[None, :] > 0))  # the boundary is the line x1 = 0


def test_multiclass_argmax_and_module_mode_restored():
    model = nn.Linear(2, 3)
    assert model.training
    fig = plot_decision_boundary(model, X, np.array([0, 1, 2, 1]), resolution=30)
    assert model.training  # put back in training mode after the eval-mode pass
    assert len(fig.axes) == 1  # no colorbar for class regions
    _, _, out = predict_grid(model, X, resolution=30)
    assert out.shape == (30, 30, 3)


def test_draws_into_given_axes_and_refuses_bad_shapes():
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2)
    assert plot_decision_boundary(lambda t: tinynn.sigmoid(t[:, 1]), X, y, resolution=20, ax=b) is fig
    assert b.get_title() == "decision boundary" and len(b.collections) >= 2
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_decision_boundary(lambda t: t[:, 0], np.zeros((4, 3)), y)
    with pytest.raises(ValueError, match="output"):
        plot_decision_boundary(lambda t: t[:, 0], X, y, output="scores")
