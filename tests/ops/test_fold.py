"""Sliding windows (tinynn/ops/fold.py): ``Tensor.unfold`` against PyTorch (values, gradients), gradchecks,
the window op and its adjoint, and the errors."""
import numpy as np
import pytest

import tinynn
from tinynn.ops.fold import Windows, WindowsAdjoint
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand

CASES = [((10,), 0, 3, 2), ((4, 5), -1, 2, 1), ((5, 3), 0, 2, 3), ((2, 6, 2), 1, 3, 1), ((4,), 0, 4, 1),
         ((3, 4), 1, 0, 1)]


@pytest.mark.parametrize("shape, dim, size, step", CASES)
def test_tensor_unfold_gradcheck(shape, dim, size, step):
    check_gradients(lambda t: t.unfold(dim, size, step), rand(*shape, seed=1))


@needs_torch
@pytest.mark.parametrize("shape, dim, size, step", CASES)
def test_tensor_unfold_matches_torch(shape, dim, size, step):
    fn = lambda t: t.unfold(dim, size, step)   # noqa: E731  (the same call on both engines)
    assert_matches_torch(fn, fn, rand(*shape, seed=2))


def test_tensor_unfold_values_and_copy_semantics():
    x = tinynn.arange(7.0)
    windows = x.unfold(0, 3, 2)
    assert windows.tolist() == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    x.add_(1)                                    # a copy, not a view (documented difference)
    assert windows.tolist()[0] == [0, 1, 2]
    assert tinynn.tensor(3.0).unfold(0, 1, 1).tolist() == [3.0]


def test_windows_and_adjoint_are_adjoint():
    x, g = rand(3, 9, 2, seed=3), rand(3, 3, 2, 3, seed=4)      # 9 elements: 3 windows of 3, step 3
    y = Windows.apply(tinynn.tensor(x), 1, 3, 3, 1).numpy()
    back = WindowsAdjoint.apply(tinynn.tensor(g), 1, 3, 3, 1, 9).numpy()
    assert (y * g).sum() == pytest.approx((x * back).sum(), rel=1e-12)
    check_gradients(lambda t: Windows.apply(t, 1, 2, 3, 3), x)            # dilated windows


def test_tensor_unfold_errors():
    x = tinynn.arange(10.0)
    with pytest.raises(RuntimeError, match="window size 11 is larger than dimension 0 of size 10"):
        x.unfold(0, 11, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        x.unfold(0, 2, 0)
    with pytest.raises(RuntimeError, match="size is -1 but must be >= 0"):
        x.unfold(0, -1, 1)
    with pytest.raises(IndexError, match="out of range"):
        x.unfold(1, 2, 1)
    np.testing.assert_array_equal(x.unfold(0, 10, 1).shape, (1, 10))
