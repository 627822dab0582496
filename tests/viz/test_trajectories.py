"""tinynn.viz.plot_loss_surface: contours of f(x, y) with one line per optimizer path."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import tinynn  # noqa: E402
from tinynn.viz import plot_loss_surface  # noqa: E402


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def test_paths_drawn_on_the_surface(tmp_path):
    path = tmp_path / "surface.png"
    paths = {"sgd": [(-1.5, 2.0), (-1.0, 1.0), (0.5, 0.2)],
             "adam": np.array([[-1.5, 2.0], [0.0, 0.0], [0.9, 0.8], [1.0, 1.0]]),
             "tensors": [tinynn.tensor([-1.5, 2.0]), tinynn.tensor([1.2, 1.4])]}
    fig = plot_loss_surface(rosenbrock, ((-2, 2), (-1, 3)), paths, path=path, minimum=(1, 1), logz=True,
                            resolution=60)
    assert isinstance(fig, Figure)
    assert path.stat().st_size > 1000
    ax = fig.axes[0]
    named = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label() for line in named] == ["sgd", "adam", "tensors", "minimum"]
    np.testing.assert_allclose(named[1].get_xdata(), [-1.5, 0.0, 0.9, 1.0])
    np.testing.assert_allclose(named[2].get_ydata(), [2.0, 1.4])
    assert len(ax.get_lines()) == 3 * 3 + 1  # each path: its line, a start and an end marker
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1, 3)
    assert len(ax.collections) > 0  # the contours


def test_surface_alone_and_bad_function():
    fig = plot_loss_surface(lambda x, y: x**2 + 10 * y**2, ((-1, 1), (-1, 1)), resolution=30)
    assert len(fig.axes[0].get_lines()) == 0 and fig.axes[0].get_legend() is None
    with pytest.raises(ValueError, match="elementwise"):
        plot_loss_surface(lambda x, y: (x + y).sum(), ((-1, 1), (-1, 1)), resolution=30)
