"""The parallel scan equals the step-by-step recurrence; it, its backward (a reverse scan) and the
two SSM layers are gradient-checked in float64 with respect to inputs and parameters."""
import numpy as np
import pytest

import tinynn
from tinynn.autograd import gradcheck
from tinynn.nn import DiagonalSSM, SelectiveSSM, linear_scan
from tests.helpers import assert_close, check_gradients, leaf, rand


def sequential(a, b, h0=None, reverse=False):
    """The recurrence one step at a time, in NumPy: the reference."""
    a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
    h = np.zeros(b.shape[:1] + b.shape[2:]) if h0 is None else np.asarray(h0).copy()
    out = np.zeros(b.shape)
    for t in (reversed(range(b.shape[1])) if reverse else range(b.shape[1])):
        h = a[:, t] * h + b[:, t]
        out[:, t] = h
    return out


@pytest.mark.parametrize("steps", [1, 2, 7, 64, 100])
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_equals_sequential_loop(steps, reverse):
    a, b, h0 = rand(3, steps, 4, 2, low=-1.0, high=1.0, seed=1), rand(3, steps, 4, 2, seed=2), rand(3, 4, 2, seed=3)
    assert_close(linear_scan(leaf(a), leaf(b), leaf(h0), reverse=reverse), sequential(a, b, h0, reverse), 1e-12, 1e-12)
    assert_close(linear_scan(leaf(a), leaf(b), reverse=reverse), sequential(a, b, None, reverse), 1e-12, 1e-12)


def test_scan_broadcasts_a_time_invariant_decay():
    a, b = rand(5, seed=4, low=0.0, high=1.0), rand(2, 9, 5, seed=5)
    assert_close(linear_scan(leaf(a), leaf(b)), sequential(a, b), 1e-12, 1e-12)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("with_h0", [False, True])
def test_scan_gradients(reverse, with_h0):
    a, b, h0 = rand(2, 6, 3, low=-1.2, high=1.2, seed=6), rand(2, 6, 3, seed=7), rand(2, 3, seed=8)
    if with_h0:
        check_gradients(lambda a, b, h: linear_scan(a, b, h, reverse=reverse), a, b, h0)
    else:
        check_gradients(lambda a, b: linear_scan(a, b, reverse=reverse), a, b)


def test_scan_backward_is_the_reverse_recurrence():
    a, b, upstream = rand(1, 5, 2, low=0.2, high=0.9, seed=9), rand(1, 5, 2, seed=10), rand(1, 5, 2, seed=11)
    ta, tb = leaf(a), leaf(b)
    (linear_scan(ta, tb) * tinynn.tensor(upstream)).sum().backward()
    # g_t = G_t + a_{t+1} g_{t+1}: the same recurrence backward in time with shifted coefficients
    a_next = np.concatenate([a[:, 1:], np.zeros((1, 1, 2))], 1)
    g = sequential(a_next, upstream, reverse=True)
    h_prev = np.concatenate([np.zeros((1, 1, 2)), sequential(a, b)[:, :-1]], 1)
    assert_close(tb.grad, g, 1e-12, 1e-12)
    assert_close(ta.grad, g * h_prev, 1e-12, 1e-12)


def test_scan_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, 3\)"):
        linear_scan(tinynn.ones(2, 4, 3), tinynn.ones(2, 4, 3), tinynn.ones(3))
    with pytest.raises(ValueError, match="does not broadcast"):
        linear_scan(tinynn.ones(2, 4, 5), tinynn.ones(2, 4, 3))
    with pytest.raises(ValueError, match="time on dim 1"):
        linear_scan(tinynn.ones(4), tinynn.ones(4))


def test_diagonal_ssm_matches_its_formula_and_recurrence():
    tinynn.manual_seed(0)
    layer = DiagonalSSM(3, 4).double()
    x = rand(2, 11, 3, seed=12)
    A = -np.exp(layer.A_log.detach().numpy())
    A_bar = np.exp(np.exp(layer.log_dt.detach().numpy()) * A)
    B_bar = ((A_bar - 1) / A)[:, None] * layer.B.detach().numpy()
    s, expected = np.zeros((2, 4)), np.zeros((2, 11, 3))
    for t in range(11):
        s = A_bar * s + x[:, t] @ B_bar.T
        expected[:, t] = s @ layer.C.detach().numpy().T + x[:, t] * layer.D.detach().numpy()
    assert_close(layer(leaf(x)), expected, 1e-10, 1e-12)
    assert np.all((A_bar > 0) & (A_bar < 1))    # stable by construction


def test_selective_ssm_matches_its_formula():
    tinynn.manual_seed(1)
    layer = SelectiveSSM(4, 3, dt_rank=2).double()
    x = rand(2, 6, 4, seed=13)
    proj = x @ layer.x_proj.weight.detach().numpy().T
    dt_in = proj[..., :2] @ layer.dt_proj.weight.detach().numpy().T + layer.dt_proj.bias.detach().numpy()
    delta = np.log1p(np.exp(dt_in))
    B_t, C_t = proj[..., 2:5], proj[..., 5:]
    A = -np.exp(layer.A_log.detach().numpy())
    h, expected = np.zeros((2, 4, 3)), np.zeros((2, 6, 4))
    for t in range(6):
        h = np.exp(delta[:, t, :, None] * A) * h + delta[:, t, :, None] * B_t[:, t, None, :] * x[:, t, :, None]
        expected[:, t] = (h * C_t[:, t, None, :]).sum(-1) + x[:, t] * layer.D.detach().numpy()
    assert_close(layer(leaf(x)), expected, 1e-10, 1e-12)
    assert layer.dt_proj.bias.shape == (4,) and SelectiveSSM(32).dt_rank == 2   # 'auto' = ceil(d / 16)


@pytest.mark.parametrize("cls,h0_shape", [(DiagonalSSM, (2, 4)), (SelectiveSSM, (2, 3, 4))])
def test_ssm_layers_gradcheck_inputs_and_parameters(cls, h0_shape):
    tinynn.manual_seed(2)
    layer = cls(3, 4).double()
    params = list(layer.parameters())
    x, h0 = leaf(rand(2, 5, 3, seed=14)), leaf(rand(*h0_shape, seed=15))
    assert gradcheck(lambda x, h0, *ps: layer(x, h0), (x, h0, *params), atol=1e-5, rtol=1e-3)
    assert gradcheck(lambda x, *ps: layer(x), (x, *params), atol=1e-5, rtol=1e-3)


def test_ssm_layers_reject_bad_input():
    with pytest.raises(ValueError, match=r"expected input \(B, T, 3\)"):
        DiagonalSSM(3)(tinynn.ones(2, 5, 4))
    with pytest.raises(ValueError, match="dt_rank"):
        SelectiveSSM(3, dt_rank=0)
    with pytest.raises(ValueError, match="dt_min"):
        DiagonalSSM(3, dt_min=0.5, dt_max=0.1)
