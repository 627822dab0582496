"""tinynn.viz.images: image grids, learned filters and feature maps as matplotlib Figures."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import tinynn  # noqa: E402
from tinynn.viz import plot_feature_maps, plot_filters, plot_images  # noqa: E402


def shown_images(fig):
    return [image for ax in fig.axes for image in ax.get_images()]


def test_plot_images_titles_each_image_and_marks_mistakes_in_red(tmp_path):
    images = tinynn.rand(5, 1, 8, 8)
    path = tmp_path / "digits.png"
    fig = plot_images(images, labels=[0, 1, 2, 3, 4], predictions=[0, 1, 7, 3, 4], ncols=3, path=path)
    assert len(shown_images(fig)) == 5
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled][2] == "label 2\npred 7"
    colours = [matplotlib.colors.to_hex(ax.title.get_color()) for ax in titled]
    assert colours.count("#ff0000") == 1 and colours[2] == "#ff0000"
    assert path.stat().st_size > 1000
    np.testing.assert_allclose(shown_images(fig)[0].get_array(), images[0, 0].numpy())


def test_plot_images_accepts_grey_arrays_without_labels_and_refuses_bad_shapes():
    fig = plot_images(np.zeros((3, 4, 4)) + np.arange(4))
    assert len(shown_images(fig)) == 3
    assert all(ax.get_title() == "" for ax in fig.axes)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        plot_images(np.zeros((4, 4)))


def test_plot_filters_draws_one_image_per_output_and_input_channel(tmp_path):
    weight = tinynn.randn(6, 2, 3, 3)
    fig = plot_filters(weight, path=tmp_path / "filters.png")
    images = shown_images(fig)
    assert len(images) == 12
    np.testing.assert_allclose(images[3].get_array(), weight[1, 1].numpy())  # row-major (o, c)
    low, high = images[3].get_clim()
    assert low == pytest.approx(-high)  # centred on zero
    assert (tmp_path / "filters.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="O, C, kh, kw"):
        plot_filters(tinynn.randn(3, 3, 3))


def test_plot_feature_maps_shows_the_first_image_of_a_batch(tmp_path):
    activations = tinynn.randn(2, 5, 6, 6)
    fig = plot_feature_maps(activations, ncols=4, path=tmp_path / "maps.png")
    images = shown_images(fig)
    assert len(images) == 5
    np.testing.assert_allclose(images[4].get_array(), activations[0, 4].numpy())
    assert (tmp_path / "maps.png").stat().st_size > 1000
