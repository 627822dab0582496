"""The lesson-18 plots: spring layout keeps neighbours close, plots draw what they are given and
save files, and bad input is refused with a clear message."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import tinynn  # noqa: E402
from tinynn.viz import plot_graph, plot_image_row, plot_scaling, spring_layout  # noqa: E402

# two triangles joined by one edge
EDGES = tinynn.tensor([[0, 1, 2, 3, 4, 5, 2], [1, 2, 0, 4, 5, 3, 3]])


def test_spring_layout_puts_neighbours_closer_than_strangers():
    pos = spring_layout(EDGES, iterations=300)
    assert pos.shape == (6, 2) and np.abs(pos).max() == pytest.approx(1.0)
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    within = np.mean([d[0, 1], d[1, 2], d[0, 2], d[3, 4], d[4, 5], d[3, 5]])
    across = np.mean([d[i, j] for i in (0, 1) for j in (4, 5)])
    assert within < 0.7 * across


def test_plot_graph_draws_every_edge_and_saves(tmp_path):
    import matplotlib.pyplot as plt

    fig = plot_graph(EDGES, [0, 0, 0, 1, 1, 1], highlight=[0], wrong=[2], path=tmp_path / "g.png")
    ax = fig.axes[0]
    assert len(ax.lines) == 7                         # one line per edge
    assert (tmp_path / "g.png").stat().st_size > 0
    plt.close(fig)
    with pytest.raises(ValueError, match=r"\(2, E\)"):
        plot_graph(np.zeros((3, 4)))


def test_plot_scaling_and_image_row(tmp_path):
    import matplotlib.pyplot as plt

    fig = plot_scaling([64, 128, 256], {"a": [1, 2, 4], "b": [1, 4, 16]}, "ms", path=tmp_path / "s.png")
    assert len(fig.axes[0].lines) == 4                # two series + two slope guides
    assert (tmp_path / "s.png").stat().st_size > 0
    plt.close(fig)
    with pytest.raises(ValueError, match="has 2 values for 3 lengths"):
        plot_scaling([1, 2, 3], {"a": [1, 2]}, "ms")
    fig = plot_image_row({"x": np.zeros((4, 4)), "y": np.ones((4, 4))}, title="t", path=tmp_path / "i.png")
    assert [a.get_title() for a in fig.axes] == ["x", "y"]
    plt.close(fig)
    with pytest.raises(ValueError, match="no images"):
        plot_image_row({})
