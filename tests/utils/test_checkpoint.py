"""Gradient checkpointing: gradients identical to the plain run (MLP, a transformer block with
dropout, several inputs and outputs, inputs without grad, parameters inside), float64 gradchecks,
checkpoint_sequential, the RNG replay, errors, and the peak memory measured lower (tracemalloc)."""
import time
import tracemalloc

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn.utils.checkpoint import checkpoint, checkpoint_sequential
from tests.helpers import check_gradients, rand


def _grads(module, *inputs):
    return [p.grad.cpu().numpy().copy() for p in module.parameters()] + \
           [x.grad.cpu().numpy().copy() for x in inputs if x.requires_grad]


def _plain_and_checkpointed(module, run, *inputs, seed=5):
    """Gradients of run(forward) with forward = module, then with checkpoint(module, ...)."""
    results = []
    for wrap in (lambda *a: module(*a), lambda *a: checkpoint(module, *a, use_reentrant=False)):
        module.zero_grad(set_to_none=True)
        for x in inputs:
            x.grad = None
        tinynn.manual_seed(seed)
        out = wrap(*inputs)
        run(out).backward()
        results.append((out, _grads(module, *inputs)))
    return results


@pytest.mark.parametrize("reentrant", [False, True])
def test_mlp_gradients_identical_to_plain_run(reentrant):
    tinynn.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(6, 16), nn.GELU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))
    x = tinynn.randn(8, 6, requires_grad=True)
    plain = mlp(x)
    (plain ** 2).sum().backward()
    expected = _grads(mlp, x)
    mlp.zero_grad(set_to_none=True)
    x.grad = None
    out = checkpoint(mlp, x, use_reentrant=reentrant)
    assert out.grad_fn.name() == "CheckpointFunctionBackward"
    (out ** 2).sum().backward()
    np.testing.assert_array_equal(out.detach().cpu().numpy(), plain.detach().cpu().numpy())
    for a, b in zip(_grads(mlp, x), expected):
        np.testing.assert_array_equal(a, b)


def test_transformer_block_with_dropout_replays_the_same_masks():
    tinynn.manual_seed(0)
    block = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, dropout=0.3, batch_first=True)
    x = tinynn.randn(2, 5, 16, requires_grad=True)
    (out_a, grads_a), (out_b, grads_b) = _plain_and_checkpointed(block, lambda y: (y * y).mean(), x)
    np.testing.assert_array_equal(out_a.detach().cpu().numpy(), out_b.detach().cpu().numpy())
    for a, b in zip(grads_a, grads_b):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    # without replaying the random state the recomputed dropout masks differ: gradients change
    block.zero_grad(set_to_none=True)
    tinynn.manual_seed(5)
    out = checkpoint(block, x, use_reentrant=False, preserve_rng_state=False)
    (out * out).mean().backward()
    assert not np.allclose(block.linear1.weight.grad.cpu().numpy(), grads_a[[n for n, _ in block.named_parameters()].index("linear1.weight")])


def test_multiple_inputs_outputs_non_tensor_arguments_and_an_input_without_grad():
    tinynn.manual_seed(0)
    lin = nn.Linear(4, 4)

    def segment(a, b, scale, c):
        h = lin(a * scale) + b
        return h.tanh(), (h * c).sum(-1), "label"

    a = tinynn.randn(3, 4, requires_grad=True)
    b = tinynn.randn(3, 4, requires_grad=True)
    c = tinynn.randn(3, 4)                       # needs no gradient
    results = []
    for wrapped in (segment, lambda *args: checkpoint(segment, *args)):
        lin.zero_grad(set_to_none=True)
        a.grad = b.grad = None
        y1, y2, label = wrapped(a, b, 0.5, c)
        assert label == "label"
        ((y1 ** 2).sum() + (y2 * tinynn.arange(3.0)).sum()).backward()
        results.append(_grads(lin, a, b))
    assert c.grad is None
    for got, expected in zip(*results):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_parameters_get_gradients_when_no_input_requires_grad():
    tinynn.manual_seed(0)
    lin = nn.Linear(5, 2)
    x = tinynn.randn(4, 5)                       # data: no gradient wanted
    out = checkpoint(lin, x)
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_allclose(lin.weight.grad.cpu().numpy(), np.tile(x.sum(0).cpu().numpy(), (2, 1)), rtol=1e-6)
    # PyTorch's reentrant variant: outputs need no grad then, and it warns
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad"):
        out = checkpoint(lin, x, use_reentrant=True)
    assert not out.requires_grad


def test_float64_gradcheck_of_checkpointed_segments():
    w = tinynn.tensor(rand(4, 3, seed=2), requires_grad=True)

    def segment(x, v):
        return (x @ w).tanh() * v.sigmoid()

    check_gradients(lambda x, v: checkpoint(segment, x, v), rand(5, 4), rand(5, 3, seed=1), second_order=False)
    check_gradients(lambda x: checkpoint(segment, x, tinynn.tensor(rand(5, 3, seed=3)), use_reentrant=True),
                    rand(5, 4), second_order=False)
    check_gradients(lambda ww: checkpoint(lambda x: (x @ ww).sin(), tinynn.tensor(rand(2, 4))), w.detach().cpu().numpy(),
                    second_order=False)


def test_checkpoint_sequential_matches_and_splits():
    tinynn.manual_seed(0)
    seq = nn.Sequential(*[nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.2), nn.ReLU()) for _ in range(6)])
    x = tinynn.randn(4, 8, requires_grad=True)
    (out_a, grads_a), (out_b, grads_b) = _plain_and_checkpointed(seq, lambda y: y.sum(), x)
    seq.zero_grad(set_to_none=True)
    x.grad = None
    tinynn.manual_seed(5)
    out = checkpoint_sequential(seq, 3, x, use_reentrant=False)
    # the last segment runs normally, the one before ends in a checkpoint node
    assert out.grad_fn.name() != "CheckpointFunctionBackward"
    out.sum().backward()
    np.testing.assert_array_equal(out.detach().cpu().numpy(), out_a.detach().cpu().numpy())
    for a, b in zip(_grads(seq, x), grads_a):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="7 segments for 6 functions"):
        checkpoint_sequential(seq, 7, x)


def test_errors():
    lin = nn.Linear(3, 3)
    x = tinynn.randn(2, 3, requires_grad=True)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda a, scale: lin(a) * scale, x, use_reentrant=True, scale=2.0)
    out = checkpoint(lambda a, scale: lin(a) * scale, x, scale=2.0)     # the default variant passes kwargs
    assert out.shape == (2, 3)
    with pytest.raises(ValueError, match="determinism_check"):
        checkpoint(lin, x, determinism_check="strict")
    calls = []

    def changes_shape(a):
        calls.append(1)
        return lin(a) if len(calls) == 1 else lin(a)[:1]

    with pytest.raises(RuntimeError, match="recomputed outputs differ"):
        checkpoint(changes_shape, x).sum().backward()
    y = checkpoint(lin, x)
    with pytest.raises(RuntimeError, match="double backward"):
        tinynn.autograd.grad(y.sum(), x, create_graph=True)
    x2 = tinynn.randn(2, 3, requires_grad=True)
    h = x2 * 1.0
    z = checkpoint(lin, h)
    with tinynn.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


def _peak_bytes(model, x, segments):
    model.zero_grad(set_to_none=True)
    tracemalloc.start()
    start = time.perf_counter()
    out = model(x) if segments is None else checkpoint_sequential(model, segments, x, use_reentrant=False)
    out.pow(2).mean().backward()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, seconds


@pytest.mark.cpu_only
def test_peak_memory_of_forward_and_backward_is_lower_by_a_clear_factor():
    # 36 blocks whose activations (512 x 32 float32 = 64 KiB each) dwarf their weights (4 KiB);
    # 6 segments keep ~6 boundaries + one segment's 6 activations instead of all 36 (measured 2.26x)
    tinynn.manual_seed(0)
    model = nn.Sequential(*[nn.Sequential(nn.Linear(32, 32), nn.Tanh()) for _ in range(36)])
    x = tinynn.randn(512, 32)
    plain, _ = _peak_bytes(model, x, None)
    saved, _ = _peak_bytes(model, x, 6)
    assert plain > 36 * 512 * 32 * 4          # every block's activation was held
    assert saved < plain / 1.8, f"checkpointed peak {saved} vs plain {plain}"
