"""linalg.vector_norm, matrix_norm, norm and cdist (tinynn/ops/norms.py)."""
import math

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch

VECTOR_ORDS = [2, 1, 3, 0.5, -1, -0.5, math.inf, -math.inf]


def with_zeros(*shape, seed=0):
    x = rand(*shape, seed=seed)
    x.reshape(-1)[::4] = 0.0  # zero entries: where the derivative of |x|^p needs care
    return x


# ---------------------------------------------------------------------------- vector_norm
@pytest.mark.parametrize("ord", VECTOR_ORDS + [0])
def test_vector_norm_gradcheck(ord):
    x = rand(2, 3, 4, seed=1)  # no ties and no zeros: the norm is smooth there
    check_gradients(lambda x: tinynn.linalg.vector_norm(x, ord), x)
    check_gradients(lambda x: tinynn.linalg.vector_norm(x, ord, dim=(0, 2), keepdim=True), x)
    check_gradients(lambda x: tinynn.linalg.vector_norm(x, ord, dim=-1), x)


@needs_torch
@pytest.mark.parametrize("ord", VECTOR_ORDS + [0])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, False), ((0, 2), True), (-1, True)])
def test_vector_norm_matches_torch_with_zero_entries(ord, dim, keepdim):
    x = with_zeros(2, 3, 4, seed=2)
    assert_matches_torch(lambda x: tinynn.linalg.vector_norm(x, ord, dim, keepdim),
                         lambda x: torch.linalg.vector_norm(x, ord, dim, keepdim), x)


@needs_torch
@pytest.mark.parametrize("ord", VECTOR_ORDS)
def test_vector_norm_of_a_zero_vector_and_ties_match_torch(ord):
    assert_matches_torch(lambda x: tinynn.linalg.vector_norm(x, ord, -1),
                         lambda x: torch.linalg.vector_norm(x, ord, -1), np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]]))


def test_vector_norm_values_and_dtypes():
    x = tinynn.tensor([3.0, -4.0, 0.0])
    assert tinynn.linalg.vector_norm(x).item() == 5.0
    assert tinynn.linalg.vector_norm(x, 0).item() == 2.0
    assert tinynn.linalg.vector_norm(x, math.inf).item() == 4.0
    assert tinynn.linalg.vector_norm(x, -math.inf).item() == 0.0
    assert tinynn.linalg.vector_norm(x, dtype=tinynn.float64).dtype == tinynn.float64
    big = tinynn.full((1000,), 300.0, dtype=tinynn.float16)  # 300^2 * 1000 overflows float16: summed in float32
    out = tinynn.linalg.vector_norm(big)
    assert out.dtype == tinynn.float16 and abs(out.item() - 300 * math.sqrt(1000)) < 10


@pytest.mark.parametrize("call, error, message", [
    (lambda: tinynn.linalg.vector_norm(tinynn.ones(3, dtype=tinynn.int64)), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got int64"),
    (lambda: tinynn.linalg.vector_norm(tinynn.ones(3), dtype=tinynn.int64), RuntimeError,
     "dtype should be floating point or complex"),
    (lambda: tinynn.linalg.vector_norm(tinynn.ones(3, dtype=tinynn.float64), dtype=tinynn.float32), RuntimeError,
     "should be convertible without narrowing"),
    (lambda: tinynn.linalg.vector_norm(tinynn.zeros(0), math.inf), RuntimeError,
     "cannot compute the inf norm on an empty tensor"),
    (lambda: tinynn.linalg.vector_norm(tinynn.ones(3), "fro"), TypeError, "ord must be a number"),
])
def test_vector_norm_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------------------- matrix_norm
MATRIX_ORDS = ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf]


@pytest.mark.parametrize("ord", MATRIX_ORDS)
def test_matrix_norm_gradcheck(ord):
    check_gradients(lambda a: tinynn.linalg.matrix_norm(a, ord), rand(2, 3, 4, seed=3))
    check_gradients(lambda a: tinynn.linalg.matrix_norm(a, ord, dim=(0, 2), keepdim=True), rand(3, 2, 4, seed=4))


@needs_torch
@pytest.mark.parametrize("ord", MATRIX_ORDS)
@pytest.mark.parametrize("dim, keepdim", [((-2, -1), False), ((2, 0), True), ((0, 1), False)])
def test_matrix_norm_matches_torch(ord, dim, keepdim):
    assert_matches_torch(lambda a: tinynn.linalg.matrix_norm(a, ord, dim, keepdim),
                         lambda a: torch.linalg.matrix_norm(a, ord, dim, keepdim), rand(3, 2, 4, seed=5))


def test_matrix_norm_values():
    a = tinynn.tensor([[1.0, -2.0], [3.0, 4.0]])
    assert tinynn.linalg.matrix_norm(a, 1).item() == 6.0          # largest column sum of |a|
    assert tinynn.linalg.matrix_norm(a, math.inf).item() == 7.0   # largest row sum
    assert tinynn.linalg.matrix_norm(a, -1).item() == 4.0
    np.testing.assert_allclose(tinynn.linalg.matrix_norm(a).item(), math.sqrt(30), rtol=1e-6)
    np.testing.assert_allclose(tinynn.linalg.matrix_norm(a, 2).item(), np.linalg.norm(a.numpy(), 2), rtol=1e-6)


def test_matrix_norm_errors():
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Order 3 not supported"):
        tinynn.linalg.matrix_norm(tinynn.ones(2, 2), 3)
    with pytest.raises(RuntimeError, match="The input tensor A must have at least 2 dimensions"):
        tinynn.linalg.matrix_norm(tinynn.ones(2))
    with pytest.raises(RuntimeError, match="dims must be different"):
        tinynn.linalg.matrix_norm(tinynn.ones(2, 2), dim=(0, -2))


# ---------------------------------------------------------------------------- norm
NORM_CASES = [  # (shape, ord, dim)
    ((3, 4), None, None), ((2, 3, 4), None, None), ((4,), 1, None), ((4,), math.inf, None), ((3, 4), "nuc", None),
    ((3, 4), 1, None), ((3, 4), 3, 1), ((2, 3, 4), None, (0, 2)), ((2, 3, 4), -2, (1, 2)), ((2, 3, 4), 0.5, (1,)),
]


@needs_torch
@pytest.mark.parametrize("shape, ord, dim", NORM_CASES, ids=str)
def test_norm_dispatches_like_torch(shape, ord, dim):
    x = rand(*shape, seed=6)
    assert_matches_torch(lambda x: tinynn.linalg.norm(x, ord, dim), lambda x: torch.linalg.norm(x, ord, dim), x)


def test_norm_gradcheck_and_errors():
    check_gradients(lambda x: tinynn.linalg.norm(x, "nuc"), rand(3, 3, seed=7))
    with pytest.raises(RuntimeError, match="If dim is not specified but ord is, the input must be 1D or 2D. Got 3D"):
        tinynn.linalg.norm(tinynn.ones(2, 2, 2), 1)
    with pytest.raises(RuntimeError, match="it must be of length 1 or 2"):
        tinynn.linalg.norm(tinynn.ones(2, 2, 2), dim=(0, 1, 2))


# ---------------------------------------------------------------------------- cdist
CDIST_PS = [2.0, 1.0, 0.0, 0.5, 3.0, math.inf]


@pytest.mark.parametrize("p", CDIST_PS)
def test_cdist_gradcheck(p):
    check_gradients(lambda a, b: tinynn.cdist(a, b, p), rand(2, 3, 4, seed=8), rand(2, 2, 4, seed=9))


@needs_torch
@pytest.mark.parametrize("p", CDIST_PS)
def test_cdist_matches_torch_with_zero_distances_and_ties(p):
    a = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    b = np.array([[0.0, 1.0], [3.0, 0.0]])  # a[0] == b[0]: distance 0; a[1] - b[0] = (1, -1): a tie for inf
    assert_matches_torch(lambda a, b: tinynn.cdist(a, b, p), lambda a, b: torch.cdist(a, b, p), a, b)
    x1, x2 = rand(2, 1, 3, 4, seed=10), rand(3, 5, 4, seed=11)  # batch dims broadcast
    assert_matches_torch(lambda a, b: tinynn.cdist(a, b, p), lambda a, b: torch.cdist(a, b, p), x1, x2)


@pytest.mark.parametrize("a, b, p, message", [
    ((2, 3), (4, 2), 2.0, "X1 and X2 must have the same number of columns. X1: 3 X2: 2"),
    ((2, 3), (4, 3), -1.0, "cdist only supports non-negative p values"),
    ((3,), (4, 3), 2.0, "cdist only supports at least 2D tensors, X1 got: 1D"),
])
def test_cdist_errors(a, b, p, message):
    with pytest.raises(RuntimeError, match=message):
        tinynn.cdist(tinynn.ones(*a), tinynn.ones(*b), p)
    with pytest.raises(RuntimeError, match="cdist only supports floating-point dtypes, X1 got: int64"):
        tinynn.cdist(tinynn.ones(2, 3, dtype=tinynn.int64), tinynn.ones(2, 3, dtype=tinynn.int64))
