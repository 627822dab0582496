"""One-axis linear maps (tinynn/ops/resample.py): taps and their transpose, ``AxisTaps`` as a differentiable
op (its backward is itself with the transposed taps), and the taps each mode builds."""
import numpy as np
import pytest

import tinynn
from tinynn.ops.resample import (AxisTaps, Taps, apply_taps, area_taps, cubic_taps, cubic_weights, linear_taps,
                                 nearest_taps)
from tests.helpers import check_gradients, rand


def _dense(taps: Taps) -> np.ndarray:
    """The m x n matrix the taps stand for (reads of the implicit zero at index n dropped)."""
    matrix = np.zeros((taps.m, taps.n + 1))
    weight = np.ones(taps.index.shape) if taps.weight is None else taps.weight
    np.add.at(matrix, (np.arange(taps.m)[:, None].repeat(taps.index.shape[1], 1), taps.index), weight)
    return matrix[:, :taps.n]


TAPS = {
    "nearest up": nearest_taps(3, 7, None, False),
    "nearest-exact down": nearest_taps(7, 3, None, True),
    "linear up": linear_taps(4, 9, False, None, np.float64),
    "linear corners": linear_taps(5, 3, True, None, np.float64),
    "cubic": cubic_taps(4, 6, False, None, np.float64),
    "area": area_taps(5, 3),
}


@pytest.mark.parametrize("name", list(TAPS))
def test_transposed_taps_are_the_transposed_matrix(name):
    taps = TAPS[name]
    np.testing.assert_allclose(_dense(taps.transposed()), _dense(taps).T, atol=1e-15)
    assert taps.transposed().transposed() is taps


@pytest.mark.parametrize("name", list(TAPS))
def test_axis_taps_is_the_matrix_product_and_gradchecks(name):
    taps = TAPS[name]
    x = rand(2, taps.n, 3, seed=1)
    y = AxisTaps.apply(tinynn.tensor(x), 1, taps).numpy()
    np.testing.assert_allclose(y, np.einsum("mn,bnc->bmc", _dense(taps), x), atol=1e-14)
    check_gradients(lambda t: AxisTaps.apply(t, 1, taps), x)


def test_rows_of_weights_sum_to_one():
    for taps in TAPS.values():
        np.testing.assert_allclose(_dense(taps).sum(1), 1.0, atol=1e-12)


def test_cubic_weights_interpolate_and_sum_to_one():
    t = np.linspace(0, 1, 7)
    weights = np.stack(cubic_weights(t), 1)
    np.testing.assert_allclose(weights.sum(1), 1.0, atol=1e-15)
    np.testing.assert_allclose(weights[0], [0, 1, 0, 0], atol=1e-15)        # t = 0 reads the pixel itself


def test_identity_map_is_skipped_and_nothing_is_copied():
    x = tinynn.tensor(rand(3, 4, seed=2))
    assert apply_taps(x, 1, nearest_taps(4, 4, None, False)) is x


def test_area_taps_read_zeros_for_narrow_windows():
    taps = area_taps(5, 3)                 # windows [0, 2), [1, 4), [3, 5)
    assert taps.reads_zero and taps.index.shape == (3, 3)
    np.testing.assert_allclose(_dense(taps), [[.5, .5, 0, 0, 0], [0, 1 / 3, 1 / 3, 1 / 3, 0], [0, 0, 0, .5, .5]])
