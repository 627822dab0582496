"""MultivariateNormal with a full covariance, given three ways (covariance, precision, scale_tril):
log_prob, entropy, the derived matrices and moments against PyTorch with gradients, gradient checks,
rsample = loc + L eps, sample covariance, batch broadcasting, errors."""
import numpy as np
import pytest

import tinynn
from tests.helpers import assert_close, assert_matches_torch, check_gradients, leaf, needs_torch, rand, torch
from tinynn.distributions import MultivariateNormal

N = 3
A = rand(2, N, N, seed=1)
COV = A @ A.transpose(0, 2, 1) + N * np.eye(N)      # (2, 3, 3) positive definite
LOC = rand(2, N, seed=2)
VALUE = rand(4, 2, N, seed=3)
TRIL = np.linalg.cholesky(COV)


def _everything(module, kind, with_precision=True):
    def run(loc, matrix, value):
        d = module.MultivariateNormal(loc, **{kind: matrix})
        out = (d.log_prob(value), d.entropy(), d.mean, d.mode, d.variance, d.covariance_matrix, d.scale_tril)
        return out + (d.precision_matrix,) if with_precision else out
    return run


@needs_torch
@pytest.mark.parametrize("kind, matrix", [("covariance_matrix", COV), ("precision_matrix", np.linalg.inv(COV)),
                                          ("scale_tril", TRIL)])
def test_matches_torch(kind, matrix):
    # PyTorch's precision_matrix from scale_tril (cholesky_inverse) also sends gradient to the upper
    # triangle, which the factor never uses; that case is compared below on the lower triangle.
    with_precision = kind != "scale_tril"
    assert_matches_torch(_everything(tinynn.distributions, kind, with_precision),
                         _everything(torch.distributions, kind, with_precision), LOC, matrix, VALUE, rtol=1e-9)


@needs_torch
def test_precision_from_scale_tril_matches_torch_on_the_lower_triangle():
    ours, theirs = leaf(TRIL), torch.tensor(TRIL, requires_grad=True)
    p_ours = MultivariateNormal(tinynn.tensor(LOC), scale_tril=ours).precision_matrix
    p_theirs = torch.distributions.MultivariateNormal(torch.tensor(LOC), scale_tril=theirs).precision_matrix
    assert_close(p_ours, p_theirs, rtol=1e-10)
    weights = rand(2, N, N, seed=9)
    (p_ours * tinynn.tensor(weights)).sum().backward()
    (p_theirs * torch.tensor(weights)).sum().backward()
    assert_close(np.tril(ours.grad.numpy()), np.tril(theirs.grad.numpy()), rtol=1e-9)
    assert np.all(np.triu(ours.grad.numpy(), 1) == 0)


@needs_torch
def test_batch_broadcasting_matches_torch():
    loc = rand(4, 1, N, seed=5)                     # (4, 1, 3) with a (2, 3, 3) covariance: batch (4, 2)
    assert_matches_torch(lambda m, c, v: MultivariateNormal(m, c).log_prob(v),
                         lambda m, c, v: torch.distributions.MultivariateNormal(m, c).log_prob(v), loc, COV, VALUE)
    assert MultivariateNormal(tinynn.tensor(loc), tinynn.tensor(COV)).batch_shape == (4, 2)


def _spd(a):
    return a @ a.mT + N * tinynn.eye(N, dtype=tinynn.float64)


def _lower(a):
    return a.tril()


def test_gradcheck():
    tril_input = np.tril(A) + 3 * np.eye(N)   # positive diagonal
    check_gradients(lambda m, a, v: MultivariateNormal(m, covariance_matrix=_spd(a)).log_prob(v), LOC, A, VALUE)
    check_gradients(lambda m, a, v: MultivariateNormal(m, precision_matrix=_spd(a)).log_prob(v), LOC, A, VALUE)
    check_gradients(lambda m, a, v: MultivariateNormal(m, scale_tril=_lower(a)).log_prob(v), LOC, tril_input, VALUE)
    check_gradients(lambda a: MultivariateNormal(tinynn.zeros(N, dtype=tinynn.float64), _spd(a)).entropy(), A)
    check_gradients(lambda a: MultivariateNormal(tinynn.zeros(N, dtype=tinynn.float64),
                                                 scale_tril=_lower(a)).precision_matrix, tril_input)


def test_rsample_is_loc_plus_factor_times_noise():
    def draw(m, a):
        tinynn.manual_seed(7)
        return MultivariateNormal(m, scale_tril=_lower(a)).rsample((5,))

    tril_input = np.tril(A) + 3 * np.eye(N)
    check_gradients(draw, LOC, tril_input)
    x = draw(tinynn.tensor(LOC), tinynn.tensor(tril_input))
    tinynn.manual_seed(7)
    eps = tinynn.randn(5, 2, N, dtype=tinynn.float64).numpy()
    np.testing.assert_allclose(x.numpy(), LOC + np.einsum("bij,sbj->sbi", np.tril(tril_input), eps), rtol=1e-13)


def test_sample_covariance():
    tinynn.manual_seed(0)
    n = 20_000
    d = MultivariateNormal(tinynn.tensor(LOC), tinynn.tensor(COV))
    s = d.sample((n,))
    assert s.shape == (n, 2, N) and s.dtype == tinynn.float64 and not s.requires_grad
    x = s.numpy()
    np.testing.assert_array_less(np.abs(x.mean(0) - LOC), 6 * np.sqrt(np.diagonal(COV, axis1=1, axis2=2) / n))
    centered = x - x.mean(0)
    cov = np.einsum("sbi,sbj->bij", centered, centered) / n
    var = np.diagonal(COV, axis1=1, axis2=2)
    bound = 6 * np.sqrt((var[:, :, None] * var[:, None, :] + COV**2) / n)
    np.testing.assert_array_less(np.abs(cov - COV), bound)


def test_shapes_and_expand():
    d = MultivariateNormal(tinynn.zeros(N), tinynn.eye(N))
    assert d.batch_shape == () and d.event_shape == (N,) and d.entropy().shape == ()
    assert d.sample().shape == (N,) and d.sample((2, 5)).shape == (2, 5, N)
    e = d.expand((4,))
    assert e.batch_shape == (4,) and e.loc.shape == (4, N) and e.covariance_matrix.shape == (4, N, N)
    assert e.log_prob(tinynn.zeros(4, N)).shape == (4,) and e.entropy().shape == (4,)


def test_errors():
    eye = tinynn.eye(N)
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        MultivariateNormal(tinynn.tensor(0.0), eye)
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"):
        MultivariateNormal(tinynn.zeros(N))
    with pytest.raises(ValueError, match="Exactly one of"):
        MultivariateNormal(tinynn.zeros(N), eye, scale_tril=eye)
    with pytest.raises(ValueError, match="covariance_matrix matrix must be at least two-dimensional"):
        MultivariateNormal(tinynn.zeros(N), tinynn.ones(N))
    with pytest.raises(ValueError, match=r"must be square and match loc's last dimension \(3\)"):
        MultivariateNormal(tinynn.zeros(N), tinynn.eye(2))
    with pytest.raises(ValueError, match="Expected parameter covariance_matrix .* PositiveDefinite"):
        MultivariateNormal(tinynn.zeros(2), tinynn.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="Expected parameter scale_tril .* LowerCholesky"):
        MultivariateNormal(tinynn.zeros(2), scale_tril=tinynn.tensor([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"batch shapes of loc \(3,\) and covariance_matrix \(2,\) do not broadcast"):
        MultivariateNormal(tinynn.zeros(3, N), tinynn.eye(N).expand(2, N, N))
