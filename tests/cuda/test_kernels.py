"""The fused GPU kernels (tinynn/kernels) against their reference array code, on the same GPU.

Each test runs a computation twice on CuPy arrays: with the fused kernels, then with
``kernels.set_enabled(False)`` (the reference path, the code the CPU runs), and compares.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F
from tinynn import kernels
from tests.helpers import rand

cuda = pytest.mark.cuda


def test_fused_kernels_never_apply_to_numpy_arrays():
    assert kernels.is_enabled() and not kernels.use_fused(np.ones(3, dtype=np.float32))


def both_ways(fn):
    """fn() with the fused kernels, and with the reference path, as host arrays."""
    try:
        fused = fn()
        kernels.set_enabled(False)
        reference = fn()
    finally:
        kernels.set_enabled(True)
    return fused, reference


def host(values):
    return [v.detach().cpu().numpy() if isinstance(v, tinynn.Tensor) else v for v in values]


@cuda
@pytest.mark.parametrize("dtype, rtol", [(tinynn.float32, 2e-5), (tinynn.float64, 1e-12)])
@pytest.mark.parametrize("options", [
    dict(cls="Adam"), dict(cls="Adam", weight_decay=0.1), dict(cls="AdamW", weight_decay=0.1),
    dict(cls="Adam", maximize=True, weight_decay=0.05), dict(cls="Adam", betas=(0.3, 0.9)),
])
def test_adam_kernel_equals_the_reference_update(dtype, rtol, options):
    options = dict(options)
    cls = getattr(tinynn.optim, options.pop("cls"))

    def train():
        tinynn.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 2)).to("cuda", dtype)
        opt = cls(model.parameters(), lr=0.05, **options)
        x = tinynn.tensor(rand(16, 5), dtype=dtype, device="cuda")
        for _ in range(5):
            opt.zero_grad()
            (model(x) ** 2).mean().backward()
            opt.step()
        state = [s[k] for s in opt.state.values() for k in ("exp_avg", "exp_avg_sq")]
        return host(list(model.parameters()) + state)

    fused, reference = both_ways(train)
    for a, b in zip(fused, reference):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-3)


@cuda
@pytest.mark.parametrize("dtype, rtol", [(tinynn.float32, 1e-5), (tinynn.float64, 1e-12)])
@pytest.mark.parametrize("shape, affine", [((4, 7, 384), True), ((3, 5), False), ((2, 3, 4, 6), True), ((1, 1000), True)])
def test_layer_norm_kernel_equals_the_reference(dtype, rtol, shape, affine):
    normalized = shape[-2:] if len(shape) == 4 else shape[-1:]

    def run():
        tinynn.manual_seed(0)
        layer = nn.LayerNorm(normalized, elementwise_affine=affine).to("cuda", dtype)
        if affine:
            with tinynn.no_grad():
                layer.weight.copy_(tinynn.tensor(rand(*normalized, seed=1) + 1, dtype=dtype))
                layer.bias.copy_(tinynn.tensor(rand(*normalized, seed=2), dtype=dtype))
        x = tinynn.tensor(rand(*shape, seed=3) * 3 + 1, dtype=dtype, device="cuda", requires_grad=True)
        y = layer(x)
        y.backward(tinynn.tensor(rand(*shape, seed=4), dtype=dtype, device="cuda"))
        return host([y, x.grad] + [p.grad for p in layer.parameters()])

    fused, reference = both_ways(run)
    assert len(fused) == (4 if affine else 2)
    for a, b in zip(fused, reference):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


@cuda
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype, rtol", [(tinynn.float32, 1e-5), (tinynn.float64, 1e-13)])
def test_gelu_kernel_equals_the_reference(approximate, dtype, rtol):
    def run():
        x = tinynn.tensor(rand(1000, seed=5) * 4, dtype=dtype, device="cuda", requires_grad=True)
        y = F.gelu(x, approximate=approximate)
        y.sum().backward()
        return host([y, x.grad])

    fused, reference = both_ways(run)
    for a, b in zip(fused, reference):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


@cuda
def test_gpu_targets_are_checked_again_after_an_in_place_change():
    logits = tinynn.zeros(4, 3, device="cuda")
    targets = tinynn.tensor([0, 1, 2, 1], device="cuda")
    for _ in range(2):   # the second call finds the targets checked already
        F.cross_entropy(logits, targets.view(-1))
    targets[1] = 7
    with pytest.raises(IndexError, match="target class index 7 is out of range for 3 classes"):
        F.cross_entropy(logits, targets.view(-1))
    with pytest.raises(IndexError, match="out of range"):
        F.cross_entropy(logits, tinynn.tensor([0, 1, 5, 1], device="cuda"))
