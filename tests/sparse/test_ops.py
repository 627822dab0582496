"""The ops underneath tinynn.sparse: SegmentSum, SparseDenseMatmul, and the coordinate bookkeeping."""
import numpy as np

import tinynn
from tests.helpers import check_gradients, rand
from tinynn.sparse.ops import (
    SegmentSum, SparseDenseMatmul, flat_positions, group_coordinates, group_max, unflatten_positions,
)


def test_segment_sum_adds_rows_that_share_a_segment():
    segment = np.array([2, 0, 2, 2])
    out = SegmentSum.apply(tinynn.tensor([[1.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]]), segment=segment, num_segments=4)
    assert out.tolist() == [[2, 3], [0, 0], [11, 13], [0, 0]]
    check_gradients(lambda x: SegmentSum.apply(x, segment=segment, num_segments=4), rand(4, 2))


def test_sparse_dense_matmul_equals_the_dense_product():
    rows, cols = np.array([0, 2, 2, 0]), np.array([1, 0, 1, 1])
    values, dense = rand(4), rand(2, 3, seed=1)
    a = np.zeros((3, 2))
    np.add.at(a, (rows, cols), values)
    out = SparseDenseMatmul.apply(tinynn.tensor(values), tinynn.tensor(dense), rows=rows, cols=cols, num_rows=3)
    np.testing.assert_allclose(out.numpy(), a @ dense, rtol=1e-12)
    check_gradients(lambda v, d: SparseDenseMatmul.apply(v, d, rows=rows, cols=cols, num_rows=3), values, dense)
    check_gradients(lambda v, d: SparseDenseMatmul.apply(v, d, rows=rows, cols=cols, num_rows=3), values, dense[:, 0])


def test_coordinate_bookkeeping():
    indices = np.array([[1, 0, 1, 0], [2, 1, 2, 0]])
    flat = flat_positions(indices, (2, 3))
    assert flat.tolist() == [5, 1, 5, 0]
    assert unflatten_positions(flat, (2, 3)).tolist() == indices.tolist()
    unique, group, count = group_coordinates(indices, (2, 3))
    assert unique.tolist() == [[0, 0, 1], [0, 1, 2]] and group.tolist() == [2, 1, 2, 0] and count == 3
    assert group_max(np.array([1.0, -2.0, 3.0, 0.5]), group, 3).tolist() == [0.5, -2.0, 3.0]
    empty = group_coordinates(np.zeros((2, 0), dtype=np.int64), (2, 3))
    assert empty[0].shape == (2, 0) and empty[2] == 0
