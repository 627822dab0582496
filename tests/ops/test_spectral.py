"""eigh, eigvalsh, svd, svdvals and torch.svd (tinynn/ops/spectral.py).

Eigen- and singular vectors are defined up to sign, and LAPACK's choice is an implementation
detail, so parity is checked on sign-free quantities: the values, squared vector entries,
U Vh, Q diag(f(w)) Q^T, and the gradients of such functions.
"""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_matches_torch, check_gradients, needs_torch, rand, torch


def symmetric(*shape, seed=0):
    x = rand(*shape, seed=seed)
    return x + np.swapaxes(x, -1, -2)


def eigh_invariants(linalg, uplo="L"):
    def run(a):
        w, q = linalg.eigh(a, UPLO=uplo)
        return w, q * q, (q * w.exp().unsqueeze(-2)) @ q.mT  # squares and exp(A) are sign-free
    return run


def svd_invariants(linalg, full_matrices):
    def run(a):
        u, s, vh = linalg.svd(a, full_matrices=full_matrices)
        k = s.shape[-1]
        return s, u[..., :k] @ vh[..., :k, :], u[..., :k] ** 2, vh[..., :k, :] ** 2
    return run


# ---------------------------------------------------------------------------- eigh
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_gradcheck(uplo):
    # x + x^T keeps the input symmetric under every perturbation gradcheck makes
    check_gradients(lambda x: eigh_invariants(tinynn.linalg, uplo)(x + x.mT), rand(2, 3, 3, seed=1))
    check_gradients(lambda x: tinynn.linalg.eigvalsh(x + x.mT, UPLO=uplo), rand(4, 4, seed=2))


@needs_torch
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_matches_torch(uplo):
    a = symmetric(2, 4, 4, seed=3)
    assert_matches_torch(eigh_invariants(tinynn.linalg, uplo), eigh_invariants(torch.linalg, uplo), a)
    assert_matches_torch(lambda a: tinynn.linalg.eigvalsh(a, UPLO=uplo),
                         lambda a: torch.linalg.eigvalsh(a, UPLO=uplo), a)


@needs_torch
def test_eigh_reads_one_triangle_like_torch():
    a = rand(4, 4, seed=4)  # not symmetric: each UPLO reads its own triangle
    for uplo in ("L", "U"):
        assert_matches_torch(lambda a: tinynn.linalg.eigvalsh(a, UPLO=uplo),
                             lambda a: torch.linalg.eigvalsh(a, UPLO=uplo), a)


def test_eigh_decomposes():
    a = symmetric(3, 3, seed=5)
    w, q = tinynn.linalg.eigh(tinynn.tensor(a))
    assert np.all(np.diff(w.numpy()) > 0)
    np.testing.assert_allclose(q.numpy() @ np.diag(w.numpy()) @ q.numpy().T, a, atol=1e-12)
    assert w.dtype == tinynn.float64 and tinynn.linalg.eigh(tinynn.eye(2)).eigenvalues.dtype == tinynn.float32


def test_eigh_repeated_eigenvalues_like_pytorch():
    # the values' gradient stays finite; the vectors' is undefined there (nan/inf), as in PyTorch
    a = tinynn.eye(3, dtype=tinynn.float64, requires_grad=True)
    tinynn.linalg.eigh(a).eigenvalues.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.eye(3))
    b = tinynn.eye(3, dtype=tinynn.float64, requires_grad=True)
    w, q = tinynn.linalg.eigh(b)
    with np.errstate(all="ignore"):
        (q * tinynn.tensor(rand(3, 3, seed=6))).sum().backward()
    assert not np.isfinite(b.grad.numpy()).all()


def test_eigh_errors():
    with pytest.raises(RuntimeError, match="Expected UPLO argument to be 'L' or 'U', but got 'X'"):
        tinynn.linalg.eigh(tinynn.eye(2), UPLO="X")
    with pytest.raises(RuntimeError, match="linalg.eigvalsh: A must be batches of square matrices"):
        tinynn.linalg.eigvalsh(tinynn.ones(2, 3))


# ---------------------------------------------------------------------------- svd
SVD_SHAPES = [(4, 3), (3, 4), (3, 3), (2, 3, 2)]


@pytest.mark.parametrize("shape", SVD_SHAPES, ids=str)
def test_svd_gradcheck(shape):
    check_gradients(svd_invariants(tinynn.linalg, False), rand(*shape, seed=7))
    check_gradients(tinynn.linalg.svdvals, rand(*shape, seed=8))


@needs_torch
@pytest.mark.parametrize("full_matrices", [False, True])
@pytest.mark.parametrize("shape", SVD_SHAPES, ids=str)
def test_svd_matches_torch(shape, full_matrices):
    a = rand(*shape, seed=9)
    assert_matches_torch(svd_invariants(tinynn.linalg, full_matrices), svd_invariants(torch.linalg, full_matrices), a)
    assert_matches_torch(tinynn.linalg.svdvals, torch.linalg.svdvals, a)


@needs_torch
@pytest.mark.parametrize("some", [True, False])
def test_torch_svd_returns_v_and_matches(some):
    def invariants(engine):
        def run(a):
            u, s, v = engine.svd(a, some=some)
            return s, u[..., :2] @ v[..., :2].mT
        return run

    assert_matches_torch(invariants(tinynn), invariants(torch), rand(4, 2, seed=10))


def test_svd_shapes_and_reconstruction():
    a = rand(5, 3, seed=11)
    u, s, vh = tinynn.linalg.svd(tinynn.tensor(a))
    assert (u.shape, s.shape, vh.shape) == ((5, 5), (3,), (3, 3))
    u, s, vh = tinynn.linalg.svd(tinynn.tensor(a), full_matrices=False)
    assert u.shape == (5, 3)
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ vh.numpy(), a, atol=1e-12)
    u, s, v = tinynn.svd(tinynn.tensor(a))
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ v.numpy().T, a, atol=1e-12)
    u, s, v = tinynn.svd(tinynn.tensor(a), compute_uv=False)  # PyTorch: zero-filled (m, m) and (n, n)
    assert u.shape == (5, 5) and v.shape == (3, 3) and not u.numpy().any()
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(a, compute_uv=False))


def test_svd_full_matrices_ignores_gradients_of_the_extra_columns():
    a = tinynn.tensor(rand(4, 2, seed=12), requires_grad=True)
    u, s, vh = tinynn.linalg.svd(a)
    u[:, 2:].sum().backward()  # the complement's basis is arbitrary: no gradient, as in PyTorch
    np.testing.assert_array_equal(a.grad.numpy(), 0)


def test_svd_errors():
    with pytest.raises(RuntimeError, match="linalg.svd: The input tensor A must have at least 2 dimensions"):
        tinynn.linalg.svd(tinynn.ones(3))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got int64"):
        tinynn.linalg.svdvals(tinynn.ones(2, 2, dtype=tinynn.int64))
