"""Point sampling's pieces (tinynn/ops/grid_sample.py): the gather of pixel values and its adjoint, the
reflection of positions, and the border clamp whose gradient stops at the border."""
import numpy as np
import pytest

import tinynn
from tinynn.ops.grid_sample import GatherPoints, ScatterPoints, clip_position, reflect_position
from tests.helpers import check_gradients, rand


def test_gather_points_reads_pixels():
    x = tinynn.tensor(rand(2, 3, 5, seed=1))
    index = np.array([[0, 4, 3, 4], [2, 2, 1, 0]])
    y = GatherPoints.apply(x, index).numpy()
    np.testing.assert_array_equal(y[0, :, 1], x.numpy()[0, :, 4])
    np.testing.assert_array_equal(y[1, :, 2], x.numpy()[1, :, 1])
    check_gradients(lambda t: GatherPoints.apply(t, index), x.numpy())


def test_scatter_points_is_the_adjoint_and_accumulates_repeats():
    index = np.array([[0, 4, 3, 4], [2, 2, 1, 0]])
    x, g = rand(2, 3, 5, seed=2), rand(2, 3, 4, seed=3)
    gathered = GatherPoints.apply(tinynn.tensor(x), index).numpy()
    scattered = ScatterPoints.apply(tinynn.tensor(g), index, 5).numpy()
    assert (gathered * g).sum() == pytest.approx((x * scattered).sum(), rel=1e-12)
    np.testing.assert_allclose(scattered[1, :, 2], g[1, :, 0] + g[1, :, 1])
    check_gradients(lambda t: ScatterPoints.apply(t, index, 5), g)


def test_reflect_position_folds_back_into_range():
    p = tinynn.tensor([-0.5, 0.0, 1.25, 3.0, 3.5, 7.0, -4.25], dtype=tinynn.float64)
    np.testing.assert_allclose(reflect_position(p, 0, 6).numpy(), [0.5, 0.0, 1.25, 3.0, 2.5, 1.0, 1.75])
    check_gradients(lambda t: reflect_position(t, -1, 5), np.array([-0.7, 0.3, 2.2, 4.9, 6.1]))


def test_clip_position_has_no_gradient_on_the_border():
    p = tinynn.tensor([-1.0, 0.0, 1.5, 3.0, 4.0], dtype=tinynn.float64, requires_grad=True)
    out = clip_position(p, 4)
    assert out.tolist() == [0.0, 0.0, 1.5, 3.0, 3.0]
    out.sum().backward()
    assert p.grad.tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]
