"""nn.utils (tinynn/nn/utils/clip_grad.py, convert_parameters.py): clip_grad_norm_ / clip_grad_value_
against PyTorch on the same gradients, the returned total norm, error_if_nonfinite, and the
parameters <-> vector conversions."""
import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn.nn.utils import (clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm,
                             parameters_to_vector, vector_to_parameters)
from tests.helpers import assert_close, needs_torch, rand, torch

SHAPES = [(3, 4), (5,), (2, 2, 2)]


def _params_with_grads(lib, scale=1.0, dtype=np.float64):
    params = []
    for i, shape in enumerate(SHAPES):
        make = lib.tensor
        p = make(rand(*shape, seed=i).astype(dtype), requires_grad=True)
        p.grad = make(rand(*shape, seed=10 + i).astype(dtype) * scale)
        params.append(p)
    return params


@needs_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = _params_with_grads(tinynn), _params_with_grads(torch)
    total_ours = clip_grad_norm_(ours, max_norm, norm_type)
    total_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total_ours, tinynn.Tensor) and total_ours.shape == ()
    assert_close(total_ours, total_theirs)
    for p, q in zip(ours, theirs):
        assert_close(p.grad, q.grad)


def test_clip_grad_norm_scales_to_max_norm():
    params = _params_with_grads(tinynn, scale=10.0)
    before = np.concatenate([p.grad.numpy().ravel() for p in params])
    total = clip_grad_norm_(params, 1.0)
    after = np.concatenate([p.grad.numpy().ravel() for p in params])
    assert total.item() == pytest.approx(np.linalg.norm(before), rel=1e-12)
    assert np.linalg.norm(after) == pytest.approx(1.0, rel=1e-5)           # 1e-6 in the divisor
    np.testing.assert_allclose(after / np.linalg.norm(after), before / np.linalg.norm(before), rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_and_skips_missing_ones():
    params = _params_with_grads(tinynn)
    params.append(tinynn.zeros(3, requires_grad=True))  # no .grad: ignored
    before = [p.grad.numpy().copy() for p in params[:3]]
    clip_grad_norm_(params, 1e6)
    for b, p in zip(before, params):
        np.testing.assert_allclose(p.grad.numpy(), b, rtol=1e-9)
    assert params[3].grad is None


def test_clip_grad_norm_of_a_model_and_of_a_single_tensor():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    (model(tinynn.randn(8, 3)) ** 2).sum().backward()
    versions = [p.grad._version for p in model.parameters()]
    total = clip_grad_norm_(model.parameters(), 0.01)
    assert total.dtype == tinynn.float32
    norm_after = math.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum()) for p in model.parameters()))
    assert norm_after == pytest.approx(0.01, rel=1e-4)
    assert all(p.grad._version > v for p, v in zip(model.parameters(), versions))
    single = tinynn.tensor([3.0, 4.0], requires_grad=True)
    single.grad = tinynn.tensor([3.0, 4.0])
    assert clip_grad_norm_(single, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(single.grad.numpy(), [0.6, 0.8], rtol=1e-5)


@pytest.mark.cpu_only
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf * 0 in the scaling, as asked
def test_clip_grad_norm_nonfinite():
    params = _params_with_grads(tinynn)
    params[1].grad.numpy()[0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_(params, 1.0).item())


def test_no_gradients_gives_zero_norm():
    assert clip_grad_norm_([tinynn.zeros(2, requires_grad=True)], 1.0).item() == 0.0


def test_get_total_norm():
    grads = [tinynn.tensor(rand(3, 4, seed=1)), tinynn.tensor(rand(5, seed=2))]
    flat = np.concatenate([rand(3, 4, seed=1).ravel(), rand(5, seed=2)])
    assert get_total_norm(grads, 3.0).item() == pytest.approx(np.linalg.norm(flat, 3), rel=1e-12)
    assert get_total_norm(grads, math.inf).item() == pytest.approx(np.abs(flat).max())


@needs_torch
@pytest.mark.parametrize("clip_value", [0.3, 5.0])
def test_clip_grad_value_matches_torch(clip_value):
    ours, theirs = _params_with_grads(tinynn), _params_with_grads(torch)
    clip_grad_value_(ours, clip_value)
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, q in zip(ours, theirs):
        assert_close(p.grad, q.grad)
    assert max(np.abs(p.grad.numpy()).max() for p in ours) <= clip_value


# ---------------------------------------------------------------------------- vector conversions
@needs_torch
def test_parameters_to_vector_matches_torch_and_is_differentiable():
    ours = [tinynn.tensor(rand(*s, seed=i), requires_grad=True) for i, s in enumerate(SHAPES)]
    theirs = [torch.tensor(rand(*s, seed=i), requires_grad=True) for i, s in enumerate(SHAPES)]
    v_ours, v_theirs = parameters_to_vector(ours), torch.nn.utils.parameters_to_vector(theirs)
    assert_close(v_ours, v_theirs)
    weights = rand(v_ours.shape[0], seed=9)
    (v_ours * tinynn.tensor(weights)).sum().backward()
    (v_theirs * torch.tensor(weights)).sum().backward()
    for p, q in zip(ours, theirs):
        assert_close(p.grad, q.grad)


@pytest.mark.cpu_only
def test_vector_to_parameters_round_trip_shares_memory():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    n = sum(p.numel() for p in model.parameters())
    vec = tinynn.arange(n, dtype=tinynn.float32)
    vector_to_parameters(vec, model.parameters())
    np.testing.assert_array_equal(parameters_to_vector(model.parameters()).detach().numpy(), np.arange(n))
    assert model[0].weight.shape == (2, 3) and model[0].weight.detach().numpy()[1, 0] == 3
    vec.numpy()[0] = 100.0  # like PyTorch, the parameters now view the vector's memory
    assert model[0].weight.detach().numpy()[0, 0] == 100.0


def test_vector_to_parameters_errors():
    model = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        vector_to_parameters(np.zeros(8), model.parameters())
    with pytest.raises(RuntimeError, match="at least 8 elements"):
        vector_to_parameters(tinynn.zeros(5), model.parameters())


# ---------------------------------------------------------------------------- the rest of PyTorch's contract
@needs_torch
@pytest.mark.parametrize("norm_type", [0.0, -math.inf, 0.5])
def test_get_total_norm_unusual_orders_match_torch(norm_type):
    ours, theirs = _params_with_grads(tinynn), _params_with_grads(torch)
    assert_close(get_total_norm([p.grad for p in ours], norm_type),
                 torch.nn.utils.get_total_norm([p.grad for p in theirs], norm_type))
    assert_close(clip_grad_norm_(ours, 0.1, norm_type), torch.nn.utils.clip_grad_norm_(theirs, 0.1, norm_type))
    for p, q in zip(ours, theirs):
        assert_close(p.grad, q.grad)


@needs_torch
@pytest.mark.parametrize("foreach", [None, True, False])
def test_clip_grads_with_norm_and_foreach_match_torch(foreach):
    ours, theirs = _params_with_grads(tinynn, scale=3.0), _params_with_grads(torch, scale=3.0)
    total_ours = get_total_norm([p.grad for p in ours], 2.0, foreach=foreach)
    total_theirs = torch.nn.utils.get_total_norm([p.grad for p in theirs], 2.0, foreach=foreach)
    clip_grads_with_norm_(ours, 0.5, total_ours * 2, foreach=foreach)   # any total norm the caller chooses
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.5, total_theirs * 2, foreach=foreach)
    for p, q in zip(ours, theirs):
        assert_close(p.grad, q.grad)
    assert_close(clip_grad_norm_(ours, 0.1, foreach=foreach),
                 torch.nn.utils.clip_grad_norm_(theirs, 0.1, foreach=foreach))


@needs_torch
@pytest.mark.cpu_only
def test_nonfinite_gradients_match_torch():
    ours, theirs = _params_with_grads(tinynn), _params_with_grads(torch)
    ours[1].grad.numpy()[0] = np.inf
    theirs[1].grad[0] = np.inf
    with pytest.raises(RuntimeError) as ours_error:
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as theirs_error:
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    assert str(ours_error.value) == str(theirs_error.value)
    clip_grad_norm_(ours, 1.0)          # error_if_nonfinite=False: scaled by 1 / inf, as PyTorch does
    torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_parameters_to_vector_of_nothing():
    with pytest.raises(ValueError, match="at least one parameter"):
        parameters_to_vector([])
