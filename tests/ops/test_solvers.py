"""solve, inv, inv_ex, det, slogdet, logdet, inverse (tinynn/ops/solvers.py)."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])


def well_conditioned(*shape, seed=0):
    return rand(*shape, seed=seed) + 2 * np.eye(shape[-1])


# ---------------------------------------------------------------------------- inv
def test_inv_gradcheck():
    check_gradients(tinynn.linalg.inv, well_conditioned(2, 3, 3, seed=1))
    check_gradients(lambda a: tinynn.linalg.inv_ex(a).inverse, well_conditioned(3, 3, seed=2))


@needs_torch
def test_inv_matches_torch():
    a = well_conditioned(2, 3, 3, seed=3)
    assert_matches_torch(tinynn.linalg.inv, torch.linalg.inv, a)
    assert_matches_torch(tinynn.inverse, torch.inverse, a)
    assert_matches_torch(lambda a: a.inverse(), lambda a: a.inverse(), a)


def test_inv_singular_names_the_pivot():
    with pytest.raises(tinynn.linalg.LinAlgError, match="The diagonal element 3 is zero, the inversion could not"):
        tinynn.linalg.inv(tinynn.tensor(SINGULAR))
    with pytest.raises(RuntimeError, match=r"linalg.inv: \(Batch element 1\): The diagonal element 3 is zero"):
        tinynn.linalg.inv(tinynn.tensor(np.stack([np.eye(3), SINGULAR])))
    inverse, info = tinynn.linalg.inv_ex(tinynn.tensor(np.stack([2 * np.eye(3), SINGULAR])))
    assert info.tolist() == [0, 3] and info.dtype == tinynn.int32
    np.testing.assert_allclose(inverse.numpy()[0], np.eye(3) / 2)
    assert np.isnan(inverse.numpy()[1]).all()
    with pytest.raises(tinynn.linalg.LinAlgError, match="element 3"):
        tinynn.linalg.inv_ex(tinynn.tensor(SINGULAR), check_errors=True)


# ---------------------------------------------------------------------------- solve
SOLVE_SHAPES = [  # (A, B, left)
    ((3, 3), (3, 2), True), ((3, 3), (3,), True), ((2, 3, 3), (2, 3), True), ((2, 3, 3), (3,), True),
    ((2, 1, 3, 3), (4, 3, 1), True), ((3, 3), (2, 3), False), ((2, 3, 3), (1, 4, 3), False),
]


@pytest.mark.parametrize("a, b, left", SOLVE_SHAPES, ids=str)
def test_solve_gradcheck(a, b, left):
    check_gradients(lambda a, b: tinynn.linalg.solve(a, b, left=left), well_conditioned(*a, seed=4), rand(*b, seed=5))


@needs_torch
@pytest.mark.parametrize("a, b, left", SOLVE_SHAPES, ids=str)
def test_solve_matches_torch(a, b, left):
    assert_matches_torch(lambda a, b: tinynn.linalg.solve(a, b, left=left),
                         lambda a, b: torch.linalg.solve(a, b, left=left), well_conditioned(*a, seed=6), rand(*b, seed=7))


def test_solve_solves():
    a, b = well_conditioned(3, 3, seed=8), rand(3, 2, seed=9)
    np.testing.assert_allclose(a @ tinynn.linalg.solve(tinynn.tensor(a), tinynn.tensor(b)).numpy(), b, atol=1e-12)
    x = tinynn.linalg.solve(tinynn.tensor(a), tinynn.tensor(b.T), left=False).numpy()
    np.testing.assert_allclose(x @ a, b.T, atol=1e-12)


@pytest.mark.parametrize("a, b, kwargs, message", [
    ((3, 3), (4,), {}, r"Incompatible shapes of A and B for the equation AX = B \(3x3 and 4x1\)"),
    ((3, 3), (2, 3), {}, r"Incompatible shapes of A and B for the equation AX = B \(3x3 and 2x3\)"),
    ((3, 3), (3,), {"left": False}, r"equation XA = B \(3x3 and 3x1\)"),
    ((2, 3, 3), (4, 3, 1), {}, r"batch dims of shapes \(2, 3, 3\) and \(4, 3, 1\) do not broadcast"),
    ((3, 2), (3, 1), {}, "A must be batches of square matrices, but they are 3 by 2 matrices"),
])
def test_solve_shape_errors(a, b, kwargs, message):
    with pytest.raises(RuntimeError, match=message):
        tinynn.linalg.solve(tinynn.ones(*a), tinynn.ones(*b), **kwargs)


def test_solve_singular_raises_linalg_error():
    with pytest.raises(tinynn.linalg.LinAlgError, match=r"\(Batch element 1\): The solver failed because the input "
                                                        "matrix is singular"):
        tinynn.linalg.solve(tinynn.tensor(np.stack([np.eye(3), SINGULAR])), tinynn.ones(3, dtype=tinynn.float64))


# ---------------------------------------------------------------------------- determinants
def test_det_slogdet_logdet_gradcheck():
    a = well_conditioned(2, 3, 3, seed=10)
    check_gradients(tinynn.linalg.det, a)
    check_gradients(lambda a: tinynn.linalg.slogdet(a).logabsdet, a)
    spd = a @ np.swapaxes(a, -1, -2)
    check_gradients(tinynn.logdet, spd)


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    # PyTorch's det gradient exists for singular matrices too: adj(A)^T
    a = tinynn.tensor(SINGULAR, requires_grad=True)
    tinynn.linalg.det(a).backward()
    cofactors = np.array([[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(a.grad.numpy(), cofactors, atol=1e-12)


@needs_torch
def test_determinants_match_torch():
    a = rand(2, 4, 4, seed=11)  # determinants of both signs
    assert_matches_torch(tinynn.linalg.det, torch.linalg.det, a)
    assert_matches_torch(tinynn.det, torch.det, a)
    assert_matches_torch(lambda a: tuple(tinynn.linalg.slogdet(a)), lambda a: tuple(torch.linalg.slogdet(a)), a)
    assert_matches_torch(lambda a: tuple(tinynn.slogdet(a)), lambda a: tuple(torch.slogdet(a)), a)
    spd = a @ np.swapaxes(a, -1, -2)
    assert_matches_torch(tinynn.logdet, torch.logdet, spd)
    assert_matches_torch(lambda a: a.det(), lambda a: a.det(), a)
    # not compared at an exactly singular matrix: PyTorch's gradient there depends on its LAPACK's
    # rounding (the cofactors on one machine, zeros on another); tinynn's is the cofactor matrix,
    # checked exactly by test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix


def test_determinant_values_and_edge_cases():
    a = rand(3, 3, seed=12)
    np.testing.assert_allclose(tinynn.det(tinynn.tensor(a)).item(), np.linalg.det(a))
    sign, logabs = tinynn.linalg.slogdet(tinynn.tensor(SINGULAR))
    assert sign.item() == 0 and logabs.item() == -np.inf
    assert np.isnan(tinynn.logdet(-tinynn.eye(3)).item())                 # det < 0
    assert tinynn.logdet(tinynn.tensor(np.diag([-1.0, -1.0, 1.0]))).item() == 0
    assert tinynn.linalg.det(tinynn.zeros(0, 0)).item() == 1.0
    assert not tinynn.linalg.slogdet(tinynn.tensor(a, requires_grad=True)).sign.requires_grad
    with pytest.raises(RuntimeError, match="linalg.det: A must be batches of square matrices, but they are 2 by 3"):
        tinynn.linalg.det(tinynn.ones(2, 3))
