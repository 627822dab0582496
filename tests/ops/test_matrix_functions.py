"""matrix_power and matrix_exp (tinynn/ops/matrix_functions.py)."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch


def well_conditioned(*shape, seed=0):
    return rand(*shape, seed=seed) + 2 * np.eye(shape[-1])


@pytest.mark.parametrize("n", [0, 1, 2, 5, -1, -3])
def test_matrix_power_gradcheck(n):
    check_gradients(lambda a: tinynn.linalg.matrix_power(a, n), well_conditioned(2, 3, 3, seed=1) / 2)


@needs_torch
@pytest.mark.parametrize("n", [0, 1, 2, 5, 6, -1, -3])
def test_matrix_power_matches_torch(n):
    a = well_conditioned(2, 3, 3, seed=2) / 2
    assert_matches_torch(lambda a: tinynn.linalg.matrix_power(a, n), lambda a: torch.linalg.matrix_power(a, n), a)
    assert_matches_torch(lambda a: a.matrix_power(n), lambda a: a.matrix_power(n), a)


def test_matrix_power_values_and_errors():
    a = np.array([[1, 1], [1, 0]])  # Fibonacci numbers, in integers
    out = tinynn.linalg.matrix_power(tinynn.tensor(a), 10)
    assert out.dtype == tinynn.int64 and out.tolist() == [[89, 55], [55, 34]]
    np.testing.assert_array_equal(tinynn.matrix_power(tinynn.ones(2, 3, 3), 0).numpy(), np.broadcast_to(np.eye(3), (2, 3, 3)))
    with pytest.raises(TypeError, match="argument 'n' must be int, not float"):
        tinynn.linalg.matrix_power(tinynn.eye(2), 0.5)
    with pytest.raises(RuntimeError, match="A must be batches of square matrices, but they are 2 by 3"):
        tinynn.linalg.matrix_power(tinynn.ones(2, 3), 2)
    with pytest.raises(RuntimeError, match="linalg.inv: Expected a floating point"):
        tinynn.linalg.matrix_power(tinynn.ones(2, 2, dtype=tinynn.int64), -1)


@pytest.mark.parametrize("scale", [0.1, 3.0])  # no squaring, and several squarings
def test_matrix_exp_gradcheck(scale):
    check_gradients(tinynn.linalg.matrix_exp, scale * rand(2, 3, 3, seed=3))


@needs_torch
@pytest.mark.parametrize("scale", [0.1, 1.0, 5.0])
def test_matrix_exp_matches_torch(scale):
    a = scale * rand(2, 4, 4, seed=4)
    assert_matches_torch(tinynn.linalg.matrix_exp, torch.linalg.matrix_exp, a, rtol=1e-9)
    assert_matches_torch(tinynn.matrix_exp, torch.matrix_exp, a, rtol=1e-9)


def test_matrix_exp_values():
    theta = 0.7  # exp of a rotation generator is a rotation
    out = tinynn.linalg.matrix_exp(tinynn.tensor([[0.0, -theta], [theta, 0.0]], dtype=tinynn.float64)).numpy()
    np.testing.assert_allclose(out, [[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]], rtol=1e-14)
    d = np.diag([1.0, -2.0, 10.0])
    np.testing.assert_allclose(tinynn.linalg.matrix_exp(tinynn.tensor(d)).numpy(), np.diag(np.exp(np.diag(d))), rtol=1e-13)
    assert tinynn.linalg.matrix_exp(tinynn.zeros(0, 0)).shape == (0, 0)
    assert tinynn.linalg.matrix_exp(tinynn.eye(2)).dtype == tinynn.float32
    with pytest.raises(RuntimeError, match="linalg.matrix_exp: Expected a floating point or complex tensor"):
        tinynn.linalg.matrix_exp(tinynn.ones(2, 2, dtype=tinynn.int64))
