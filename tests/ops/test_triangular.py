"""Triangular solves (tinynn/ops/triangular.py): linalg.solve_triangular, batched, left and right."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch


def triangular_ready(*shape, seed=0):
    """A random matrix with a dominant diagonal: well conditioned in either triangle."""
    return rand(*shape, seed=seed) + 3 * np.eye(shape[-1])


OPTIONS = [dict(upper=u, left=l, unitriangular=t) for u in (True, False) for l in (True, False) for t in (False, True)]


def rhs_shape(batch, n, k, left):
    return batch + ((n, k) if left else (k, n))


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_solve_triangular_gradcheck(options):
    a = triangular_ready(2, 3, 3, seed=1)
    b = rand(*rhs_shape((2,), 3, 2, options["left"]), seed=2)
    check_gradients(lambda a, b: tinynn.linalg.solve_triangular(a, b, **options), a, b)


@needs_torch
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_solve_triangular_matches_torch_with_broadcast_batches(options):
    a = triangular_ready(2, 1, 4, 4, seed=3)   # batch dims (2, 1) and (3,) broadcast to (2, 3)
    b = rand(*rhs_shape((3,), 4, 5, options["left"]), seed=4)
    assert_matches_torch(lambda a, b: tinynn.linalg.solve_triangular(a, b, **options),
                         lambda a, b: torch.linalg.solve_triangular(a, b, **options), a, b)


def test_solve_triangular_reads_only_its_triangle_and_solves():
    a = triangular_ready(4, 4, seed=5)
    b = rand(4, 2, seed=6)
    x = tinynn.linalg.solve_triangular(tinynn.tensor(a), tinynn.tensor(b), upper=False).numpy()
    np.testing.assert_allclose(np.tril(a) @ x, b, atol=1e-12)
    unit = np.tril(a, -1) + np.eye(4)
    x = tinynn.linalg.solve_triangular(tinynn.tensor(a), tinynn.tensor(b), upper=False, unitriangular=True).numpy()
    np.testing.assert_allclose(unit @ x, b, atol=1e-12)
    x = tinynn.linalg.solve_triangular(tinynn.tensor(a), tinynn.tensor(b.T), upper=True, left=False).numpy()
    np.testing.assert_allclose(x @ np.triu(a), b.T, atol=1e-12)


def test_solve_triangular_gradient_stays_in_the_triangle():
    a = tinynn.tensor(triangular_ready(3, 3), requires_grad=True)
    tinynn.linalg.solve_triangular(a, tinynn.ones(3, 2, dtype=tinynn.float64), upper=True, unitriangular=True).sum().backward()
    g = a.grad.numpy()
    assert np.all(np.tril(g) == 0) and np.any(g != 0)


def test_solve_triangular_zero_pivot_gives_inf_like_lapack():
    x = tinynn.linalg.solve_triangular(tinynn.zeros(2, 2), tinynn.ones(2, 2), upper=True).numpy()
    assert np.isinf(x[1]).all() and np.isnan(x[0]).all()


def test_solve_triangular_promotes_and_keeps_float32():
    a32, b64 = tinynn.eye(2), tinynn.ones(2, 1, dtype=tinynn.float64)
    assert tinynn.linalg.solve_triangular(a32, b64, upper=True).dtype == tinynn.float64
    assert tinynn.linalg.solve_triangular(a32, tinynn.ones(2, 1), upper=True).dtype == tinynn.float32


@pytest.mark.parametrize("a, b, kwargs, error, message", [
    ((2, 2), (3, 1), {}, RuntimeError, r"Incompatible shapes of A and B for the equation AX = B \(2x2 and 3x1\)"),
    ((2, 2), (5, 3), {"left": False}, RuntimeError, r"equation XA = B \(2x2 and 5x3\)"),
    ((2, 2), (2,), {}, RuntimeError, "The input tensor B must have at least 2 dimensions"),
    ((2, 3), (2, 1), {}, RuntimeError, "A must be batches of square matrices, but they are 2 by 3"),
    ((3, 2, 2), (4, 2, 1), {}, RuntimeError, r"batch dims of shapes \(3, 2, 2\) and \(4, 2, 1\) do not broadcast"),
])
def test_solve_triangular_errors(a, b, kwargs, error, message):
    with pytest.raises(error, match=message):
        tinynn.linalg.solve_triangular(tinynn.ones(*a), tinynn.ones(*b), upper=True, **kwargs)


def test_solve_triangular_needs_upper_and_floats():
    with pytest.raises(TypeError, match="upper"):
        tinynn.linalg.solve_triangular(tinynn.eye(2), tinynn.ones(2, 1))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got int64"):
        tinynn.linalg.solve_triangular(tinynn.eye(2).long(), tinynn.ones(2, 1).long(), upper=True)
