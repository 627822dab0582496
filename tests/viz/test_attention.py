"""tinynn.viz.plot_attention: heat maps of attention weights, one per head, with a colorbar."""
import numpy as np
import pytest

import tinynn
from tinynn.viz import plot_attention


def _images(fig):
    return [image for ax in fig.axes for image in ax.get_images()]


def test_single_map_from_a_tensor_writes_a_png(tmp_path):
    weights = tinynn.softmax(tinynn.randn(5, 7), dim=-1)
    path = tmp_path / "attention.png"
    fig = plot_attention(weights, x_labels=list("abcdefg"), y_labels=list("vwxyz"), path=path)
    assert path.stat().st_size > 1000
    (image,) = _images(fig)
    assert image.get_array().shape == (5, 7)
    np.testing.assert_allclose(image.get_array(), weights.numpy(), rtol=1e-6)
    heat = fig.axes[0]
    assert [t.get_text() for t in heat.get_xticklabels()] == list("abcdefg")
    assert len(fig.axes) == 2  # the map and its colorbar


def test_one_map_per_head_sharing_a_colour_scale():
    weights = np.random.default_rng(0).random((3, 4, 6))
    fig = plot_attention(weights)
    images = _images(fig)
    assert len(images) == 3
    assert all(image.get_array().shape == (4, 6) for image in images)
    assert len({image.get_clim() for image in images}) == 1
    assert [ax.get_title() for ax in fig.axes if ax.get_images()] == ["head 0", "head 1", "head 2"]


def test_wrong_shapes_and_label_counts_are_named():
    with pytest.raises(ValueError, match=r"\(L, S\) or \(heads, L, S\)"):
        plot_attention(np.zeros(5))
    with pytest.raises(ValueError, match="3 x_labels for 4 key positions"):
        plot_attention(np.zeros((2, 4)), x_labels=["a", "b", "c"])


def test_maps_can_carry_their_own_titles():
    fig = plot_attention(np.zeros((2, 3, 3)), titles=["padding mask", "causal mask"], title="masks")
    assert [ax.get_title() for ax in fig.axes if ax.get_images()] == ["padding mask", "causal mask"]
    assert fig._suptitle.get_text() == "masks"
    with pytest.raises(ValueError, match="1 titles for 2 maps"):
        plot_attention(np.zeros((2, 3, 3)), titles=["only one"])
