"""cummax, cummin, logcumsumexp and the linear recurrence (tinynn/ops/scan.py): gradients, PyTorch parity."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, needs_torch, rand, torch
from tinynn.ops.scan import LinearScan

TIES = np.array([[1.0, 3.0, 3.0, 2.0, 5.0, 5.0],
                 [4.0, 4.0, -1.0, 4.0, 0.0, -1.0]])


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumulative_extremes_gradcheck(name, dim):
    check_gradients(lambda t: getattr(tinynn, name)(t, dim).values, rand(3, 5, seed=1))


@needs_torch
@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("data", [rand(3, 5, seed=2), TIES], ids=["random", "ties"])
@pytest.mark.parametrize("dim", [0, 1])
def test_cumulative_extremes_match_torch(name, data, dim):
    # with ties the gradient goes to the index PyTorch reports (the later one)
    assert_matches_torch(lambda t: getattr(tinynn, name)(t, dim), lambda t: getattr(torch, name)(t, dim), data)


@needs_torch
@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_nan_and_integer_inputs_match_torch(name):
    nan = np.array([1.0, 3.0, np.nan, 7.0, np.nan, 0.0])
    ints = np.array([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]])
    bools = np.array([True, False, True])
    for data, dim in [(nan, 0), (ints, 1), (ints.astype(np.int32), 0), (bools, 0), (np.array(2.5), 0)]:
        ours, theirs = getattr(tinynn, name)(tinynn.tensor(data), dim), getattr(torch, name)(torch.tensor(data), dim)
        for o, t in zip(ours, theirs):
            assert str(o.dtype) == str(t.dtype).replace("torch.", "")
            np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_cummax_returns_a_named_pair():
    result = tinynn.tensor([1.0, 0.0, 2.0]).cummax(0)
    values, indices = result
    assert result.values is values and result.indices is indices
    assert type(result).__name__ == "cummax"
    np.testing.assert_array_equal(indices.numpy(), [0, 0, 2])


@pytest.mark.parametrize("dim", [0, 1])
def test_logcumsumexp_gradcheck(dim):
    check_gradients(lambda t: tinynn.logcumsumexp(t, dim), rand(3, 5, seed=3))


@needs_torch
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_logcumsumexp_matches_torch(dim):
    assert_matches_torch(lambda t: tinynn.logcumsumexp(t, dim), lambda t: torch.logcumsumexp(t, dim),
                         rand(3, 5, seed=4))
    assert_matches_torch(lambda t: t.logcumsumexp(dim), lambda t: t.logcumsumexp(dim), rand(2, 4, seed=5))


@needs_torch
def test_logcumsumexp_with_extreme_values_matches_torch():
    # e^(-y) would overflow here: the backward must stay in the range of the numbers it multiplies
    x = np.array([[-1000.0, -999.0, 1000.0, 999.0], [700.0, -700.0, 0.0, 800.0]])
    assert_matches_torch(lambda t: tinynn.logcumsumexp(t, 1), lambda t: torch.logcumsumexp(t, 1), x)


@needs_torch
def test_logcumsumexp_second_derivative_matches_torch():
    x, w = rand(2, 5, seed=6), rand(2, 5, seed=7)
    results = []
    for lib in (tinynn, torch):
        t = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad((lib.logcumsumexp(t, 1) * lib.tensor(w)).sum(), t, create_graph=True)
        results.append(lib.autograd.grad((g * g).sum(), t)[0])
    assert_close(*results)


def test_logcumsumexp_refuses_integers():
    with pytest.raises(NotImplementedError, match="floating point"):
        tinynn.logcumsumexp(tinynn.tensor([1, 2]), 0)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dim", [0, 1])
def test_linear_scan_values_and_gradcheck(reverse, dim):
    b, a = rand(4, 3, seed=8), rand(4, 3, seed=9)
    h = LinearScan.apply(tinynn.tensor(b), tinynn.tensor(a), dim, reverse).numpy()
    expected = np.zeros_like(b)
    bm, am, em = (np.moveaxis(v, dim, 0) for v in (b, a, expected))
    order = range(bm.shape[0] - 1, -1, -1) if reverse else range(bm.shape[0])
    previous = 0.0
    for k in order:  # h_k = b_k + a_k h_{k-1} (or h_{k+1} in reverse)
        previous = em[k] = bm[k] + am[k] * previous
    np.testing.assert_allclose(h, expected)
    check_gradients(lambda bb, aa: LinearScan.apply(bb, aa, dim, reverse), b, a)
