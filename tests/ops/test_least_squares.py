"""pinv, lstsq, matrix_rank and torch.pinverse (tinynn/ops/least_squares.py)."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

RANK_ONE = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)], ids=str)
def test_pinv_gradcheck(shape):
    check_gradients(tinynn.linalg.pinv, rand(*shape, seed=1))


def test_pinv_hermitian_gradcheck():
    check_gradients(lambda x: tinynn.linalg.pinv(x + x.mT, hermitian=True), rand(3, 3, seed=2))


@needs_torch
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)], ids=str)
def test_pinv_matches_torch(shape):
    a = rand(*shape, seed=3)
    assert_matches_torch(tinynn.linalg.pinv, torch.linalg.pinv, a)
    assert_matches_torch(tinynn.pinverse, torch.pinverse, a)


@needs_torch
def test_pinv_tolerances_and_hermitian_match_torch():
    a = rand(4, 4, seed=4)
    sym = a + a.T
    assert_matches_torch(lambda a: tinynn.linalg.pinv(a, hermitian=True), lambda a: torch.linalg.pinv(a, hermitian=True), sym)
    assert_matches_torch(lambda a: tinynn.linalg.pinv(a, rtol=0.3), lambda a: torch.linalg.pinv(a, rtol=0.3), a)
    assert_matches_torch(lambda a: tinynn.linalg.pinv(a, atol=1.0), lambda a: torch.linalg.pinv(a, atol=1.0), a)
    assert_matches_torch(lambda a: tinynn.pinverse(a, rcond=0.3), lambda a: torch.pinverse(a, rcond=0.3), a)


def test_pinv_of_a_rank_deficient_matrix():
    p = tinynn.linalg.pinv(tinynn.tensor(RANK_ONE)).numpy()
    np.testing.assert_allclose(p, np.linalg.pinv(RANK_ONE), atol=1e-12)
    np.testing.assert_allclose(RANK_ONE @ p @ RANK_ONE, RANK_ONE, atol=1e-12)  # a Moore-Penrose condition


def test_matrix_rank():
    assert tinynn.linalg.matrix_rank(tinynn.tensor(RANK_ONE)).item() == 1
    ranks = tinynn.linalg.matrix_rank(tinynn.tensor(np.stack([np.eye(3), np.diag([1.0, 1e-3, 0.0])])))
    assert ranks.tolist() == [3, 2] and ranks.dtype == tinynn.int64
    assert tinynn.linalg.matrix_rank(tinynn.tensor(np.diag([1.0, 1e-3, 0.0])), atol=0.01).item() == 1
    assert tinynn.linalg.matrix_rank(tinynn.tensor(np.diag([1.0, 1e-3, 0.0])), rtol=0.01).item() == 1
    assert tinynn.linalg.matrix_rank(tinynn.tensor(np.diag([1.0, -2.0, 0.0])), hermitian=True).item() == 2
    assert tinynn.linalg.matrix_rank(tinynn.tensor(np.diag([1.0, 1e-3, 0.0])), 0.01).item() == 1  # tol= (old name)


@needs_torch
def test_matrix_rank_matches_torch():
    a = rand(3, 5, 4, seed=5) @ rand(4, 3, seed=6) @ rand(3, 4, seed=7)  # rank 3 (of 4)
    for kwargs in ({}, {"atol": 0.5}, {"rtol": 0.2}, {"atol": 0.1, "rtol": 0.01}):
        assert tinynn.linalg.matrix_rank(tinynn.tensor(a), **kwargs).tolist() == \
            torch.linalg.matrix_rank(torch.tensor(a), **kwargs).tolist()


# ---------------------------------------------------------------------------- lstsq
def test_lstsq_gradcheck():
    check_gradients(lambda a, b: tinynn.linalg.lstsq(a, b).solution, rand(5, 3, seed=8), rand(5, 2, seed=9))
    check_gradients(lambda a, b: tinynn.linalg.lstsq(a, b).solution, rand(2, 5, seed=10), rand(2, 1, seed=11))  # underdetermined


@needs_torch
@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
def test_lstsq_matches_torch(driver):
    a, b = rand(2, 5, 3, seed=12), rand(2, 5, 2, seed=13)

    def run(linalg):
        def f(a, b):
            result = linalg.lstsq(a, b, driver=driver)
            return result.solution, result.residuals, result.singular_values
        return f

    assert_matches_torch(run(tinynn.linalg), run(torch.linalg), a, b)
    ours = tinynn.linalg.lstsq(tinynn.tensor(a), tinynn.tensor(b), driver=driver).rank
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver).rank
    assert ours.tolist() == theirs.tolist()


@needs_torch
def test_lstsq_vector_and_rank_deficient_match_torch():
    assert_matches_torch(lambda a, b: tinynn.linalg.lstsq(a, b).solution,
                         lambda a, b: torch.linalg.lstsq(a, b).solution, rand(4, 3, seed=14), rand(4, seed=15))
    b = rand(3, 1, seed=16)
    ours = tinynn.linalg.lstsq(tinynn.tensor(RANK_ONE), tinynn.tensor(b))
    theirs = torch.linalg.lstsq(torch.tensor(RANK_ONE), torch.tensor(b))
    np.testing.assert_allclose(ours.solution.numpy(), theirs.solution.numpy(), rtol=1e-7)
    assert ours.rank.item() == theirs.rank.item() == 1
    residuals = tinynn.linalg.lstsq(tinynn.tensor(rand(4, 3)), tinynn.tensor(rand(4)), driver="gelsd").residuals
    assert residuals.shape == (1,)


def test_lstsq_minimizes_the_residual():
    a, b = rand(6, 3, seed=17), rand(6, 2, seed=18)
    x = tinynn.linalg.lstsq(tinynn.tensor(a), tinynn.tensor(b)).solution.numpy()
    np.testing.assert_allclose(a.T @ (a @ x - b), 0, atol=1e-12)  # the normal equations


def test_least_squares_errors():
    with pytest.raises(RuntimeError, match="input.size\\(-2\\) should match other.size\\(-2\\), got 4 and 5"):
        tinynn.linalg.lstsq(tinynn.ones(4, 3), tinynn.ones(5, 2))
    with pytest.raises(RuntimeError, match="parameter `driver` should be one of"):
        tinynn.linalg.lstsq(tinynn.ones(4, 3), tinynn.ones(4, 2), driver="x")
    with pytest.raises(RuntimeError, match="linalg.pinv: Expected a floating point or complex tensor as input"):
        tinynn.linalg.pinv(tinynn.ones(2, 3, dtype=tinynn.int64))
    with pytest.raises(TypeError, match="rtol must be a float or a Tensor"):
        tinynn.linalg.pinv(tinynn.ones(2, 3), rtol="big")
