"""autocast: each op's dtype inside a region against PyTorch's CPU float16 autocast, nesting,
the decorator form, casts that carry gradients back to float32 parameters, and the errors."""
import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn.amp import autocast, get_autocast_dtype, is_autocast_enabled
from tinynn.amp import policy
from tinynn.autograd import function as autograd_function
from tests.helpers import needs_torch, rand, torch

# (name, tinynn call, torch call): each takes the module (tinynn or torch) and its functional
CASES = [
    ("matmul", lambda m, f, a, b: a @ b),
    ("mm", lambda m, f, a, b: m.mm(a, b)),
    ("bmm", lambda m, f, a, b: m.bmm(a[None], b[None])),
    ("einsum", lambda m, f, a, b: m.einsum("ij,jk->ik", a, b)),
    ("linear", lambda m, f, a, b: f.linear(a, b, b[0])),
    ("conv1d", lambda m, f, a, b: f.conv1d(a.reshape(1, 4, 4), b.reshape(4, 4, 1)[:, :, :1].expand(4, 4, 2).contiguous())),
    ("conv2d", lambda m, f, a, b: f.conv2d(a.reshape(1, 1, 4, 4), b.reshape(4, 1, 2, 2))),
    ("conv_transpose2d", lambda m, f, a, b: f.conv_transpose2d(a.reshape(1, 1, 4, 4), b.reshape(1, 4, 2, 2))),
    ("sdpa", lambda m, f, a, b: f.scaled_dot_product_attention(a[None], b[None], a[None])),
    ("softmax", lambda m, f, a, b: f.softmax(a, -1)),
    ("log_softmax", lambda m, f, a, b: f.log_softmax(a, -1)),
    ("layer_norm", lambda m, f, a, b: f.layer_norm(a, (4,), b[0], b[1])),
    ("group_norm", lambda m, f, a, b: f.group_norm(a.reshape(1, 4, 4), 2, b[0], b[1])),
    ("sum", lambda m, f, a, b: a.sum()),
    ("mean", lambda m, f, a, b: a.mean()),
    ("exp", lambda m, f, a, b: a.exp()),
    ("pow", lambda m, f, a, b: a.pow(2)),
    ("relu", lambda m, f, a, b: f.relu(a)),
    ("tanh", lambda m, f, a, b: a.tanh()),
    ("add", lambda m, f, a, b: a + b),
    ("cross_entropy", lambda m, f, a, b: f.cross_entropy(a, m.tensor([0, 1, 2, 3]))),
    ("binary_cross_entropy", lambda m, f, a, b: f.binary_cross_entropy(a.sigmoid(), b.sigmoid())),
    ("bce_with_logits", lambda m, f, a, b: f.binary_cross_entropy_with_logits(a, b.sigmoid())),
    ("soft_margin_loss", lambda m, f, a, b: f.soft_margin_loss(a, b.sign())),
]


def _dtypes_in_autocast(module, functional, dtype_of_inputs, call):
    x = rand(4, 4, seed=0).astype(np.float32)
    w = rand(4, 4, seed=1).astype(np.float32)
    if module is tinynn:
        a, b = tinynn.tensor(x).to(dtype_of_inputs), tinynn.tensor(w).to(dtype_of_inputs)
        with autocast("cpu"):
            return str(call(module, functional, a, b).dtype)
    a, b = module.tensor(x).to(dtype_of_inputs), module.tensor(w).to(dtype_of_inputs)
    with torch.autocast("cpu", dtype=torch.float16):
        return str(call(module, functional, a, b).dtype).replace("torch.", "")


@needs_torch
@pytest.mark.cpu_only
@pytest.mark.parametrize("name, call", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("inputs", ["float32", "float16"])
def test_op_dtypes_match_torch_cpu_autocast(name, call, inputs):
    ours = _dtypes_in_autocast(tinynn, F, getattr(tinynn, inputs), call)
    theirs = _dtypes_in_autocast(torch, torch.nn.functional, getattr(torch, inputs), call)
    assert ours == theirs, f"{name} on {inputs} inputs: tinynn {ours}, PyTorch {theirs}"


def _device_type():
    return tinynn.get_default_device().type


def test_linear_computes_in_float16_and_gradients_reach_float32_parameters():
    tinynn.manual_seed(0)
    layer = nn.Linear(6, 3)
    x = tinynn.randn(5, 6)
    with autocast(_device_type()):
        y = layer(x)
        loss = F.cross_entropy(y, tinynn.tensor([0, 1, 2, 0, 1]))
    assert y.dtype == tinynn.float16 and loss.dtype == tinynn.float32
    loss.backward()
    assert layer.weight.dtype == tinynn.float32 and layer.weight.grad.dtype == tinynn.float32
    # the float16 forward agrees with the float32 one to float16's precision, and so do the grads
    w_grad = layer.weight.grad.clone()
    layer.zero_grad()
    F.cross_entropy(layer(x), tinynn.tensor([0, 1, 2, 0, 1])).backward()
    np.testing.assert_allclose(w_grad.cpu().numpy(), layer.weight.grad.cpu().numpy(), rtol=2e-2, atol=2e-3)
    np.testing.assert_allclose(y.float().detach().cpu().numpy(), layer(x).detach().cpu().numpy(), rtol=1e-2, atol=1e-2)


def test_composed_model_runs_matmuls_in_float16_and_its_loss_in_float32():
    tinynn.manual_seed(0)
    w1 = tinynn.randn(8, 16, requires_grad=True)
    w2 = tinynn.randn(16, 4, requires_grad=True)
    x = tinynn.randn(10, 8)
    with autocast(_device_type()):
        h = (x @ w1).relu()
        logits = h @ w2
        loss = F.cross_entropy(logits, tinynn.zeros(10, dtype=tinynn.int64))
    assert (h.dtype, logits.dtype, loss.dtype) == (tinynn.float16, tinynn.float16, tinynn.float32)
    loss.backward()
    assert w1.grad.dtype == tinynn.float32 and w2.grad.dtype == tinynn.float32
    assert float(w1.grad.abs().sum()) > 0


def test_float64_is_never_cast():
    a = tinynn.randn(3, 3, dtype=tinynn.float64)
    with autocast(_device_type()):
        assert (a @ a).dtype == tinynn.float64
        assert F.cross_entropy(a, tinynn.tensor([0, 1, 2])).dtype == tinynn.float64


def test_gradient_through_the_inserted_casts_is_the_exact_one_to_float16_precision():
    # autocast never casts float64 (so a float64 gradcheck sees no cast); here float64 leaves are
    # cast to float32 by the user, then to float16 by autocast, and the gradient comes back float64
    x = tinynn.tensor(rand(3, 4), requires_grad=True)
    with autocast(_device_type()):
        y = (x.float() @ x.float().T)
    assert y.dtype == tinynn.float16
    y.sum().backward()
    expected = 2 * x.detach().sum(0, keepdim=True).expand(3, 4)   # d/dx of sum(x x^T)
    np.testing.assert_allclose(x.grad.cpu().numpy(), expected.cpu().numpy(), rtol=5e-3, atol=5e-3)
    assert x.grad.dtype == tinynn.float64


def test_nesting_enabled_false_and_state_restored():
    dev = _device_type()
    a = tinynn.randn(2, 2)
    assert not is_autocast_enabled(dev)
    assert autograd_function.autocast_off()
    with autocast(dev):
        assert is_autocast_enabled(dev) and (a @ a).dtype == tinynn.float16
        with autocast(dev, enabled=False):
            assert not is_autocast_enabled(dev) and (a @ a).dtype == tinynn.float32
            with autocast(dev):
                assert (a @ a).dtype == tinynn.float16
            assert (a @ a).dtype == tinynn.float32
        assert (a @ a).dtype == tinynn.float16
    assert not is_autocast_enabled(dev) and (a @ a).dtype == tinynn.float32
    assert autograd_function.autocast_off()   # ops pay nothing once every region is closed
    assert get_autocast_dtype(dev) == tinynn.float16


def test_decorator_and_reentrant_use_of_one_object():
    dev = _device_type()
    region = autocast(dev)

    @region
    def depth_first(n, a):
        inner = depth_first(n - 1, a) if n else None
        return (a @ a).dtype, inner

    a = tinynn.randn(2, 2)
    result = depth_first(2, a)
    assert result[0] == result[1][0] == result[1][1][0] == tinynn.float16
    assert not is_autocast_enabled(dev) and (a @ a).dtype == tinynn.float32


def test_other_device_type_is_not_affected():
    other = "cuda" if _device_type() == "cpu" else "cpu"
    a = tinynn.randn(2, 2)
    with autocast(other):
        assert is_autocast_enabled(other) and not is_autocast_enabled(_device_type())
        assert (a @ a).dtype == tinynn.float32


def test_parameter_casts_are_cached_within_a_region_and_renewed_after_in_place_change():
    w = tinynn.randn(3, 3, requires_grad=True)
    x = tinynn.randn(2, 3)
    with autocast(_device_type()):
        first, second = x @ w, x @ w
        assert first.grad_fn.next_edges[1][0] is second.grad_fn.next_edges[1][0]   # one cast node
        with tinynn.no_grad():
            w.mul_(2.0)
        third = x @ w
        np.testing.assert_allclose(third.float().detach().cpu().numpy(), 2 * first.float().detach().cpu().numpy(), rtol=2e-3)
    with autocast(_device_type(), cache_enabled=False):
        assert (x @ w).grad_fn.next_edges[1][0] is not (x @ w).grad_fn.next_edges[1][0]


def test_cuda_list_runs_softmax_norms_and_reductions_in_float32():
    for op in ("Softmax", "LogSoftmax", "Sum", "LogSumExp", "Norm2"):
        assert policy.kind_of(getattr(tinynn.ops.reduce, op), "cuda") == policy.FP32
        assert policy.kind_of(getattr(tinynn.ops.reduce, op), "cpu") is None
    assert policy.kind_of(tinynn.ops.normalization.Normalize, "cuda") == policy.FP32
    assert policy.kind_of(tinynn.ops.unary.Exp, "cuda") == policy.FP32
    assert policy.kind_of(tinynn.ops.linalg.Matmul, "cuda") == policy.LOWER


def test_bfloat16_autocast_rounds_the_inputs_of_lower_precision_ops():
    a, b = tinynn.randn(3, 4, dtype=tinynn.float32), tinynn.randn(4, 2, dtype=tinynn.float32)
    with autocast("cpu", dtype=tinynn.bfloat16):
        assert get_autocast_dtype("cpu") is tinynn.bfloat16
        out = a @ b
    expected = tinynn.amp.round_to_bfloat16(a).numpy() @ tinynn.amp.round_to_bfloat16(b).numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert out.dtype == tinynn.float32 and not np.allclose(out.numpy(), (a @ b).numpy(), rtol=1e-5)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(RuntimeError, match="float16 or bfloat16, got float64"):
        autocast("cpu", dtype=tinynn.float64)
    with pytest.raises(RuntimeError, match="'cpu' or 'cuda', got 'tpu'"):
        autocast("tpu")


def test_stacked_linear_layers_under_autocast():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    with autocast(_device_type()):
        assert model(tinynn.randn(3, 4)).dtype == tinynn.float16
    conv = nn.Sequential(nn.Conv1d(2, 3, 3), nn.ReLU(), nn.Conv1d(3, 2, 1))
    with autocast(_device_type()):
        assert conv(tinynn.randn(1, 2, 8)).dtype == tinynn.float16
