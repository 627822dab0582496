"""Cholesky and QR (tinynn/ops/decompositions.py): values, gradients, PyTorch parity, errors."""
import warnings

import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch


def spd(*shape, seed=0):
    """A random symmetric positive-definite (batch of) matrix: X X^T + n I."""
    x = rand(*shape, seed=seed)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def symmetrized(fn):
    """fn of a symmetric matrix built from any square x: gradchecks then perturb A symmetrically."""
    return lambda x: fn(x @ x.mT + x.shape[-1] * tinynn.eye(x.shape[-1], dtype=x.dtype))


# ---------------------------------------------------------------------------- cholesky
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_cholesky_gradcheck(shape, upper):
    check_gradients(symmetrized(lambda a: tinynn.linalg.cholesky(a, upper=upper)), rand(*shape, seed=1))


@needs_torch
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_matches_torch(upper):
    # the gradient of a symmetric input is shared between A[i, j] and A[j, i] in both engines
    assert_matches_torch(lambda a: tinynn.linalg.cholesky(a, upper=upper),
                         lambda a: torch.linalg.cholesky(a, upper=upper), spd(2, 3, 4, 4, seed=2))


def test_cholesky_reconstructs_and_reads_only_the_lower_triangle():
    a = spd(2, 3, 3, seed=3)
    garbage_above = np.tril(a) + np.triu(rand(3, 3, seed=4), 1)
    factor = tinynn.linalg.cholesky(tinynn.tensor(garbage_above)).numpy()
    np.testing.assert_allclose(factor @ np.swapaxes(factor, -1, -2), a, atol=1e-12)
    assert np.all(np.triu(factor, 1) == 0) and np.all(np.diagonal(factor, axis1=-2, axis2=-1) > 0)
    upper = tinynn.linalg.cholesky(tinynn.tensor(a), upper=True).numpy()
    np.testing.assert_allclose(upper, np.swapaxes(factor, -1, -2), atol=1e-12)


def test_cholesky_empty_batch_and_float32():
    assert tinynn.linalg.cholesky(tinynn.zeros(0, 2, 2)).shape == (0, 2, 2)
    assert tinynn.linalg.cholesky(tinynn.eye(3)).dtype == tinynn.float32


def test_cholesky_not_positive_definite_names_the_minor_and_batch_element():
    bad = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(tinynn.linalg.LinAlgError, match="the leading minor of order 2 is not positive-definite"):
        tinynn.linalg.cholesky(tinynn.tensor(bad))
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\): The factorization could not be completed"):
        tinynn.linalg.cholesky(tinynn.tensor(np.stack([np.eye(2), bad])))


def test_cholesky_ex_reports_info_without_raising():
    bad = np.diag([1.0, 1.0, -1.0])
    factor, info = tinynn.linalg.cholesky_ex(tinynn.tensor(np.stack([np.eye(3), bad])))
    assert info.dtype == tinynn.int32 and info.tolist() == [0, 3]
    np.testing.assert_array_equal(factor.numpy()[0], np.eye(3))
    assert np.isnan(factor.numpy()[1]).all()  # tinynn's choice: a failed factor is NaN, never partial
    with pytest.raises(tinynn.linalg.LinAlgError, match="order 3"):
        tinynn.linalg.cholesky_ex(tinynn.tensor(bad), check_errors=True)


@pytest.mark.parametrize("x, error, message", [
    (tinynn.ones(3), RuntimeError, "The input tensor A must have at least 2 dimensions"),
    (tinynn.ones(2, 3), RuntimeError, "A must be batches of square matrices, but they are 2 by 3 matrices"),
    (tinynn.ones(2, 2, dtype=tinynn.int64), RuntimeError, "Expected a floating point or complex tensor as input"),
    (tinynn.ones(2, 2, dtype=tinynn.float16), NotImplementedError, "not implemented for float16"),
])
def test_cholesky_argument_errors(x, error, message):
    with pytest.raises(error, match=message):
        tinynn.linalg.cholesky(x)


def test_deprecated_torch_cholesky_warns_and_agrees():
    a = tinynn.tensor(spd(3, 3, seed=5))
    with pytest.warns(UserWarning, match="deprecated in favor of torch.linalg.cholesky"):
        u = tinynn.cholesky(a, upper=True)
    np.testing.assert_allclose(u.numpy(), tinynn.linalg.cholesky(a).mT.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(a.cholesky().numpy(), tinynn.linalg.cholesky(a).numpy())


# ---------------------------------------------------------------------------- cholesky_solve / cholesky_inverse
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse_gradcheck(upper):
    def factor(x):  # a triangular factor built from any x; PyTorch's gradient treats L as full
        return tinynn.linalg.cholesky(x @ x.mT + 3 * tinynn.eye(3, dtype=x.dtype), upper=upper)

    check_gradients(lambda x, b: tinynn.cholesky_solve(b, factor(x), upper=upper), rand(3, 3, seed=1), rand(3, 2, seed=2))
    check_gradients(lambda x: tinynn.cholesky_inverse(factor(x), upper=upper), rand(2, 3, 3, seed=3))


@needs_torch
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse_match_torch(upper):
    lower = np.linalg.cholesky(spd(2, 3, 3, seed=4))
    factor = np.swapaxes(lower, -1, -2) if upper else lower
    b = rand(2, 3, 2, seed=5)
    assert_matches_torch(lambda b, f: tinynn.cholesky_solve(b, f, upper=upper),
                         lambda b, f: torch.cholesky_solve(b, f, upper=upper), b, factor)
    assert_matches_torch(lambda f: tinynn.cholesky_inverse(f, upper=upper),
                         lambda f: torch.cholesky_inverse(f, upper=upper), factor[0])
    a = tinynn.tensor(spd(3, 3, seed=6))
    np.testing.assert_allclose(tinynn.cholesky_inverse(tinynn.linalg.cholesky(a)).numpy(), np.linalg.inv(a.numpy()))


# ---------------------------------------------------------------------------- QR
QR_SHAPES = [(4, 3), (3, 3), (3, 5), (2, 4, 2)]


def sign_free_qr(linalg, mode="reduced"):
    def run(a):
        q, r = linalg.qr(a, mode=mode)
        k = min(a.shape[-2:])
        signs = (linalg.diagonal(r)[..., :k] >= 0).double() * 2 - 1
        return q[..., :k] * signs.detach().unsqueeze(-2), r[..., :k, :] * signs.detach().unsqueeze(-1)
    return run


@pytest.mark.parametrize("shape", QR_SHAPES, ids=str)
def test_qr_gradcheck(shape):
    check_gradients(lambda a: tinynn.linalg.qr(a), rand(*shape, seed=7))


@pytest.mark.parametrize("shape", [(3, 5), (3, 3)], ids=str)
def test_qr_complete_gradcheck_when_wide(shape):
    check_gradients(lambda a: tinynn.linalg.qr(a, mode="complete"), rand(*shape, seed=8))


@needs_torch
@pytest.mark.parametrize("mode", ["reduced", "complete"])
@pytest.mark.parametrize("shape", QR_SHAPES, ids=str)
def test_qr_matches_torch(shape, mode):
    if mode == "complete" and shape[-2] > shape[-1]:
        shape = shape[:-2] + (shape[-1], shape[-2])  # differentiable only when wide
    # compared with R's diagonal made positive, a convention-free QR (the signs are LAPACK's choice)
    assert_matches_torch(sign_free_qr(tinynn.linalg, mode), sign_free_qr(torch.linalg, mode), rand(*shape, seed=9))


def test_qr_shapes_and_reconstruction():
    a = rand(5, 3, seed=10)
    for mode, q_shape, r_shape in [("reduced", (5, 3), (3, 3)), ("complete", (5, 5), (5, 3)), ("r", (0,), (3, 3))]:
        q, r = tinynn.linalg.qr(tinynn.tensor(a), mode=mode)
        assert q.shape == q_shape and r.shape == r_shape
        assert np.all(np.tril(r.numpy(), -1) == 0)
        if mode != "r":
            np.testing.assert_allclose(q.numpy() @ r.numpy(), a, atol=1e-12)
            np.testing.assert_allclose(q.numpy().T @ q.numpy(), np.eye(q_shape[1]), atol=1e-12)
    q, r = tinynn.qr(tinynn.tensor(a), some=False)
    assert q.shape == (5, 5) and r.shape == (5, 3)


def test_qr_backward_errors_where_pytorch_has_no_derivative():
    a = tinynn.tensor(rand(4, 3, seed=11), requires_grad=True)
    _, r = tinynn.linalg.qr(a, mode="r")
    with pytest.raises(RuntimeError, match="depends on Q, which is not computed when mode='r'"):
        r.sum().backward()
    q, r = tinynn.linalg.qr(a, mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        (q.sum() + r.sum()).backward()
    with pytest.raises(RuntimeError, match="unrecognized mode 'full'"):
        tinynn.linalg.qr(a, mode="full")
