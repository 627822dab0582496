"""nn.utils.parametrizations (tinynn/nn/utils/parametrizations.py, orthogonal.py): weight_norm,
spectral_norm and orthogonal (matrix_exp, cayley, householder; with and without trivialization)
against PyTorch: state_dict names, outputs, gradients, a few optimizer steps; float64 gradchecks;
orthogonality kept by training; householder_product against torch.linalg.householder_product."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn.func import functional_call
from tinynn.nn.utils import parametrizations as PZ
from tinynn.nn.utils import parametrize
from tinynn.nn.utils.orthogonal import householder_product
from tests.helpers import assert_close, assert_matches_torch, check_gradients, needs_torch, rand, torch


def _linear(lib, w):
    m = lib.nn.Linear(w.shape[1], w.shape[0]).double()
    with lib.no_grad():
        m.weight.copy_(lib.tensor(w))
    return m


def _sync(ours, theirs):
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


def _train_both(ours, theirs, x, steps=3):
    """SGD on sum(y^2): the outputs and every state_dict entry (buffers too) stay equal."""
    opt_a = tinynn.optim.SGD(ours.parameters(), lr=0.1)
    opt_b = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(steps):
        ya, yb = ours(tinynn.tensor(x)), theirs(torch.tensor(x))
        assert_close(ya, yb, what="output")
        opt_a.zero_grad()
        opt_b.zero_grad()
        (ya * ya).sum().backward()
        (yb * yb).sum().backward()
        opt_a.step()
        opt_b.step()
    for (name, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert_close(a, b, rtol=1e-6, atol=1e-9, what=name)


# ---------------------------------------------------------------------------- weight_norm
@needs_torch
@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_matches_torch(dim):
    w = rand(3, 4)
    ours = PZ.weight_norm(_linear(tinynn, w), dim=dim)
    theirs = torch.nn.utils.parametrizations.weight_norm(_linear(torch, w), dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    _sync(ours, theirs)
    _train_both(ours, theirs, rand(5, 4, seed=1))


def test_weight_norm_starts_at_the_weight_and_gradchecks():
    w = rand(3, 4)
    m = PZ.weight_norm(_linear(tinynn, w))
    assert_close(m.weight, w)
    assert_close(m.parametrizations.weight.original0, np.linalg.norm(w, axis=1, keepdims=True))
    check_gradients(lambda g, v, x: functional_call(m, {"parametrizations.weight.original0": g,
                                                        "parametrizations.weight.original1": v}, (x,)),
                    rand(3, 1, seed=2), rand(3, 4, seed=3), rand(2, 4, seed=4))
    parametrize.remove_parametrizations(m, "weight")
    assert list(m.state_dict()) == ["bias", "weight"]
    assert_close(m.weight, w)


def test_weight_norm_errors():
    with pytest.raises(ValueError, match="no parameter or buffer with name 'kernel'"):
        PZ.weight_norm(nn.Linear(2, 2), name="kernel")
    with pytest.raises(IndexError, match="Dimension out of range"):
        PZ.weight_norm(nn.Linear(2, 2), dim=3)


# ---------------------------------------------------------------------------- spectral_norm
@needs_torch
@pytest.mark.parametrize("make, shape, kw", [
    (lambda lib: lib.nn.Linear(4, 3), (5, 4), {}),
    (lambda lib: lib.nn.Conv2d(2, 3, 2), (2, 2, 4, 4), {"n_power_iterations": 3}),
    (lambda lib: lib.nn.ConvTranspose1d(2, 3, 2), (2, 2, 5), {"dim": None}),
])
def test_spectral_norm_matches_torch(make, shape, kw):
    ours = PZ.spectral_norm(make(tinynn).double(), **kw)
    theirs = torch.nn.utils.parametrizations.spectral_norm(make(torch).double(), **kw)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "bias", "parametrizations.weight.original", "parametrizations.weight.0._u", "parametrizations.weight.0._v"]
    _sync(ours, theirs)
    _train_both(ours, theirs, rand(*shape, seed=1), steps=4)
    ours.eval()
    theirs.eval()
    _train_both(ours, theirs, rand(*shape, seed=2), steps=2)   # eval: no power iteration, same u, v


def test_spectral_norm_top_singular_value_is_one_and_eval_freezes_u():
    m = PZ.spectral_norm(nn.Linear(5, 4).double(), n_power_iterations=5)
    for _ in range(10):
        W = m.weight
    assert np.linalg.svd(W.detach().numpy(), compute_uv=False)[0] == pytest.approx(1.0, abs=1e-8)
    m.eval()
    u = m.parametrizations.weight[0]._u.numpy().copy()
    m.weight
    np.testing.assert_array_equal(m.parametrizations.weight[0]._u.numpy(), u)


def test_spectral_norm_gradcheck_and_vector_weight():
    m = PZ.spectral_norm(nn.Linear(4, 3).double()).eval()
    check_gradients(lambda w, x: functional_call(m, {"parametrizations.weight.original": w}, (x,)),
                    rand(3, 4), rand(2, 4, seed=1))
    bias_normed = PZ.spectral_norm(nn.Linear(4, 3).double(), name="bias")
    assert np.linalg.norm(bias_normed.bias.detach().numpy()) == pytest.approx(1.0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        PZ.spectral_norm(nn.Linear(4, 3), dim=2)
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        PZ.spectral_norm(nn.Linear(4, 3), n_power_iterations=0)


# ---------------------------------------------------------------------------- orthogonal
def _orthogonality_error(W):
    W = W.detach().numpy()
    gram = W @ W.T if W.shape[0] < W.shape[1] else W.T @ W
    return np.abs(gram - np.eye(gram.shape[0])).max()


@needs_torch
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3)])
def test_orthogonal_matches_torch(orthogonal_map, shape):
    w = rand(*shape)
    ours = PZ.orthogonal(_linear(tinynn, w), orthogonal_map=orthogonal_map)
    theirs = torch.nn.utils.parametrizations.orthogonal(_linear(torch, w), orthogonal_map=orthogonal_map)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "bias", "parametrizations.weight.original", "parametrizations.weight.0.base"]
    if shape[0] == shape[1]:   # no random completion: both start at the same orthogonal matrix
        assert_close(ours.weight, theirs.weight, rtol=1e-6, atol=1e-12)
    _sync(ours, theirs)          # (a tall or wide weight is completed with random columns: copy the base)
    _train_both(ours, theirs, rand(2, shape[1], seed=1))
    assert _orthogonality_error(ours.weight) < 1e-12


@needs_torch
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3)])
def test_householder_without_trivialization_matches_torch(shape):
    w = rand(*shape)
    ours = PZ.orthogonal(_linear(tinynn, w), orthogonal_map="householder", use_trivialization=False)
    theirs = torch.nn.utils.parametrizations.orthogonal(_linear(torch, w), orthogonal_map="householder",
                                                       use_trivialization=False)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert_close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original, atol=1e-12)
    _sync(ours, theirs)
    _train_both(ours, theirs, rand(2, shape[1], seed=1))


def test_orthogonal_defaults_assignment_and_gradcheck():
    square = PZ.orthogonal(_linear(tinynn, rand(3, 3)))
    assert square.parametrizations.weight[0].orthogonal_map == "matrix_exp"
    tall = PZ.orthogonal(_linear(tinynn, rand(4, 2)))
    assert tall.parametrizations.weight[0].orthogonal_map == "householder"
    Q = np.linalg.qr(rand(3, 3, seed=5))[0]
    square.weight = tinynn.tensor(Q)             # an orthogonal matrix is taken as it is
    assert_close(square.weight, Q, atol=1e-12)
    frozen = PZ.orthogonal(_linear(tinynn, rand(3, 3)), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        frozen.weight = tinynn.tensor(Q)
    assert _orthogonality_error(frozen.weight) < 1e-12
    for orthogonal_map in ("matrix_exp", "cayley", "householder"):
        m = PZ.orthogonal(_linear(tinynn, rand(3, 2)), orthogonal_map=orthogonal_map)
        identity = tinynn.eye(2, dtype=tinynn.float64)
        check_gradients(lambda X: functional_call(m, {"parametrizations.weight.original": X}, (identity,)),
                        rand(3, 2, seed=6) * 0.3)


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        PZ.orthogonal(nn.Linear(3, 2), name="bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder"'):
        PZ.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="no parameter or buffer with name 'kernel'"):
        PZ.orthogonal(nn.Linear(3, 3), name="kernel")
    m = PZ.orthogonal(nn.Linear(3, 3).double())
    with pytest.raises(ValueError, match=r"Expected a matrix or batch of matrices of shape \(3, 3\)"):
        m.weight = tinynn.eye(2, dtype=tinynn.float64)


@needs_torch
@pytest.mark.parametrize("m, n, k", [(4, 4, 4), (5, 3, 3), (5, 3, 2)])
def test_householder_product_matches_torch(m, n, k):
    A, tau = rand(2, m, n), rand(2, k, seed=1, low=0.5, high=1.5)
    assert_matches_torch(householder_product, torch.linalg.householder_product, A, tau)
    check_gradients(householder_product, A, tau)
