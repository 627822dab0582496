"""tinynn.viz.generative: sample scatters, 2-D histogram comparisons and sampler paths."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import tinynn  # noqa: E402
from tinynn.viz import plot_density_comparison, plot_diffusion_trajectories, plot_sample_grid  # noqa: E402


def scatter_offsets(ax):
    return [collection.get_offsets() for collection in ax.collections]


def test_sample_grid_draws_target_behind_each_panel_and_saves(tmp_path):
    target = np.random.default_rng(0).normal(size=(50, 2))
    panels = {"step 0": tinynn.randn(20, 2, requires_grad=True), "step 100": np.ones((30, 2))}
    path = tmp_path / "grid.png"
    fig = plot_sample_grid(panels, target=target, ncols=3, title="samples", path=path)
    shown = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in shown] == ["step 0", "step 100"]
    first, second = scatter_offsets(shown[0]), scatter_offsets(shown[1])
    np.testing.assert_allclose(first[0], target)                    # target first, behind
    np.testing.assert_allclose(first[1], panels["step 0"].detach().numpy(), rtol=1e-6)
    assert len(second[1]) == 30
    # default limits: the target's box with a 10% margin
    low, high = target.min(axis=0), target.max(axis=0)
    assert shown[0].get_xlim() == pytest.approx((low[0] - 0.1 * (high[0] - low[0]), high[0] + 0.1 * (high[0] - low[0])))
    assert fig._suptitle.get_text() == "samples"
    assert path.stat().st_size > 2000


def test_sample_grid_colours_points_by_label_and_checks_shapes():
    points = np.zeros((4, 2)) + np.arange(4)[:, None]
    fig = plot_sample_grid({"a": points}, labels={"a": [0, 1, 1, 0]}, limits=(-1, 5, -1, 5))
    fig.canvas.draw()                                              # colours are mapped when drawn
    colours = fig.axes[0].collections[0].get_facecolors()
    assert len(colours) == 4
    assert np.allclose(colours[0], colours[3]) and not np.allclose(colours[0], colours[1])
    assert np.allclose(colours[0][:3], matplotlib.colors.to_rgb("C0"))  # class 0 is tab10's blue
    assert fig.axes[0].get_xlim() == (-1, 5)
    with pytest.raises(ValueError, match=r"labels for 'a' must have shape \(4,\)"):
        plot_sample_grid({"a": points}, labels={"a": [0, 1]})
    with pytest.raises(ValueError, match=r"\(N, 2\), got shape \(4, 3\)"):
        plot_sample_grid({"a": np.zeros((4, 3))})
    with pytest.raises(ValueError, match="at least one panel"):
        plot_sample_grid({})


def test_density_comparison_shows_normalised_histograms_on_one_scale(tmp_path):
    a = np.array([[0.25, 0.25]] * 3 + [[0.75, 0.75]])
    b = np.array([[0.75, 0.25]] * 2)
    fig = plot_density_comparison({"a": a, "b": b}, bins=2, range=((0, 1), (0, 1)), path=tmp_path / "d.png")
    images = [image for ax in fig.axes for image in ax.get_images()]
    assert len(images) == 2
    # image rows are y, columns x (transposed histogram); values are fractions of each set
    np.testing.assert_allclose(images[0].get_array(), [[0.75, 0.0], [0.0, 0.25]])
    np.testing.assert_allclose(images[1].get_array(), [[0.0, 1.0], [0.0, 0.0]])
    assert images[0].norm.vmax == images[1].norm.vmax == 1.0      # one colour scale for all panels
    assert (tmp_path / "d.png").stat().st_size > 2000


def test_diffusion_trajectories_draw_one_line_per_path():
    steps = np.linspace(0, 1, 6)[:, None, None]
    start, end = np.random.default_rng(1).normal(size=(1, 5, 2)), np.ones((1, 5, 2))
    paths = (1 - steps) * start + steps * end                      # (6, 5, 2): straight lines to (1, 1)
    fig = plot_diffusion_trajectories(tinynn.tensor(paths), target=np.zeros((10, 2)), num_paths=3)
    ax = fig.axes[0]
    lines = [c for c in ax.collections if type(c).__name__ == "LineCollection"]
    assert len(lines) == 3 and all(len(c.get_segments()) == 5 for c in lines)
    np.testing.assert_allclose(lines[0].get_segments()[0], paths[:2, 0], rtol=1e-6)
    ends = [c for c in ax.collections if c.get_label() == "end (sample)"][0]
    np.testing.assert_allclose(ends.get_offsets(), np.ones((3, 2)))
    assert "3 sampling paths over 5 steps" in ax.get_title()
    with pytest.raises(ValueError, match=r"\(steps, N, 2\)"):
        plot_diffusion_trajectories(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="at least 2 steps"):
        plot_diffusion_trajectories(np.zeros((1, 5, 2)))
