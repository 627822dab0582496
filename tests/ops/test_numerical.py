"""diff, trapezoid/trapz, cumulative_trapezoid, vander (tinynn/ops/numerical.py): values, dtypes and
gradients against PyTorch, errors."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch


def test_gradchecks():
    y, x = rand(3, 5, seed=0), np.cumsum(rand(5, seed=1, low=0.1, high=1.0))
    check_gradients(lambda t: tinynn.diff(t, n=2, dim=1), y)
    check_gradients(lambda t, p: tinynn.diff(t, dim=0, prepend=p), y, rand(2, 5, seed=2))
    check_gradients(lambda t, s: tinynn.trapezoid(t, s), y, x)
    check_gradients(lambda t: tinynn.cumulative_trapezoid(t, dx=0.5, dim=0), y)
    check_gradients(lambda t: tinynn.vander(t, 4), rand(3, seed=3))


@needs_torch
@pytest.mark.parametrize("n,dim", [(0, -1), (1, -1), (2, 0), (3, 1), (7, 1)])
def test_diff_matches_torch(n, dim):
    y = rand(3, 5, seed=4)
    assert_matches_torch(lambda t: tinynn.diff(t, n, dim), lambda t: torch.diff(t, n, dim), y)
    pre_shape, app_shape = ((2, 5), (1, 5)) if dim == 0 else ((3, 2), (3, 1))
    assert_matches_torch(lambda t, p, a: tinynn.diff(t, n, dim, prepend=p, append=a),
                         lambda t, p, a: torch.diff(t, n, dim, prepend=p, append=a),
                         y, rand(*pre_shape, seed=5), rand(*app_shape, seed=6))


@needs_torch
def test_diff_dtypes_match_torch():
    for values in (np.array([True, False, False, True]), np.array([1, 5, 2, 2]), np.array([1.5, 2.0, -1.0])):
        ours, theirs = tinynn.diff(tinynn.tensor(values)), torch.diff(torch.tensor(values))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours = tinynn.diff(tinynn.tensor([1.0, 4.0]), prepend=tinynn.tensor([0]))
    assert ours.dtype == np.float32 and ours.tolist() == [1.0, 3.0]


def test_diff_errors():
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        tinynn.diff(tinynn.tensor(1.0))
    with pytest.raises(RuntimeError, match="order must be non-negative"):
        tinynn.diff(tinynn.ones(3), n=-1)
    with pytest.raises(RuntimeError, match="same dimension as input"):
        tinynn.diff(tinynn.ones(2, 3), dim=0, prepend=tinynn.zeros(3))


@needs_torch
def test_trapezoid_matches_torch():
    y = rand(3, 4, seed=7)
    x1 = np.cumsum(rand(4, seed=8, low=0.1, high=1.0))
    x2 = np.cumsum(rand(3, 4, seed=9, low=0.1, high=1.0), axis=1)
    pairs = ((tinynn.trapezoid, torch.trapezoid), (tinynn.cumulative_trapezoid, torch.cumulative_trapezoid))
    for ours, theirs in pairs:
        assert_matches_torch(ours, theirs, y)
        assert_matches_torch(ours, theirs, y, x1)
        assert_matches_torch(ours, theirs, y, x2)
        assert_matches_torch(lambda t: ours(t, dx=0.3, dim=0), lambda t: theirs(t, dx=0.3, dim=0), y)
        assert_matches_torch(lambda t, s: ours(t, s, dim=0), lambda t, s: theirs(t, s, dim=0), y, x1[:3])
    assert_matches_torch(lambda t: tinynn.trapz(t, dx=2.0), lambda t: torch.trapz(t, dx=2.0), y)
    assert_matches_torch(tinynn.trapz, torch.trapz, y, x1)


@needs_torch
def test_trapezoid_edge_cases_match_torch():
    for shape in ((2, 0), (2, 1)):
        for name in ("trapezoid", "cumulative_trapezoid"):
            ours = getattr(tinynn, name)(tinynn.ones(*shape))
            theirs = getattr(torch, name)(torch.ones(*shape))
            assert ours.shape == tuple(theirs.shape)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ints = tinynn.trapezoid(tinynn.tensor([1, 2, 3]))
    assert ints.dtype == np.float32 and ints.item() == 4.0
    with pytest.raises(RuntimeError, match="one `x` value for each sample point"):
        tinynn.trapezoid(tinynn.ones(2, 3), tinynn.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="either the sample points x or the spacing dx"):
        tinynn.trapezoid(tinynn.ones(3), tinynn.ones(3), dx=1.0)


@needs_torch
@pytest.mark.parametrize("N,increasing", [(None, False), (2, True), (5, False), (0, False)])
def test_vander_matches_torch(N, increasing):
    x = np.array([0.0, -1.5, 2.0, 0.5])
    ours = tinynn.vander(tinynn.tensor(x), N, increasing)
    np.testing.assert_allclose(ours.numpy(), torch.vander(torch.tensor(x), N, increasing).numpy(), rtol=1e-15)

    # PyTorch 2.13's own vander backward fails (an in-place error), so the gradient is compared with
    # the same matrix written as powers in PyTorch
    def powers(t):
        columns = t.unsqueeze(1) ** torch.arange(x.size if N is None else N, dtype=t.dtype)
        return columns if increasing else columns.flip(1)

    assert_matches_torch(lambda t: tinynn.vander(t, N, increasing), powers, x)


@needs_torch
def test_vander_dtypes_and_errors():
    for values in (np.array([1, 2, 3]), np.array([True, False]), np.array([2], dtype=np.int32)):
        ours, theirs = tinynn.vander(tinynn.tensor(values)), torch.vander(torch.tensor(values))
        assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist()
    with pytest.raises(RuntimeError, match="one-dimensional"):
        tinynn.vander(tinynn.ones(2, 2))
    with pytest.raises(RuntimeError, match="N must be non-negative"):
        tinynn.vander(tinynn.ones(2), -1)
